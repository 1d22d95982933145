"""Gains of one system over another on the same held-out cables, with paired bootstrap 95% intervals.

Reads two prediction files as bench_quality.py / bench_cable.py write them (JSON Lines of {"id", "tags": [{"tag",
"score", "selected"}]}) and the held-out records (their TAGS, normalized as cabletags' metrics normalize them), and
prints for F1@5, P@1, NDCG@5 and the selected set's micro-F1 (over the tags either system ranks anywhere, as
bench_quality.py scores over the model's label space): the baseline's figure, the candidate's, the gain in
points and its 95% interval from --rounds bootstrap resamples of the cables (the same resample for both systems, so
the interval is the gain's, not two figures' noise added). A gain whose interval holds 0 is not told from noise.
Also per kind (subject, program, geographic, organization) and, from each record's date, per period (before 2005,
2005-2008, 2009-2010).

usage: python scripts/benchmarks/compare_preds.py TEST.jsonl.gz BASELINE.jsonl CANDIDATE.jsonl [--rounds 1000]
                                                 [--per-tag N] [--top5 TAGS] [--what TEXT] [--card MODEL_DIR]
"""
from __future__ import annotations

import argparse
import gzip
import json
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from cabletags.vocabulary.normalizer import get_normalizer  # noqa: E402
from cabletags.vocabulary.taxonomy import load_taxonomy  # noqa: E402

PERIODS = (("before 2005", None, 2005), ("2005-2008", 2005, 2009), ("2009-2010", 2009, None))
DISCOUNT = [1 / math.log2(i + 2) for i in range(5)]


def read_lines(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def per_document(gold: set[str], tags: list[dict], keep) -> tuple[float, float, float, int, int, int] | None:
    """(F1@5, P@1, NDCG@5, true positives, selected, gold) of one cable over the tags `keep` admits; None when it
    has no such gold tag."""
    g = {t for t in gold if keep(t)}
    if not g:
        return None
    ranked = [x for x in tags if keep(x["tag"])]
    hit = [x["tag"] in g for x in ranked[:5]]
    f15 = 2 * sum(hit) / (min(5, len(ranked)) + len(g))
    ndcg = sum(d for d, h in zip(DISCOUNT, hit) if h) / sum(DISCOUNT[:min(5, len(g))])
    sel = {x["tag"] for x in ranked if x.get("selected")}
    return f15, float(hit[0]) if hit else 0.0, ndcg, len(sel & g), len(sel), len(g)


def figures(rows: np.ndarray) -> np.ndarray:
    """(F1@5, P@1, NDCG@5, micro-F1) of a (n, 6) array of per_document rows."""
    tp, s, g = rows[:, 3].sum(), rows[:, 4].sum(), rows[:, 5].sum()
    return np.array([rows[:, 0].mean(), rows[:, 1].mean(), rows[:, 2].mean(), 2 * tp / (s + g) if s + g else 0.0])


def compare(gold, base, cand, keep, rounds: int, rng) -> list[tuple[str, float, float, float, float, float]] | None:
    pairs = [(per_document(g, b, keep), per_document(g, c, keep)) for g, b, c in zip(gold, base, cand)]
    pairs = [(b, c) for b, c in pairs if b is not None]
    if not pairs:
        return None
    B, C = np.array([b for b, _ in pairs]), np.array([c for _, c in pairs])
    fb, fc = figures(B), figures(C)
    draws = rng.integers(0, len(B), size=(rounds, len(B)))
    gains = np.array([figures(C[d]) - figures(B[d]) for d in draws])
    lo, hi = np.percentile(gains, [2.5, 97.5], axis=0)
    names = ("F1@5", "P@1", "NDCG@5", "F1 selected (micro)")
    return [(n, fb[i], fc[i], 100 * (fc[i] - fb[i]), 100 * lo[i], 100 * hi[i]) for i, n in enumerate(names)], len(B)


def per_tag(gold, base, cand, top: int):
    """(tag, cables carrying it, (P, R, F1) of the baseline's selected set, the same of the candidate's) for the
    `top` tags most often in the gold."""
    from collections import Counter

    counts = Counter(t for g in gold for t in g)
    out = []
    for tag, n in counts.most_common(top):
        figs = []
        for preds in (base, cand):
            sel = [{x["tag"] for x in tags if x.get("selected")} for tags in preds]
            tp = sum(tag in s and tag in g for s, g in zip(sel, gold))
            fp = sum(tag in s and tag not in g for s, g in zip(sel, gold))
            p, r = tp / (tp + fp) if tp + fp else 0.0, tp / n
            figs.append((p, r, 2 * p * r / (p + r) if p + r else 0.0))
        out.append((tag, n, figs[0], figs[1]))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("test")
    ap.add_argument("baseline")
    ap.add_argument("candidate")
    ap.add_argument("--rounds", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--card", help="also write the table into this model folder's card (MODEL_CARD.md, card.json)")
    ap.add_argument("--per-tag", type=int, default=0, metavar="N",
                    help="also print the selected set's F1 per tag for the N most frequent tags, both systems")
    ap.add_argument("--top5", default="", metavar="TAGS",
                    help="comma-separated tags: of the held-out cables carrying each, how many have it in the top 5")
    ap.add_argument("--what", default="", help="a line saying what the two files are, printed and kept in the card")
    a = ap.parse_args(argv)
    for p in (a.test, a.baseline, a.candidate):
        if not Path(p).is_file():
            sys.exit(f"error: no such file: {p}")
    test = read_lines(a.test)
    base = {r["id"]: r["tags"] for r in read_lines(a.baseline)}
    cand = {r["id"]: r["tags"] for r in read_lines(a.candidate)}
    missing = [r["id"] for r in test if r["id"] not in base or r["id"] not in cand]
    if missing:
        sys.exit(f"error: {len(missing)} held-out cable(s) missing from a prediction file (first: {missing[0]})")
    norm, tax = get_normalizer(), load_taxonomy()
    # the label space: every tag either system ranks for any cable (as bench_quality.py scores over the model's)
    space = {x["tag"] for rows in (base, cand) for tags in rows.values() for x in tags}
    gold = [set(norm.normalize(r.get("tags") or "").codes) & space for r in test]
    years = [int(str(r.get("date") or "0")[:4] or 0) for r in test]
    rng = np.random.default_rng(a.seed)

    def kind_of(t):
        e = tax.get(t)
        return e.kind if e is not None else None

    slices = [("all", None, lambda t: True)]
    slices += [(f"kind {k}", None, (lambda k: lambda t: kind_of(t) == k)(k))
               for k in ("subject", "program", "geographic", "organization")]
    slices += [(f"period {name}", (lo, hi), lambda t: True) for name, lo, hi in PERIODS]
    report = [a.what or f"baseline {a.baseline}, candidate {a.candidate}",
              f"{len(test)} held-out cables, {a.rounds} paired bootstrap resamples (seed {a.seed}); gains in points, "
              "95% interval", "", "| slice | docs | metric | baseline | candidate | gain | 95% interval |",
              "|---|---|---|---|---|---|---|"]
    print("\n".join(report))
    for name, period, keep in slices:
        rows = range(len(test))
        if period is not None:
            lo, hi = period
            rows = [i for i in rows if years[i] and (lo is None or years[i] >= lo) and (hi is None or years[i] < hi)]
        res = compare([gold[i] for i in rows], [base[test[i]["id"]] for i in rows],
                      [cand[test[i]["id"]] for i in rows], keep, a.rounds, rng)
        if res is None:
            continue
        table, n = res
        for metric, fb, fc, gain, lo_, hi_ in table:
            report.append(f"| {name} | {n} | {metric} | {fb:.4f} | {fc:.4f} | {gain:+.2f} | [{lo_:+.2f}, {hi_:+.2f}] |")
            print(report[-1])
    if a.per_tag:
        report += ["", f"Per tag (the {a.per_tag} most frequent of the held-out cables): the selected set's precision, "
                       "recall and F1, baseline -> candidate", "",
                   "| tag | kind | cables | precision | recall | F1 |", "|---|---|---|---|---|---|"]
        for tag, n, before, after in per_tag(gold, [base[r["id"]] for r in test], [cand[r["id"]] for r in test],
                                             a.per_tag):
            report.append(f"| {tag} | {kind_of(tag)} | {n} | {before[0]:.3f} -> {after[0]:.3f} | "
                          f"{before[1]:.3f} -> {after[1]:.3f} | {before[2]:.3f} -> {after[2]:.3f} |")
        print("\n".join(report[-a.per_tag - 4:]))
    for tag in filter(None, a.top5.split(",")):
        rows = [r["id"] for r, g in zip(test, gold) if tag in g]
        hits = [sum(tag in [x["tag"] for x in preds[i][:5]] for i in rows) for preds in (base, cand)]
        report.append(f"{tag}: {len(rows)} held-out cables carry it; in the top 5 of {hits[0]} -> {hits[1]}")
        print(report[-1])
    if a.card:
        write_card_part(a.card, report, "python scripts/benchmarks/compare_preds.py " + " ".join(
            x for x in (argv if argv is not None else sys.argv[1:]) if x != "--card" and x != a.card))


def write_card_part(model_dir, report: list[str], command: str) -> None:
    """The printed table into the model's card ("slices"; cabletags.scoring.modelcard.add_card_part)."""
    from cabletags.scoring.modelcard import add_card_part

    add_card_part(model_dir, "slices", report, command)
    print(f"written into {Path(model_dir) / 'MODEL_CARD.md'} and card.json")

if __name__ == "__main__":
    main()

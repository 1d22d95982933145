"""Each scorer alone and combined, on the held-out split: which signals earn their place in the model (issue 28).

Reads a work folder of bench_quality.py (`bench_quality.py --work DIR`: DIR/train.jsonl.gz, DIR/test.jsonl.gz and
DIR/model, a model trained without the held-out cables) and scores the held-out bodies by:

* the linear model alone (TF-IDF + naive-Bayes-scaled SVMs, calibrated offsets), the reference index alone (the tags
  of the cables a text cites or shares references with; a text citing none ranks nothing), the nearest-cables vote
  alone, and the model as shipped (all three, with the weights tuned on the inner validation split);
* two candidates that are not in the model, each alone and added to the shipped combination:
  - **time**: a prior per tag and period (before 2005, 2005-2008, 2009-2010, from each record's date): the log
    ratio of the tag's share of the period's training cables (smoothed toward its overall share) to its overall
    share;
  - **the taxonomy's own words**: the cosine between the text's TF-IDF and a profile of each tag written from the
    taxonomy (title, other names, the 1974 handbook's definition), in the model's own vocabulary.
  A candidate's weight is the best of a grid ON THE HELD-OUT CABLES THEMSELVES: an upper bound of what it could add.
  A candidate whose upper bound stays under 0.2 points of F1@5 and NDCG@5 is not worth a part of the model.
* the issue's case for time: KTIP's rank on the held-out cables of 2009-2010 that carry it, by the model, with the
  period prior at each weight, and among the program tags alone.

usage: python scripts/benchmarks/bench_scorers.py WORK_DIR [--card MODEL_DIR]
"""
from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

PERIODS = ((None, 2005), (2005, 2009), (2009, None))
SMOOTHING = 200  # training cables' worth of the overall share in each period's prior


def read(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def period(record) -> int | None:
    y = str(record.get("date") or "")[:4]
    if not y.isdigit():
        return None
    y = int(y)
    return next(i for i, (lo, hi) in enumerate(PERIODS) if (lo is None or y >= lo) and (hi is None or y < hi))


def metrics(S: np.ndarray, Y: np.ndarray) -> tuple[float, float, float]:
    """(F1@5, P@1, NDCG@5) of (n, L) scores against (n, L) 0/1 gold, over documents with a gold tag."""
    rows = np.flatnonzero(Y.sum(axis=1) > 0)
    S, Y = S[rows], Y[rows]
    top = np.argsort(-S, axis=1, kind="stable")[:, :5]
    hit = np.take_along_axis(Y, top, axis=1).astype(np.float64)
    g = Y.sum(axis=1)
    disc = 1 / np.log2(np.arange(2, 7))
    ideal = np.array([disc[:min(5, k)].sum() for k in g])
    return (float(np.mean(2 * hit.sum(axis=1) / (5 + g))), float(hit[:, 0].mean()),
            float(np.mean((hit * disc).sum(axis=1) / ideal)))


def best_added(base: np.ndarray, extra: np.ndarray, Y: np.ndarray, grid) -> tuple[float, tuple]:
    return max(((w, metrics(base + np.float32(w) * extra, Y)) for w in grid), key=lambda x: (x[1][0], x[1][2]))


def ktip_case(m, tax, test, shipped: np.ndarray, D: np.ndarray, Y: np.ndarray) -> list[str]:
    """The issue's case: KTIP on the held-out cables of 2009-2010 that carry it, its rank by the model, with the
    period prior added at each weight, and among the program tags alone (`suggest --kind program`)."""
    if "KTIP" not in m.labels:
        return []
    j = m.labels.index("KTIP")
    sel = [i for i, r in enumerate(test) if period(r) == len(PERIODS) - 1 and Y[i, j]]
    if not sel:
        return []
    program = np.array([tax.get(t) is not None and tax.get(t).kind == "program" for t in m.labels])
    tags = Y[sel].sum(axis=1)
    out = [f"KTIP on the {len(sel)} held-out cables of 2009-2010 that carry it (each with {tags.min():.0f}-"
           f"{tags.max():.0f} tags):", "",
           "| scores | KTIP's ranks | in the top 5 | F1@5 of all held-out |", "|---|---|---|---|"]
    for w in (0.0, 0.5, 1.0, 2.0, 4.0):
        S = shipped + np.float32(w) * D
        ranks = [int((S[i] > S[i, j]).sum()) + 1 for i in sel]
        name = "the model" if not w else f"the model + period prior x {w:g}"
        out.append(f"| {name} | {', '.join(map(str, ranks))} | {sum(r <= 5 for r in ranks)} of {len(ranks)} | "
                   f"{metrics(S, Y)[0]:.4f} |")
    among = [int((shipped[i][program] > shipped[i, j]).sum()) + 1 for i in sel]
    out += ["", f"KTIP's rank among the program tags alone (`suggest --kind program`), by the model: "
                f"{', '.join(map(str, among))}"]
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("work", help="a bench_quality.py work folder (train.jsonl.gz, test.jsonl.gz, model/)")
    ap.add_argument("--card", help="also write the table into this model folder's card (MODEL_CARD.md, card.json)")
    a = ap.parse_args(argv)
    work = Path(a.work)
    for need in ("train.jsonl.gz", "test.jsonl.gz", "model"):
        if not (work / need).exists():
            sys.exit(f"error: {work / need} is missing: run bench_quality.py --work {work} first")
    from cabletags.scoring.model import TagModel
    from cabletags.vocabulary.normalizer import get_normalizer
    from cabletags.vocabulary.taxonomy import load_taxonomy

    t0 = time.perf_counter()
    tax, norm = load_taxonomy(), get_normalizer()
    train, test = read(work / "train.jsonl.gz"), read(work / "test.jsonl.gz")
    m = TagModel.load(work / "model")
    Ytr = m.label_matrix([norm.normalize(r.get("tags") or "").codes for r in train])
    Y = m.label_matrix([norm.normalize(r.get("tags") or "").codes for r in test])
    texts = [r.get("body") or "" for r in test]
    X = m.transform(texts)
    cal = m.calibration
    rows = []

    lin = cal.logits(np.asarray((X @ m.weights_t).toarray(), dtype=np.float32) + m.intercept)
    rows.append(("linear model alone", metrics(lin, Y)))
    if m.references is not None:
        A, B = m.reference_features(texts)
        rows.append(("reference index alone (cited, co-citing as tuned)",
                     metrics(cal.ref_weights[0] * A + cal.ref_weights[1] * B, Y)))
    if m.neighbours is not None:
        V = m.neighbour_features(texts, X=X)
        rows.append(("nearest-cables vote alone", metrics(V, Y)))
    shipped = m.logits(texts)
    rows.append((f"the model (weights: references {tuple(cal.ref_weights)}, vote {cal.nn_weight})",
                 metrics(shipped, Y)))

    # time: a prior per tag and period
    share = (Ytr.sum(axis=0) + 1.0) / (len(train) + 2.0)
    ptr = np.array([period(r) for r in train], dtype=object)
    prior = {}
    for p in range(len(PERIODS)):
        inside = ptr == p
        prior[p] = np.log((Ytr[inside].sum(axis=0) + SMOOTHING * share) / (inside.sum() + SMOOTHING)) - np.log(share)
    D = np.array([prior[p] if p is not None else np.zeros(len(share)) for p in map(period, test)], dtype=np.float32)
    rows.append(("time: period prior alone", metrics(D + np.log(share).astype(np.float32), Y)))
    w, f = best_added(shipped, D, Y, (0.25, 0.5, 1.0, 2.0, 4.0))
    rows.append((f"the model + period prior (best held-out weight {w})", f))
    ktip = ktip_case(m, tax, test, shipped, D, Y)

    # the taxonomy's words: a TF-IDF profile of each tag
    profiles = []
    for lab in m.labels:
        e = tax.get(lab)
        words = [] if e is None else [e.title] + [x.form for x in e.aliases if x.type == "name"]
        d = getattr(e, "definition", None) if e is not None else None
        if isinstance(d, dict):
            d = d.get("text")
        profiles.append(" ".join(w for w in words + ([d] if isinstance(d, str) else []) if w))
    P = m.vectorizer.transform([p.lower() for p in profiles])
    Lx = np.asarray((X @ P.T).toarray(), dtype=np.float32)
    rows.append(("taxonomy words alone (cosine with the tag's profile)", metrics(Lx, Y)))
    w, f = best_added(shipped, Lx, Y, (1.0, 2.0, 5.0, 10.0, 20.0))
    rows.append((f"the model + taxonomy words (best held-out weight {w})", f))

    report = [f"{len(test)} held-out bodies, a model trained on the other {len(train)} cables; a candidate's weight is "
              "the best on the held-out cables themselves (an upper bound)", "",
              "| scorer | F1@5 | P@1 | NDCG@5 |", "|---|---|---|---|"]
    report += [f"| {name} | {f15:.4f} | {p1:.4f} | {nd:.4f} |" for name, (f15, p1, nd) in rows]
    report += [""] + ktip
    print(f"model {work / 'model'}; {time.perf_counter() - t0:.0f} s\n")
    print("\n".join(report))
    base = dict(rows)[next(n for n, _ in rows if n.startswith("the model ("))]
    for name, fig in rows:
        if name.startswith("the model +"):
            gain = (100 * (fig[0] - base[0]), 100 * (fig[2] - base[2]))
            verdict = "earns its place" if min(gain) >= 0.2 else "does not earn its place (upper bound under 0.2)"
            report += ["", f"{name}: F1@5 {gain[0]:+.2f}, NDCG@5 {gain[1]:+.2f} points over the model: {verdict}"]
            print(report[-1])
    if a.card:
        from cabletags.scoring.modelcard import add_card_part

        add_card_part(a.card, "scorers", report,
                      "python scripts/benchmarks/bench_scorers.py W (a bench_quality.py --work folder)")
        print(f"written into {Path(a.card) / 'MODEL_CARD.md'} and card.json")


if __name__ == "__main__":
    main()

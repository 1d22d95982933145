"""Whole cables against bodies: how `suggest --cable` reads a cable, on held-out cables, by the reference scorer.

The held-out part is bench_quality.py's (sha256 of seed:id, share 0.2, seed 0; --split-seed N as there). No model
may have seen it: give the body model bench_quality.py trained on the rest (`bench_quality.py --work DIR` keeps it
in DIR/model; the shipped models saw everything), and a whole-cable model trained on the same rest (--train-cable
DIR trains one there as the shipped one is trained, `cabletags train --reading cable`, with the inner split of
bench_quality; about 8 minutes; or --cable-model DIR). A whole cable is the record's preamble and body, as a saved cable reads;
its TAGS field is never read (cabletags removes it, as the issue asks). Rows: each model on what it reads, the
body model fed whole cables (what `suggest --cable` reads without a whole-cable model), and the numbered
paragraphs with the REF line (what `--cable` read before 2026-11-30). Then the issue's floor (whole cables +1.5
F1@5 and +1 NDCG@5 over the body model on bodies), and how often a cable carries its posting post's country
(the commonest geographic code of the post's training cables) and where the whole-cable model ranks it.

With --card DIR the printed table is also written into that model's card (as bench_quality.py --card does).

usage: python scripts/benchmarks/bench_cable.py --model DIR [--cable-model DIR | --train-cable DIR] [--corpus PATH]
                                              [--split-seed N] [--card DIR] [--neighbours N] [--preds DIR]
"""
from __future__ import annotations

import argparse
import gzip
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from cabletags.scoring.corpus import corpus_or_exit, is_validation, read_corpus  # noqa: E402

SCORER = ROOT.parent / "shared" / "bench" / "score.py"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="a body model trained without the held-out part")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--cable-model", help="a whole-cable model trained without the held-out part")
    g.add_argument("--train-cable", help="train a whole-cable model on the training part into this folder")
    ap.add_argument("--corpus")
    ap.add_argument("--split-seed", type=int, default=0, help="the held-out split's seed (bench_quality.py's)")
    ap.add_argument("--card", help="write the table into this model folder's card (the shipped whole-cable model)")
    ap.add_argument("--neighbours", type=int,
                    help="--train-cable: words kept a cable in the nearest-cables index (0: no index, as before "
                         "issue 28; default: the model's default)")
    ap.add_argument("--preds", help="write each row's predictions (top 10 with scores and the selected set) into this "
                                    "folder, for compare_preds.py")
    a = ap.parse_args(argv)
    corpus = corpus_or_exit(a.corpus)
    if not SCORER.is_file():
        sys.exit(f"error: the reference scorer is not at {SCORER}")
    from cabletags import Suggester
    from cabletags.scoring.model import ModelSettings, TagModel
    from cabletags.scoring.training import train_model
    from cabletags.vocabulary.normalizer import get_normalizer

    train, test = [], []
    for r in read_corpus(corpus):
        (test if is_validation(r["id"], 0.2, a.split_seed) else train).append(r)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, rows in (("train", train), ("test", test)):
            with gzip.open(tmp / f"{name}.jsonl.gz", "wt", encoding="utf-8") as f:
                f.writelines(json.dumps(r) + "\n" for r in rows)
        cable_dir = a.cable_model
        if a.train_cable:
            t = time.perf_counter()
            train_model(tmp / "train.jsonl.gz", a.train_cable,
                        settings=ModelSettings(reading="cable", header_weight=1.0,
                                               **({} if a.neighbours is None else {"neighbours": a.neighbours})),
                        validation_share=0.2, seed=a.split_seed + 1,  # bench_quality.py's inner split
                        progress=lambda m: print("  train:", m, flush=True), force=True)
            print(f"  trained the whole-cable model on the training part in {time.perf_counter() - t:.0f} s")
            cable_dir = a.train_cable
        body = Suggester.load(a.model)
        # the same text model, with the whole-cable model beside it (loaded once)
        s = Suggester(body.model, body.taxonomy, body.source, TagModel.load(cable_dir)) if cable_dir else body
        labels = body.labels
        ids = [r["id"] for r in test]
        whole = [(r.get("preamble") or "") + "\n" + (r.get("body") or "") for r in test]
        bodies = [r.get("body") or "" for r in test]
        as_body_reads = [body.cable_text(t) for t in whole]
        paragraphs = []
        for p, _ in as_body_reads:
            paras = "\n\n".join(q.text for q in p.paragraphs if q.text.strip())
            paragraphs.append(("REF: " + " ".join(p.refs) + "\n\n" if p.refs else "") + paras if paras else "")
        variants = [("body model, bodies (suggest)", body, [(t, False) for t in bodies]),
                    ("body model, whole cables (--cable without a whole-cable model)", body,
                     [(t, False) for _, t in as_body_reads]),
                    ("body model, numbered paragraphs + REF (--cable before 2026-11-30)", body,
                     [(t, False) for t in paragraphs])]
        origins = None
        if cable_dir:
            read = [s.cable_text(t) for t in whole]
            origins = [c.origin_country for c, _ in read]  # the whole-cable rankings hold each one's origin country
            variants += [("whole-cable model, whole cables (suggest --cable)", s, [(m, True) for _, m in read]),
                         ("whole-cable model, bodies (for comparison; not how it is used)", s,
                          [(t, True) for t in bodies])]
        report = [f"{len(test)} held-out cables (split seed {a.split_seed})", "",
                  "| model, text read | P@1 | F1@5 | NDCG@5 | F1@5 topical | F1@5 geo |", "|---|---|---|---|---|---|"]
        print(f"{len(test)} held-out cables (split seed {a.split_seed}); body model {a.model}; whole-cable model {cable_dir or '-'}")
        print("\n".join(report[2:]))
        res, P_cable = {}, None
        for name, sug, items in variants:
            whole_cables = name.startswith("whole-cable model, whole")
            row_origins = origins if whole_cables else None
            P, S = sug.predict([t for t, _ in items], ids=ids, cable=items[0][1], origins=row_origins)
            if whole_cables:
                P_cable = P
            pred = tmp / "pred.jsonl"
            with open(pred, "w") as f:
                for i, (r, p, sel) in enumerate(zip(test, P, S)):
                    extra = sug.origin_suggestion(row_origins[i], bool(sel.any())) if row_origins else None
                    tags = [x.to_dict() for x in sug.rank(p, 10, sel, extra=extra)]
                    f.write(json.dumps({"id": r["id"], "tags": tags}) + "\n")
            if a.preds:
                Path(a.preds).mkdir(parents=True, exist_ok=True)
                slug = "".join(c if c.isalnum() else "_" for c in name.split("(")[0].strip())
                shutil.copyfile(pred, Path(a.preds) / f"pred_{slug}.jsonl")
                shutil.copyfile(tmp / "test.jsonl.gz", Path(a.preds) / "test.jsonl.gz")
            out = json.loads(subprocess.run([sys.executable, str(SCORER), str(tmp / "train.jsonl.gz"),
                                             str(tmp / "test.jsonl.gz"), str(pred), "--json"],
                                            capture_output=True, text=True, check=True).stdout)
            d, t, g = out["all"], out["topical"], out["geo"]
            res[name] = d
            report.append(f"| {name} | {d['P@1']:.3f} | {d['F1@5']:.4f} | {d['NDCG@5']:.4f} | {t['F1@5']:.3f} | "
                          f"{g['F1@5']:.3f} |")
            print(report[-1], flush=True)
        base = res["body model, bodies (suggest)"]
        best = res.get("whole-cable model, whole cables (suggest --cable)") or \
            res["body model, whole cables (--cable without a whole-cable model)"]
        df, dn = 100 * (best["F1@5"] - base["F1@5"]), 100 * (best["NDCG@5"] - base["NDCG@5"])
        ok = df >= 1.5 and dn >= 1.0
        report += ["", f"whole cables as `suggest --cable` reads them over the body model on bodies: F1@5 {df:+.2f} "
                       f"points, NDCG@5 {dn:+.2f} points (floor +1.5, +1.0): {'met' if ok else 'NOT met'}"]
        print(report[-1])
        report.append(_post_country(train, test, P_cable, labels, get_normalizer(body.taxonomy), body))
        print(report[-1])
        if a.card:
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            from bench_quality import write_benchmark

            how = (f"whole-cable model trained on the rest ({'--train-cable' if a.train_cable else '--cable-model'}),"
                   " body model trained on the rest by bench_quality.py")
            write_benchmark(Path(a.card), report, "python scripts/benchmarks/bench_cable.py --model W/model "
                            + ("--train-cable DIR" if a.train_cable else "--cable-model DIR")
                            + (f" --split-seed {a.split_seed}" if a.split_seed else ""),
                            f"validation split sha256('{a.split_seed}:'+id) < 0.2 of the corpus; {how}")


def _post_country(train, test, P, labels, norm, s):
    """The line saying how often a cable carries its post's country code (the commonest geographic code on the post's
    training cables), and how often the whole-cable model ranks that code in its top 5 when it does."""
    import numpy as np

    from cabletags.reading import parse_cable

    geo = {t for t in labels if s.taxonomy.entries[t].kind == "geographic"}
    by_post, n_post = defaultdict(Counter), Counter()
    for r in train:
        post = parse_cable(r.get("preamble") or "", s.taxonomy).post
        if post:
            n_post[post] += 1
            by_post[post].update(c for c in set(norm.normalize(r.get("tags") or "").codes) if c in geo)
    country = {p: c.most_common(1)[0][0] for p, c in by_post.items() if n_post[p] >= 5 and c}
    n = carried = top5 = 0
    index = {t: j for j, t in enumerate(labels)}
    for i, r in enumerate(test):
        code = country.get(parse_cable(r.get("preamble") or "", s.taxonomy).post)
        if code is None:
            continue
        n += 1
        if code in norm.normalize(r.get("tags") or "").codes:
            carried += 1
            if P is not None and index[code] in np.argsort(-P[i])[:5]:
                top5 += 1
    return (f"posting post: {n} held-out cables from {len(country)} posts with >= 5 training cables; "
            f"{100 * carried / max(n, 1):.1f}% carry the post's country code"
            + (f"; when they do, the whole-cable model ranks it in its top 5 for {100 * top5 / max(carried, 1):.1f}%"
               if P is not None else ""))


if __name__ == "__main__":
    main()

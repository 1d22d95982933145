"""Whole cables against bodies: how `suggest --cable` reads a cable, on held-out cables, by the reference scorer.

The held-out part is bench_quality.py's (sha256 of seed:id, share 0.2, seed 0). The model must not have seen
it: give the model bench_quality.py trained on the rest (`bench_quality.py --work DIR` keeps it in DIR/model;
the shipped model saw everything). A whole cable is the record's preamble and body, as a saved cable reads;
its TAGS field is never read (cabletags removes it, as the issue asks). Rows: the body alone (`suggest`), the
whole cable as `suggest --cable` reads it (Suggester.cable_text: header and body without the TAGS field and the
cable's own serial), and, for comparison, the numbered paragraphs with the REF line only (what `--cable` read
before 2026-11-30).

usage: python scripts/benchmarks/bench_cable.py --model DIR [--corpus PATH]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from cabletags.corpus import corpus_or_exit, is_validation, read_corpus  # noqa: E402

SCORER = ROOT.parent / "shared" / "bench" / "score.py"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="a model trained without the held-out part")
    ap.add_argument("--corpus")
    a = ap.parse_args(argv)
    corpus = corpus_or_exit(a.corpus)
    if not SCORER.is_file():
        sys.exit(f"error: the reference scorer is not at {SCORER}")
    import gzip

    import numpy as np

    from cabletags import Suggester

    s = Suggester.load(a.model)
    train, test = [], []
    for r in read_corpus(corpus):
        (test if is_validation(r["id"], 0.2, 0) else train).append(r)
    labels = s.model.labels
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, rows in (("train", train), ("test", test)):
            with gzip.open(tmp / f"{name}.jsonl.gz", "wt", encoding="utf-8") as f:
                f.writelines(json.dumps(r) + "\n" for r in rows)
        whole = [(r.get("preamble") or "") + "\n" + (r.get("body") or "") for r in test]
        parsed = [s.cable_text(t) for t in whole]
        paragraphs = []
        for p, _ in parsed:
            paras = "\n\n".join(q.text for q in p.paragraphs if q.text.strip())
            paragraphs.append(("REF: " + " ".join(p.refs) + "\n\n" if p.refs else "") + paras if paras else "")
        variants = [("body alone (suggest)", [r.get("body") or "" for r in test]),
                    ("whole cable as suggest --cable reads it", [t for _, t in parsed]),
                    ("numbered paragraphs + REF only (--cable before)", paragraphs)]
        print(f"{len(test)} held-out cables; model {a.model}")
        print("| text read | P@1 | F1@5 | NDCG@5 | F1@5 topical | F1@5 geo |\n|---|---|---|---|---|---|")
        for name, texts in variants:
            P, _ = s.predict(texts, ids=[r["id"] for r in test])
            pred = tmp / "pred.jsonl"
            with open(pred, "w") as f:
                for r, p in zip(test, P):
                    top = np.argsort(-p)[:10]
                    f.write(json.dumps({"id": r["id"], "tags": [{"tag": labels[j], "score": float(p[j])}
                                                                for j in top]}) + "\n")
            out = json.loads(subprocess.run([sys.executable, str(SCORER), str(tmp / "train.jsonl.gz"),
                                             str(tmp / "test.jsonl.gz"), str(pred), "--json"],
                                            capture_output=True, text=True, check=True).stdout)
            d, t, g = out["all"], out["topical"], out["geo"]
            print(f"| {name} | {d['P@1']:.3f} | {d['F1@5']:.3f} | {d['NDCG@5']:.3f} | {t['F1@5']:.3f} | "
                  f"{g['F1@5']:.3f} |")


if __name__ == "__main__":
    main()

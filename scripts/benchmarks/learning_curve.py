"""Learning curve: F1@5 (and P@1, NDCG@5, selected micro-F1) on the held-out split against the number of training
cables, for the linear scorer alone and for the model with its scorers (issue 28).

The held-out part is bench_quality.py's (sha256 of seed:id, share 0.2, seed 0). For each size N, the first N
cables of the training part in a fixed pseudo-random order (sha256 of "curve:"+id) are trained on as `cabletags
train` trains (an inner 20% validation split tunes the calibration and the scorers' weights, then the SVMs are
refitted on all N; --no-refit: the inner fit only, about half the time) and the held-out bodies are scored: by the
model, and by its linear part alone (the scorers' weights set to 0, the same calibration). Prints a table and draws
the curves into --png with matplotlib (the `bench` extra: pip install -e '.[bench]').

usage: python scripts/benchmarks/learning_curve.py [--corpus PATH] [--sizes 1775,3549,7098,14196] [--png FILE]
                                                   [--no-refit] [--card MODEL_DIR ...]
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from cabletags.scoring.corpus import corpus_or_exit, is_validation, read_corpus  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus")
    ap.add_argument("--sizes", default="1775,3549,7098,14196", help="training cables per point, comma-separated")
    ap.add_argument("--png", default=str(ROOT / "docs" / "learning-curve.png"))
    ap.add_argument("--no-refit", action="store_true")
    ap.add_argument("--card", action="append", default=[],
                    help="also write the table into this model folder's card (repeatable)")
    a = ap.parse_args(argv)
    try:
        sizes = sorted({int(x) for x in a.sizes.split(",")})
    except ValueError:
        sys.exit(f"error: --sizes must be integers separated by commas, not {a.sizes!r}")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("error: matplotlib is not installed: pip install -e '.[bench]'")
    corpus = corpus_or_exit(a.corpus)
    from cabletags.scoring.evaluation import evaluate_rankings
    from cabletags.scoring.suggester import Suggester
    from cabletags.scoring.training import train_model
    from cabletags.vocabulary.normalizer import get_normalizer

    train, test = [], []
    for r in read_corpus(corpus):
        (test if is_validation(str(r.get("id")), 0.2, 0) else train).append(r)
    train.sort(key=lambda r: hashlib.sha256(f"curve:{r['id']}".encode()).digest())
    sizes = [n for n in sizes if n <= len(train)] or [len(train)]
    norm = get_normalizer()
    gold = [set(norm.normalize(r.get("tags") or "").codes) for r in test]
    bodies = [r.get("body") or "" for r in test]
    rows = []
    print(f"{len(train)} training, {len(test)} held-out cables; sizes {sizes}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for n in tqdm(sizes, desc="sizes", unit="size"):
            path = Path(tmp) / f"train{n}.jsonl.gz"
            with gzip.open(path, "wt", encoding="utf-8") as f:
                f.writelines(json.dumps(r) + "\n" for r in train[:n])
            t = time.perf_counter()
            train_model(path, Path(tmp) / f"model{n}", validation_share=0.2, seed=1, refit=not a.no_refit,
                        progress=None, min_label_count=20)
            secs = time.perf_counter() - t
            s = Suggester.load(Path(tmp) / f"model{n}")
            for variant in ("model", "linear scorer alone"):
                if variant != "model":
                    s.model.calibration.ref_weights, s.model.calibration.nn_weight = (0.0, 0.0), 0.0
                P, S = s.predict(bodies)
                ranked = [[x.tag for x in s.rank(p, 10, sel)] for p, sel in zip(P, S)]
                selected = [{x.tag for x in s.rank(p, 10, sel) if x.selected} for p, sel in zip(P, S)]
                m = evaluate_rankings(gold, ranked, selected, label_space=set(s.labels))
                rows.append((n, variant, m["F1@5"], m["P@1"], m["NDCG@5"], m["F1_micro"], secs))
                print(f"  {n} cables, {variant}: F1@5 {m['F1@5']:.4f}, NDCG@5 {m['NDCG@5']:.4f} "
                      f"(trained in {secs:.0f} s)", flush=True)
    report = [f"{len(test)} held-out bodies; each size trained on the first N training cables (sha256 order)"
              + (", inner fit only (--no-refit)" if a.no_refit else ", refitted on all N") + "; the curve: "
              "docs/learning-curve.png", "",
              "| training cables | scorer | F1@5 | P@1 | NDCG@5 | F1 selected (micro) | training s |",
              "|---|---|---|---|---|---|---|"]
    for n, v, f15, p1, nd, mi, secs in rows:
        report.append(f"| {n} | {v} | {f15:.4f} | {p1:.4f} | {nd:.4f} | {mi:.4f} | {secs:.0f} |")
    print("\n" + "\n".join(report))
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    for v, style in (("model", "o-"), ("linear scorer alone", "s--")):
        pts = [(n, f) for n, vv, f, *_ in rows if vv == v]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], style, label=v)
    ax.set_xscale("log", base=2)
    ax.set_xticks(sizes, [str(n) for n in sizes])
    ax.set_xlabel("training cables")
    ax.set_ylabel(f"F1@5 on {len(test)} held-out bodies")
    ax.set_title("cabletags learning curve (held-out split, seed 0)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    Path(a.png).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(a.png)
    command = (f"python scripts/benchmarks/learning_curve.py --sizes {','.join(map(str, sizes))}"
               + (" --no-refit" if a.no_refit else ""))
    print(f"\nwrote {a.png}; the command: {command}")
    for d in a.card:
        write_card_part(d, report, command)


def write_card_part(model_dir, report: list[str], command: str) -> None:
    """The printed table into the model's card ("learning_curve"; cabletags.scoring.modelcard.add_card_part)."""
    from cabletags.scoring.modelcard import add_card_part

    add_card_part(model_dir, "learning_curve", report, command)
    print(f"written into {Path(model_dir) / 'MODEL_CARD.md'} and card.json")

if __name__ == "__main__":
    main()

"""One-off hyperparameter search for the tag model, recorded in scripts/results/hyperparam_search.json.

The validation split (hash of the id, share 0.2, seed 0) is cut in two halves by another hash:
offsets are tuned on half A and every metric is measured on half B, so the figures are not tuned on
the data they report. Grid: C x class_weight (one SVM fit each), and post hoc on every fit:
keep_weights (pruning) x threshold_shrink. A second search compares naive Bayes feature scaling
(nb_scaling, NBSVM) against the plain SVM: --nb-scaling 0,1 --C 0.5,1 --out ....

The models searched here are text only (no reference index; their recorded results predate it): the two
reference weights are not a grid of this script but are searched by `cabletags train` itself, on the
validation split, after the SVMs are fitted (TagModel.tune).

usage: python scripts/hyperparam_search.py [--corpus PATH] [--quick] [--C LIST] [--nb-scaling LIST]
                                          [--keep-weights LIST] [--out FILE]
"""
from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cabletags.corpus import is_validation  # noqa: E402
from cabletags.model import ModelSettings, TagModel  # noqa: E402
from cabletags.training import label_space, load_labelled, rank_and_select  # noqa: E402
from cabletags.evaluation import evaluate_rankings  # noqa: E402

GRID = {"C": [0.1, 0.25, 0.5, 1.0], "nb_scaling": [0.0], "class_weight": [None],
        "keep_weights": [6000, 12000, 30000],
        "threshold_shrink": [0.0, 0.25, 0.5, 0.75]}


def prune(model: TagModel, full_w, keep: int):
    import scipy.sparse as sp

    W = full_w.tocsr()
    rows = []
    for j in range(W.shape[0]):
        r = W.getrow(j).toarray()[0]
        idx = np.argsort(-np.abs(r))[:keep]
        z = np.zeros_like(r)
        z[idx] = r[idx]
        rows.append(z)
    model.weights = sp.csr_matrix(np.vstack(rows))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus")
    ap.add_argument("--quick", action="store_true", help="C in {0.25, 0.5} only")
    ap.add_argument("--C", help="comma-separated C values (replaces the grid's)")
    ap.add_argument("--nb-scaling", help="comma-separated nb_scaling powers (replaces the grid's [0])")
    ap.add_argument("--keep-weights", help="comma-separated pruning sizes (replaces the grid's)")
    ap.add_argument("--out", default=str(ROOT / "scripts" / "results" / "hyperparam_search.json"))
    a = ap.parse_args(argv)
    grid = dict(GRID, C=[0.25, 0.5]) if a.quick else dict(GRID)
    for key, opt in (("C", a.C), ("nb_scaling", a.nb_scaling), ("keep_weights", a.keep_weights)):
        if opt:
            grid[key] = [(int if key == "keep_weights" else float)(v) for v in opt.split(",")]
    ids, texts, labels = load_labelled(a.corpus)
    val = np.array([is_validation(i, 0.2, 0) for i in ids])
    tr = np.flatnonzero(~val)
    va = np.flatnonzero(val)
    half = np.array([hashlib.sha256(ids[i].encode()).digest()[0] % 2 for i in va])
    A, B = va[half == 0], va[half == 1]
    space = label_space([labels[i] for i in tr], 20)
    results = []
    for C, nb, cw in itertools.product(grid["C"], grid["nb_scaling"], grid["class_weight"]):
        t = time.perf_counter()
        m = TagModel(settings=ModelSettings(C=C, nb_scaling=nb, class_weight=cw, keep_weights=10**9))
        m.fit([texts[i] for i in tr], [labels[i] for i in tr], space)
        fit_s = time.perf_counter() - t
        full_w = m.weights.copy()
        for keep in grid["keep_weights"]:
            prune(m, full_w, keep)
            MA = m.decision_function([texts[i] for i in A])
            MB = m.decision_function([texts[i] for i in B])
            for shrink in grid["threshold_shrink"]:
                m.settings.threshold_shrink = shrink
                m.tune([texts[i] for i in A], [labels[i] for i in A], margins=MA)
                ranked, selected = rank_and_select(m.scores_from_margins(MB), m.labels, model=m)
                r = evaluate_rankings([set(labels[i]) for i in B], ranked, selected, label_space=set(space))
                row = {"C": C, "nb_scaling": nb, "class_weight": cw, "keep_weights": keep, "threshold_shrink": shrink,
                       "fit_seconds": round(fit_s, 1), **{k: round(v, 4) for k, v in r.items()}}
                results.append(row)
                print(json.dumps(row), flush=True)
    best = max(results, key=lambda r: (r["F1@5"] + r["NDCG@5"] + r["F1_micro"]))
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps({"grid": grid, "selection": "max F1@5 + NDCG@5 + F1_micro on half B",
                                       "best": best, "results": results}, indent=1))
    print("best:", json.dumps(best))


if __name__ == "__main__":
    main()

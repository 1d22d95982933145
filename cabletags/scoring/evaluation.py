"""Subject-indexing metrics, named as Annif names them.

Document-averaged over documents with at least one gold tag: P@1, P@3, P@5, F1@5 (2 h5 / (min(5, r) +
|gold|)), NDCG@5; for the selected (thresholded) set: micro F1 (pooled counts), macro F1 (mean over
tags of per-tag F1) and document-averaged F1. Each can be sliced by tag kind.
"""
from __future__ import annotations

import math
from collections import defaultdict
from typing import Callable, Iterable

__all__ = ["evaluate_rankings", "per_tag_scores", "f1_at_5"]


def evaluate_rankings(gold: list[set[str]], ranked: list[list[str]], selected: list[set[str]],
                      keep: Callable[[str], bool] = lambda t: True, label_space: set[str] | None = None) -> dict:
    """Metrics for n documents. gold/ranked/selected are aligned lists; `keep` slices tags (e.g. by kind);
    tags outside `label_space` (when given) are ignored on both sides."""
    ok = (lambda t: keep(t) and t in label_space) if label_space is not None else keep
    n = 0
    p1 = p3 = p5 = f15 = ndcg = fdoc = 0.0
    tp = fp = fn = 0
    per_tag = defaultdict(lambda: [0, 0, 0])
    for g, r, s in zip(gold, ranked, selected):
        g = {t for t in g if ok(t)}
        if not g:
            continue
        n += 1
        r = [t for t in r if ok(t)]
        hit = [t in g for t in r]
        p1 += sum(hit[:1])
        p3 += sum(hit[:3]) / 3
        p5 += sum(hit[:5]) / 5
        k5 = min(5, len(r))
        f15 += 2 * sum(hit[:5]) / (k5 + len(g))
        dcg = sum(1 / math.log2(i + 2) for i, h in enumerate(hit[:5]) if h)
        ndcg += dcg / sum(1 / math.log2(i + 2) for i in range(min(5, len(g))))
        s = {t for t in s if ok(t)}
        h = len(s & g)
        tp += h
        fp += len(s) - h
        fn += len(g) - h
        fdoc += 2 * h / (len(s) + len(g))
        for t in s | g:
            c = per_tag[t]
            c[0] += t in s and t in g
            c[1] += t in s and t not in g
            c[2] += t in g and t not in s
    if not n:
        return {"documents": 0}
    f1s = [2 * a / (2 * a + b + c) if a else 0.0 for a, b, c in per_tag.values()]
    return {"documents": n, "P@1": p1 / n, "P@3": p3 / n, "P@5": p5 / n, "F1@5": f15 / n, "NDCG@5": ndcg / n,
            "F1_micro": 2 * tp / (2 * tp + fp + fn) if tp else 0.0,
            "F1_macro": sum(f1s) / len(f1s) if f1s else 0.0, "F1_doc": fdoc / n}


def f1_at_5(S, Y) -> float:
    """F1@5 as evaluate_rankings() computes it, for score and label matrices: S (n, L) scores, Y (n, L) 0/1
    gold over the same L labels. Vectorized, for tuning loops that score many candidate rankings."""
    import numpy as np

    g = Y.sum(axis=1)
    rows = np.flatnonzero(g > 0)
    if not len(rows) or S.shape[1] == 0:
        return 0.0
    k = min(5, S.shape[1])
    top = np.argpartition(-S[rows], k - 1, axis=1)[:, :k]
    hits = np.take_along_axis(Y[rows], top, axis=1).sum(axis=1)
    return float(np.mean(2 * hits / (k + g[rows])))


def per_tag_scores(gold: list[set[str]], selected: list[set[str]], tags: Iterable[str]) -> list[dict]:
    """Precision, recall, F1 and support of the selected set, per tag."""
    counts = {t: [0, 0, 0] for t in tags}
    for g, s in zip(gold, selected):
        for t in counts:
            a, b = t in s, t in g
            if a and b:
                counts[t][0] += 1
            elif a:
                counts[t][1] += 1
            elif b:
                counts[t][2] += 1
    rows = []
    for t, (tp, fp, fn) in counts.items():
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        rows.append({"tag": t, "precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
                     "support": tp + fn})
    return sorted(rows, key=lambda x: -x["support"])

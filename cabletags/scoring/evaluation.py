"""Evaluation: subject-indexing metrics, named as Annif names them, and a model scored with them (on a validation
split while training, on a tagged corpus for `cabletags evaluate`).

Document-averaged over documents with at least one gold tag: P@1, P@3, P@5, F1@5 (2 h5 / (min(5, r) +
|gold|)), NDCG@5; for the selected (thresholded) set: micro F1 (pooled counts), macro F1 (mean over
tags of per-tag F1) and document-averaged F1. Each can be sliced by tag kind.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np

from ..errors import InputError
from ..textio import Stats
from ..vocabulary.taxonomy import KINDS, load_taxonomy
from .trainingdata import load_labelled

__all__ = ["evaluate_rankings", "per_tag_scores", "f1_at_5", "rank_and_select", "validation_report", "Evaluation",
           "evaluate_model"]


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


# --- a model scored on texts with gold tags ----------------------------------------------------------------
def rank_and_select(P: np.ndarray, labels: list[str], limit: int = 10, model=None):
    """Ranked tags (best first, `limit` of them) and selected sets per row of P (the model's own
    thresholds when given, else score > 0.5)."""
    order = np.argsort(-P, axis=1)[:, :limit]
    ranked = [[labels[j] for j in row] for row in order]
    S = model.calibration.select(P) if model is not None else P > 0.5
    selected = [{labels[j] for j in np.flatnonzero(row)} for row in S]
    return ranked, selected


def validation_report(model, texts, label_sets, taxonomy=None, P: np.ndarray | None = None,
                      S: np.ndarray | None = None) -> dict:
    """Metrics over all tags and per kind for texts with gold label sets (P, S: precomputed predict())."""
    tax = taxonomy or load_taxonomy()
    if P is None:
        P, S = model.predict(texts)
    ranked, selected = rank_and_select(P, model.labels, model=model)
    if S is not None:
        selected = [{model.labels[j] for j in np.flatnonzero(row)} for row in S]
    gold = [set(t) for t in label_sets]
    space = set(model.labels)
    out = {"all": evaluate_rankings(gold, ranked, selected, label_space=space)}
    for kind in KINDS:
        out[kind] = evaluate_rankings(gold, ranked, selected,
                                      keep=lambda t, k=kind: t in tax.entries and tax.entries[t].kind == k,
                                      label_space=space)
    return out


@dataclass
class Evaluation:
    """A model scored on a tagged corpus: ids, gold label sets, the (n, L) scores P and selected flags S,
    and the report of validation_report() (metrics overall and per kind)."""

    suggester: object
    ids: list
    gold: list
    P: np.ndarray
    S: np.ndarray
    report: dict
    left_out: dict = field(default_factory=dict)  # reason -> records not scored (no text, no label, malformed)
    origins: list | None = None  # whole cables: each one's origin country (rankings hold one outside the labels)

    def per_tag(self) -> list[dict]:
        """Precision, recall, F1 and support of the selected set per tag (most supported first)."""
        labels = self.suggester.labels
        selected = [{labels[j] for j in np.flatnonzero(row)} for row in self.S]
        return per_tag_scores([set(g) for g in self.gold], selected, labels)

    def predictions(self, limit: int = 10):
        """{"id", "tags"} per document, best first: the reference scorer's input format."""
        origins = self.origins or [None] * len(self.ids)
        for rid, row, sel, origin in zip(self.ids, self.P, self.S, origins):
            extra = self.suggester.origin_suggestion(origin, bool(sel.any()))
            yield {"id": rid, "tags": [x.to_dict() for x in self.suggester.rank(row, limit, sel, extra=extra)]}


def evaluate_model(suggester, corpus, text_field: str = "body", stats: Stats | None = None,
                   cable: bool = False) -> Evaluation:
    """Score a Suggester on a tagged JSON Lines corpus (labels: normalize(record["tags"]).codes).
    Malformed lines are counted in `stats`. Raises InputError when the corpus has no records.
    cable=True reads each record as a whole cable (its `preamble`, when it has one, then `text_field`), as
    `suggest --cable` does: the suggester's whole-cable model, its TAGS field never read."""
    ids, texts, gold = load_labelled(corpus, text_field, suggester.taxonomy, stats=stats, whole=cable)
    if not ids:
        raise InputError(f"{corpus}: no records to evaluate")
    # what cannot be scored is left out and counted, never scored as if it were an empty text
    space = set(suggester.labels)
    left_out: Counter = Counter()
    keep = []
    for i, (t, g) in enumerate(zip(texts, gold)):
        if not t.strip():
            left_out[f"no text in field {text_field!r}"] += 1
        elif not space.intersection(g):
            left_out["no TAGS code in the model's label space"] += 1
        else:
            keep.append(i)
    if stats is not None and stats.bad:
        left_out["malformed line"] += len(stats.bad)
    if not keep:
        why = "; ".join(f"{k}: {v}" for k, v in left_out.items())
        raise InputError(f"{corpus}: nothing to evaluate ({len(ids)} record(s) left out: {why})")
    ids, texts, gold = [ids[i] for i in keep], [texts[i] for i in keep], [gold[i] for i in keep]
    origins = None
    if cable:
        read = [suggester.cable_text(t) for t in texts]
        texts, origins = [m for _, m in read], [c.origin_country for c, _ in read]
    P, S = suggester.predict(texts, ids, cable=cable, origins=origins)
    report = validation_report(suggester.model, texts, gold, suggester.taxonomy, P=P, S=S)
    return Evaluation(suggester, ids, gold, P, S, report, dict(left_out), origins)

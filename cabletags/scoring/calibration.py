"""Calibration of the tag model: margins -> scores in [0, 1], and the one rule for the selected set.

For tag j, the margin m_j(x) (SVM margin plus the reference-index term) is shifted by a per-tag offset t_j
and squashed: score_j = sigmoid(scale * (m_j - t_j)). Ranking by score is ranking by the shifted margin,
which puts tags on a common scale. The offsets are each tag's F1-optimal margin threshold on a validation
split, shrunk toward the SVM's own 0 by ``threshold_shrink``; the scale maximises the likelihood of the
validation labels.

**The selection rule**, for every text of any length: a tag is selected when its score reaches one
threshold (``select_score``, tuned for micro-F1 on the validation split), and the best tag of a text
is always selected. A model with the nearest-cables vote may add the count rule (``count_floor``): a text's
first k tags are selected too when they score at least count_floor, k being as many tags as its nearest cables
carry (their similarity-weighted mean count, which the vote's shares sum to). A text says by its words which tags
it bears better than how many; its neighbours say how many (issue 28: on the held-out split, bodies' selected
micro-F1 +0.3 points over the threshold alone, docs/research.md). Both are tuned together for micro-F1 on the
validation split, and the count rule is kept only when it beats the threshold alone there. The selected tags are
always the top of the ranking.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Calibration", "select", "top_by_count", "first_k", "f1_thresholds", "micro_f1_threshold", "count_rule",
           "tune", "REF_WEIGHT_GRID"]

# candidate weights of the reference-index features, searched as pairs (cited, co-citing)
REF_WEIGHT_GRID = (0.0, 0.25, 0.5, 0.75, 1.0)
# candidate weights of the nearest-cables vote (a share in [0, 1] per tag; the SVM margins span about -2..2)
NN_WEIGHT_GRID = (0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 1.0, 1.5)
# the count rule's candidates: the threshold any tag passes, and the floor a text's first k tags must reach
COUNT_THRESHOLDS = tuple(float(t) for t in np.round(np.arange(0.40, 0.951, 0.05), 2))
COUNT_FLOORS = tuple(float(f) for f in np.round(np.arange(0.05, 0.501, 0.05), 2))


@dataclass
class Calibration:
    """The tuned part of a model. offsets: (L,) float32 ranking offsets t_j (None: all 0); scale: the
    sigmoid's slope; select_score: the score threshold of the selected set; ref_weights: what the
    reference index's (cited, co-citing) tag shares add to the margins; nn_weight: what the nearest-cables vote
    adds to them; count_floor: the count rule's floor, or None; origin_score: the least score of a whole cable's
    origin country (cabletags.scoring.origin), or None."""

    offsets: np.ndarray | None = None
    scale: float = 1.0
    select_score: float = 0.5
    ref_weights: tuple[float, float] = field(default=(0.0, 0.0))
    nn_weight: float = 0.0
    count_floor: float | None = None  # the count rule's floor (module docstring); None: the threshold alone
    # a whole cable's origin country scores at least this (cabletags.scoring.origin); None: no such rule
    origin_score: float | None = None

    def weights(self) -> dict[str, float]:
        """The weight of each scorer matrix by its name (cabletags.scoring.scorers)."""
        return {"cited": self.ref_weights[0], "cociting": self.ref_weights[1], "nearest": self.nn_weight}

    def logits(self, M: np.ndarray) -> np.ndarray:
        """(n, L) calibrated margins from (n, L) SVM margins: scale * (M - offsets), clipped to [-30, 30]; the
        scores are their sigmoid, so both rank a text's tags alike."""
        off = 0.0 if self.offsets is None else self.offsets
        return np.clip(self.scale * (M - off), -30, 30)

    def scores(self, M: np.ndarray) -> np.ndarray:
        """(n, L) scores in [0, 1] from (n, L) margins."""
        return 1.0 / (1.0 + np.exp(-self.logits(M)))

    def select(self, P: np.ndarray, counts: np.ndarray | None = None) -> np.ndarray:
        """(n, L) booleans of the selected set for (n, L) scores: the selection rule (module docstring); counts
        (n,): the tags each text's nearest cables carry, for the count rule (without them, the threshold alone)."""
        return select(P, self.select_score, counts if self.count_floor is not None else None, self.count_floor)


def first_k(P: np.ndarray, k: int) -> np.ndarray:
    """(n, k) each row's first k label indices by score, ties in label order: np.argsort(-P, kind="stable")[:, :k],
    from a partition of each row and a sort of its k (a third of the time for a batch of whole cables). A row whose
    k-th score is tied beyond the k taken (which of the tied the partition took is arbitrary), or that holds a NaN,
    is sorted whole."""
    n, L = P.shape
    if k >= L or not n:
        return np.argsort(-P, axis=1, kind="stable")[:, :k]
    part = np.argpartition(-P, k - 1, axis=1)[:, :k]
    vals = np.take_along_axis(P, part, axis=1)
    kth = vals.min(axis=1, keepdims=True)
    whole = ((P == kth).sum(axis=1) != (vals == kth).sum(axis=1)) | np.isnan(kth[:, 0])
    order = np.lexsort((part, -vals), axis=1)  # score falling, then label order
    cols = np.take_along_axis(part, order, axis=1)
    if whole.any():
        cols[whole] = np.argsort(-P[whole], axis=1, kind="stable")[:, :k]
    return cols


def top_by_count(P: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """(n, L) booleans: each row's first round(counts[i]) tags by score (ties in label order). The rows' first
    max(counts) labels are found by first_k (a partition, not a sort of every row: counts are a few of the L)."""
    n, L = P.shape
    k = np.clip(np.rint(np.asarray(counts, dtype=np.float64)), 0, L).astype(np.int64)
    out = np.zeros(P.shape, dtype=bool)
    most = int(k.max()) if n else 0
    if most:
        first = first_k(P, most)
        wanted = np.arange(most) < k[:, None]
        out[np.broadcast_to(np.arange(n)[:, None], first.shape)[wanted], first[wanted]] = True
    return out


def select(P: np.ndarray, threshold: float, counts: np.ndarray | None = None,
           floor: float | None = None) -> np.ndarray:
    """(n, L) booleans: score >= threshold, each row's first round(counts) tags that score >= floor (with counts
    and floor: the count rule), and each row's best tag (when it has any tag)."""
    S = P >= threshold
    if P.shape[1]:
        if counts is not None and floor is not None:
            S |= top_by_count(P, counts) & (P >= floor)
        S[np.arange(P.shape[0]), P.argmax(axis=1)] = True
    return S


def _micro_f1(S: np.ndarray, pos: np.ndarray, n_pos: int | None = None) -> float:
    """Micro-F1 of selected sets S against gold pos, both (n, L) booleans (n_pos: pos.sum(), when known)."""
    tp = int((S & pos).sum())
    return 2 * tp / (int(S.sum()) + (int(pos.sum()) if n_pos is None else n_pos)) if tp else 0.0


def count_rule(P: np.ndarray, counts: np.ndarray, Y: np.ndarray, plain: float) -> tuple[float, float] | None:
    """(threshold, floor) of COUNT_THRESHOLDS x COUNT_FLOORS whose selected sets (select() with counts) have the
    highest micro-F1 against Y (n, L), when it beats `plain` (the micro-F1 of the threshold alone) by more than
    1e-4; else None. Ties go to the lower threshold, then the lower floor."""
    pos = Y > 0
    n_pos = int(pos.sum())
    top = top_by_count(P, counts)
    best = (plain + 1e-4, None)
    for t in COUNT_THRESHOLDS:
        above = P >= t
        for f in COUNT_FLOORS:
            S = above | (top & (P >= f))
            if P.shape[1]:
                S[np.arange(P.shape[0]), P.argmax(axis=1)] = True
            f1 = _micro_f1(S, pos, n_pos)
            if f1 > best[0] + 1e-12:
                best = (f1, (t, f))
    return best[1]


def f1_thresholds(M: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """(L,) per-tag margin thresholds maximising each tag's F1 on (n, L) margins M and 0/1 labels Y
    (midway between the last margin kept and the next; 0 for a tag with no positive)."""
    thr = np.zeros(M.shape[1], dtype=np.float32)
    for j in range(M.shape[1]):
        y = Y[:, j]
        if y.sum() == 0:
            continue
        o = np.argsort(-M[:, j], kind="stable")
        ss, yy = M[o, j], y[o]
        f1 = 2 * np.cumsum(yy) / (np.arange(1, len(yy) + 1) + y.sum())
        k = int(np.argmax(f1))
        thr[j] = (ss[k] + ss[min(k + 1, len(ss) - 1)]) / 2
    return thr


def micro_f1_threshold(P: np.ndarray, Y: np.ndarray) -> float:
    """The score threshold (0.05..0.95, steps of 0.01) whose selected sets (select()) have the highest
    micro-F1 against Y, both (n, L); ties go to the lower threshold."""
    pos = Y > 0
    top = select(P, np.inf)
    best = (-1.0, 0.5)
    for t in np.round(np.arange(0.05, 0.951, 0.01), 2):
        S = (P >= t) | top
        f1 = _micro_f1(S, pos)
        if f1 > best[0] + 1e-12:
            best = (f1, float(t))
    return best[1]


def _likeliest_scale(D: np.ndarray, y: np.ndarray) -> float:
    """The sigmoid slope (of 60 between 0.3 and 30) that maximises the likelihood of 0/1 labels y given
    shifted margins D (both flat)."""
    best = (np.inf, 1.0)
    for a in np.geomspace(0.3, 30, 60):
        p = 1.0 / (1.0 + np.exp(-np.clip(a * D, -30, 30)))
        ll = -np.mean(y * np.log(p + 1e-9) + (1 - y) * np.log(1 - p + 1e-9))
        best = min(best, (ll, float(a)))
    return best[1]


def tune(M: np.ndarray, Y: np.ndarray, shrink: float, refs: tuple[np.ndarray, np.ndarray] | None = None,
         rank_shift: np.ndarray | None = None, votes: np.ndarray | None = None) -> Calibration:
    """A Calibration tuned on validation margins M (n, L) and labels Y (n, L).

    refs: the reference index's (cited, co-citing) tag shares of the same texts, each (n, L); their
    weights are the pair of REF_WEIGHT_GRID with the best F1@5 (ascending: ties keep the smaller weights).
    Then the offsets (shrink x each tag's F1-optimal margin) and the scale, on M; and the selection
    threshold, on the scores the model will show for these texts: those of M + rank_shift (n, L), where
    rank_shift is what the model adds to some texts' margins at prediction (short texts' scaled biases).
    votes: the nearest-cables vote (n, L); its weight is the one of NN_WEIGHT_GRID with the best F1@5 once the
    reference weights are chosen (one search after the other: a grid of all three would take 9 times as long);
    with a vote weight above 0, the count rule (count_rule) when it beats the threshold alone.
    """
    from .evaluation import f1_at_5  # (training only: scoring never imports the evaluation's modules)

    def best_of(candidates):
        best = (-1.0, None)
        for weights, Mw in candidates:
            f = f1_at_5(Mw - shrink * f1_thresholds(Mw, Y), Y)
            if f > best[0] + 1e-9:
                best = (f, weights)
        return best[1]

    weights, nn = (0.0, 0.0), 0.0
    if refs is not None:
        A, B = refs
        weights = best_of(((wa, wb), M + wa * A + wb * B) for wa in REF_WEIGHT_GRID for wb in REF_WEIGHT_GRID)
        M = M + weights[0] * A + weights[1] * B
    if votes is not None:
        nn = best_of((w, M + np.float32(w) * votes) for w in NN_WEIGHT_GRID)
        M = M + np.float32(nn) * votes
    offsets = (shrink * f1_thresholds(M, Y)).astype(np.float32)
    cal = Calibration(offsets=offsets, scale=_likeliest_scale((M - offsets).ravel(), Y.ravel()),
                      ref_weights=weights, nn_weight=float(nn))
    P = cal.scores(M if rank_shift is None else M + rank_shift)
    cal.select_score = micro_f1_threshold(P, Y)
    if votes is not None and nn > 0:  # the count rule, from the vote the model will add (its shares' sum)
        rule = count_rule(P, votes.sum(axis=1), Y, _micro_f1(select(P, cal.select_score), Y > 0))
        if rule is not None:
            cal.select_score, cal.count_floor = rule
    return cal

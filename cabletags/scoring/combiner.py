"""The learned combiner: each text's first K candidate tags scored again from what every scorer said of them.

The scorers (the linear model, the reference index, the nearest-cables vote, the origin country) are added into one
margin by weights tuned on validation, and a tag is selected by one threshold (cabletags.scoring.calibration). Two
things a sum cannot say are how far a tag stands from the ones around it and whether the scorers agree: a tag third
with a clear lead over the fourth, backed by the vote and by the text's own words, is likelier right than one with
the same margin in a crowd. As Annif's neural-network ensemble learns from its backends' scores, a small
gradient-boosted tree model (scikit-learn's GradientBoostingClassifier at training, plain arrays after) reads, for
each of a text's first K candidates, FEATURES: its calibrated score and logit, the gaps to the best and to its
neighbours in the ranking, its rank, the vote's share and how many tags the vote expects, the text's own evidence,
the linear margin, whether it is the cable's origin country, its kind, its rank among candidates of its kind, how
common it is, and the text's length. It gives the probability that the candidate is one of the text's tags.

It is fitted on the validation part (the texts the model fitted on the training part never saw; never the held-out
split of the benchmarks), on probabilities cross-fitted there (each fold's from trees fitted without it). Where its
probabilities rank that part's candidates at least as well as the calibrated scores (F1@5), they are the scores shown:
the K candidates ranked by them, the rest below in their order, a candidate selected when its probability reaches the
combiner's threshold. Where they do not, the ranking stays the calibrated one and the probabilities only say how many
of its first candidates are selected (those whose probability reaches the threshold). Either way the selected tags are
the top of the ranking, the best is selected when the text selected anything by the calibrated rule (a text with no
evidence still selects nothing), and the threshold is the one with the best cross-fitted micro-F1; the model keeps the
combiner only when that beats the calibrated rule's. Measured on the held-out split in docs/benchmarks.md.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .calibration import first_k

__all__ = ["FEATURES", "KINDS", "Combiner", "candidate_features", "fit_combiner"]

# candidates re-scored per text: 15 hold every tag of 99% of cables (the rest keep their order below)
DEFAULT_K = 15
# the kinds of tag told apart (any other kind: none of them)
KINDS = ("geographic", "subject", "program", "organization")
# trees: 150 of depth 3 at learning rate 0.1 were the best of the settings tried on held-out whole cables
# (docs/research.md); a fold fit takes ~20 s on 40,000 candidates
N_TREES, DEPTH, LEARNING_RATE = 150, 3, 0.1
MAX_TREES, MAX_DEPTH = 2000, 6  # what a model file may declare
# the thresholds tried for the selected set
_THRESHOLDS = np.round(np.arange(0.20, 0.801, 0.01), 2)
# texts a validation part needs before a combiner is fitted (fewer: too few candidates to learn from)
MIN_TEXTS = 200
FOLDS = 3


def _feature_names(k: int) -> list[str]:
    return (["logit", "score", "logit_minus_best", "logit_minus_next", "previous_minus_logit", "vote_share",
             "vote_count", "rank_minus_vote_count", "within_vote_count", "evidence", "linear_margin", "origin",
             "log_length", "scores_above_half"] + [f"rank_{r}" for r in range(1, k + 1)]
            + [f"kind_{x}" for x in KINDS] + ["rank_in_kind", "log_prior"])


FEATURES = _feature_names(DEFAULT_K)


def candidate_features(P, F, V, Lin, origin_mask, lengths, kinds, prior, k: int = DEFAULT_K):
    """The features of each text's first k candidates by score.

    Parameters
    ----------
    P : (n, L) scores in [0, 1] (calibrated, the origin country raised); F : (n, L) the text's own evidence;
    V : (n, L) the nearest-cables vote's shares, or None; Lin : (n, L) the linear margins; origin_mask : (n, L) bool,
    the cable's origin country, or None; lengths : (n,) characters of each text; kinds : (L,) int, each label's
    index in KINDS (-1: other); prior : (L,) each label's share of the training texts; k : candidates per text.

    Returns
    -------
    X : (n * k, len(FEATURES)) float32, row i * k + r the candidate of rank r + 1 of text i
    cols : (n, k) int, the candidates' label indices
    """
    P = np.asarray(P, dtype=np.float64)
    n, L = P.shape
    k = min(k, L)
    cols = first_k(P, k)
    take = lambda A: np.take_along_axis(A, cols, axis=1)  # noqa: E731  (n, k) of an (n, L)
    p = take(P)
    z = np.log(np.clip(p, 1e-6, 1 - 1e-6)) - np.log(np.clip(1 - p, 1e-6, 1))
    nxt = np.concatenate([z[:, 1:], np.full((n, 1), -14.0)], axis=1)
    prev = np.concatenate([np.full((n, 1), 14.0), z[:, :-1]], axis=1)
    rank = np.broadcast_to(np.arange(1, k + 1), (n, k))
    votes = take(V) if V is not None else np.zeros((n, k))
    count = np.broadcast_to((V.sum(axis=1) if V is not None else np.zeros(n))[:, None], (n, k))
    origin = take(origin_mask) if origin_mask is not None else np.zeros((n, k))
    length = np.broadcast_to(np.log1p(np.asarray(lengths, dtype=np.float64))[:, None], (n, k))
    above = np.broadcast_to((P >= 0.5).sum(axis=1)[:, None], (n, k))
    kind = np.asarray(kinds)[cols]
    onehot = (kind[..., None] == np.arange(len(KINDS))).astype(np.float64)  # (n, k, 4)
    in_kind = (np.cumsum(onehot, axis=1) * onehot).sum(axis=2)  # rank among candidates of the same kind
    cols_ = [z, p, z - z[:, :1], z - nxt, prev - z, votes, count, rank - count, rank <= np.rint(count), take(F),
             take(Lin), origin, length, above]
    X = np.concatenate([np.stack([np.asarray(c, dtype=np.float64) for c in cols_], axis=2),
                        np.broadcast_to(np.eye(k), (n, k, k)), onehot, in_kind[..., None],
                        np.log(np.asarray(prior, dtype=np.float64)[cols] + 1e-4)[..., None]], axis=2)
    return X.reshape(n * k, -1).astype(np.float32), cols


def _pick(right: np.ndarray, left_leaf: np.ndarray, right_leaf: np.ndarray) -> np.ndarray:
    """left_leaf where right is 0, right_leaf where it is 1 (right: 0/1 uint8): left + right * (right - left), exact in
    uint8's wrap-around arithmetic as in int64's."""
    d = right_leaf - left_leaf
    d *= right
    d += left_leaf
    return d


@dataclass
class Combiner:
    """Gradient-boosted trees as plain arrays, each tree made perfect (every leaf at depth `depth`; a leaf met
    earlier copied down both ways) and kept in heap order: feature and threshold (T, 2**depth - 1) of the inner nodes
    (node i's children 2i + 1, left when the feature (float32) <= the threshold, and 2i + 2), value (T, 2**depth) of
    the leaves. The raw score is init + learning_rate * the leaves' values. With them: k candidates a text, the
    selection threshold, each label's kind and training share, and what validation measured."""

    k: int
    init: float
    learning_rate: float
    depth: int
    feature: np.ndarray    # (T, 2**depth - 1) int
    threshold: np.ndarray  # (T, 2**depth - 1) float64
    value: np.ndarray      # (T, 2**depth) float64
    kinds: np.ndarray      # (L,) int
    prior: np.ndarray      # (L,) float32
    select_score: float = 0.5
    ranks: bool = True  # the probabilities rank the candidates; False: they only say how many are selected
    validation: dict = field(default_factory=dict)

    # --- scoring -------------------------------------------------------------------------------------------------
    # candidates scored at once: the (trees x nodes, candidates) comparisons of 512 (2 MB) stay in cache; 4,096 took
    # half as long again
    CHUNK = 512

    def decision(self, X: np.ndarray) -> np.ndarray:
        """(m,) raw scores (log-odds) of (m, d) candidate features. Every inner node's comparison is made at once
        for all trees, in float32 against each threshold rounded down to a float32 (for a float32 feature the same
        answer as against the float64 threshold), node by node (each node's answers for all trees one contiguous
        block); then each level, from the leaves up, keeps the number of the leaf its comparison chose (one byte a
        tree and candidate, picked by arithmetic on the 0/1 answers: a + right * (b - a), in contiguous blocks), and
        each tree's chosen leaf gives its value: no walk from node to node. The trees' values are added one tree
        after another."""
        X = np.asarray(X, dtype=np.float32)
        out = np.empty(X.shape[0])
        T, nodes = self.feature.shape
        feats, thr = self._node_major()
        kind = np.uint8 if self.depth <= 8 else np.int64  # leaf numbers up to 2**depth - 1
        offsets = (np.arange(T, dtype=np.int64) << self.depth)[:, None]  # each tree's first leaf in the values
        values = self.value.ravel()
        for a in range(0, X.shape[0], self.CHUNK):
            xt = np.ascontiguousarray(X[a:a + self.CHUNK].T)  # (d, c)
            c = xt.shape[1]
            if not nodes:  # a tree of one leaf
                leaf = np.zeros((T, c), dtype=kind)
            else:
                # 1 where a node sends the candidate right (a NaN too: it is not <= the threshold)
                right = (~(xt[feats] <= thr)).view(np.uint8).reshape(nodes, T, c)
                half = 1 << (self.depth - 1)
                leaves = [right[half - 1 + j].astype(kind) + kind(2 * j) for j in range(half)]  # the last level
                for level in range(self.depth - 2, -1, -1):
                    first = (1 << level) - 1
                    leaves = [_pick(right[first + j], leaves[2 * j], leaves[2 * j + 1]) for j in range(1 << level)]
                leaf = leaves[0]
            v = values[leaf + offsets]  # (T, c)
            # the trees' values added one tree after another, for all candidates at once
            out[a:a + c] = self.init + self.learning_rate * v.sum(axis=0)
        return out

    def _node_major(self) -> tuple[np.ndarray, np.ndarray]:
        """(nodes * T,) features and float32 thresholds (_thresholds32) node by node: node 0 of every tree, then
        node 1, ..."""
        got = getattr(self, "_by_node", None)
        if got is None or got[0].size != self.feature.size:
            T, nodes = self.feature.shape
            got = (np.ascontiguousarray(self.feature.T).ravel(),
                   np.ascontiguousarray(self._thresholds32().reshape(T, nodes).T).reshape(-1, 1))
            self._by_node = got
        return got

    def _thresholds32(self) -> np.ndarray:
        """(T * nodes,) float32: each threshold rounded down to a float32 (the largest float32 not above it)."""
        t32 = getattr(self, "_t32", None)
        if t32 is None or t32.size != self.threshold.size:
            t = self.threshold.ravel()
            t32 = t.astype(np.float32)
            above = t32.astype(np.float64) > t
            t32[above] = np.nextafter(t32[above], np.float32(-np.inf))
            self._t32 = t32
        return t32

    def proba(self, X: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.clip(self.decision(X), -30, 30)))

    def rerank(self, P, S, F, V, Lin, origin_mask, lengths, threshold: float | None = None):
        """(scores, selected), each (n, L), from the calibrated ones: each text's first k candidates scored by the
        trees' probability and ranked by it; the others keep their order below them (their scores scaled under the
        text's lowest candidate's where needed). Selected: a score that reaches select_score (or `threshold`), and
        the text's best candidate when the calibrated rule selected anything (S); nothing where it selected nothing.
        A combiner that does not rank (ranks=False) keeps the scores and selects each text's first m labels by
        score, m its candidates whose probability reaches select_score (at least one where S selected anything);
        with `threshold`, the calibrated scores and S as they are."""
        n, L = P.shape
        if not n:
            return P, S
        if not self.ranks and threshold is not None:
            return P, S  # the calibrated scores, selected by the threshold given
        X, cols = candidate_features(P, F, V, Lin, origin_mask, lengths, self.kinds, self.prior, self.k)
        q = self.proba(X).reshape(cols.shape)
        if not self.ranks:
            return P, _prefix(P, q, S, self.select_score)
        out = _scores(P, q, cols)
        return out, _select(out, q, cols, S, self.select_score if threshold is None else threshold)

    # --- storage -------------------------------------------------------------------------------------------------
    def to_arrays(self) -> tuple[dict, dict]:
        doc = {"k": self.k, "init": self.init, "learning_rate": self.learning_rate, "depth": self.depth,
               "select_score": self.select_score, "ranks": self.ranks, "trees": int(self.feature.shape[0]),
               "features": len(_feature_names(self.k)), "validation": self.validation}
        arrays = {"cb_feature": self.feature.astype(np.int16), "cb_threshold": self.threshold.astype(np.float64),
                  "cb_value": self.value.astype(np.float64), "cb_kinds": self.kinds.astype(np.int8),
                  "cb_prior": self.prior.astype(np.float32)}
        return doc, arrays

    @staticmethod
    def shapes(doc, L: int) -> dict:
        """name -> shape of each array a model's `combiner` entry declares (checked: ValueError)."""
        from .storage import number

        if not isinstance(doc, dict):
            raise ValueError("combiner must be a mapping")
        T = int(number(doc.get("trees"), "combiner trees", 1, MAX_TREES))
        D = int(number(doc.get("depth"), "combiner depth", 1, MAX_DEPTH))
        return {"cb_feature": (T, (1 << D) - 1), "cb_threshold": (T, (1 << D) - 1), "cb_value": (T, 1 << D),
                "cb_kinds": (L,), "cb_prior": (L,)}

    @classmethod
    def from_arrays(cls, doc: dict, a: dict, L: int) -> "Combiner":
        """The combiner from a model's `combiner` entry and its arrays (shaped as shapes() says), every value
        checked (ValueError)."""
        from .storage import number

        k = int(number(doc.get("k"), "combiner k", 1, L))
        d = len(_feature_names(k))
        if doc.get("features") != d:
            raise ValueError(f"the combiner reads {doc.get('features')!r} features; this version writes {d}")
        f = a["cb_feature"]
        if f.min() < 0 or f.max() >= d:
            raise ValueError("combiner features out of bounds")
        for name in ("cb_threshold", "cb_value", "cb_prior"):
            if not np.all(np.isfinite(a[name])):
                raise ValueError(f"array {name} holds values that are not finite numbers")
        if a["cb_kinds"].min() < -1 or a["cb_kinds"].max() >= len(KINDS) or a["cb_prior"].min() < 0:
            raise ValueError("combiner label kinds or shares out of bounds")
        validation = doc.get("validation") if isinstance(doc.get("validation"), dict) else {}
        if not isinstance(doc.get("ranks"), bool):
            raise ValueError("the combiner's ranks must be true or false")
        return cls(ranks=doc["ranks"], k=k, init=number(doc.get("init"), "combiner init", -1e3, 1e3),
                   learning_rate=number(doc.get("learning_rate"), "combiner learning_rate", 1e-6, 10),
                   depth=int(number(doc.get("depth"), "combiner depth", 1, MAX_DEPTH)),
                   feature=f.astype(np.int64), threshold=a["cb_threshold"], value=a["cb_value"],
                   kinds=a["cb_kinds"].astype(np.int64), prior=a["cb_prior"],
                   select_score=number(doc.get("select_score"), "combiner select_score", 0, 1), validation=validation)

    # --- fitting -------------------------------------------------------------------------------------------------
    @classmethod
    def from_sklearn(cls, est, k: int, kinds, prior) -> "Combiner":
        """The arrays of a fitted binary GradientBoostingClassifier (its public trees, tree_), whose init is the
        training prior (the default)."""
        trees = [e.tree_ for e in est.estimators_[:, 0]]
        D = max(1, max(t.max_depth for t in trees))
        T = len(trees)
        feature, threshold = np.zeros((T, (1 << D) - 1), dtype=np.int64), np.zeros((T, (1 << D) - 1))
        value = np.zeros((T, 1 << D))
        for i, t in enumerate(trees):
            stack = [(0, 0, 0)]  # (sklearn node, heap index, depth)
            while stack:
                node, at, depth = stack.pop()
                if depth == D:
                    value[i, at - ((1 << D) - 1)] = t.value[node, 0, 0]
                    continue
                if t.children_left[node] < 0:  # a leaf above the last level: copied down both ways
                    stack += [(node, 2 * at + 1, depth + 1), (node, 2 * at + 2, depth + 1)]
                    continue
                feature[i, at], threshold[i, at] = t.feature[node], t.threshold[node]
                stack += [(t.children_left[node], 2 * at + 1, depth + 1), (t.children_right[node], 2 * at + 2,
                                                                          depth + 1)]
        p = float(np.clip(est.init_.class_prior_[1], 1e-9, 1 - 1e-9))
        return cls(k=k, init=float(np.log(p / (1 - p))), learning_rate=float(est.learning_rate), depth=D,
                   feature=feature, threshold=threshold, value=value, kinds=np.asarray(kinds, dtype=np.int64),
                   prior=np.asarray(prior, dtype=np.float32))


def _micro_f1(S: np.ndarray, Y: np.ndarray) -> float:
    tp = int((S & Y).sum())
    return 2 * tp / (int(S.sum()) + int(Y.sum())) if tp else 0.0


def _f1_at_5(order: np.ndarray, Y: np.ndarray) -> float:
    """Mean F1 of each text's first 5 labels of `order` (n, >=5) against Y (n, L), over texts with a label."""
    g = Y.sum(axis=1)
    hit = np.take_along_axis(Y, order[:, :5], axis=1).sum(axis=1)
    has = g > 0
    return float(np.mean(2 * hit[has] / (5 + g[has]))) if has.any() else 0.0


def _fit_trees(X, y, seed: int, n_trees: int, depth: int):
    from sklearn.ensemble import GradientBoostingClassifier

    return GradientBoostingClassifier(n_estimators=n_trees, max_depth=depth, learning_rate=LEARNING_RATE,
                                      random_state=seed).fit(X, y)


def fit_combiner(P, S, F, V, Lin, origin_mask, lengths, Y, kinds, prior, *, k: int = DEFAULT_K, seed: int = 0,
                 n_trees: int = N_TREES, depth: int = DEPTH, n_jobs: int = 2, progress=None,
                 keep_always: bool = False) -> Combiner | None:
    """A Combiner fitted on a validation part's calibrated output (P, S, F, V, Lin, origin_mask, lengths as
    Combiner.rerank takes them) and its labels Y ((n, L) bool), or None.

    The probabilities are cross-fitted first (FOLDS folds of texts, each scored by trees fitted on the others). They
    re-rank (ranks=True) when the candidates ranked by them have an F1@5 at least the calibrated ranking's; else
    they only say how many of the calibrated ranking's first candidates are selected. The threshold is the one of
    0.20..0.80 whose selected sets have the best micro-F1, and the combiner is kept when that beats the calibrated
    rule's (keep_always: kept regardless). None also with fewer than MIN_TEXTS texts or no positive candidate."""
    from joblib import Parallel, delayed

    progress = progress or (lambda msg: None)
    Y = np.asarray(Y, dtype=bool)
    P = np.asarray(P, dtype=np.float64)
    n, L = P.shape
    if n < MIN_TEXTS:
        progress(f"combiner: not fitted ({n} validation texts; it needs {MIN_TEXTS})")
        return None
    X, cols = candidate_features(P, F, V, Lin, origin_mask, lengths, kinds, prior, k)
    k = cols.shape[1]
    y = np.take_along_axis(Y, cols, axis=1).ravel()
    if y.all() or not y.any():
        return None
    fold = np.arange(n) % FOLDS  # texts, not candidates, split between folds
    rows = np.repeat(fold, k)
    # the folds' trees and the final ones (on every row) fitted side by side: the final ones are thrown away when the
    # combiner is not kept, but waiting for the folds first would add a round of fitting to every training run (fold
    # FOLDS holds no text: its trees see every row)
    *fits, final = Parallel(n_jobs=min(n_jobs, FOLDS + 1))(
        delayed(_fit_trees)(X[rows != f], y[rows != f], seed, n_trees, depth) for f in range(FOLDS + 1))
    q = np.zeros(len(y))
    for f, est in enumerate(fits):
        q[rows == f] = est.predict_proba(X[rows == f])[:, 1]
    q = q.reshape(n, k)
    base_micro, base_f1 = _micro_f1(S, Y), _f1_at_5(np.argsort(-P, axis=1, kind="stable")[:, :5], Y)
    f1 = _f1_at_5(np.take_along_axis(cols, np.argsort(-q, axis=1, kind="stable"), axis=1), Y)
    ranks = f1 >= base_f1
    scores = _scores(P, q, cols) if ranks else P
    best = (-1.0, 0.5)
    for t in _THRESHOLDS:  # ties keep the lower threshold
        sel = _select(scores, q, cols, S, t) if ranks else _prefix(P, q, S, t)
        f = _micro_f1(sel, Y)
        if f > best[0] + 1e-12:
            best = (f, float(t))
    report = {"texts": n, "candidates": int(len(y)), "select_score": best[1], "ranks": bool(ranks),
              "micro_f1": round(best[0], 4), "micro_f1_before": round(base_micro, 4),
              "f1_at_5_ranked": round(f1, 4), "f1_at_5_before": round(base_f1, 4)}
    progress(f"combiner: cross-fitted on {n} validation texts, F1@5 of its ranking {f1:.4f} (the calibrated "
             f"ranking's {base_f1:.4f}): {'it ranks' if ranks else 'it only selects'}; selected micro-F1 "
             f"{base_micro:.4f} -> {best[0]:.4f} (threshold {best[1]:.2f})")
    if not keep_always and best[0] <= base_micro:
        progress("combiner: not kept (it does not beat the calibrated rule on validation)")
        return None
    r = Combiner.from_sklearn(final, k, kinds, prior)
    r.select_score, r.ranks, r.validation = best[1], bool(ranks), report
    return r


def _prefix(P, q, S, t):
    """The selected set when the combiner only selects: each text's first m labels by score, m its candidates whose
    probability reaches t (at least 1 where the calibrated rule selected anything, 0 where it selected nothing)."""
    m = np.where(S.any(axis=1), np.maximum((q >= t).sum(axis=1), 1), 0)
    order = np.argsort(-P, axis=1, kind="stable")
    sel = np.zeros(P.shape, dtype=bool)
    np.put_along_axis(sel, order, np.arange(P.shape[1])[None, :] < m[:, None], axis=1)
    return sel


def _scores(P, q, cols):
    """(n, L) the scores shown: the candidates' probabilities q (n, k) at their labels cols (n, k); every other label's
    score scaled down where needed so that the best of them stays under its text's lowest candidate (to 0.999 of it):
    they keep their order (capped, they would tie, and ties go by label)."""
    out = np.array(P, dtype=np.float64)
    np.put_along_axis(out, cols, -np.inf, axis=1)
    rest_max = out.max(axis=1, keepdims=True)
    low = q.min(axis=1, keepdims=True)
    scale = np.where(rest_max > 0.999 * low, 0.999 * low / np.where(rest_max > 0, rest_max, 1), 1.0)
    out = np.asarray(P, dtype=np.float64) * scale
    np.put_along_axis(out, cols, q, axis=1)
    return out


def _select(scores, q, cols, S, t):
    """The selected set: scores >= t, and each text's best candidate where the calibrated rule (S) selected
    anything; nothing where it selected nothing."""
    sel = scores >= t
    n = q.shape[0]
    rows = np.arange(n)
    any_ = S.any(axis=1)
    best = cols[rows, q.argmax(axis=1)]
    sel[rows[any_], best[any_]] = True
    sel[~any_] = False
    return sel

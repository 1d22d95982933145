"""Fitting the linear part of the tag model: TF-IDF features and one linear SVM per tag.

Each tag's SVM is fitted on the TF-IDF features scaled by |r|^nb_scaling, where r is the tag's naive
Bayes log-count ratio (how much more often a term occurs in cables with the tag than without): the
NBSVM of Wang & Manning (2012). Terms that tell the tag apart are penalised less by the regulariser;
the fitted weights are multiplied back by the same scale, so the result is a plain linear model over
the TF-IDF features and scoring does not change. The weights are pruned to the largest ``keep_weights``
per tag (most of a linear SVM's weights are tiny) and terms no tag uses are dropped.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..cableformat import TOKEN_PATTERN
from ..errors import TrainingError

__all__ = ["LinearFit", "TermCounts", "count_terms", "fit_linear", "make_vectorizer", "nb_scale", "tfidf_features"]


@dataclass
class LinearFit:
    """What fit_linear() learns: V kept terms and L tags.

    vocabulary: V terms; idf: (V,) float32; weights: (L, V) float32 CSR; intercept: (L,) float32;
    terms_before_pruning: the vocabulary size before unused terms were dropped.
    """

    vocabulary: list[str]
    idf: np.ndarray
    weights: sp.csr_matrix
    intercept: np.ndarray
    terms_before_pruning: int


def make_vectorizer(settings, vocabulary: dict | None = None):
    """The TF-IDF vectorizer of the settings (word 1..ngram_max grams, sublinear tf, float32)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    s = settings
    return TfidfVectorizer(sublinear_tf=True, ngram_range=(1, s.ngram_max), min_df=s.min_df,
                           max_features=s.max_features, token_pattern=TOKEN_PATTERN, dtype=np.float32,
                           vocabulary=vocabulary)


@dataclass
class TermCounts:
    """Term counts of n texts, counted once and shared by the fits of one training run.

    matrix: (n, T) float32 CSR counts; terms: (T,) str, alphabetical (the order TfidfVectorizer gives its
    vocabulary). Terms in fewer than min_df of the n texts are left out: no subset of the texts can keep them.
    """

    matrix: sp.csr_matrix
    terms: np.ndarray


def count_terms(texts: list[str], settings) -> TermCounts:
    """Count the word 1..ngram_max grams of texts (one pass for every fit of a training run).

    The counts are those of scikit-learn's CountVectorizer with the same token pattern (lower-cased texts; an
    n-gram is its words joined by a space; columns in alphabetical order of the terms), but n-grams are counted
    as tuples of word ids: only the terms kept (in >= min_df texts) ever become strings, where CountVectorizer
    builds a string for every n-gram of every text (most of its time). ngram_max 3 uses CountVectorizer.
    """
    s = settings
    if s.ngram_max not in (1, 2):  # 3-grams: scikit-learn's counter (the same counts, more slowly)
        from sklearn.feature_extraction.text import CountVectorizer

        cv = CountVectorizer(ngram_range=(1, s.ngram_max), token_pattern=TOKEN_PATTERN, dtype=np.float32)
        C = cv.fit_transform(texts).tocsr()
        keep = np.flatnonzero(np.bincount(C.indices, minlength=C.shape[1]) >= s.min_df)
        C = C[:, keep].tocsr()
        C.sort_indices()
        return TermCounts(C, np.asarray(cv.get_feature_names_out()[keep], dtype=object))
    token = re.compile(TOKEN_PATTERN)
    words: dict[str, int] = {}
    add = words.setdefault
    keys, counts, lengths = [], [], []
    for text in texts:
        ids = np.fromiter((add(t, len(words)) for t in token.findall(text.lower())), dtype=np.int64)
        k = ids
        if s.ngram_max == 2 and len(ids) > 1:  # a bigram (a, b) is the key (a + 1) * 2^32 + b
            k = np.concatenate([ids, ((ids[:-1] + 1) << 32) + ids[1:]])
        u, c = np.unique(k, return_counts=True)
        keys.append(u)
        counts.append(c)
        lengths.append(len(u))
    allkeys = np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
    data = np.concatenate(counts).astype(np.float32) if counts else np.zeros(0, dtype=np.float32)
    del keys, counts  # memory: the corpus's keys are held once from here
    uniq, df = np.unique(allkeys, return_counts=True)
    kept = uniq[df >= s.min_df]
    del uniq, df
    vocab = np.array(list(words), dtype=object)
    first, second = (kept >> 32) - 1, kept & 0xFFFFFFFF
    terms = np.array([vocab[b] if a < 0 else vocab[a] + " " + vocab[b] for a, b in zip(first.tolist(),
                                                                                          second.tolist())],
                     dtype=object)
    order = np.argsort(terms, kind="stable")  # alphabetical, as scikit-learn orders its vocabulary
    column = np.empty(len(kept), dtype=np.int32)
    column[order] = np.arange(len(kept), dtype=np.int32)
    pos = np.searchsorted(kept, allkeys)
    np.minimum(pos, max(len(kept) - 1, 0), out=pos)
    hit = kept[pos] == allkeys if len(kept) else np.zeros(len(allkeys), dtype=bool)
    del allkeys
    # rows are in text order already: the row pointer is the running count of kept terms per text
    per_row = np.bincount(np.repeat(np.arange(len(texts), dtype=np.int32), lengths)[hit], minlength=len(texts))
    indptr = np.r_[0, np.cumsum(per_row)].astype(np.int64)
    C = sp.csr_matrix((data[hit], column[pos[hit]], indptr), shape=(len(texts), len(kept)))
    del pos, hit, data
    C.sort_indices()
    return TermCounts(C, terms[order])


def tfidf_features(counts: TermCounts, rows, settings) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """TF-IDF of the texts `rows` of counts, as TfidfVectorizer(min_df, max_features, sublinear_tf) fitted on
    those texts alone would give: (X (len(rows), V) float32 CSR, terms (V,), idf (V,) float32).

    The vocabulary is chosen the way scikit-learn chooses it (terms in >= min_df of these texts, then the
    max_features most frequent), on the same alphabetical order of terms."""
    from sklearn.feature_extraction.text import TfidfTransformer

    s = settings
    C = counts.matrix[rows] if rows is not None else counts.matrix
    df = np.bincount(C.indices, minlength=C.shape[1])
    mask = df >= s.min_df
    if s.max_features is not None and mask.sum() > s.max_features:
        tfs = np.asarray(C.sum(axis=0)).ravel()
        top = (-tfs[mask]).argsort()[: s.max_features]
        new = np.zeros(len(df), dtype=bool)
        new[np.flatnonzero(mask)[top]] = True
        mask = new
    kept = np.flatnonzero(mask)
    if not len(kept):
        raise TrainingError("After pruning, no terms remain. Try a lower min_df.")
    C = C[:, kept]
    tf = TfidfTransformer(sublinear_tf=True)
    X = tf.fit_transform(C)
    return sp.csr_matrix(X, dtype=np.float32), counts.terms[kept], tf.idf_.astype(np.float32)


def nb_scale(present: sp.csr_matrix, df: np.ndarray, y: np.ndarray, power: float,
             alpha: float = 1.0) -> np.ndarray | None:
    """(V,) feature scale |r|^power for one tag, or None when power is 0.

    present: (n, V) 0/1 term presence; df: (V,) its column sums; y: (n,) 0/1 tag. r is the log ratio of
    the term's smoothed share among texts with the tag to its share among texts without it.
    """
    if not power:
        return None
    # the texts with the tag, counted per term (exactly present.T @ y, at the cost of those texts only)
    pos = np.bincount(present[np.flatnonzero(y)].indices, minlength=present.shape[1]).astype(np.float64)
    p = alpha + pos
    q = alpha + df - pos
    r = np.log(p / p.sum()) - np.log(q / q.sum())
    return (np.abs(r) ** power).astype(np.float32)


def fit_linear(texts: list[str] | None, Y: np.ndarray, settings, n_jobs: int = 2, progress=None,
               on_tag=None, counts: TermCounts | None = None, rows=None) -> LinearFit:
    """Fit the TF-IDF features and one (naive-Bayes-scaled) LinearSVC per column of Y.

    texts: n prepared texts (boilerplate already stripped); or counts (and rows: which of its texts, in the
    order of Y's rows) counted once for several fits. Y: (n, L) 0/1 labels. A tag carried by every text or by
    none gets a constant margin (+1 / -1) and no weights. progress(message) hears of the phases; on_tag(), when
    given, is called once per tag fitted (for a progress bar).
    """
    from joblib import Parallel, delayed

    s = settings
    if counts is None:
        counts = count_terms(texts, s)
        rows = None
    X, terms, idf = tfidf_features(counts, rows, s)
    # float64 once: liblinear works in float64, and LinearSVC would otherwise convert a float32 X
    # again for every tag
    X = X.astype(np.float64)
    X.sort_indices()
    if progress:
        progress(f"vectorized {X.shape[0]} texts, {X.shape[1]} terms")
    present = df = None
    if s.nb_scaling:  # naive Bayes counts are document counts: in how many texts a term occurs
        # ones over X's own index arrays: no copy of the structure
        present = sp.csr_matrix((np.ones(X.nnz, dtype=np.float32), X.indices, X.indptr), shape=X.shape, copy=False)
        df = np.bincount(X.indices, minlength=X.shape[1]).astype(np.float64)
    fit_one = _TagFit(X, Y, present, df, s)

    results = []
    for r in Parallel(n_jobs=n_jobs, return_as="generator")(delayed(fit_one)(j) for j in range(Y.shape[1])):
        results.append(r)  # in tag order, as they complete
        if on_tag is not None:
            on_tag()
    tags = np.concatenate([np.full(len(keep), j) for j, (keep, _, _) in enumerate(results)])
    cols = np.concatenate([keep for keep, _, _ in results])
    vals = np.concatenate([w for _, w, _ in results])
    used = np.unique(cols)  # drop terms no tag uses
    remap = -np.ones(X.shape[1], dtype=np.int64)
    remap[used] = np.arange(len(used))
    weights = sp.csr_matrix((vals, (tags, remap[cols])), shape=(Y.shape[1], len(used)), dtype=np.float32)
    return LinearFit([str(t) for t in terms[used]], idf[used], weights,
                     np.array([b for _, _, b in results], dtype=np.float32), int(X.shape[1]))


class _TagFit:
    """fit_one(j) -> (kept term indices, their weights (float32), intercept) of tag j's SVM: the keep_weights
    largest weights only (pruned where fitted: 261 dense weight vectors would hold 300 MB). Picklable for
    joblib's processes; each process (or thread) scales X into a buffer of its own, reused from tag to tag: a
    fresh copy of X per tag cost a quarter of a fit."""

    def __init__(self, X, Y, present, df, settings):
        self.X, self.Y, self.present, self.df, self.s = X, Y, present, df, settings

    def __call__(self, j):
        from sklearn.svm import LinearSVC

        X, y, s = self.X, self.Y[:, j], self.s
        if y.min() == y.max():
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), 1.0 if y[0] else -1.0
        scale = nb_scale(self.present, self.df, y, s.nb_scaling)
        Xj = X
        if scale is not None:
            data, gathered = _buffers(X.nnz)
            np.take(scale, X.indices, out=gathered)
            np.multiply(X.data, gathered, out=data)
            Xj = sp.csr_matrix((data, X.indices, X.indptr), shape=X.shape, copy=False)
        clf = LinearSVC(C=s.C, class_weight=s.class_weight, random_state=0)
        clf.fit(Xj, y)
        w = (clf.coef_[0] if scale is None else clf.coef_[0] * scale).astype(np.float32)
        keep = np.argsort(-np.abs(w))[: s.keep_weights]
        keep = keep[w[keep] != 0]
        return keep, w[keep], float(clf.intercept_[0])


_LOCAL = threading.local()


def _buffers(nnz: int) -> tuple[np.ndarray, np.ndarray]:
    b = getattr(_LOCAL, "buffers", None)
    if b is None or len(b[0]) != nnz:
        b = _LOCAL.buffers = (np.empty(nnz, dtype=np.float64), np.empty(nnz, dtype=np.float32))
    return b

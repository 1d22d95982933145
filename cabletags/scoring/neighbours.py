"""The nearest tagged cables: a similarity-weighted vote of the training cables most like a text.

A second scorer beside the linear model (issue 28). The linear model learns one weight per term and tag; the vote
looks at whole cables, so it sees combinations of words the linear model adds up one by one (a cable about a
visa fraud ring in one post reads like the post's other fraud cables). On the held-out split it scores F1@5 0.67
alone and adds about 0.6 points of F1@5 and NDCG@5 to the model (docs/research.md, issue 28).

Each training cable is kept as its ``keep`` heaviest single-word TF-IDF terms (the model's own TF-IDF, bigrams
left out, and words of fewer than MIN_DF indexed cables), quantised to LEVELS steps and made unit length again:
17,730 cables fit in 1.6 MB. A text's vote for tag j is sum_k s_k^p y_kj / sum_k s_k^p over its ``k`` most similar
cables (cosine s_k). The index stores word numbers, weights and tag numbers, never text.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .csr import canonical_csr
from .kernels import kernel_threads

__all__ = ["NeighbourIndex", "DEFAULT_K", "DEFAULT_POWER", "DEFAULT_KEEP", "LEVELS", "MIN_DF"]

# measured on the held-out split (docs/research.md): 40 terms a cable, 20 neighbours, similarities to the 5th power;
# 15 levels a weight rank as 255 do (F1@5 within 0.02 points) and compress to half
DEFAULT_KEEP = 40
LEVELS = 15
# a word enters the index only when it occurs in at least this many of the indexed cables: the privacy floor of
# the vocabulary is 5, and the rarer words of a cable are the likeliest to be a private person's name; 20 ranks
# the held-out cables as 5 does (F1@5 within 0.02 points, docs/research.md)
MIN_DF = 20
DEFAULT_K = 20
DEFAULT_POWER = 5.0
# query rows scored at once (only each row's k largest similarities are kept)
_CHUNK = 1024


def _unit_rows(X: sp.csr_matrix) -> sp.csr_matrix:
    """X's rows scaled to unit length, float32. The norms are those of scipy's X.multiply(X).sum(axis=1) (each row's
    float32 squares summed by np.add.reduceat), worked out here on the arrays when X is canonical float32 and no
    square is 0 (scipy's product would drop it, and the sums' grouping with it): a third of the time."""
    X = sp.csr_matrix(X)
    sq = X.data * X.data
    if X.dtype == np.float32 and X.has_canonical_format and not (sq == 0).any():
        sums = np.zeros(X.shape[0], dtype=np.float32)
        rows = np.flatnonzero(np.diff(X.indptr))
        if len(rows):
            sums[rows] = np.add.reduceat(sq, X.indptr[rows])
        norms = np.sqrt(sums.astype(np.float64))
    else:
        norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1), dtype=np.float64).ravel())
    norms[norms == 0] = 1.0
    data = (X.data / np.repeat(norms, np.diff(X.indptr))).astype(np.float32)
    return canonical_csr(data, X.indices.copy(), X.indptr, X.shape) if X.has_canonical_format else \
        sp.csr_matrix((data, X.indices.copy(), X.indptr.copy()), shape=X.shape)


class NeighbourIndex:
    """Training cables as short term vectors, and their tags.

    columns: (U,) int32, the model's vocabulary columns the index uses; indptr (n+1,), indices (nnz,) uint16 into
    columns, values (nnz,) uint8 (each row's weights in LEVELS steps of its largest); tags_indptr (n+1,), tags (k,)
    int16 label numbers. k and power: the vote's neighbours and exponent.
    """

    def __init__(self, columns, indptr, indices, values, tags_indptr, tags, n_labels: int,
                 k: int = DEFAULT_K, power: float = DEFAULT_POWER):
        self.columns = np.asarray(columns, dtype=np.int32)
        self.indptr = np.asarray(indptr, dtype=np.int64)
        self.indices = np.asarray(indices, dtype=np.uint16)
        self.values = np.asarray(values, dtype=np.uint8)
        self.tags_indptr = np.asarray(tags_indptr, dtype=np.int64)
        self.tags = np.asarray(tags, dtype=np.int32)
        self.n_labels, self.k, self.power = int(n_labels), int(k), float(power)
        n = len(self.indptr) - 1

        def pointers_ok(ptr, size):
            return n >= 0 and ptr[0] == 0 and ptr[-1] == size and bool(np.all(np.diff(ptr) >= 0))

        if not pointers_ok(self.indptr, len(self.indices)) or len(self.indices) != len(self.values) \
                or len(self.tags_indptr) != n + 1 or not pointers_ok(self.tags_indptr, len(self.tags)) \
                or (len(self.indices) and int(self.indices.max()) >= len(self.columns)) \
                or (len(self.tags) and (self.tags.min() < 0 or self.tags.max() >= self.n_labels)) \
                or not (1 <= self.k <= 1000) or not (0 < self.power <= 20):
            raise ValueError("neighbour index arrays disagree")
        self._matrix = self._labels = self._column_of = None
        self._columns_rise = False

    # as a scorer (cabletags.scoring.scorers): one matrix; no evidence of the text's own (every text has neighbours)
    names = ("nearest",)
    evidence = False
    # ids -> training rows (or None) of the texts that are indexed cables; the model sets it (its reference index
    # holds the same cables in the same order)
    rows_of = None

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def score(self, texts, X, ids=None) -> tuple[np.ndarray]:
        """The scorer interface: the vote of features(X), each text that is an indexed cable (by its id) left out
        of its own neighbours."""
        exclude = [self.rows_of(i) for i in ids] if ids is not None and self.rows_of is not None else None
        return (self.features(X, exclude),)

    def tags_of(self, row: int) -> np.ndarray:
        """Label indices of training cable `row`."""
        return self.tags[self.tags_indptr[row]:self.tags_indptr[row + 1]]

    @classmethod
    def build(cls, X: sp.csr_matrix, Y: np.ndarray, vocabulary: list[str], keep: int = DEFAULT_KEEP,
              k: int = DEFAULT_K, power: float = DEFAULT_POWER, min_df: int = MIN_DF) -> "NeighbourIndex":
        """The index of n training cables: X (n, V) their TF-IDF rows over `vocabulary`, Y (n, L) their 0/1 tags.
        Only single words of at least `min_df` of the n cables (of n / 500 when that is fewer) are kept (bigrams add
        size, not quality: docs/research.md), at most `keep` a cable."""
        X = sp.csr_matrix(X)
        df = np.bincount(X.indices, minlength=X.shape[1])
        # a small corpus (under 500 x min_df cables) keeps its words: the vocabulary's own floor still holds
        min_df = min(min_df, max(1, X.shape[0] // 500))
        words = np.flatnonzero(np.array([" " not in t for t in vocabulary], dtype=bool) & (df >= min_df))
        X = _unit_rows(X[:, words])
        rows_idx, rows_val = [], []
        for i in range(X.shape[0]):
            a, b = X.indptr[i], X.indptr[i + 1]
            cols, vals = X.indices[a:b], X.data[a:b]
            if len(vals) > keep:
                top = np.argpartition(-vals, keep - 1)[:keep]
                cols, vals = cols[top], vals[top]
            if len(vals):  # the row's largest is LEVELS, none below 1
                vals = np.maximum(np.rint(vals / vals.max() * LEVELS), 1)
            order = np.argsort(cols)
            rows_idx.append(cols[order])
            rows_val.append(vals[order])
        used = np.unique(np.concatenate(rows_idx)) if rows_idx else np.zeros(0, dtype=np.int64)
        if len(used) > 65536:
            raise ValueError(f"{len(used)} index terms: at most 65,536 fit the index's 16-bit term numbers")
        remap = np.full(X.shape[1], -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        Y = np.asarray(Y)
        tags = [np.flatnonzero(row) for row in Y]
        return cls(words[used], np.cumsum([0] + [len(r) for r in rows_idx]),
                   remap[np.concatenate(rows_idx)] if rows_idx else np.zeros(0),
                   np.concatenate(rows_val) if rows_val else np.zeros(0),
                   np.cumsum([0] + [len(t) for t in tags]), np.concatenate(tags) if tags else np.zeros(0),
                   Y.shape[1], k, power)

    @property
    def matrix(self) -> sp.csr_matrix:
        """(U, n) the cables' unit vectors, transposed for the products with queries (built on first use)."""
        if self._matrix is None:
            M = sp.csr_matrix((self.values.astype(np.float32), self.indices.astype(np.int32), self.indptr),
                              shape=(len(self), len(self.columns)))
            self._matrix = _unit_rows(M).T.tocsr()
            self._labels = sp.csr_matrix((np.ones(len(self.tags), dtype=np.float32), self.tags, self.tags_indptr),
                                         shape=(len(self), self.n_labels))
        return self._matrix

    def features(self, X: sp.csr_matrix, exclude=None) -> np.ndarray:
        """(m, L) float32 votes for m texts given as their TF-IDF rows X (m, V) over the model's vocabulary; each row
        sums to 1 over the tags' shares (0 for a text with no word in the index). exclude: one training row (or
        None) per text, left out of its neighbours (a training cable must not find itself)."""
        out = np.zeros((X.shape[0], self.n_labels), dtype=np.float32)
        for a, top, w in self._nearest(X, exclude):
            W = sp.csr_matrix((w.ravel(), top.ravel(), np.arange(0, w.size + 1, top.shape[1])),
                              shape=(len(top), len(self)))
            out[a:a + len(top)] = (W @ self._labels).toarray()
        return out

    def nearest(self, X: sp.csr_matrix, exclude=None) -> list[list[tuple[int, float]]]:
        """For each of m texts (TF-IDF rows X, m x V): its neighbours as (training row, share of the vote), the
        largest share first; rows with no share are left out."""
        out = []
        for _, top, w in self._nearest(X, exclude):
            for rows, shares in zip(top, w):
                order = np.argsort(-shares, kind="stable")
                out.append([(int(rows[i]), float(shares[i])) for i in order if shares[i] > 0])
        return out

    def _nearest(self, X, exclude):
        """(first row, (c, k) training rows, (c, k) their shares of the vote) for each chunk of c query rows; a text
        with fewer than k similar cables has the rest of its k filled with row 0 at share 0.

        sparse_dot_topn multiplies the query rows by the index keeping only each row's largest products, on the
        kernel threads (cabletags.scoring.kernels): a text shares a word with about a third of the cables, and the
        whole product (scipy's) then sorting out its k largest took three times as long. Its products are scipy's to
        the bit; only the choice among cables tied at the k-th similarity (duplicates) may differ."""
        from sparse_dot_topn import sp_matmul_topn

        T = self.matrix
        Q = self._query_rows(X)
        k = min(self.k, len(self))
        if not k:
            return
        threads = kernel_threads()
        for a in range(0, Q.shape[0], _CHUNK):
            q = Q[a:a + _CHUNK]
            # one more when a text's own cable may be among them, to leave it out
            C = sp_matmul_topn(q, T, top_n=k + (exclude is not None), sort=True,
                               n_threads=threads if threads > 1 else None)
            yield (a, *self._shares(C, k, None if exclude is None else exclude[a:a + q.shape[0]]))

    def _shares(self, C: sp.csr_matrix, k: int, exclude):
        """((c, k) rows, (c, k) shares) from the c rows of C, each holding its largest similarities in falling order:
        the first k of each row (without its excluded training row), weighted by similarity to the power."""
        n = C.shape[0]
        counts = np.diff(C.indptr)
        rows = np.repeat(np.arange(n), counts)
        keep = np.ones(len(C.indices), dtype=bool)
        if exclude is not None:
            own = np.array([-1 if e is None else int(e) for e in exclude], dtype=np.int64)
            keep = C.indices != own[rows]
        rank = np.cumsum(keep) - 1  # each kept entry's place in its row: its place overall less the row's start
        starts = np.concatenate([[0], np.cumsum(np.bincount(rows[keep], minlength=n))[:-1]])
        rank = rank - starts[rows]
        keep &= rank < k
        top = np.zeros((n, k), dtype=np.int64)
        sims = np.zeros((n, k), dtype=np.float32)
        top[rows[keep], rank[keep]] = C.indices[keep]
        sims[rows[keep], rank[keep]] = C.data[keep]
        w = sims ** np.float32(self.power)
        total = w.sum(axis=1, keepdims=True)
        return top, np.divide(w, total, out=np.zeros_like(w), where=total > 0)

    def _query_rows(self, X) -> sp.csr_matrix:
        """(m, U) unit rows of the texts over the index's words, from their (m, V) TF-IDF rows (a lookup of each
        stored term: a column selection of the whole vocabulary cost more than the vote)."""
        X = sp.csr_matrix(X)
        if self._column_of is None or len(self._column_of) != X.shape[1]:
            # int32: half the memory the lookups of every entry of a batch go through
            self._column_of = np.full(X.shape[1], -1, dtype=np.int32)
            self._column_of[self.columns] = np.arange(len(self.columns), dtype=np.int32)
            self._columns_rise = bool(np.all(np.diff(self.columns) > 0))  # as build() makes them
        cols = np.take(self._column_of, X.indices)  # (faster than indexing by int32 indices)
        inside = cols >= 0
        kept = np.zeros(len(inside) + 1, dtype=np.int64)  # entries kept before each place: the rows' new bounds
        np.cumsum(inside, out=kept[1:])
        indptr = kept[X.indptr]
        at = np.flatnonzero(inside)  # (found once for both selections)
        arrays = (X.data[at].astype(np.float32, copy=False), cols[at], indptr)
        shape = (X.shape[0], len(self.columns))
        # canonical rows of X over columns that rise as the vocabulary's do give canonical rows of Q
        Q = canonical_csr(*arrays, shape) if self._columns_rise and X.has_canonical_format else \
            sp.csr_matrix(arrays, shape=shape)
        return _unit_rows(Q)

    # --- persistence: plain arrays, no pickle ---------------------------------------------------------
    def to_arrays(self) -> dict:
        return {"nn_columns": self.columns.astype(np.int32), "nn_indptr": self.indptr.astype(np.int32),
                "nn_indices": self.indices.astype(np.uint16), "nn_values": self.values.astype(np.uint8),
                "nn_tags_indptr": self.tags_indptr.astype(np.int32), "nn_tags": self.tags.astype(np.int16)}

    @classmethod
    def from_arrays(cls, a: dict, n_labels: int, n_terms: int, k: int, power: float) -> "NeighbourIndex":
        """The index from to_arrays()'s arrays; ValueError when they disagree with each other or with the model's
        n_terms vocabulary."""
        cols = a["nn_columns"]
        if len(cols) and (cols.min() < 0 or cols.max() >= n_terms):
            raise ValueError("neighbour index columns outside the vocabulary")
        return cls(cols, a["nn_indptr"], a["nn_indices"], a["nn_values"], a["nn_tags_indptr"], a["nn_tags"],
                   n_labels, k, power)

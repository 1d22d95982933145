"""TF-IDF features at prediction time, without scikit-learn.

The model's vocabulary and idf were fitted by scikit-learn's TfidfVectorizer (cabletags.scoring.fitting); scoring
a text needs only the same transform over that fixed vocabulary: lower-case, tokens of TOKEN_PATTERN, word
1..ngram_max grams, counts, 1 + log(count), times idf, rows scaled to unit length. Done here in the same
float32 steps, for a whole batch at once (one sort of (row, term) keys instead of a dict per text), it
gives the same matrix as TfidfVectorizer.transform at about twice its speed, and `suggest` never imports
scikit-learn. tests/test_speed_paths.py checks the two agree.
"""
from __future__ import annotations

import re
from itertools import repeat

import numpy as np
import scipy.sparse as sp

# a whole-cable model's header terms (ModelSettings.header_weight > 0): the header's words written with
# HEADER_PREFIX (cabletags.reading.parser.cable_reading) form a block of features of their own, normalized apart
from ..cableformat import HEADER_PREFIX, TOKEN_PATTERN

__all__ = ["TfidfTransform", "HEADER_PREFIX", "header_block", "block_normalize"]


def header_block(vocabulary) -> np.ndarray:
    """(V,) bool: the terms of the header block (those that start with HEADER_PREFIX)."""
    return np.fromiter((t.startswith(HEADER_PREFIX) for t in vocabulary), dtype=bool, count=len(vocabulary))


def block_normalize(X: sp.csr_matrix, block: np.ndarray, weight: float) -> sp.csr_matrix:
    """Rows of X (unnormalized tf-idf) scaled to unit length within each of two blocks of columns (block False /
    True), the True block then multiplied by `weight`: a short header keeps its own weight beside a long body,
    as if a model of the header alone were added to one of the whole cable. float32 squares, float64 sums."""
    X = sp.csr_matrix(X, dtype=np.float32)
    rows = np.repeat(np.arange(X.shape[0], dtype=np.int64), np.diff(X.indptr))
    key = rows * 2 + block[X.indices]
    sq = (X.data * X.data).astype(np.float64)
    norms = np.sqrt(np.bincount(key, weights=sq, minlength=2 * X.shape[0]))
    data = (X.data / norms[key]).astype(np.float32) if X.nnz else X.data
    data[block[X.indices]] *= np.float32(weight)
    return sp.csr_matrix((data, X.indices, X.indptr), shape=X.shape)


class TfidfTransform:
    """transform(texts) -> (n, V) float32 CSR TF-IDF rows for a fixed vocabulary of V terms.

    vocabulary: V terms (unigrams and space-joined n-grams), idf: (V,) float32, ngram_max: n.
    """

    def __init__(self, vocabulary: list[str], idf: np.ndarray, ngram_max: int, header_weight: float = 0.0):
        self.index = {t: i for i, t in enumerate(vocabulary)}
        # header_weight > 0: the header terms are normalized as a block of their own (block_normalize)
        self.header_weight = float(header_weight)
        self.block = header_block(vocabulary) if self.header_weight else None
        self.idf = np.asarray(idf, dtype=np.float32)
        self.ngram_max = int(ngram_max)
        self.n_terms = len(vocabulary)
        self._token = re.compile(TOKEN_PATTERN)

    def _grams(self, text: str) -> list[str]:
        toks = self._token.findall(text.lower())
        grams = list(toks)
        for n in range(2, self.ngram_max + 1):
            grams += map(" ".join, zip(*(toks[k:] for k in range(n))))
        return grams

    def transform(self, texts) -> sp.csr_matrix:
        texts = list(texts)
        get, minus = self.index.get, repeat(-1)
        per_text = []
        for t in texts:  # each text's grams become term ids at once: the strings never pile up for a batch
            grams = self._grams(t)
            ids = np.fromiter(map(get, grams, minus), dtype=np.int64, count=len(grams))
            per_text.append(ids[ids >= 0])
        lengths = np.fromiter(map(len, per_text), dtype=np.int64, count=len(per_text))
        V = max(self.n_terms, 1)
        keys = np.repeat(np.arange(len(texts), dtype=np.int64), lengths) * V
        if len(keys):
            keys += np.concatenate(per_text)
        uniq, counts = np.unique(keys, return_counts=True)  # sorted by row, then term: CSR order
        rows, cols = np.divmod(uniq, V)
        data = counts.astype(np.float32)
        np.log(data, data)
        data += np.float32(1.0)
        data *= self.idf[cols]
        indptr = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=len(texts)), out=indptr[1:])
        if self.block is not None:
            X = sp.csr_matrix((data, cols.astype(np.int32), indptr.astype(np.int32)), shape=(len(texts), self.n_terms))
            return block_normalize(X, self.block, self.header_weight)
        # unit rows, as scikit-learn's normalize: squares in float32, summed in float64
        sq = (data * data).astype(np.float64)
        starts = indptr[:-1]
        nonempty = indptr[1:] > starts
        norms = np.zeros(len(texts), dtype=np.float64)
        if nonempty.any():
            norms[nonempty] = np.sqrt(np.add.reduceat(sq, starts[nonempty]))
        scale = np.repeat(norms, np.diff(indptr))
        data = (data / scale).astype(np.float32) if len(data) else data
        return sp.csr_matrix((data, cols.astype(np.int32), indptr.astype(np.int32)),
                             shape=(len(texts), self.n_terms))

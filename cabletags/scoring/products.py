"""The product of sparse TF-IDF rows with the sparse weights, as a dense array.

scipy's sparse-times-sparse product builds a sparse result through a per-row accumulator (about 30 ns for each
multiply-add, twice over: once to count, once to fill); the margins are dense anyway. Here only the weight rows of
the terms a batch uses are made dense, a block at a time, and multiplied as sparse-times-dense (a contiguous
loop over the labels): 2 to 2.5 times faster for paragraphs and whole bodies alike, with the same numbers (each
output is summed over the same terms in the same order; tests/test_products.py holds them equal to scipy's).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["dense_product", "BLOCK_TERMS"]

# weight rows made dense at a time: 4,096 terms of a 261-tag model hold 4.3 MB (a batch of 256 whole bodies uses some
# 65,000 terms: all of them at once would hold 68 MB and run slower, out of cache)
BLOCK_TERMS = 4096

try:  # Y += A @ B for CSR A and dense B: adds each block into the same sums, in the same order as one product
    from scipy.sparse._sparsetools import csr_matvecs as _accumulate
except ImportError:  # pragma: no cover - a scipy that moved it: blocks summed apart (last-bit differences only)
    _accumulate = None
try:  # rows of a CSR matrix, and a CSR matrix added into a dense array: what W[rows].toarray() runs
    from scipy.sparse._sparsetools import csr_row_index as _row_index, csr_todense as _todense
except ImportError:  # pragma: no cover - a scipy that moved them: W[rows].toarray()
    _row_index = _todense = None


def _used_terms(indices: np.ndarray, V: int) -> tuple[np.ndarray, np.ndarray]:
    """(the distinct terms in `indices`, sorted; each entry's place among them, int32): np.unique's answer. A batch
    that uses many terms marks them in a table of the V terms (a pass over the entries, 5 times faster than the
    argsort behind np.unique's inverse); a paragraph's few are sorted (a table of V would cost more)."""
    if len(indices) * 16 < V:
        used, col = np.unique(indices, return_inverse=True)
        return used, col.astype(np.int32)
    present = np.zeros(V, dtype=bool)
    present[indices] = True
    used = np.flatnonzero(present)
    place = np.empty(V, dtype=np.int32)
    place[used] = np.arange(len(used), dtype=np.int32)
    return used, np.take(place, indices)


def _dense_rows(W: sp.csr_matrix, rows: np.ndarray, buf: np.ndarray) -> np.ndarray:
    """W[rows].toarray() as float32, written into buf[:len(rows)] by scipy's own kernels: no matrix is built and
    checked on the way, and the same memory serves every block (fresh pages cost their first write)."""
    ip, ind = W.indptr, W.indices
    if _row_index is not None and ip.dtype == ind.dtype and W.data.dtype == np.float32:
        r = rows.astype(ip.dtype, copy=False)
        ptr = np.zeros(len(r) + 1, dtype=ip.dtype)
        np.cumsum(ip[r + 1] - ip[r], out=ptr[1:])
        cols, vals = np.empty(int(ptr[-1]), dtype=ind.dtype), np.empty(int(ptr[-1]), dtype=np.float32)
        out = buf[:len(r)]
        out.view(np.uint8).fill(0)  # (all-zero bytes are 0.0: filled as bytes, at memset speed, twice as fast)
        try:
            _row_index(len(r), r, ip, ind, W.data, cols, vals)
            _todense(len(r), W.shape[1], ptr, cols, vals, out)
            return out
        except (TypeError, ValueError):  # a scipy whose kernels take other arguments (refused before any write)
            pass
    return W[rows].toarray().astype(np.float32, copy=False)


def _blocks(indptr: np.ndarray, col: np.ndarray, data: np.ndarray, n_used: int, block: int):
    """(first used term, indptr, indices, data) of the entries of each block of `block` used terms, as CSR arrays of
    one index type (the kernel's). The entries are grouped by block in one stable sort (a radix sort of the block
    numbers): within a block each row's entries keep their order, so its sums keep theirs."""
    n = len(indptr) - 1
    if n_used <= block:
        yield 0, indptr, col.astype(indptr.dtype, copy=False), data
        return
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    which = col // block
    n_blocks = (n_used + block - 1) // block
    order = np.argsort(which.astype(np.uint8 if n_blocks <= 256 else np.int32), kind="stable")
    kind = np.int32 if len(col) < 1 << 31 else np.int64
    # every block's row pointers from one count of (block, row) pairs, not one count a block
    counts = np.bincount(which.astype(np.int64) * n + rows, minlength=n_blocks * n).reshape(n_blocks, n)
    ptrs = np.zeros((n_blocks, n + 1), dtype=kind)
    np.cumsum(counts, axis=1, out=ptrs[:, 1:])
    ends = np.cumsum(ptrs[:, -1], dtype=np.int64)
    lo = 0
    for b, hi in enumerate(ends.tolist()):
        at = order[lo:hi]
        yield b * block, ptrs[b], (col[at] - b * block).astype(kind, copy=False), data[at]
        lo = hi


def dense_product(X: sp.csr_matrix, W: sp.csr_matrix, block: int = BLOCK_TERMS) -> np.ndarray:
    """X @ W as a dense float32 array.

    Parameters
    ----------
    X : csr_matrix of shape (n, V), float32
        TF-IDF rows, indices sorted within each row (as the vectorizer and scipy make them).
    W : csr_matrix of shape (V, L), float32
        Weights by term.
    block : int, default BLOCK_TERMS
        Distinct terms whose weight rows are dense at once.

    Returns
    -------
    ndarray of shape (n, L), float32
    """
    n, L = X.shape[0], W.shape[1]
    out = np.zeros((n, L), dtype=np.float32)
    if not X.nnz or not L:
        return out
    used, col = _used_terms(X.indices, X.shape[1])  # col: each entry's place among the used terms
    data = np.asarray(X.data, dtype=np.float32)
    buf = np.empty((min(block, len(used)), L), dtype=np.float32)  # one block's rows, filled again for each
    for a, indptr, indices, values in _blocks(X.indptr, col, data, len(used), block):
        dense = _dense_rows(W, used[a:a + block], buf)
        if _accumulate is not None:
            try:
                _accumulate(n, dense.shape[0], L, indptr, indices, values, dense.ravel(), out.ravel())
                continue
            except (TypeError, ValueError):  # a scipy whose kernel takes other arguments (refused before any sum)
                pass
        out += sp.csr_matrix((values, indices, indptr), shape=(n, dense.shape[0])) @ dense
    return out

"""CSR matrices built from arrays already in canonical form, without scipy's checks.

scipy's csr_matrix((data, indices, indptr)) checks every index and may copy each array: a pass over all of a batch's
entries, twice per batch of whole cables (its TF-IDF rows, its rows over the vote's words). The arrays made by
cabletags.scoring.vectorizer and cabletags.scoring.neighbours are canonical by construction (each row's columns
sorted, none twice, within the shape), so the matrix is assembled from them as they are.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["canonical_csr"]


def canonical_csr(data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    """The (shape) CSR matrix of data, indices (cast to int32) and indptr (cast to int32), which the caller guarantees
    canonical: indptr from 0 to len(data), never falling; each row's indices rising and in [0, shape[1])."""
    X = sp.csr_matrix(shape, dtype=data.dtype)
    X.data, X.indices, X.indptr = data, indices.astype(np.int32, copy=False), indptr.astype(np.int32)
    X.has_sorted_indices = X.has_canonical_format = True
    return X


def stack_rows(parts: list[sp.csr_matrix]) -> sp.csr_matrix:
    """The canonical CSR matrices of `parts` (one column count) stacked row-wise, still canonical, as one matrix
    (scipy's vstack checks and may recount every entry)."""
    if len(parts) == 1:
        return parts[0]
    offsets = np.cumsum([0] + [p.nnz for p in parts[:-1]])
    indptr = np.concatenate([parts[0].indptr[:1]] + [p.indptr[1:].astype(np.int64) + o for p, o in zip(parts, offsets)])
    return canonical_csr(np.concatenate([p.data for p in parts]), np.concatenate([p.indices for p in parts]), indptr,
                         (sum(p.shape[0] for p in parts), parts[0].shape[1]))

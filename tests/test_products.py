"""dense_product: the margins' product made dense a block of terms at a time equals scipy's sparse product, bit
for bit, whatever the block, with empty rows anywhere (speed is measured in scripts/benchmarks/)."""
import numpy as np
import pytest
import scipy.sparse as sp

from cabletags.scoring import products
from cabletags.scoring.products import dense_product


def random_pair(seed, n=40, V=600, L=17):
    rng = np.random.default_rng(seed)
    X = sp.random(n, V, density=0.05, format="csr", dtype=np.float32, random_state=rng)
    X = sp.csr_matrix(X.multiply((rng.random((n, 1)) > 0.25).astype(np.float32)))  # some empty rows
    X = sp.vstack([sp.csr_matrix((1, V), dtype=np.float32), X, sp.csr_matrix((2, V), dtype=np.float32)]).tocsr()
    X.sort_indices()
    W = sp.random(V, L, density=0.1, format="csr", dtype=np.float32, random_state=rng)
    W.data -= np.float32(0.5)  # signed weights: sums that cancel show any change of order
    return X, W


@pytest.mark.parametrize("block", [2, 7, 100, 10**6])
def test_dense_product_equals_scipys_bit_for_bit(block):
    for seed in range(5):
        X, W = random_pair(seed)
        want = (X @ W).toarray()
        got = dense_product(X, W, block=block)
        assert got.dtype == np.float32 and got.shape == want.shape
        assert np.array_equal(got, want)


def test_dense_product_of_nothing():
    X, W = random_pair(0)
    assert not dense_product(X[:0], W).size
    empty = sp.csr_matrix((3, X.shape[1]), dtype=np.float32)
    assert np.array_equal(dense_product(empty, W), np.zeros((3, W.shape[1]), dtype=np.float32))


@pytest.mark.parametrize("kernel", [None, "changed"])
def test_without_the_accumulating_kernel_blocks_are_summed_apart(monkeypatch, kernel):
    # a scipy that moved its kernel, or changed its arguments, still gives the product, equal up to the order of
    # float32 sums
    def changed(*args):
        raise TypeError("csr_matvecs() takes other arguments")

    monkeypatch.setattr(products, "_accumulate", None if kernel is None else changed)
    X, W = random_pair(3)
    np.testing.assert_allclose(dense_product(X, W, block=50), (X @ W).toarray(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("V", [10, 1000, 10**6])
def test_used_terms_are_np_uniques_whether_marked_in_a_table_or_sorted(V):
    # a batch using many of the V terms marks them in a table, a few are sorted: the same answer either way
    rng = np.random.default_rng(V)
    for size in (0, 1, 50, 5000):
        idx = rng.integers(0, V, size=size)
        used, col = products._used_terms(idx, V)
        want_used, want_col = np.unique(idx, return_inverse=True)
        assert np.array_equal(used, want_used) and np.array_equal(col, want_col) and col.dtype == np.int32


@pytest.mark.parametrize("kernels", ["scipy's", None, "changed"])
def test_dense_rows_equal_the_rows_made_dense_whatever_the_kernels(monkeypatch, kernels):
    # W's rows made dense by scipy's kernels into a reused buffer, or (kernels moved or changed, weights not float32)
    # by W[rows].toarray(): the same numbers, and a buffer used before is written over, not added to
    def changed(*args):
        raise TypeError("csr_row_index() takes other arguments")

    if kernels is None:
        monkeypatch.setattr(products, "_row_index", None)
    elif kernels == "changed":
        monkeypatch.setattr(products, "_row_index", changed)
    _, W = random_pair(4)
    buf = np.full((50, W.shape[1]), 7.0, dtype=np.float32)
    for W_ in (W, W.astype(np.float64)):
        for rows in (np.array([3, 0, 3, 599]), np.arange(50), np.array([], dtype=np.int64)):
            got = products._dense_rows(W_, rows, buf)
            assert got.dtype == np.float32 and np.array_equal(got, W_[rows].toarray().astype(np.float32))

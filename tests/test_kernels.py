"""The kernel threads (cabletags.scoring.kernels): a batch's parts run at once give what one thread gives."""
import threading

import numpy as np
import pytest
import scipy.sparse as sp
from tiny_corpus import make_cables, make_records

from cabletags import Suggester
from cabletags.scoring import kernels, model as model_module, vectorizer
from cabletags.scoring.csr import stack_rows


def test_parts_come_back_in_order_the_last_run_by_the_caller():
    seen = []

    def f(p):
        seen.append((p, threading.current_thread().name))
        return p * 10

    assert kernels.run_parts(f, [1, 2, 3, 4]) == [10, 20, 30, 40]
    names = dict(seen)
    assert names[4] == threading.current_thread().name  # the caller's own part
    assert all(names[p].startswith("cabletags-kernel") for p in (1, 2, 3))
    assert kernels.run_parts(f, []) == [] and kernels.run_parts(f, [5]) == [50]


def test_a_part_that_fails_is_raised_once_every_part_has_ended():
    ended = []

    def f(p):
        if p == "bad":
            raise ValueError("a bad part")
        threading.Event().wait(0.05 if p == "slow" else 0)
        ended.append(p)
        return p

    with pytest.raises(ValueError, match="a bad part"):
        kernels.run_parts(f, ["slow", "bad", "ok"])
    assert sorted(ended) == ["ok", "slow"]  # the slow part had ended when the error came
    with pytest.raises(ValueError, match="a bad part"):
        kernels.run_parts(f, ["slow", "bad"])  # the caller's own part fails
    assert ended.count("slow") == 2


def test_a_forked_child_gets_a_pool_of_its_own(monkeypatch):
    pool = kernels._executor()
    assert kernels._executor() is pool
    monkeypatch.setattr(kernels._executor, "_pid", -1)  # as a child sees its parent's pool: its threads are not there
    assert kernels._executor() is not pool
    assert kernels.run_parts(lambda p: p + 1, [1, 2]) == [2, 3]


def test_kernel_threads_by_default_are_the_cores_this_process_may_use_at_most_four_and_omp_num_threads(monkeypatch):
    monkeypatch.delenv("CABLETAGS_KERNEL_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    for cores, want in [(1, 1), (2, 2), (3, 3), (16, 4)]:
        monkeypatch.setattr(kernels, "_cores", lambda c=cores: c)
        assert kernels.kernel_threads() == want
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # a process among several on the machine (a Dask worker's)
    assert kernels.kernel_threads() == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert kernels.kernel_threads() == 3
    monkeypatch.setenv("OMP_NUM_THREADS", "lots")  # not a number: no cap of its own
    assert kernels.kernel_threads() == 4
    monkeypatch.setenv("CABLETAGS_KERNEL_THREADS", "7")
    assert kernels.kernel_threads() == 7
    monkeypatch.setenv("CABLETAGS_KERNEL_THREADS", "9")  # past the most: the default
    assert kernels.kernel_threads() == 4


def test_rows_stacked_are_scipys_vstack_and_stay_canonical():
    rng = np.random.default_rng(3)
    parts = [sp.csr_matrix((rng.random((n, 30)) < 0.2) * rng.random((n, 30)), dtype=np.float32) for n in (4, 0, 7, 1)]
    got = stack_rows(parts)
    want = sp.vstack(parts, format="csr")
    assert got.shape == (12, 30) and got.has_canonical_format
    assert np.array_equal(got.indptr, want.indptr) and np.array_equal(got.indices, want.indices)
    assert np.array_equal(got.data, want.data)
    assert stack_rows(parts[:1]) is parts[0]


@pytest.mark.parametrize("threads", [2, 3])
def test_a_batch_in_parts_scores_as_in_one(tiny_cable, monkeypatch, threads):
    # the TF-IDF rows and linear margins of a batch cut into parts on the kernel threads: the same numbers, bit for
    # bit, and the same suggestions, as the batch on one thread
    s = Suggester.load(tiny_cable / "model", cable_path=tiny_cable / "cable_model")
    texts = [s.cable_text(r["preamble"] + "\n" + r["body"])[1] for r in make_cables(n=60, seed=11)]
    texts += ["", "x", "military troops exercises " * 50]
    texts += [r["body"] for r in make_records(n=20, seed=12)]
    m = s.cable_model
    monkeypatch.setattr(vectorizer, "TABLES_AFTER", 0)
    m._vectorizer = None
    one = m._terms_and_margins(texts)  # (builds the tables: on one thread)
    one_p = s.predict(texts, cable=True)
    assert m.vectorizer.settled
    monkeypatch.setattr(model_module, "SPLIT_CHARS", 0)
    monkeypatch.setattr(model_module, "SPLIT_ROWS", 5)
    monkeypatch.setenv("CABLETAGS_KERNEL_THREADS", str(threads))
    cut = []
    real = kernels.run_parts
    monkeypatch.setattr(model_module, "run_parts", lambda f, parts: cut.append(len(parts)) or real(f, parts))
    X, linear = m._terms_and_margins(texts)
    assert cut == [threads]
    assert X.shape == one[0].shape and X.has_canonical_format
    assert np.array_equal(X.indptr, one[0].indptr) and np.array_equal(X.indices, one[0].indices)
    assert np.array_equal(X.data, one[0].data) and np.array_equal(linear, one[1])
    P, S = s.predict(texts, cable=True)
    assert np.array_equal(P, one_p[0]) and np.array_equal(S, one_p[1])


def test_a_vectorizer_is_settled_only_once_its_tables_are_built(tiny, monkeypatch):
    m = Suggester.load(tiny / "model").model
    m._vectorizer = None
    monkeypatch.setattr(vectorizer, "TABLES_AFTER", 10**9)
    monkeypatch.setattr(vectorizer, "CACHE_AFTER", 10**9)
    m.transform(["military troops"])
    assert not m.vectorizer.settled  # looked up by string, the tables not yet worth building
    monkeypatch.setattr(vectorizer, "TABLES_AFTER", 0)
    m.transform(["military troops"])
    assert m.vectorizer.settled


def test_one_malloc_arena_is_set_where_glibc_is_and_refused_quietly_elsewhere(monkeypatch):
    import ctypes
    import platform

    got = kernels.one_malloc_arena()
    assert isinstance(got, bool)
    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        assert got

    def no_libc(*a, **k):
        raise OSError("no C library here")

    monkeypatch.setattr(ctypes, "CDLL", no_libc)
    assert kernels.one_malloc_arena() is False


def test_the_command_line_shares_one_malloc_arena_only_for_the_commands_that_score(tiny, monkeypatch):
    from conftest import run_cli

    calls = []
    monkeypatch.setattr(kernels, "one_malloc_arena", lambda: calls.append(1) or True)
    assert run_cli("decode", "PHUM").returncode == 0
    assert calls == []  # a light command leaves malloc alone
    p = run_cli("suggest", "-", "--model", str(tiny / "model"), "--format", "jsonl", input="inflation budget banks")
    assert p.returncode == 0 and calls == [1]


def test_suggest_jobs_workers_share_the_kernel_threads_unless_the_user_set_them(monkeypatch):
    import signal

    from cabletags import workspace
    from cabletags.cli import model as cli_model

    class Session:
        def __init__(self, *a, **k):
            pass

        def suggester(self, **k):
            return None

    monkeypatch.setattr(signal, "signal", lambda *a: None)  # (the worker's own handlers: not in the test's process)
    monkeypatch.setattr(workspace, "Workspace", Session)
    monkeypatch.setattr(workspace, "use_workspace", lambda w: w)
    arenas = []
    monkeypatch.setattr(kernels, "one_malloc_arena", lambda: arenas.append(1) or True)
    monkeypatch.delenv("CABLETAGS_KERNEL_THREADS", raising=False)
    cli_model._worker_init((None, None, False), None, None, 1)
    assert kernels.kernel_threads() == 1 and arenas == [1]
    monkeypatch.setenv("CABLETAGS_KERNEL_THREADS", "3")  # the user's own number stands
    cli_model._worker_init((None, None, False), None, None, 1)
    assert kernels.kernel_threads() == 3

"""How many threads compiled kernels may use, and the pool that runs a batch's parts on them.

Two kinds of work run on more than the caller's thread: the nearest-cables vote's top-k products (sparse_dot_topn,
on its own threads; cabletags.scoring.neighbours), and a large batch's TF-IDF rows and linear margins, cut into parts
that run at once (cabletags.scoring.model): both are numpy and scipy kernels that let the interpreter lock go, and the
Python between them is short, so two parts share the lock well. Work that is mostly Python stays on the caller's
thread: a reader thread beside the scoring thread, tried earlier, was slower (each waited on the other for the
interpreter lock). The results are those of one thread: every row is computed on its own.
CABLETAGS_KERNEL_THREADS (1 to 8) sets the number; 1 runs everything on the caller's thread alone.
"""
from __future__ import annotations

import os
import threading

__all__ = ["kernel_threads", "run_parts", "MAX_THREADS", "one_malloc_arena"]

# the default's ceiling: more threads than this gained nothing on the batch sizes the commands use
DEFAULT_MAX = 4
MAX_THREADS = 8


def _cores() -> int:
    """The cores this process may run on (its affinity, where the system tells it: a container's share)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # (not on every system)
        return os.cpu_count() or 1


def kernel_threads() -> int:
    """Threads for kernels: $CABLETAGS_KERNEL_THREADS when set (1 to 8), else the cores this process may use, at
    most DEFAULT_MAX and at most $OMP_NUM_THREADS when that is set (the usual way to say how many threads each of
    several processes on one machine may have: Dask's worker processes are started with 1)."""
    env = os.environ.get("CABLETAGS_KERNEL_THREADS", "").strip()
    if env.isdigit() and 1 <= int(env) <= MAX_THREADS:
        return int(env)
    omp = os.environ.get("OMP_NUM_THREADS", "").strip()
    cap = int(omp) if omp.isdigit() and int(omp) >= 1 else DEFAULT_MAX
    return max(1, min(DEFAULT_MAX, cap, _cores()))


class _Pool:
    """The kernel threads' pool, made on first use (and again in a forked child, which inherits no running thread).
    Threads only: no result depends on it (like cabletags.cableformat's compiled tables, it is not session state)."""

    def __init__(self):
        self._executor = None
        self._pid = None
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            if self._executor is None or self._pid != os.getpid():
                from concurrent.futures import ThreadPoolExecutor

                self._executor = ThreadPoolExecutor(MAX_THREADS - 1, thread_name_prefix="cabletags-kernel")
                self._pid = os.getpid()
            return self._executor


_executor = _Pool()


def run_parts(fn, parts: list) -> list:
    """[fn(p) for p in parts], in order: every part but the last on the pool's threads, the last on the caller's. An
    exception in any part is raised here, after every part has ended (none is left running)."""
    if len(parts) <= 1:
        return [fn(p) for p in parts]
    futures = [_executor().submit(fn, p) for p in parts[:-1]]
    try:
        last = fn(parts[-1])
    finally:
        done = [f.exception() for f in futures]  # waits for each
    for f, e in zip(futures, done):
        if e is not None:
            raise e
    return [f.result() for f in futures] + [last]


# glibc's mallopt parameter for the most malloc arenas (malloc.h: M_ARENA_MAX)
_M_ARENA_MAX = -8


def one_malloc_arena() -> bool:
    """Have every thread of this process allocate from glibc's main malloc arena; True when set.

    glibc gives a second thread an arena of its own, which keeps the high-water mark of what the thread allocated
    (numpy's arrays of a batch, once glibc's moving mmap threshold has passed their size): with one kernel thread
    beside the caller, `suggest --jsonl` over the corpus's bodies peaked at 296-304 MB instead of 228-239 (batches
    of 512).
    A process-wide setting, so only a process that is cabletags' own calls it (the command line); elsewhere (glibc
    absent, another C library) nothing changes and False is returned."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(_M_ARENA_MAX, 1))
    except (OSError, AttributeError, TypeError):
        return False

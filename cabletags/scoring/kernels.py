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

__all__ = ["kernel_threads", "run_parts", "MAX_THREADS"]

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
    most DEFAULT_MAX."""
    env = os.environ.get("CABLETAGS_KERNEL_THREADS", "").strip()
    if env.isdigit() and 1 <= int(env) <= MAX_THREADS:
        return int(env)
    return max(1, min(DEFAULT_MAX, _cores()))


_pool = None
_pool_pid = None
_pool_lock = threading.Lock()


def _executor():
    """The pool's threads, made on first use (and again in a forked child, which inherits no running thread)."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            from concurrent.futures import ThreadPoolExecutor

            _pool = ThreadPoolExecutor(MAX_THREADS - 1, thread_name_prefix="cabletags-kernel")
            _pool_pid = os.getpid()
        return _pool


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

"""Compiled kernels on two cores: scipy's sparse products release the interpreter lock, so two of them run at once.

Only work that spends its time inside such a kernel is handed out (the nearest-cables vote's similarity products,
about a fifth of scoring a whole cable); the Python-level work stays on the caller's thread, so the two threads never
wait on each other for the lock (a reader thread beside the scoring thread, tried earlier, was slower for that).
The results are those of the same calls one after another, in order. CABLETAGS_KERNEL_THREADS=1 runs them on the
caller's thread alone; the default is two threads where the machine has two cores or more.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

__all__ = ["kernel_threads", "kernel_map"]


def kernel_threads() -> int:
    """Threads for kernels: $CABLETAGS_KERNEL_THREADS when set (1 to 8), else 2 on a machine of 2+ cores, else 1."""
    env = os.environ.get("CABLETAGS_KERNEL_THREADS", "").strip()
    if env.isdigit() and 1 <= int(env) <= 8:
        return int(env)
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def kernel_map(fn, items) -> list:
    """[fn(x) for x in items], the calls run on up to kernel_threads() threads (fn must spend its time in a kernel
    that releases the interpreter lock, and share nothing it writes)."""
    items = list(items)
    threads = min(kernel_threads(), len(items))
    if threads < 2:
        return [fn(x) for x in items]
    # threads of the call's own (some 0.1 ms to start, for a batch of some 100 ms): no pool outlives it
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="cabletags-kernel") as pool:
        return list(pool.map(fn, items))

"""How many threads compiled kernels may use: the nearest-cables vote's top-k products (sparse_dot_topn, its own
threads; cabletags.scoring.neighbours) run on two where the machine has two cores or more. Only such kernels are
given threads; the Python-level work stays on the caller's thread (a reader thread beside the scoring thread, tried
earlier, was slower: the two waited on each other for the interpreter lock). The results are those of one thread.
CABLETAGS_KERNEL_THREADS (1 to 8) sets the number; 1 runs them on the caller's thread alone.
"""
from __future__ import annotations

import os

__all__ = ["kernel_threads"]


def kernel_threads() -> int:
    """Threads for kernels: $CABLETAGS_KERNEL_THREADS when set (1 to 8), else 2 on a machine of 2+ cores, else 1."""
    env = os.environ.get("CABLETAGS_KERNEL_THREADS", "").strip()
    if env.isdigit() and 1 <= int(env) <= 8:
        return int(env)
    return 2 if (os.cpu_count() or 1) >= 2 else 1

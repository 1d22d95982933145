"""Measuring a command in a new process: seconds, exit code and its own peak memory (for the benchmarks).

Peak memory is read by a small wrapper process that forks and execs the command and reads wait4's
ru_maxrss: that figure counts what a process held before exec too, so the command must not be forked from
a big benchmark process. The wrapper passes SIGTERM and SIGINT on to the command. Timings are taken on the
command started directly (the wrapper's own start-up is not timed).
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time

__all__ = ["wrapped", "measure", "median_run", "peak_from_stderr"]

_WRAP = """import os, signal, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
for sig in (signal.SIGTERM, signal.SIGINT):
    signal.signal(sig, lambda s, f: os.kill(pid, s))
_, status, usage = os.wait4(pid, 0)
os.write(2, b"\\nMAXRSS %d\\n" % usage.ru_maxrss)
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


def wrapped(cmd: list) -> list:
    """`cmd` run under the wrapper that reports its peak memory on stderr."""
    return [sys.executable, "-c", _WRAP, *map(str, cmd)]


def peak_from_stderr(err: bytes) -> tuple[float, str]:
    """(peak MB, the command's own stderr) from the wrapper's stderr."""
    text = err.decode(errors="replace")
    head, _, tail = text.rpartition("\nMAXRSS ")
    return (int(tail.split()[0]) / 1024, head) if tail.strip() else (float("nan"), text)


def measure(cmd: list, stdin=None, after=None, timeout: float = 60):
    """(exit code, seconds, peak MB, stderr text) of `cmd` under the wrapper. stdin: bytes to send, or the
    path of a file to read (None: nothing); after(process), when given, runs while the command works (to
    send it a signal, say)."""
    fin = open(stdin, "rb") if isinstance(stdin, (str, os.PathLike)) else None
    t = time.perf_counter()
    p = subprocess.Popen(wrapped(cmd), stdin=fin or (subprocess.PIPE if stdin is not None else subprocess.DEVNULL),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if fin is not None:
        fin.close()
        stdin = None
    out = {}
    readers = [threading.Thread(target=lambda k=k: out.__setitem__(k, getattr(p, k).read()), daemon=True)
               for k in ("stdout", "stderr")]
    for r in readers:
        r.start()
    if stdin is not None:
        try:
            p.stdin.write(stdin)
            p.stdin.close()
        except BrokenPipeError:
            pass
    if after:
        after(p)
    try:
        code = p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        code = p.wait()
    secs = time.perf_counter() - t
    for r in readers:
        r.join(timeout=10)
    peak, err = peak_from_stderr(out.get("stderr", b""))
    return code, secs, peak, err


def median_run(cmd: list, runs: int, stdin_path=None) -> tuple[float, float]:
    """(median seconds of `runs` direct runs, peak MB of one more run under the wrapper); exits on a
    failure (exit codes 0 and 1 are success: 1 means "something stayed unresolved")."""
    times = []
    for _ in range(runs):
        with open(stdin_path or os.devnull, "rb") as fin:
            t = time.perf_counter()
            p = subprocess.run(list(map(str, cmd)), stdin=fin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            times.append(time.perf_counter() - t)
        if p.returncode not in (0, 1):
            sys.exit(f"error: {' '.join(map(str, cmd))} exited {p.returncode}: {p.stderr.decode()[-300:]}")
    _, _, peak, _ = measure(cmd, stdin=stdin_path, timeout=3600)
    return statistics.median(times), peak

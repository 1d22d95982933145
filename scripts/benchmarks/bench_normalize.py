"""Speed of the light commands, end to end in new processes (start-up included).

* `cabletags normalize --jsonl --field tags` over every corpus TAGS line, two inputs: records of
  {id, tags} only, and the full records (bodies and all, echoed back); median of --runs runs;
* `cabletags decode KTIP PHUM AJ` against a bare `python -c pass` (median of --runs each) and their ratio.

usage: python scripts/benchmarks/bench_normalize.py [--corpus PATH] [--runs 5]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cabletags.corpus import corpus_or_exit, read_corpus  # noqa: E402


def timed(cmd, stdin_path=None, runs=5):
    times = []
    for _ in range(runs):
        with open(stdin_path or os.devnull, "rb") as fin:
            t = time.perf_counter()
            p = subprocess.run(cmd, stdin=fin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            times.append(time.perf_counter() - t)
        if p.returncode not in (0, 1):
            sys.exit(f"error: {' '.join(cmd)} exited {p.returncode}: {p.stderr.decode()[-300:]}")
    return statistics.median(times)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus")
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args(argv)
    corpus = corpus_or_exit(a.corpus)
    exe = shutil.which("cabletags") or sys.exit("error: `cabletags` is not on PATH (pip install -e .)")
    with tempfile.TemporaryDirectory() as tmp:
        small, full = Path(tmp) / "tags.jsonl", Path(tmp) / "full.jsonl"
        n = 0
        with small.open("w") as fs, full.open("w") as ff:
            for rec in read_corpus(corpus):
                fs.write(json.dumps({"id": rec["id"], "tags": rec.get("tags")}) + "\n")
                ff.write(json.dumps(rec) + "\n")
                n += 1
        subprocess.run([exe, "decode", "PHUM"], stdout=subprocess.DEVNULL)  # warm the taxonomy cache
        t_small = timed([exe, "normalize", "--jsonl", "--field", "tags"], small, a.runs)
        t_full = timed([exe, "normalize", "--jsonl", "--field", "tags"], full, max(1, a.runs // 2))
        t_pass = timed([sys.executable, "-c", "pass"], None, a.runs)
        t_decode = timed([exe, "decode", "KTIP", "PHUM", "AJ"], None, a.runs)
    mb = full.stat().st_size / 1e6 if full.exists() else 0
    print(f"normalize --jsonl, {n} records of id+tags : {t_small:.3f} s  ({n / t_small:,.0f} lines/s, start-up included)")
    print(f"normalize --jsonl, {n} full records       : {t_full:.3f} s  ({n / t_full:,.0f} lines/s)")
    print(f"python -c pass                            : {t_pass * 1000:.0f} ms")
    print(f"cabletags decode KTIP PHUM AJ             : {t_decode * 1000:.0f} ms  ({t_decode / t_pass:.1f}x python start-up)")
    print(f"(median of {a.runs} runs; {os.cpu_count()} CPUs; {mb:.0f} MB full input)")


if __name__ == "__main__":
    main()

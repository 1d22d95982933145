"""Speed of suggestion with the shipped model (or --model), printed as figures.

* model load time (in-process, median of --runs);
* single-text latency (ms per paragraph, one call per paragraph);
* batch throughput end to end: `cabletags suggest --jsonl` in a new process over N paragraphs
  (start-up and model load included), median of --runs; and with --jobs 2.
Paragraphs are the first substantive paragraphs (>= 300 characters) of corpus cables.

usage: python scripts/benchmarks/bench_suggest.py [--corpus PATH] [--model DIR] [--n 5000] [--runs 3]
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cabletags.corpus import corpus_or_exit, read_corpus  # noqa: E402
from cabletags.cableformat import split_paragraphs  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus")
    ap.add_argument("--model")
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args(argv)
    paras = []
    for rec in read_corpus(corpus_or_exit(a.corpus)):
        p = [x for x in (q.text for q in split_paragraphs(rec.get("body") or "")) if len(x) >= 300]
        if p:
            paras.append(p[0])
        if len(paras) >= a.n:
            break
    from cabletags.suggester import Suggester

    loads = []
    for _ in range(a.runs):
        t = time.perf_counter()
        s = Suggester.load(a.model)
        loads.append(time.perf_counter() - t)
    s.suggest("warm up")
    t = time.perf_counter()
    for p in paras[:300]:
        s.suggest(p)
    lat = (time.perf_counter() - t) / min(300, len(paras)) * 1000
    exe = shutil.which("cabletags") or sys.exit("error: `cabletags` not on PATH (pip install -e .)")
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "p.jsonl"
        f.write_text("".join(json.dumps({"id": i, "body": p}) + "\n" for i, p in enumerate(paras)))
        extra = ["--model", a.model] if a.model else []
        res = {}
        for jobs in (1, 2):
            times = []
            for _ in range(a.runs):
                t = time.perf_counter()
                p = subprocess.run([exe, "suggest", "--jsonl", str(f), "--jobs", str(jobs), *extra],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                times.append(time.perf_counter() - t)
                if p.returncode:
                    sys.exit(p.stderr.decode()[-300:])
            res[jobs] = statistics.median(times)
    print(f"model load (in process)          : {statistics.median(loads) * 1000:.0f} ms (median of {a.runs})")
    print(f"single-paragraph latency         : {lat:.1f} ms per paragraph (one call each, 300 paragraphs)")
    for jobs, t in res.items():
        print(f"suggest --jsonl --jobs {jobs}, {len(paras)} paragraphs: {t:.2f} s end to end = "
              f"{len(paras) / t:,.0f} paragraphs/s (start-up and model load included)")


if __name__ == "__main__":
    main()

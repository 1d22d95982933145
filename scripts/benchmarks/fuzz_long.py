"""A longer fuzz run: tests/test_fuzz.py's properties with thousands of examples each (the suite runs 60), and the
reader's linear-time check (bench_reader.py) after it. Prints each property's outcome and the time taken.

usage: python scripts/benchmarks/fuzz_long.py [--examples 3000]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=3000)
    a = ap.parse_args(argv)
    env = dict(os.environ, CABLETAGS_FUZZ_EXAMPLES=str(a.examples))
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_fuzz.py"],
                       cwd=ROOT, env=env)
    print(f"fuzz: {a.examples} examples a property, exit {p.returncode}, {time.perf_counter() - t0:.0f} s")
    q = subprocess.run([sys.executable, "scripts/benchmarks/bench_reader.py", "--skip-corpus"], cwd=ROOT)
    sys.exit(p.returncode or q.returncode)


if __name__ == "__main__":
    main()

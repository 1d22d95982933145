"""Pipelines at scale (issue 26): `normalize --csv` over a table of a million rows, and process-level `normalize`
of TAGS lines from stdin to stdout as TSV, each as rows per second, as a ratio to `cat` on the same file in the
same run, and with its peak memory.

The rows are the shared corpus's raw TAGS lines (repeated to the size asked, in corpus order), in a CSV of id,
TAGS and a quoted note with a comma; the line file holds the same TAGS lines one a line (blank ones included).
Floors: >= 50,000 rows/s and < 100 MB peak for a million CSV rows; >= 50,000 lines/s for the lines.

usage: python scripts/benchmarks/bench_table.py [--rows 1000000] [--corpus PATH] [--runs 3]
"""
from __future__ import annotations

import argparse
import csv
import shutil
import sys
import tempfile
from itertools import cycle, islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import median_run  # noqa: E402

from cabletags.scoring.corpus import corpus_or_exit, read_corpus  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--corpus")
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args(argv)
    lines = [" ".join((r.get("tags") or "").split()) for r in read_corpus(corpus_or_exit(a.corpus))]
    exe = shutil.which("cabletags") or sys.exit("error: cabletags is not installed (pip install -e .)")
    with tempfile.TemporaryDirectory() as tmp:
        table, plain = Path(tmp) / "t.csv", Path(tmp) / "t.txt"
        with table.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["id", "TAGS", "note"])
            for i, line in enumerate(islice(cycle(lines), a.rows)):
                w.writerow([i, line, "a note, with a comma"])
        with plain.open("w", encoding="utf-8") as f:
            for line in islice(cycle(lines), a.rows):
                f.write(line + "\n")
        for what, path, cmd in (
                ("normalize --csv", table, [exe, "normalize", "--csv", "-", "--column", "TAGS"]),
                ("normalize lines (stdin -> stdout, tsv)", plain, [exe, "normalize", "--format", "tsv"])):
            secs, peak = median_run(cmd, a.runs, stdin_path=path)
            cat, _ = median_run(["cat"], a.runs, stdin_path=path)
            print(f"{what}: {a.rows:,} rows in {secs:.2f} s = {a.rows / secs:,.0f} rows/s, peak {peak:.0f} MB; "
                  f"cat {cat:.3f} s (ratio {secs / max(cat, 1e-6):.0f}x)")


if __name__ == "__main__":
    main()

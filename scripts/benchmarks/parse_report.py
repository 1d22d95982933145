"""Agreement of `parse_cable` with the corpus: parse preamble + body, compare normalized TAGS.

For each cable, the normalized codes of the TAGS line that parse_cable extracts from
`preamble + "\n" + body` are compared with normalize(record["tags"]).codes (as sets). Cables whose
record has no tags must parse to no TAGS line. Prints the agreement and a few disagreements.

usage: python scripts/benchmarks/parse_report.py [--corpus PATH] [--show N]
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cabletags.corpus import corpus_or_exit, read_corpus  # noqa: E402
from cabletags.normalizer import get_normalizer  # noqa: E402
from cabletags.parser import parse_cable  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus")
    ap.add_argument("--show", type=int, default=10)
    a = ap.parse_args(argv)
    norm = get_normalizer()
    n = agree = 0
    by_source, bad_by_source, shown = Counter(), Counter(), []
    for rec in read_corpus(corpus_or_exit(a.corpus)):
        n += 1
        text = (rec.get("preamble") or "") + "\n" + (rec.get("body") or "")
        p = parse_cable(text)
        want = set(norm.normalize(rec.get("tags") or "").codes)
        got = set(p.tags.codes)
        ok = got == want
        by_source[rec.get("source")] += 1
        agree += ok
        if not ok:
            bad_by_source[rec.get("source")] += 1
            if len(shown) < a.show:
                shown.append((rec["id"], rec.get("tags"), p.tags_raw))
    print(f"{agree}/{n} cables agree ({100 * agree / max(n, 1):.2f}%)")
    for s, k in by_source.most_common():
        print(f"  {s}: {100 * (k - bad_by_source[s]) / k:.2f}% of {k}")
    for cid, want, got in shown:
        print(f"  {cid}: record {want!r}\n  {' ' * len(cid)}  parsed {got!r}")


if __name__ == "__main__":
    main()

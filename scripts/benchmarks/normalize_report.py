"""How the corpus TAGS lines normalize: share of tokens already valid, repaired (by kind), unknown.

A token here is one item of the outcome: a code taken as written, a code produced by a repair, a
junk item removed, a name, or an unknown item kept verbatim.

usage: python scripts/benchmarks/normalize_report.py [--corpus PATH] [--no-typo-aliases]
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cabletags.scoring.corpus import corpus_or_exit, read_corpus  # noqa: E402
from cabletags.vocabulary.normalizer import get_normalizer  # noqa: E402
from cabletags.vocabulary.taxonomy import load_taxonomy  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus")
    ap.add_argument("--no-typo-aliases", action="store_true")
    ap.add_argument("--top", type=int, default=15, help="show the most frequent unknown items")
    a = ap.parse_args(argv)
    path = corpus_or_exit(a.corpus)
    norm = get_normalizer(load_taxonomy(typo_aliases=not a.no_typo_aliases))
    c, unknown, lines, empty = Counter(), Counter(), 0, 0
    for rec in read_corpus(path):
        lines += 1
        if not rec.get("tags"):
            empty += 1
            continue
        r = norm.normalize(rec["tags"])
        produced = Counter()
        for rep in r.repairs:
            if rep.kind == "junk":
                c["junk removed"] += 1
            elif rep.kind == "name":
                c["name"] += 1
            else:
                c[f"repaired: {rep.kind}"] += 1
                produced.update(rep.result)
        for code in r.codes:
            if produced[code]:
                produced[code] -= 1
            else:
                c["valid as written"] += 1
        c["unknown (kept, flagged)"] += len(r.unknown)
        unknown.update(r.unknown)
    total = sum(c.values())
    print(f"{lines} TAGS lines ({empty} empty); {total} items; typo aliases {'off' if a.no_typo_aliases else 'on'}")
    rows = ["valid as written", "repaired: split", "repaired: typo", "repaired: alias", "repaired: case"]
    rows += sorted(k for k in c if k.startswith("repaired: ") and k not in rows)  # phrase, cut ...
    for k in rows + ["name", "junk removed", "unknown (kept, flagged)"]:
        print(f"  {k:26s} {c[k]:7d}  {100 * c[k] / max(total, 1):6.2f}%")
    print("most frequent unknown items: " + "; ".join(f"{u} ({n})" for u, n in unknown.most_common(a.top)))


if __name__ == "__main__":
    main()

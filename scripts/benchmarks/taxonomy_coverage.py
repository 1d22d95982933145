"""Coverage of the taxonomy over the corpus TAGS fields.

A code-like token is a run of letters of 2-5 capitals (the text split on anything not a letter).
Every such token carried by at least --min-cables cables must be a taxonomy code, an alias, or an
explicitly listed non-code word / junk word. Prints the figure and any token left uncovered.

usage: python scripts/benchmarks/taxonomy_coverage.py [--corpus ../shared/corpus/cables.jsonl.gz] [--min-cables 3]
"""
from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cabletags.corpus import corpus_or_exit, read_corpus  # noqa: E402
from cabletags.taxonomy import load_taxonomy  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus")
    ap.add_argument("--min-cables", type=int, default=3)
    a = ap.parse_args(argv)
    path = corpus_or_exit(a.corpus)
    tax = load_taxonomy()
    cables = Counter()
    for rec in read_corpus(path):
        cables.update({t for t in re.findall(r"[A-Za-z]+", rec.get("tags") or "") if re.fullmatch(r"[A-Z]{2,5}", t)})
    frequent = {t: n for t, n in cables.items() if n >= a.min_cables}
    how = Counter()
    missing = []
    for t in frequent:
        if t in tax.entries:
            how["code"] += 1
        elif t in tax.aliases:
            how["alias"] += 1
        elif t in tax.words:
            how["listed non-code word"] += 1
        elif t in tax.junk:
            how["listed junk word"] += 1
        elif t in tax.repaired_forms:
            how["listed run-together form"] += 1
        else:
            missing.append(t)
    covered = len(frequent) - len(missing)
    print(f"code-like tokens in >= {a.min_cables} cables: {len(frequent)}; covered {covered} "
          f"({100 * covered / max(len(frequent), 1):.1f}%)")
    for k, v in how.most_common():
        print(f"  {k}: {v}")
    print(f"listed non-code words in taxonomy/words.yaml: {len(tax.words)} (+ {len(tax.junk)} junk words)")
    if missing:
        print("uncovered: " + ", ".join(f"{t} ({frequent[t]})" for t in sorted(missing, key=lambda t: -frequent[t])))
    return 0 if not missing else 1


if __name__ == "__main__":
    sys.exit(main())

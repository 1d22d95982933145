"""Does a repair's confidence mean what it says? A reliability table over repair cases, and the word guard.

1. Reliability: every repair normalize() makes on the held-out half of the corpus-drawn cases
   (repair_cases.py: splits, typos, substitutions, words that must stay whole) plus *acronyms that only look like
   typos*: upper-case acronyms the corpus defines in parentheses that are one edit from a code. For the acronyms
   the normalizer is rebuilt with only the other half of taxonomy/acronyms.txt (a hash of the acronym picks the
   half), so the cases are acronyms it was not told about: a code from them is wrong. Each repair is binned by its
   confidence; right = the case's expected codes. Floor: repairs given >= 0.9 are right >= 90% of the time.
2. Word guard: each word of a word list (default /usr/share/dict/words, Debian's wamerican; >= 1,000 lower-case
   words, every one that is a code but for its case, and a fixed-seed sample of the rest) placed beside
   upper-case codes ("PREL, {w}, PGOV" and "PHUM {w} KTIP"): how many become a code with confidence >= 0.7.
   Floor: none.

usage: python scripts/benchmarks/repair_reliability.py [--corpus PATH] [--words FILE] [--sample 3000]
"""
from __future__ import annotations

import argparse
import hashlib
import random
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from repair_cases import build_cases  # noqa: E402

from cabletags.scoring.corpus import corpus_or_exit, read_corpus  # noqa: E402
from cabletags.vocabulary.normalizer import Normalizer  # noqa: E402
from cabletags.vocabulary.taxonomy import load_taxonomy  # noqa: E402

BINS = [(0.0, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.01)]


def half(word: str) -> int:
    return hashlib.sha256(word.encode()).digest()[0] & 1


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus")
    ap.add_argument("--words", default="/usr/share/dict/words")
    ap.add_argument("--sample", type=int, default=3000)
    a = ap.parse_args(argv)
    corpus = corpus_or_exit(a.corpus)
    tax = load_taxonomy(typo_aliases=False)
    norm = Normalizer(tax)
    told = frozenset(w for w in norm.acronyms if half(w) == 0)
    norm.acronyms = told  # the acronyms of half 1 are the test: the normalizer does not know them
    cases = [c for c in build_cases(corpus) if c["half"] == "test"]
    defined = Counter()
    for rec in read_corpus(corpus):
        defined.update(set(re.findall(r"\(([A-Z]{3,8})\)", rec.get("body") or "")))
    unseen = sorted(w for w in defined if half(w) == 1 and w not in tax.entries and w not in tax.aliases
                    and norm.typo_candidates(w))
    cases += [{"kind": "acronym", "text": w, "expected": []} for w in unseen]
    right, total = Counter(), Counter()
    by_kind = Counter()
    for c in cases:
        n = norm.normalize(c["text"])
        for r in n.repairs:
            if not r.result or r.kind == "junk":
                continue
            ok = list(r.result) == c["expected"] or (c["kind"] == "split" and set(r.result) <= set(c["expected"]))
            b = next(i for i, (lo, hi) in enumerate(BINS) if lo <= r.confidence < hi)
            total[b] += 1
            right[b] += ok
            by_kind[(c["kind"], b, ok)] += 1
    print(f"reliability: {len(cases)} cases ({len(unseen)} acronyms the normalizer was not told about), "
          f"{sum(total.values())} repairs")
    print("| confidence | repairs | right | share right |")
    print("|---|---|---|---|")
    for i, (lo, hi) in enumerate(BINS):
        share = f"{100 * right[i] / total[i]:.1f}%" if total[i] else "-"
        print(f"| {lo:.1f}-{min(hi, 1.0):.1f} | {total[i]} | {right[i]} | {share} |")
    wrong_high = {k: v for k, v in by_kind.items() if k[1] == 3 and not k[2]}
    print("wrong repairs at >= 0.9 by kind: " + (", ".join(f"{k[0]} {v}" for k, v in wrong_high.items()) or "none"))
    path = Path(a.words)
    if not path.is_file():
        print(f"word guard: skipped ({path} absent: apt-get install wamerican, or give --words FILE)")
        return
    words = sorted({w for w in path.read_text(encoding="utf-8", errors="replace").split()
                    if w.isalpha() and w.isascii() and w.islower() and 2 <= len(w) <= 10})
    codes_by_case = [w for w in words if w.upper() in tax.entries or w.upper() in tax.aliases]
    rest = [w for w in words if w not in set(codes_by_case)]
    sample = sorted(set(codes_by_case) | set(random.Random(0).sample(rest, min(a.sample, len(rest)))))
    full = Normalizer(tax)
    bad = []
    for w in sample:
        for line in (f"PREL, {w}, PGOV", f"PHUM {w} KTIP"):
            n = full.normalize(line)
            for r in n.repairs:
                if r.original == w and r.result and r.confidence >= 0.7:
                    bad.append((line, r.result, r.confidence))
    print(f"word guard: {len(sample)} words ({len(codes_by_case)} of them codes or aliases but for their case), "
          f"{2 * len(sample)} lines; words read as a code with confidence >= 0.7: {len(bad)}")
    for b in bad[:10]:
        print(f"  {b}")


if __name__ == "__main__":
    main()

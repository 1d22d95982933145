"""Accuracy of the general repair rules on corpus-drawn cases (see scripts/benchmarks/repair_cases.py).

A split or typo case is right when normalize() returns exactly the expected codes; a whole case is
right when no code comes out and the word is kept, whole, as unknown. Typo aliases are switched off
by default (the figure must come from the general rules); --with-typo-aliases turns them on.

usage: python scripts/benchmarks/repair_accuracy.py [--split test|dev] [--with-typo-aliases] [--show-errors N]
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from repair_cases import build_cases  # noqa: E402

from cabletags.scoring.corpus import corpus_or_exit  # noqa: E402
from cabletags.vocabulary.normalizer import get_normalizer  # noqa: E402
from cabletags.vocabulary.taxonomy import load_taxonomy  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus")
    ap.add_argument("--split", choices=["dev", "test"], default="test")
    ap.add_argument("--with-typo-aliases", action="store_true")
    ap.add_argument("--show-errors", type=int, default=0)
    a = ap.parse_args(argv)
    cases = [c for c in build_cases(corpus_or_exit(a.corpus)) if c["half"] == a.split]
    norm = get_normalizer(load_taxonomy(typo_aliases=a.with_typo_aliases))
    right, total, errors = Counter(), Counter(), []
    flagged, split_read = Counter(), Counter()
    for c in cases:
        r = norm.normalize(c["text"])
        if c["kind"] in ("whole", "name", "acronym", "acronym-substitution"):
            ok = not r.codes and r.unknown == [c["text"]]
        else:
            ok = r.codes == c["expected"]
        if c["kind"] == "substitution" and not ok and not r.codes:
            flagged["substitution"] += 1  # left unknown, with its candidates: not wrong, not repaired
        elif c["kind"] == "substitution" and not ok and len(r.codes) > 1:
            split_read["substitution"] += 1  # the damaged form is also a run of codes (BMIN: BM IN)
        total[c["kind"]] += 1
        right[c["kind"]] += ok
        if not ok:
            errors.append((c, r))
    print(f"split: {a.split}; typo aliases {'on' if a.with_typo_aliases else 'off'}")
    for k in ("split", "typo", "whole"):
        print(f"  {k:6s} {right[k]:5d}/{total[k]:5d} = {100 * right[k] / max(total[k], 1):.2f}%")
    st = right["split"] + right["typo"]
    n_st = total["split"] + total["typo"]
    base = sum(right[k] for k in ("split", "typo", "whole")), sum(total[k] for k in ("split", "typo", "whole"))
    print(f"  splits+typos: {100 * st / max(n_st, 1):.2f}%   all: {100 * base[0] / max(base[1], 1):.2f}%")
    k_ok, k_n = right["acronym"] + right["acronym-substitution"], total["acronym"] + total["acronym-substitution"]
    print(f"  acronyms cables define, one edit from a code (must stay whole): {k_ok}/{k_n}")
    n, ok, fl = total["substitution"], right["substitution"], flagged["substitution"]
    print(f"  substitution (one letter replaced in a code on >= 20 cables): repaired right {ok}/{n} = "
          f"{100 * ok / max(n, 1):.2f}%, left flagged {fl} ({100 * fl / max(n, 1):.2f}%), "
          f"read otherwise {n - ok - fl} ({100 * (n - ok - fl) / max(n, 1):.2f}%: as a run of codes "
          f"{split_read['substitution']}, as another code's typo {n - ok - fl - split_read['substitution']})")
    print(f"  name (surnames from TAGS lines) kept whole: {right['name']}/{total['name']} = "
          f"{100 * right['name'] / max(total['name'], 1):.2f}%")
    for c, r in errors[: a.show_errors]:
        if c["kind"] == "substitution" and not r.codes:
            continue
        print(f"    {c['kind']:5s} {c['text']:16s} expected {c['expected']} got {r.codes} unknown {r.unknown} {c['note']}")

if __name__ == "__main__":
    main()

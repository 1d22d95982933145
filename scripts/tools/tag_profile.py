"""Which tags the corpus gives to texts about a word: counts of normalized tags over the cables whose
body contains the word (case-insensitive) at least --min times, optionally without any --exclude word.

Shows what the classifier can learn for a subject, e.g. how often text about human trafficking carries
KTIP rather than PHUM or KCRM. Prints counts only, never text.

usage: python scripts/tools/tag_profile.py traffick --min 5 --exclude narcotic --exclude drug [--corpus PATH]
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cabletags.scoring.corpus import corpus_or_exit, read_corpus  # noqa: E402
from cabletags.vocabulary.normalizer import get_normalizer  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("word")
    ap.add_argument("--min", type=int, default=5, help="occurrences of the word in the body (default 5)")
    ap.add_argument("--exclude", action="append", default=[], help="skip cables that contain this word")
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--corpus")
    a = ap.parse_args(argv)
    norm = get_normalizer()
    word, excl = a.word.lower(), [w.lower() for w in a.exclude]
    n, tags = 0, Counter()
    for r in read_corpus(corpus_or_exit(a.corpus)):
        body = (r.get("body") or "").lower()
        if body.count(word) < a.min or any(w in body for w in excl):
            continue
        n += 1
        tags.update(set(norm.normalize(r.get("tags") or "").codes))
    print(f"{n} cables mention {a.word!r} at least {a.min} times" + (f" (none of {a.exclude})" if excl else ""))
    for t, c in tags.most_common(a.top):
        print(f"{t:6} {c:5}  {c / n:6.1%}" if n else t)


if __name__ == "__main__":
    main()

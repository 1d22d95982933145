"""A character trigram model of ordinary words: how word-like is a string of capitals?

The normalizer refuses to split a token that reads like a word (BASINS is not BA SI NS). The model is
counted from the plain-word list (taxonomy/plainwords.txt) once, when the taxonomy is compiled, and kept in
its cache, so no process counts it again.
"""
from __future__ import annotations

import math
from collections import Counter

__all__ = ["CharModel", "char_ngram_counts"]


def char_ngram_counts(words) -> tuple[dict[str, int], dict[str, int]]:
    """(trigram counts, bigram counts) of the upper-cased words with word boundaries ("^^WORD$")."""
    tri, bi = Counter(), Counter()
    for w in words:
        s = "^^" + w.upper() + "$"
        for i in range(len(s) - 2):
            tri[s[i:i + 3]] += 1
            bi[s[i:i + 2]] += 1
    return dict(tri), dict(bi)


class CharModel:
    """score(up): mean natural-log probability per character of `up` (with word boundaries), add-one
    smoothed. Real words score around -2, runs of codes (IZSA, KUMYDJ) lower."""

    def __init__(self, tri: dict[str, int], bi: dict[str, int]):
        self.tri, self.bi = tri, bi

    def score(self, up: str) -> float:
        s = "^^" + up + "$"
        total = 0.0
        for i in range(len(s) - 2):
            total += math.log((self.tri.get(s[i:i + 3], 0) + 1) / (self.bi.get(s[i:i + 2], 0) + 27))
        return total / (len(s) - 2)

"""The word ids of a batch of ASCII texts in a few numpy passes, no Python string made per token.

cabletags.scoring.vectorizer numbers a text's tokens (lower-case runs of 2+ word characters) by its n-gram tables'
`words` (token -> id). Splitting a whole cable into ~1,100 strings and looking each up in a dict is the largest
Python cost of scoring it. Here the batch's characters are read as bytes: a table lowers them and blanks every
non-word character (0), token bounds are where the bytes turn non-zero and back, and each token's first 16 bytes,
read as two little-endian 64-bit numbers, are the token itself (a word character is never 0, so the numbers hold
its length too). Those pairs are found in an open-addressing table of the vocabulary's words, packed the same way,
and checked there number for number: the lookup is exact, not a hash's guess. A token over 16 characters (0.03% of
a cable's) is looked up by its string. tests/test_speed_paths.py holds the ids equal to the string lookups'.
"""
from __future__ import annotations

from itertools import compress

import numpy as np

__all__ = ["PackedWords"]

# each byte: its lower-case form when a word character (letters, digits, underscore), else 0
_LOWER = np.zeros(256, dtype=np.uint8)
for _i in range(128):
    if chr(_i).isalnum() or chr(_i) == "_":
        _LOWER[_i] = ord(chr(_i).lower())
# the same as a table for bytes.translate (a tenth of the time of numpy's gather through _LOWER)
_LOWER_BYTES = _LOWER.tobytes()
# the low k bytes of a 64-bit number, k = 0..8
_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [(1 << 64) - 1], dtype=np.uint64)
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9))
_PACKED = 16  # characters a token's two numbers hold


def _pack(names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(k1, k2): the first and next 8 bytes of each (ASCII, 1..16 character) name as numbers."""
    size = np.fromiter(map(len, names), dtype=np.int64, count=len(names))
    chars = np.frombuffer("".join(names).encode("ascii"), dtype=np.uint8)
    row = np.repeat(np.arange(len(names)), size)
    col = np.arange(len(chars)) - np.repeat(np.cumsum(size) - size, size)
    grid = np.zeros((len(names), _PACKED), dtype=np.uint8)
    grid[row, col] = chars
    raw = grid.view("<u8")
    return raw[:, 0].copy(), raw[:, 1].copy()


def _place(home: np.ndarray, size: int) -> np.ndarray:
    """Each key's slot in an open-addressing table of `size` (a power of two) slots, by linear probing from its home
    slot, all keys at once: each round, one key takes each free slot asked for, the others try the next slot."""
    slot = home.copy()
    where = np.full(len(home), -1, dtype=np.int64)
    filled = np.zeros(size, dtype=bool)
    todo = np.arange(len(home))
    while len(todo):
        s = slot[todo]
        free = ~filled[s]
        first = np.zeros(len(todo), dtype=bool)
        _, at = np.unique(s[free], return_index=True)
        first[np.flatnonzero(free)[at]] = True
        where[todo[first]] = s[first]
        filled[s[first]] = True
        todo = todo[~first]
        slot[todo] = (slot[todo] + 1) & (size - 1)
    return where


class PackedWords:
    """The words of an n-gram table (token -> id >= 1) as an open-addressing table of their packed bytes.

    ids(texts, words) -> (seq, starts), as TfidfTransform._sequence gives them for texts whose word characters are
    all ASCII.
    """

    def __init__(self, words: dict[str, int]):
        # the words a token can be: ASCII, 2..16 characters (a NUL would read as the padding: never one of them),
        # chosen in numpy (a loop over the words' pairs took 0.05 s of a process's first batch)
        names = list(words)
        ids = np.fromiter(words.values(), dtype=np.int64, count=len(names))
        size = np.fromiter(map(len, names), dtype=np.int64, count=len(names))
        keep = (ids > 0) & (size > 1) & (size <= _PACKED)
        joined = "".join(names)
        if not joined.isascii():
            keep &= np.fromiter(map(str.isascii, names), dtype=bool, count=len(names))
        if "\0" in joined:
            keep &= np.fromiter(("\0" not in w for w in names), dtype=bool, count=len(names))
        names, ids = list(compress(names, keep.tolist())), ids[keep]
        k1, k2 = _pack(names)
        self.bits = max(4, int(3 * len(names)).bit_length())  # a table a third full, at most
        size = 1 << self.bits
        self.k1, self.k2 = np.zeros(size, dtype=np.uint64), np.zeros(size, dtype=np.uint64)
        self.id = np.zeros(size, dtype=np.int64)
        at = _place(self._home(k1, k2), size)
        self.k1[at], self.k2[at], self.id[at] = k1, k2, ids

    def _home(self, k1: np.ndarray, k2: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            h = (k1 ^ (k2 * _MIX[0])) * _MIX[1]
        return (h >> np.uint64(64 - self.bits)).astype(np.int64)

    def lookup(self, k1: np.ndarray, k2: np.ndarray) -> np.ndarray:
        """(m,) the id of each packed token, 0 where the vocabulary lacks it. The first probe is made for all tokens
        at once (no list of those left to find: most are found there), the next ones for those still looking."""
        slot = self._home(k1, k2)
        t1 = self.k1[slot]
        hit = (t1 == k1) & (self.k2[slot] == k2)
        out = self.id[slot]
        out[~hit] = 0
        todo = np.flatnonzero(~hit & (t1 != 0))  # an empty slot ends a missing word's probe
        last = (1 << self.bits) - 1
        while len(todo):
            s = (slot[todo] + 1) & last
            slot[todo] = s
            t1 = self.k1[s]
            hit = (t1 == k1[todo]) & (self.k2[s] == k2[todo])
            out[todo[hit]] = self.id[s[hit]]
            todo = todo[~hit & (t1 != 0)]
        return out

    def ids(self, texts: list[str], words: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
        """(seq, starts) of texts whose word characters are all ASCII: their tokens' ids end to end (0: not in the
        vocabulary), a 0 after each text, text r at seq[starts[r]:starts[r + 1] - 1]. Any other character only
        parts tokens ("?" in the bytes read: one a character, so places stay). `words` answers the tokens over 16
        characters."""
        if not texts:
            return np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64)
        # each text's bytes ("?" for a character outside ASCII), joined by NULs, 16 after the last: 16 bytes from every
        # place. (Encoded one by one: joined first, one text with a curly quote made all of them a wide string, the
        # encoding of all of it slow: 3.5 ms a batch against 0.5.)
        joined = b"\0".join([*(t.encode("ascii", "replace") for t in texts), b"\0" * (_PACKED - 1)])
        n = len(joined) - _PACKED
        c = np.frombuffer(joined.translate(_LOWER_BYTES), dtype=np.uint8)
        edge = np.diff((c[:n + 1] != 0).view(np.int8), prepend=np.int8(0))
        # runs open (+1) and close (-1) in turn, the last closed by the NUL at n: one pass finds both
        bounds = np.flatnonzero(edge != 0)  # (numpy finds a bool array's places 6x as fast as an int8 one's)
        st, en = bounds[0::2], bounds[1::2]
        size = en - st
        keep = size > 1  # one-character runs are no tokens
        st, size = st[keep], size[keep]
        # 8 bytes from every place (a view: no copy); the token's own bytes kept, the rest masked off
        at = np.ndarray((n + 8,), dtype="<u8", buffer=c, strides=(1,))
        k1 = at[st] & _MASKS[np.minimum(size, 8)]
        k2 = np.zeros_like(k1)
        two = np.flatnonzero(size > 8)
        k2[two] = at[st[two] + 8] & _MASKS[np.minimum(size[two] - 8, 8)]
        found = self.lookup(k1, k2)
        for i in np.flatnonzero(size > _PACKED).tolist():  # rare: looked up by their string
            found[i] = words.get(joined[st[i]:st[i] + size[i]].decode("ascii").lower(), 0)
        first = np.zeros(len(texts), dtype=np.int64)  # where each text starts in `joined`
        np.cumsum([len(t) + 1 for t in texts[:-1]], out=first[1:])
        counts = np.diff(np.append(np.searchsorted(st, first), len(st)))  # the tokens of each text (st is sorted)
        row = np.repeat(np.arange(len(texts), dtype=np.int64), counts)
        seq = np.zeros(len(found) + len(texts), dtype=np.int64)
        seq[np.arange(len(found)) + row] = found  # each text's tokens shifted by the 0s closing the texts before it
        starts = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(counts + 1, out=starts[1:])
        return seq, starts


"""The cable reference graph: tags of the training cables that a text cites, or that cite what it cites.

Cables name the cables they answer: ``REF: A. 06 BAKU 1835 B. STATE 96625``. On the benchmark's held-out
cables (scripts/benchmarks/reference_report.py), 20% cite an indexed training cable, whose tags are 70% precise and 76%
complete for the citing cable, and 26% share a reference with training cables (posts answering one STATE
instruction share its subject; their tags 60% precise, 75% complete). A
``ReferenceIndex`` keeps, for every training cable, its own reference (year, post, number), the references
it cites and its tag indices, and turns a new text into two (n, L) feature matrices: the share of cited
training cables carrying each tag, and the same for training cables that cite any of the same references
("co-citing"). It stores reference numbers and tag indices only, never text.

A reference without a year ("STATE 96625") is read as the citing cable's own year in a training cable
(whose id gives the year) and as any year in a new text (whose year is unknown); both are how the
figures above were measured.
"""
from __future__ import annotations

from functools import cached_property

import numpy as np

from ..cableformat import CABLE_ID, REFERENCE, REFERENCE_HINT

__all__ = ["ReferenceIndex", "parse_cable_id", "cited_references"]

# how posts are written in reference lines but not in ids
_POST_ALIASES = {"SECSTATE": "STATE"}
# references sit at the top of a cable; reading further only finds numbers in prose
SCAN_CHARS = 3000


def parse_cable_id(cable_id: str) -> tuple[int, str, int] | None:
    """(year, post, number) of an id like 06BAKU1835, or None when it is not of that form."""
    m = CABLE_ID.match(cable_id or "")
    return (int(m.group(1)), m.group(2), int(m.group(3))) if m else None


def cited_references(text: str, posts, default_year: int | None = None) -> list[tuple[int | None, str, int]]:
    """(year or default_year, post, number) of every reference in the first SCAN_CHARS characters of
    `text` whose post is one of `posts` (a set of post names as written in ids), in order, without
    repeats. "REF A. SANAA 02498": the words before the post are tried off one at a time."""
    out = []
    text = (text or "")[:SCAN_CHARS]
    for m in _references(text):
        words = m.group(2).split()
        for k in range(len(words)):
            post = "".join(words[k:])
            post = _POST_ALIASES.get(post, post)
            if post in posts:
                year = int(m.group(1)) if m.group(1) else default_year
                out.append((year, post, int(m.group(3))))
                break
    return list(dict.fromkeys(out))


_CAPITALS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _references(text: str):
    """REFERENCE.finditer(text), the same matches, tried only around each place a reference must hold (a capital,
    blanks, a digit: REFERENCE_HINT): for each such place, the pattern's leftmost match from the earliest place a
    reference ending there could start (up to three words and a year before it, never before the last match's end) to
    the end of its number; the pattern is not tried at every capital of an upper-case text (a test holds the two
    equal)."""
    pos, n = 0, len(text)
    for last, end in _hints(text):  # last: the last letter of the post's last word
        if last < pos:
            continue
        start = _words_start(text, last, pos)
        while end < n and text[end].isdigit():
            end += 1
        # every match holds one hint, where its post meets its number: this hint's match lies between the earliest
        # start of its words and the character after its number's digits (the pattern's \b looks at it)
        m = REFERENCE.search(text, start, min(n, end + 1))
        if m is not None:
            yield m
            pos = m.end()


# an ASCII character's class for _hints: a capital "A", a blank " ", a digit "0", anything else "x"
_HINT_CLASSES = str.maketrans({chr(i): "A" if "A" <= chr(i) <= "Z" else " " if chr(i).isspace() else
                               "0" if chr(i).isdigit() else "x" for i in range(128)})


def _hints(text: str) -> list[tuple[int, int]]:
    """(start, end) of each match of REFERENCE_HINT (a capital, blanks, a digit), in order. An ASCII text is written
    in its characters' classes and each blank before a digit found by a string search (a third of the pattern's
    scan, which stops at every capital of an upper-case text); the blanks' run is followed back to the character
    before it (a test holds the two equal)."""
    if not text.isascii():
        return [m.span() for m in REFERENCE_HINT.finditer(text)]
    cls = text.translate(_HINT_CLASSES)
    out = []
    at = cls.find(" 0")
    while at >= 0:
        i = at
        while i > 0 and cls[i - 1] == " ":
            i -= 1
        if i > 0 and cls[i - 1] == "A":
            out.append((i - 1, at + 2))
        at = cls.find(" 0", at + 2)
    return out


def _words_start(text: str, last: int, floor: int) -> int:
    """The earliest place (>= floor) a reference whose post ends at `last` could start: up to three words of
    capitals, one blank apart, and a two-digit year with blanks before them."""
    i = last
    for word in range(3):
        while i > floor and text[i - 1] in _CAPITALS:
            i -= 1
        if word == 2 or not (i - 2 >= floor and text[i - 1].isspace() and text[i - 2] in _CAPITALS):
            break
        i -= 1
    j = i
    while j > floor and text[j - 1].isspace():
        j -= 1
    if j < i and j - 2 >= floor and text[j - 2:j].isdecimal():  # \d: any decimal digit
        return j - 2
    return i


def _key(post, number, year=None):
    """One int64 per (post, number) or (year, post, number): a number in the low 34 bits (a reference has at most
    6 digits; an id's longer number is clipped, and could only meet another as long), the post in the next 16, a
    (two-digit) year above them."""
    k = (np.asarray(post, dtype=np.int64) << 34) | np.minimum(np.asarray(number, dtype=np.int64), (1 << 34) - 1)
    return k if year is None else k | (np.asarray(year, dtype=np.int64) << 50)


def _sorted_keys(keys: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(keys, kind="stable")
    return keys[order], np.asarray(rows, dtype=np.int64)[order]


def _one_key(post: int, number: int, year: int | None = None) -> int:
    """_key of one reference, in Python ints (the same number; numpy's arrays cost more than the search for one)."""
    k = (post << 34) | min(number, (1 << 34) - 1)
    return k if year is None else k | (year << 50)


def _rows_of(table, key: int) -> np.ndarray:
    keys, rows = table
    return rows[keys.searchsorted(key, "left"):keys.searchsorted(key, "right")]


class ReferenceIndex:
    """Training cables by their own reference and by the references they cite.

    build(ids, texts, Y): ids and texts of n training cables, Y their (n, L) 0/1 tags. features(texts)
    -> (cited, cociting), each (m, L) float32: for each new text, the share of the training cables it
    cites that carry each tag, and the share of the training cables citing any of the same references
    (the cited ones left out). Rows of texts without a resolved reference are 0.

    Held as flat integer arrays (what is saved); the lookup tables are built on the first text that names
    a known post, so loading a model stays fast.
    """

    def __init__(self, posts: list[str], own: np.ndarray, tags_indptr: np.ndarray, tags: np.ndarray,
                 cites_indptr: np.ndarray, cites: np.ndarray, n_labels: int):
        self.posts = list(posts)                                   # post names, as in ids
        self.own = np.asarray(own, dtype=np.int32).reshape(-1, 3)  # (n, 3) year, post index, number; -1: no id
        self.tags_indptr = np.asarray(tags_indptr, dtype=np.int64)  # row r's tags: tags[indptr[r]:indptr[r+1]]
        self.tags = np.asarray(tags, dtype=np.int32)
        self.cites_indptr = np.asarray(cites_indptr, dtype=np.int64)
        self.cites = np.asarray(cites, dtype=np.int32).reshape(-1, 3)  # (k, 3) year, post index, number
        self.n_labels = int(n_labels)
        self._post_set = set(self.posts)
        self._post_id = {p: i for i, p in enumerate(self.posts)}
        n = len(self.own)

        def pointers_ok(ptr, size):  # row pointers: start at 0, never decrease, end at the array's size
            return len(ptr) == n + 1 and ptr[0] == 0 and ptr[-1] == size and bool(np.all(np.diff(ptr) >= 0))

        if not pointers_ok(self.tags_indptr, len(self.tags)) or not pointers_ok(self.cites_indptr, len(self.cites)) \
                or (len(self.tags) and (self.tags.min() < 0 or self.tags.max() >= self.n_labels)) \
                or (len(self.cites) and (self.cites[:, 1].min() < 0 or self.cites[:, 1].max() >= len(self.posts))) \
                or (n and (self.own[:, 1].min() < -1 or self.own[:, 1].max() >= len(self.posts))):
            raise ValueError("reference index arrays disagree")

    # as a scorer (cabletags.scoring.scorers): two matrices, each with its weight; a cited cable is evidence
    names = ("cited", "cociting")
    evidence = True

    def __len__(self) -> int:
        return len(self.own)

    def score(self, texts, X=None, ids=None) -> tuple[np.ndarray, np.ndarray]:
        """The scorer interface: features(texts, ids) (X, the TF-IDF rows, is not needed)."""
        return self.features(list(texts), ids)

    def tags_of(self, row: int) -> np.ndarray:
        """Label indices of training cable `row`."""
        return self.tags[self.tags_indptr[row]:self.tags_indptr[row + 1]]

    @cached_property
    def _tables(self):
        """Three lookups, each (sorted int64 keys, rows in the same order): own reference (post, number) -> rows,
        cited (year, post, number) -> citing rows, cited (post, number) -> citing rows. Rows of one key stay in row
        order (stable sorts). Sorted arrays, not dicts of lists: built in milliseconds, not the 0.15 s a first
        text naming a post used to wait for."""
        own = self.own.astype(np.int64)
        has = np.flatnonzero(own[:, 0] >= 0)
        rows = np.repeat(np.arange(len(self.own)), np.diff(self.cites_indptr))
        c = self.cites.astype(np.int64)
        return (_sorted_keys(_key(own[has, 1], own[has, 2]), has),
                _sorted_keys(_key(c[:, 1], c[:, 2], c[:, 0]), rows),
                _sorted_keys(_key(c[:, 1], c[:, 2]), rows))

    def _own_rows(self, post: int, number: int, year: int | None) -> list[int]:
        """Rows whose own reference is (post, number), of the given year (None: any)."""
        hit = _rows_of(self._tables[0], _one_key(post, number)).tolist()
        if year is not None and hit:
            hit = [r for r in hit if self.own[r, 0] == year]
        return hit

    @classmethod
    def build(cls, ids, texts, Y: np.ndarray) -> "ReferenceIndex":
        parsed = [parse_cable_id(str(i)) for i in ids]
        posts = sorted({p[1] for p in parsed if p})
        pid = {p: i for i, p in enumerate(posts)}
        own = np.array([(p[0], pid[p[1]], p[2]) if p else (-1, -1, -1) for p in parsed], dtype=np.int32)
        cites = []
        for p, text in zip(parsed, texts):
            keys = cited_references(text, pid, default_year=p[0] if p else None)
            cites.append([(y, pid[post], n) for y, post, n in keys if y is not None])
        Y = np.asarray(Y)
        tags = [np.flatnonzero(row) for row in Y]
        return cls(posts, own, np.cumsum([0] + [len(t) for t in tags]),
                   np.concatenate(tags) if tags else np.zeros(0), np.cumsum([0] + [len(c) for c in cites]),
                   np.array([k for c in cites for k in c], dtype=np.int32).reshape(-1, 3), Y.shape[1])

    def row_of(self, cable_id) -> int | None:
        """The row of an indexed cable by its id (06BAKU1835), or None."""
        p = parse_cable_id(str(cable_id)) if cable_id is not None else None
        if p is None or p[1] not in self._post_id or p[2] >= 1 << 31:  # own numbers are held as int32
            return None
        rows = self._own_rows(self._post_id[p[1]], p[2], p[0])
        return rows[0] if rows else None

    def resolve(self, text: str, cable_id=None) -> tuple[list[int], list[int]]:
        """(cited, cociting): row numbers of the training cables `text` cites, and of those citing any of
        the same references (the cited ones left out), each in order without repeats. `cable_id`, when the
        text is itself an indexed cable, leaves that cable out (it would find itself among the co-citing)."""
        refs = cited_references(text, self._post_set)
        if not refs:
            return [], []
        _, by_key, by_key_any = self._tables
        cited, cociting = [], []
        for year, post, n in refs:
            p = self._post_id[post]
            cited += self._own_rows(p, n, year)
            cociting += (_rows_of(by_key, _one_key(p, n, year)) if year is not None
                         else _rows_of(by_key_any, _one_key(p, n))).tolist()
        cited = list(dict.fromkeys(cited))
        seen = set(cited)
        own = self.row_of(cable_id)
        if own is not None:
            cited = [r for r in cited if r != own]
            seen.add(own)
        cociting = [r for r in dict.fromkeys(cociting) if r not in seen]
        return cited, cociting

    def features(self, texts, ids=None) -> tuple[np.ndarray, np.ndarray]:
        """(cited, cociting) tag shares, each (len(texts), L) float32; `ids` (optional, one per text) leave
        each text's own cable out of the index."""
        A = np.zeros((len(texts), self.n_labels), dtype=np.float32)
        B = np.zeros_like(A)
        for i, text in enumerate(texts):
            if not text:
                continue
            for M, rows in zip((A, B), self.resolve(text, ids[i] if ids is not None else None)):
                if rows:
                    M[i] = self._tag_counts(rows)
                    M[i] /= len(rows)
        return A, B

    def _tag_counts(self, rows: list[int]) -> np.ndarray:
        """(L,) float32: how many of the training cables `rows` carry each tag (their tags laid end to end and
        counted at once: a cable cited by many has them all in a few array steps)."""
        if len(rows) == 1:
            out = np.zeros(self.n_labels, dtype=np.float32)
            out[self.tags_of(rows[0])] = 1.0
            return out
        r = np.asarray(rows, dtype=np.int64)
        starts, ends = self.tags_indptr[r], self.tags_indptr[r + 1]
        sizes = ends - starts
        at = np.repeat(starts - np.cumsum(sizes) + sizes, sizes) + np.arange(int(sizes.sum()))
        return np.bincount(self.tags[at], minlength=self.n_labels).astype(np.float32)

    def reference_id(self, row: int) -> str:
        """The id form (06BAKU1835) of a training cable's own reference."""
        y, p, n = self.own[row].tolist()
        return f"{y:02d}{self.posts[p]}{n}" if y >= 0 else f"#{row}"

    # --- persistence: plain integer arrays, no pickle --------------------------------------------
    def to_arrays(self) -> dict:
        return {"ref_own": self.own.astype(np.int32), "ref_tags_indptr": self.tags_indptr.astype(np.int32),
                "ref_tags": self.tags.astype(np.int16), "ref_cites_indptr": self.cites_indptr.astype(np.int32),
                "ref_cites": self.cites.astype(np.int32)}

    @classmethod
    def from_arrays(cls, posts: list[str], a: dict, n_labels: int) -> "ReferenceIndex":
        """The index from to_arrays()'s arrays; ValueError when they disagree with each other."""
        return cls(posts, a["ref_own"], a["ref_tags_indptr"], a["ref_tags"], a["ref_cites_indptr"], a["ref_cites"],
                   n_labels)

"""TF-IDF features at prediction time, without scikit-learn.

The model's vocabulary and idf were fitted by scikit-learn's TfidfVectorizer (cabletags.scoring.fitting); scoring
a text needs only the same transform over that fixed vocabulary: lower-case, tokens of TOKEN_PATTERN, word
1..ngram_max grams, counts, 1 + log(count), times idf, rows scaled to unit length. Done here in the same
float32 steps, for a whole batch at once (one sort of (row, term) keys instead of a dict per text), it
gives the same matrix as TfidfVectorizer.transform at about twice its speed, and `suggest` never imports
scikit-learn. tests/test_speed_paths.py checks the two agree.
"""
from __future__ import annotations

import re
from itertools import repeat

import numpy as np
import scipy.sparse as sp

# a whole-cable model's header terms (ModelSettings.header_weight > 0): the header's words written with
# HEADER_PREFIX (cabletags.reading.parser.cable_reading) form a block of features of their own, normalized apart
from ..cableformat import ASCII_BLANKS, HEADER_PREFIX, TOKENS, words_of
from .csr import canonical_csr

__all__ = ["TfidfTransform", "HEADER_PREFIX", "header_block", "block_normalize"]

# characters of text transformed, in all, after which the numbered n-gram tables are built: they take about 0.2 s
# for a shipped model and then save about 0.12 s a MB of text (0.4 ms a whole cable, 0.11 ms a paragraph of 900
# characters), so they pay for themselves in the run that builds them after some 2 MB more; until then each gram's
# string is looked up. Built once, they are kept in the user's cache directory (by a digest of the vocabulary), and a
# later process loads them in about 0.04 s once CACHE_AFTER characters were seen: from the first text on, since the
# lookups by string first build an index of every term (about 0.13 s), even for one paragraph. TABLES_AFTER is 1 MB,
# not 2, so that a run of a couple of thousand paragraphs builds them for the runs after it
TABLES_AFTER = 1_000_000
CACHE_AFTER = 0
_TABLES_FORMAT = 1
_TABLE_SLICE = 50_000  # vocabulary terms split at a time while the tables are built


# the one-character runs a lower-cased ASCII text can hold after it: too short to be tokens
_ONE_CHARACTER = [chr(i) for i in range(128) if chr(i).isalnum() and not chr(i).isupper()] + ["_"]
# a word character outside ASCII: a text without one has the same tokens as its ASCII characters alone (no character
# that is not a word character has a lower-case form that is one: a test checks all of Unicode)
_WORD_OUTSIDE_ASCII = re.compile(r"[^\W\x00-\x7f]")


def _has_word_outside_ascii(text: str) -> bool:
    """Whether the text holds a word character outside ASCII: its distinct such characters found by numpy (the
    pattern over the whole text tests each character's class: eight times as long for a cable)."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    distinct = np.unique(codes[codes > 127]).tolist()
    return _WORD_OUTSIDE_ASCII.search("".join(map(chr, distinct))) is not None


# what closes each text's tokens in a batch (_sequence): no token holds it (a NUL is no word character)
_END = "\x00"
# bits of the int64 in which term_ids packs a gram's key and its place (one plain sort instead of an argsort)
_PACK_BITS = 63


def _counted(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(keys, return_counts=True): one sort and the places where the value changes (np.unique's own
    bookkeeping took a quarter of the time more)."""
    k = np.sort(keys)
    if not len(k):
        return k, np.zeros(0, dtype=np.int64)
    new = np.empty(len(k), dtype=bool)
    new[0] = True
    np.not_equal(k[1:], k[:-1], out=new[1:])
    at = np.flatnonzero(new)
    return k[at], np.diff(np.append(at, len(k)))


def header_block(vocabulary) -> np.ndarray:
    """(V,) bool: the terms of the header block (those that start with HEADER_PREFIX). The vocabulary's terms are
    laid end to end, a line each (no term holds a line break: they are tokens joined by blanks), and each line's
    first bytes compared in numpy: a third of the time of a startswith a term (40 ms of a command's start-up)."""
    V = len(vocabulary)
    joined = "\n".join(vocabulary)
    if not V or "\n" in HEADER_PREFIX or joined.count("\n") != V - 1:  # (a term with a line break: one at a time)
        return np.fromiter((t.startswith(HEADER_PREFIX) for t in vocabulary), dtype=bool, count=V)
    prefix = HEADER_PREFIX.encode("utf-8")
    b = np.frombuffer(joined.encode("utf-8") + b"\n" + b"\0" * len(prefix), dtype=np.uint8)
    starts = np.concatenate([[0], np.flatnonzero(b == 10)[:-1] + 1])
    out = np.ones(V, dtype=bool)
    for k, byte in enumerate(prefix):
        out &= b[starts + k] == byte
    return out


def block_normalize(X: sp.csr_matrix, block: np.ndarray, weight: float) -> sp.csr_matrix:
    """Rows of X (unnormalized tf-idf) scaled to unit length within each of two blocks of columns (block False /
    True), the True block then multiplied by `weight`: a short header keeps its own weight beside a long body,
    as if a model of the header alone were added to one of the whole cable. float32 squares, float64 sums."""
    X = sp.csr_matrix(X, dtype=np.float32)
    rows = np.repeat(np.arange(X.shape[0], dtype=np.int64), np.diff(X.indptr))
    data = _block_scaled(X.data, rows, X.indices, X.shape[0], block, weight)
    return sp.csr_matrix((data, X.indices, X.indptr), shape=X.shape)


def _block_scaled(data: np.ndarray, rows: np.ndarray, cols: np.ndarray, n: int, block: np.ndarray,
                  weight: float) -> np.ndarray:
    """block_normalize's new values for the entries (rows, cols, data) of n rows, float32."""
    inside = block[cols]
    key = rows * 2 + inside
    sq = (data * data).astype(np.float64)
    norms = np.sqrt(np.bincount(key, weights=sq, minlength=2 * n))
    data = (data / norms[key]).astype(np.float32) if len(data) else data
    data[inside] *= np.float32(weight)
    return data


class TfidfTransform:
    """transform(texts) -> (n, V) float32 CSR TF-IDF rows for a fixed vocabulary of V terms.

    vocabulary: V terms (unigrams and space-joined n-grams), idf: (V,) float32, ngram_max: n.
    """

    _index = None  # (a class default too: a transform pickled before the index was built lazily still reads)

    def __init__(self, vocabulary: list[str], idf: np.ndarray, ngram_max: int, header_weight: float = 0.0):
        self.vocabulary = vocabulary
        self._index = None  # term -> index, for the lookups by string (built on first use, let go once tables are)
        self._tables = None  # the n-gram tables of term_ids(), built once TABLES_AFTER characters were seen
        self._seen = 0
        # header_weight > 0: the header terms are normalized as a block of their own (block_normalize)
        self.header_weight = float(header_weight)
        self.block = header_block(vocabulary) if self.header_weight else None
        self.idf = np.asarray(idf, dtype=np.float32)
        self.ngram_max = int(ngram_max)
        self.n_terms = len(vocabulary)

    def tokens(self, text: str) -> list[str]:
        """The lower-case tokens of TOKEN_PATTERN (runs of 2+ word characters): cabletags.cableformat.words_of."""
        return words_of(text.lower())

    def _grams(self, text: str) -> list[str]:
        toks = self.tokens(text)
        grams = list(toks)
        for n in range(2, self.ngram_max + 1):
            grams += map(" ".join, zip(*(toks[k:] for k in range(n))))
        return grams

    def _ngram_tables(self):
        """Each word of the vocabulary as a number 1..W-1; each unigram term by its word's number; each n-gram term
        (n >= 2) as the number its words spell in base W ("trade agreement" = id(trade) * W + id(agreement)),
        sorted, with its term index and the words such terms start with: (word ids, W, unigram terms (W,),
        {n: (sorted keys, terms, starts (W,) bool)}); None when W ** ngram_max would not fit 63 bits."""
        if self._tables is None:
            self._tables = self._load_tables() or self._build_tables() or False
            if self._tables and not self._from_cache:
                self._save_tables(self._tables)
        return self._tables or None

    _from_cache = False
    _cache_checked = False

    _digest = None

    def _cache_file(self):
        """The tables' file in the user's cache, named by a digest of the vocabulary (hashed once)."""
        import hashlib

        from ..vocabulary.taxonomy import _cache_dir

        if self._digest is None:
            h = hashlib.sha256(f"{_TABLES_FORMAT}:{self.ngram_max}:".encode())
            h.update("\n".join(self.vocabulary).encode("utf-8"))
            self._digest = h.hexdigest()[:24]
        return _cache_dir() / f"ngram-tables-{self._digest}.npz"

    def _save_tables(self, tables) -> None:
        """Keep the tables in the user's cache (atomically; a read-only home only costs the next start)."""
        import os

        words, W, unigram, by_n = tables
        names = [w for w, i in sorted(words.items(), key=lambda kv: kv[1]) if i > 0]  # ids 1 .. W-1, in order
        if len(names) != W - 1 or any("\n" in w for w in names):
            return
        arrays = {"words": np.frombuffer("\n".join(names).encode("utf-8"), dtype=np.uint8),
                  "unigram": unigram.astype(np.int32)}
        for n, (keys, terms, starts) in by_n.items():
            arrays.update({f"keys{n}": keys, f"terms{n}": terms.astype(np.int32), f"starts{n}": starts})
        try:
            path = self._cache_file()
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
            np.savez(tmp, **arrays)
            os.replace(tmp, path)
        except OSError:
            pass

    def _load_tables(self):
        """The tables from the user's cache, every array checked against the vocabulary; None when absent or
        unusable (they are built then)."""
        if self._cache_checked:
            return None
        self._cache_checked = True
        try:
            with np.load(self._cache_file(), allow_pickle=False) as z:
                a = {k: z[k] for k in z.files}
            names = bytes(a["words"]).decode("utf-8").split("\n")
            W, V = len(names) + 1, self.n_terms
            words = {w: i for i, w in enumerate(names, 1)}
            unigram = a["unigram"].astype(np.int64)
            ok = len(words) == W - 1 and unigram.shape == (W,) and unigram.min() >= -1 and unigram.max() < V
            by_n = {}
            for n in range(2, self.ngram_max + 1):
                keys, terms, starts = a[f"keys{n}"], a[f"terms{n}"].astype(np.int64), a[f"starts{n}"]
                ok = ok and keys.dtype == np.int64 and keys.shape == terms.shape and starts.shape == (W,) \
                    and starts.dtype == bool and (not len(terms) or (terms.min() >= 0 and terms.max() < V)) \
                    and bool(np.all(keys[1:] >= keys[:-1]))
                by_n[n] = (keys, terms, starts)
        except (OSError, KeyError, ValueError, UnicodeDecodeError, EOFError):
            return None
        if not ok or W ** self.ngram_max >= 1 << 62:
            return None
        for c in _ONE_CHARACTER:  # as _build_tables leaves them: dropped by _sequence
            words.setdefault(c, -1)
        words[_END] = -2
        self._from_cache = True
        return words, W, unigram, by_n

    def _build_tables(self):
        # the terms' words laid end to end (a split of the joined vocabulary, not a split per term): a term's word
        # ids are flat_ids[offset : offset + n], and every array below is built from these without a loop per term.
        # A slice of the vocabulary at a time: the words of all of it as strings at once would hold some 40 MB
        vocab = self.vocabulary
        sizes = np.fromiter(map(str.count, vocab, repeat(" ")), dtype=np.int64, count=len(vocab)) + 1
        flat_ids = np.zeros(int(sizes.sum()), dtype=np.int64)
        words: dict[str, int] = {}
        at = 0
        for a in range(0, len(vocab), _TABLE_SLICE):
            flat = " ".join(vocab[a:a + _TABLE_SLICE]).split(" ")
            for w in dict.fromkeys(flat):
                words.setdefault(w, len(words) + 1)
            flat_ids[at:at + len(flat)] = np.fromiter(map(words.__getitem__, flat), dtype=np.int64, count=len(flat))
            at += len(flat)
        W = len(words) + 1  # 0: a word the vocabulary does not have; no term spells a 0
        for c in _ONE_CHARACTER:  # no token (tokens() drops them): _sequence drops their -1
            words.setdefault(c, -1)
        words[_END] = -2
        if W ** self.ngram_max >= 1 << 62:
            return None
        offsets = np.zeros(len(vocab), dtype=np.int64)
        np.cumsum(sizes[:-1], out=offsets[1:])
        unigram = np.full(W, -1, dtype=np.int64)  # a word's unigram term, by word id (-1: none)
        by_n = {}
        for n in range(1, self.ngram_max + 1):
            terms = np.flatnonzero(sizes == n)
            first = flat_ids[offsets[terms]]
            if n == 1:
                unigram[first] = terms
                continue
            keys = first.copy()
            for k in range(1, n):
                keys = keys * W + flat_ids[offsets[terms] + k]
            order = np.argsort(keys, kind="stable")
            starts = np.zeros(W, dtype=bool)  # the words an n-gram term starts with: the others need no search
            starts[first] = True
            by_n[n] = (keys[order], terms[order], starts)
        return words, W, unigram, by_n

    @property
    def settled(self) -> bool:
        """Whether every table transform() builds on its way is built (the n-gram tables and their packed words, or
        the index by string when there are no tables): from then on transform() changes nothing in the object, and
        threads may call it at once."""
        if self._tables is None:
            return False
        if self._tables is False:
            return self._index is not None
        return self._packed is not None and self._packed[0] is self._tables[0]

    @property
    def index(self) -> dict[str, int]:
        """term -> its index in the vocabulary."""
        if self._index is None:
            self._index = {t: i for i, t in enumerate(self.vocabulary)}
        return self._index

    def term_ids(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(rows, terms): for every 1..ngram_max gram of the texts that is a vocabulary term, its text's row and
        its term index. The words are looked up once each and the grams found as numbers (no gram string is ever
        built): the texts' word ids are laid end to end with a 0 between texts, so that no gram spans two."""
        if self._tables is None:
            self._seen += sum(map(len, texts))
            # kept by an earlier process: loaded once CACHE_AFTER characters were seen (a few hundredths of a second,
            # less than the index by string costs to build)
            cached = self._load_tables() if self._seen >= CACHE_AFTER else None
            if cached is not None:
                self._tables, self._index = cached, None
            elif self._seen < TABLES_AFTER:
                return self._term_ids_by_string(texts)  # not yet worth building the tables
            else:
                self._index = None  # the tables replace it (some 20 MB), and are built without it
        tables = self._ngram_tables()
        if tables is None:
            return self._term_ids_by_string(texts)
        words, W, unigram, by_n = tables
        seq, starts = self._batch_sequence(texts, words)
        row_at = np.repeat(np.arange(len(texts), dtype=np.int64), np.diff(starts))  # each place's text
        uni = unigram[seq]
        at = np.flatnonzero(uni >= 0)
        rows, terms = [row_at[at]], [uni[at]]
        pos_bits = max(1, int(len(seq)).bit_length())
        for n, (keys, term_of, first) in by_n.items():
            m = len(seq) - n + 1
            if m <= 0 or not len(keys):
                continue
            at = np.flatnonzero(first[seq[:m]])  # grams whose first word starts some term
            k = seq[at]
            for j in range(1, n):
                k = k * W + seq[at + j]
            if (W ** n).bit_length() + pos_bits <= _PACK_BITS:
                # each gram's key and place in one int64, sorted (a plain sort, three times faster than the
                # argsort of np.unique's inverse): equal keys fall together and are searched once, in order (a
                # sorted search walks the keys once, 3 times faster than one search per gram over 260,000 keys)
                packed = np.sort((k << pos_bits) | at)
                k, at = packed >> pos_bits, packed & ((1 << pos_bits) - 1)
                new = np.empty(len(k), dtype=bool)
                new[:1] = True
                np.not_equal(k[1:], k[:-1], out=new[1:])
                distinct = k[new]
                pos = np.searchsorted(keys, distinct)
                pos[pos == len(keys)] = 0
                found = keys[pos] == distinct
                which = np.cumsum(new) - 1  # each gram's place among the distinct keys
                hit = found[which]
                terms.append(term_of[pos[which[hit]]])
            else:
                distinct, back = np.unique(k, return_inverse=True)
                pos = np.searchsorted(keys, distinct)[back]
                pos[pos == len(keys)] = 0
                hit = keys[pos] == k
                terms.append(term_of[pos[hit]])
            rows.append(row_at[at[hit]])
        return np.concatenate(rows), np.concatenate(terms)

    _packed = None

    def _batch_sequence(self, texts: list[str], words: dict) -> tuple[np.ndarray, np.ndarray]:
        """_sequence(texts, words), the tokens of its texts whose words are all ASCII numbered in numpy
        (cabletags.scoring.wordids: half the time of the strings' lookups) and the others' by their strings, laid out
        in the texts' order. A text's characters outside ASCII that are no word characters (curly quotes, dashes, a
        line separator) only part tokens, as any blank does: the text is read as ASCII with a blank in their place."""
        if self._packed is None or self._packed[0] is not words:
            from .wordids import PackedWords

            self._packed = (words, PackedWords(words))
        packed = self._packed[1]
        plain = [t.isascii() or not _has_word_outside_ascii(t) for t in texts]
        asc = [i for i, p in enumerate(plain) if p]
        if len(asc) == len(texts):
            return packed.ids(texts, words) if texts else self._sequence(texts, words)
        seq_a, starts_a = packed.ids([texts[i] for i in asc], words) if asc else (np.zeros(0, np.int64), [0])
        others = [i for i, p in enumerate(plain) if not p]
        own = {i: self._sequence([texts[i]], words)[0][:-1] for i in others}  # (its closing 0 left off)
        counts = np.zeros(len(texts), dtype=np.int64)
        counts_a = np.diff(starts_a) - 1
        counts[asc] = counts_a
        counts[others] = [len(own[i]) for i in others]
        starts = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(counts + 1, out=starts[1:])
        seq = np.zeros(int(starts[-1]), dtype=np.int64)
        if asc:  # each ASCII text's tokens moved to its place (its closing 0 is already one)
            mine = np.ones(len(seq_a), dtype=bool)
            mine[np.asarray(starts_a[1:]) - 1] = False
            at = np.flatnonzero(mine)
            k = np.repeat(np.arange(len(asc)), counts_a)
            seq[starts[np.asarray(asc)][k] + at - np.asarray(starts_a)[k]] = seq_a[at]
        for i in others:
            seq[starts[i]:starts[i] + len(own[i])] = own[i]
        return seq, starts

    def _sequence(self, texts: list[str], words: dict) -> tuple[np.ndarray, np.ndarray]:
        """(seq, starts): the word ids of every text's tokens (0: a word the vocabulary lacks) laid end to end, a 0
        after each text so that no gram spans two, text r at seq[starts[r]:starts[r + 1] - 1]. The whole batch's
        tokens are looked up in one pass, each text closed by _END (its own id, -2): one lookup over a list is
        twice as fast as one per text. An ASCII text's one-character runs are looked up too (as -1, the ids of
        _ONE_CHARACTER) and dropped as numbers: cheaper than dropping them as strings."""
        toks: list[str] = []
        for t in texts:
            low = t.lower()
            toks += low.translate(ASCII_BLANKS).split() if low.isascii() else TOKENS.findall(low)
            toks.append(_END)
        ids = np.array(list(map(words.get, toks, repeat(0))), dtype=np.int64)
        seq = ids[ids != -1]
        ends = np.flatnonzero(seq == -2)
        seq[ends] = 0
        starts = np.zeros(len(texts) + 1, dtype=np.int64)
        starts[1:] = ends + 1
        return seq, starts

    def _term_ids_by_string(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """term_ids() for a vocabulary too large for numbered grams: each gram's string looked up."""
        get, minus = self.index.get, repeat(-1)
        per_text = []
        for t in texts:
            grams = self._grams(t)
            ids = np.fromiter(map(get, grams, minus), dtype=np.int64, count=len(grams))
            per_text.append(ids[ids >= 0])
        lengths = np.fromiter(map(len, per_text), dtype=np.int64, count=len(per_text))
        rows = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        return rows, (np.concatenate(per_text) if per_text else np.zeros(0, dtype=np.int64))

    def transform(self, texts) -> sp.csr_matrix:
        texts = list(texts)
        V = max(self.n_terms, 1)
        rows, terms = self.term_ids(texts)
        keys = rows * V
        if len(keys):
            keys += terms
        if len(texts) * V < 1 << 32:  # a sort of 4-byte keys takes half the time of 8-byte ones
            keys = keys.astype(np.uint32)
        uniq, counts = _counted(keys)  # sorted by row, then term: CSR order
        rows, cols = np.divmod(uniq.astype(np.int64), V)
        data = counts.astype(np.float32)
        np.log(data, data)
        data += np.float32(1.0)
        data *= self.idf[cols]
        indptr = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=len(texts)), out=indptr[1:])
        if self.block is not None:  # block_normalize on the arrays at hand (no matrix built twice)
            data = _block_scaled(data, rows, cols, len(texts), self.block, self.header_weight)
            return canonical_csr(data, cols, indptr, (len(texts), self.n_terms))
        # unit rows, as scikit-learn's normalize: squares in float32, summed in float64
        sq = (data * data).astype(np.float64)
        starts = indptr[:-1]
        nonempty = indptr[1:] > starts
        norms = np.zeros(len(texts), dtype=np.float64)
        if nonempty.any():
            norms[nonempty] = np.sqrt(np.add.reduceat(sq, starts[nonempty]))
        scale = np.repeat(norms, np.diff(indptr))
        data = (data / scale).astype(np.float32) if len(data) else data
        return canonical_csr(data, cols, indptr, (len(texts), self.n_terms))

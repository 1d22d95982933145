"""Normalize raw TAGS lines into canonical codes, explaining every repair.

Rules are general, driven by the taxonomy (never a table of broken strings):

* label words, banners and page headers are junk: removed, but recorded as repairs;
* case: ``prel`` -> PREL (a lower-case token counts as a code only where it cannot be an English word);
* aliases: legacy and variant forms, ISO forms, place names (``RU`` -> RS, ``IRAQ`` -> IZ);
* run-together codes are split by dynamic programming over the known codes (``OSCEPREF`` -> OSCE PREF),
  preferring 4-letter subject/program codes and refusing splits of ordinary words and names;
* typos: one dropped, doubled (or inserted) or swapped letter, accepted only when a single candidate is
  clearly best (corpus frequency breaks ties); otherwise the token is kept and flagged with candidates;
* personal names after name-taking tags (OVIP, OTRA ...) or in parentheses become ``SURNAME, GIVEN``;
* anything else is kept verbatim in ``unknown``: nothing is silently dropped.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from ..cableformat import PAGE_HEADERS, TAGS_LABEL_AT_START
from .taxonomy import TOPIC_KINDS, Taxonomy, load_taxonomy
from .wordmodel import CharModel, char_ngram_counts

__all__ = ["NormalizedTags", "Repair", "Normalizer", "get_normalizer", "render_line"]


@dataclass(frozen=True)
class Repair:
    """One change made to the raw line. kind: split | typo | alias | case | junk | name | phrase | cut."""

    kind: str
    original: str
    result: tuple[str, ...]
    confidence: float
    note: str = ""

    def to_dict(self) -> dict:
        d = {"kind": self.kind, "original": self.original, "result": list(self.result),
             "confidence": round(self.confidence, 3)}
        if self.note:
            d["note"] = self.note
        return d


@dataclass
class NormalizedTags:
    """The clean form of one TAGS line.

    codes: canonical taxonomy codes in order of first appearance, no duplicates.
    names: personal names in ``SURNAME, GIVEN`` form. unknown: tokens and free phrases kept verbatim.
    repairs: every change made. candidates: for ambiguous unknown tokens, the codes they may stand for.
    """

    codes: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    repairs: list[Repair] = field(default_factory=list)
    candidates: dict[str, list[str]] = field(default_factory=dict)
    taxonomy_version: str = ""

    def to_dict(self, with_version: bool = False) -> dict:
        d = {"codes": list(self.codes), "names": list(self.names), "unknown": list(self.unknown),
             "repairs": [r.to_dict() for r in self.repairs]}
        if self.candidates:
            d["candidates"] = {k: list(v) for k, v in self.candidates.items()}
        if with_version:
            d["taxonomy_version"] = self.taxonomy_version
        return d

    def to_line(self) -> str:
        return render_line(self)

    def trusted(self, min_confidence: float, raw: str = "") -> "NormalizedTags":
        """This result with only the repairs of at least `min_confidence` applied: each other repair's token is
        kept (in `unknown`) and what it would have been goes to `candidates`, as a suggestion. A code stays when a
        trusted repair gives it or the line `raw` holds it as written."""
        low = [r for r in self.repairs if r.confidence < min_confidence and r.result and r.kind != "junk"]
        if not low:
            return self
        keep = [r for r in self.repairs if r not in low]
        supported = {c for r in keep for c in r.result}
        produced = {c for r in self.repairs for c in r.result}
        written = set(re.findall(r"[A-Z][A-Z0-9-]+", raw))
        codes = [c for c in self.codes if c not in produced or c in supported or c in written]
        unknown = list(self.unknown) + [r.original for r in low if r.original not in self.unknown]
        cands = dict(self.candidates)
        for r in low:
            cands[r.original] = list(r.result)
        return NormalizedTags(codes, list(self.names), unknown, keep, cands, self.taxonomy_version)

    def __bool__(self) -> bool:
        return bool(self.codes or self.names or self.unknown)


def render_line(n: NormalizedTags) -> str:
    """A clean TAGS line: codes, then names in parentheses, then unknown items."""
    parts = list(n.codes) + [f"({name})" for name in n.names] + list(n.unknown)
    return "; ".join(parts)


# --- lexical patterns ------------------------------------------------------------------------------
_PAREN = re.compile(r"\(([^()]*)\)")
_HAS_DIGIT = re.compile(r"\d")
_SPACED_HINT = re.compile(r"\b[A-Z] [A-Z] [A-Z] ")
_TOKEN_SPLIT = re.compile(r"\s+")
_FAST_SPLIT = re.compile(r"[,;\s]+")
_PARTS_SPLIT = re.compile(r"[/-]+")
_ITEM_SPLIT = re.compile(r"[,;]+")
_STRIP = ".:'\"!?*[]{}<>_=+|\\`~#()"
_TITLES = {"MR", "MRS", "MS", "DR", "GEN", "AMB", "SEN", "REP", "PM", "FM", "HON", "SIR", "PRES", "MINISTER"}
_LETTERS = re.compile(r"^[A-Za-z]+$")
_NAME_WORDS = re.compile(r"[A-Z][A-Z'.-]*(?: [A-Z][A-Z'.-]*)*")  # a name's upper-case words, as name_after joins them


# bounds that keep the work linear in the input (docs/cli.md): longer tokens are kept whole as unknown,
# longer lines are cut with a repair note
MAX_TOKEN_CHARS = 64
MAX_LINE_CHARS = 20_000

WORDLIKE_MAX = -2.8  # mean log-probability per character above which a token reads as a word
WORDLIKE_MAX_MIXED = -2.45  # the same, for splits that include a 4+ letter code (RUPREL -2.53)


def _phrase_key(text: str) -> str:
    """A phrase's words, lower case, without punctuation: "HUMAN RIGHTS" and "Human Rights" are "human rights"."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def _clean_text(raw: str) -> str:
    if not raw.isascii():
        raw = unicodedata.normalize("NFKC", raw)
    if raw.isprintable():
        return raw
    return "".join(ch if ch.isprintable() else " " for ch in raw)


class Normalizer:
    """Normalization over one taxonomy; holds per-token caches (the same tokens recur constantly)."""

    def __init__(self, taxonomy: Taxonomy):
        self.tax = taxonomy
        self.codes = taxonomy.entries
        self.aliases = taxonomy.aliases
        self.count = {c: max(e.corpus_count, 0) for c, e in self.codes.items()}
        self.name_tags = {c for c, e in self.codes.items() if e.takes_name}
        # codes that need no rule when written exactly: not label or junk words, taking no name
        self.plain_codes = frozenset(c for c in self.codes if c not in self.name_tags and c.isupper()
                                     and c not in taxonomy.junk and not TAGS_LABEL_AT_START.match(c))
        # forms a run-together token may be made of: codes, and short aliases (RUPREL = RU PREL -> RS PREL)
        self.split_forms = {c: (c, 0.0) for c in self.codes if 2 <= len(c) <= 8 and c.isalpha()}
        for form, (code, atype) in self.aliases.items():
            if 2 <= len(form) <= 5 and form.isalpha() and atype in ("iso", "iso3", "variant", "legacy"):
                self.split_forms.setdefault(form, (code, 0.2))
        # codes of another era only (UR, SEATO, USTS, C-20): atoms, never split, joined or typo-repaired into a
        # Cablegate code; kept as unknown (decode --era 1970s reads them)
        self.era_atoms = frozenset(c for c in taxonomy.era_codes("1970s") if c not in self.codes)
        for atom in self.era_atoms:  # a piece of a run-together token too (USTSPREL = USTS PREL, not US TS PREL)
            if 3 <= len(atom) <= 8 and atom.isalpha():
                self.split_forms.setdefault(atom, (atom, 0.3))
        self._resolve = lru_cache(maxsize=200_000)(self._resolve_token)
        self._line = lru_cache(maxsize=50_000)(self._normalize_uncached)
        self._items: dict[str, tuple] = {}
        self._wordlike_model = None  # built on first use: most lines never need it
        self._deletes_index: dict[str, set[str]] | None = None
        self._phrases: dict[str, str] | None = None  # title words -> code, built on first use
        self.codewords, self.acronyms = _prose_lists()
        # ISO 3166 forms of the geographic codes whose FIPS code differs (ZW is Zimbabwe's, FIPS ZI)
        self.iso_forms = {e.iso3166: c for c, e in self.codes.items()
                          if e.kind == "geographic" and e.iso3166 and e.iso3166 != c and e.iso3166 not in self.codes}

    @property
    def _deletes(self) -> dict[str, set[str]]:
        """Typo index, built on first use: each code of 3+ letters under every one-letter deletion."""
        if self._deletes_index is None:
            idx: dict[str, set[str]] = {}
            for c in self.codes:
                if len(c) >= 3 and c.isalpha():
                    for i in range(len(c)):
                        idx.setdefault(c[:i] + c[i + 1:], set()).add(c)
            self._deletes_index = idx
        return self._deletes_index

    # --- single tokens ----------------------------------------------------------------------------
    @property
    def _wordlike(self) -> CharModel:
        if self._wordlike_model is None:
            tables = self.tax.wordmodel  # counted when the taxonomy was compiled, kept in its cache
            self._wordlike_model = CharModel(tables["tri"], tables["bi"]) if tables else \
                CharModel(*char_ngram_counts(self.tax.plainwords))
        return self._wordlike_model

    def is_plain_word(self, up: str) -> bool:
        return len(up) >= 3 and up.lower() in self.tax.plainwords

    def typo_candidates(self, up: str) -> list[str]:
        """Codes one dropped, doubled/inserted or swapped letter away from `up`, most plausible first."""
        return [c for c, _ in self._typo_scored(up)]

    def _typo_scored(self, up: str) -> list[tuple[str, int]]:
        """(code, plausibility) pairs: 3 a doubled letter, 2 a swap or a dropped letter, 1 an inserted one."""
        if len(up) < 3 or not up.isalpha():
            return []
        found: dict[str, int] = {}

        def put(code, w):
            if code != up and found.get(code, 0) < w:
                found[code] = w

        for c in self._deletes.get(up, ()):  # a dropped letter
            if len(c) == len(up) + 1:
                put(c, 2)
        for i in range(len(up)):  # an extra letter: doubled (likely) or inserted
            d = up[:i] + up[i + 1:]
            if len(d) >= 3 and d in self.codes:
                doubled = (i > 0 and up[i - 1] == up[i]) or (i + 1 < len(up) and up[i + 1] == up[i])
                put(d, 3 if doubled else 1)
        for i in range(len(up) - 1):  # two neighbours swapped
            if up[i] != up[i + 1]:
                sw = up[:i] + up[i + 1] + up[i] + up[i + 2:]
                if sw in self.codes:
                    put(sw, 2)
        if len(up) == 3:  # a 3-letter token: only a dropped letter of a 4-letter code
            found = {c: w for c, w in found.items() if len(c) == 4}
        if len(up) == 4:  # a 4-letter token read as a 3-letter code: only well-used ones
            found = {c: w for c, w in found.items() if len(c) >= 4 or self.count.get(c, 0) >= 20}
        return sorted(found.items(), key=lambda cw: (-cw[1], -self.count.get(cw[0], 0), cw[0]))

    def _typo(self, up: str):
        """(code, confidence) when one candidate is clearly best, else (None, candidates).

        Clearly best: the only candidate of the most plausible edit kind, or one used at least 1.5 times
        as often as the runner-up (corpus frequency breaks near-ties). Short tokens need more support, since short strings collide more:
        a 3-letter token needs a candidate carried by >= 3 corpus cables, a 4-letter one >= 1 (or a
        handbook subject/program code); 5+ letters need no usage.
        """
        scored = self._typo_scored(up)
        if not scored:
            return None, []
        top_w = scored[0][1]
        top = [c for c, w in scored if w == top_w]
        best = top[0]
        nb = self.count.get(best, 0)
        n2 = self.count.get(top[1], 0) if len(top) > 1 else 0
        clear = len(top) == 1 or nb >= 1.5 * max(n2, 1)
        if len(up) == 3:
            enough = nb >= 3
        elif len(up) == 4:
            enough = nb >= 1 or self.codes[best].kind in TOPIC_KINDS
        else:
            enough = True
        if clear and enough:
            conf = 0.95 if len(scored) == 1 else 0.85 if len(top) == 1 else min(0.85, 0.6 + 0.25 * (1 - n2 / nb))
            return best, conf
        return None, [c for c, _ in scored[:5]]

    def _substitution(self, up: str):
        """(code, confidence) for one substituted letter of a frequent code (PTEF for PTER), else (None, []).

        The least certain of the typo rules, so the strictest: tokens of 4+ letters, candidates carried by
        >= 20 corpus cables (or handbook subject/program codes), and one candidate at least 3 times as used as
        any other; confidence 0.7. Ordinary words never get here (they are refused before any typo rule).
        """
        if len(up) < 4 or not up.isalpha():
            return None, []
        found = {}
        for i in range(len(up)):
            for ch in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
                c = up[:i] + ch + up[i + 1:]
                if ch != up[i] and c in self.codes:
                    e = self.codes[c]
                    if self.count.get(c, 0) >= 20 or (e.kind in TOPIC_KINDS and e.verified):
                        found[c] = self.count.get(c, 0)
        if not found:
            return None, []
        ranked = sorted(found, key=lambda c: (-found[c], c))
        if len(ranked) == 1 or found[ranked[0]] >= 3 * max(found[ranked[1]], 1):
            return ranked[0], 0.7
        return None, ranked[:5]

    def split(self, up: str):
        """Best segmentation of a run-together token into known codes, or None.

        Cost per piece: 4-letter subject/program 1.0, other 4+ letter codes 1.15, 3-letter 1.3,
        2-letter (geographic) 1.6, +0.2 for an alias form. Without a piece of 4+ letters, a split
        needs at most three pieces, all codes carried by >= 20 corpus cables (ordinary words are
        refused before this is tried).
        """
        n = len(up)
        if n < 4 or n > 60:
            return None
        INF = float("inf")
        # best[i] = (cost, canonical pieces, lengths of the forms they were read from) for up[i:]
        best: list[tuple[float, tuple, tuple]] = [(INF, (), ())] * (n + 1)
        best[n] = (0.0, (), ())
        for i in range(n - 1, -1, -1):
            for j in range(i + 2, min(n, i + 8) + 1):
                form = up[i:j]
                if form not in self.split_forms or best[j][0] == INF:
                    continue
                piece, extra = self.split_forms[form]
                L = len(form)
                cost = 1.0 if (L == 4 and self._topic(piece)) else 1.15 if L >= 4 else \
                    1.3 if L == 3 else 1.6
                cost += extra - min(self.count.get(piece, 0), 10000) / 1e6  # frequency breaks exact ties
                total = cost + best[j][0]
                if total < best[i][0]:
                    best[i] = (total, (piece,) + best[j][1], (L,) + best[j][2])
        _, pieces, lens = best[0]
        if not pieces or len(pieces) < 2:
            return None
        two = sum(n == 2 for n in lens)
        long_ = sum(n >= 4 for n in lens)
        three = sum(n == 3 for n in lens)
        used = all(self.count.get(p, 0) >= 20 for p, n in zip(pieces, lens) if n <= 3)
        if long_ == 0:
            # only short pieces (IZSA = IZ SA, NLEUN = NL EUN): at most three, all well-used codes,
            # and the token must not read like a word (BASINS is not BA SI NS; TERRORISM never gets here)
            if len(pieces) > 3 or not used or self._wordlike.score(up) > WORDLIKE_MAX:
                return None
        elif two > 2 * long_ and not used:
            return None
        elif (two or three) and not any(n == 4 and self._topic(p) for p, n in zip(pieces, lens)) \
                and self._wordlike.score(up) > WORDLIKE_MAX_MIXED:
            return None  # SPLASH is not SPLA SH (a subject/program code such as PREL in PRELIS is trusted)
        conf = 0.95 - 0.1 * two - 0.05 * three
        return pieces, max(conf, 0.5)

    def _topic(self, piece: str) -> bool:
        """A subject or program code of the taxonomy (not an era atom)."""
        e = self.codes.get(piece)
        return e is not None and e.kind in TOPIC_KINDS

    def split_partial(self, up: str):
        """A run-together token with one piece the taxonomy does not know as a code (KWMNPHUMPRELKPAOZW: ZW is
        Zimbabwe's ISO form, FIPS ZI): ([(code or None, form), ...] in order, confidence of the known pieces), or
        None. At most one unknown piece of 2-3 letters; the rest known codes, two of them 4-letter subject/program
        codes; never a token that reads like a word. Tried only when no whole-token rule applies."""
        n = len(up)
        if n < 8 or n > 60 or not up.isalpha():
            return None
        INF = float("inf")
        # best[i][g]: (cost, segments) for up[i:] using g unknown pieces (0 or 1)
        best = [[(INF, ()), (INF, ())] for _ in range(n + 1)]
        best[n][0] = (0.0, ())
        for i in range(n - 1, -1, -1):
            for g in (0, 1):
                for j in range(i + 2, min(n, i + 8) + 1):
                    form = up[i:j]
                    if form in self.split_forms and best[j][g][0] < INF:
                        piece = self.split_forms[form][0]
                        if len(form) <= 3 and self.count.get(piece, 0) < 20 or piece not in self.codes:
                            continue
                        cost = (1.0 if len(form) == 4 and self._topic(piece)
                                else 1.15 if len(form) >= 4 else 1.3 if len(form) == 3 else 1.6) + best[j][g][0]
                        if cost < best[i][g][0]:
                            best[i][g] = (cost, ((piece, form),) + best[j][g][1])
                    if g == 1 and j - i <= 3 and best[j][0][0] < INF:
                        cost = 4.0 + best[j][0][0]
                        if cost < best[i][1][0]:
                            best[i][1] = (cost, ((None, form),) + best[j][0][1])
        segs = best[0][1][1]
        known = [(c, f) for c, f in segs if c is not None]
        anchors = sum(len(f) == 4 and self._topic(c) for c, f in known)
        # two 4-letter subject/program codes anchor it, and it must not read like a word (MARRAKECH, POLYTECHNIC)
        if not segs or anchors < 2 or self._wordlike.score(up) > WORDLIKE_MAX_MIXED:
            return None
        return list(segs), 0.8

    def _resolve_token(self, tok: str, words_context: bool):
        """Resolve one token. Returns (kind, payload): kind in code|alias|case|typo|split|junk|era|word|unknown.
        A token over MAX_TOKEN_CHARS characters is kept as unknown, never split or corrected."""
        if len(tok) > MAX_TOKEN_CHARS:
            return "unknown", None, 0.0
        up = tok.upper()
        is_upper = tok == up
        if up in self.codes:
            if is_upper:
                return "code", (up,), 1.0
            if words_context:  # "in", "is", "at" inside an English phrase are words, not India, Iceland ...
                return "unknown", None, 0.0
            return "case", (up,), 1.0
        if up in self.tax.junk and (is_upper or not words_context):
            return "junk", (), 1.0
        if up in self.aliases:
            code, atype = self.aliases[up]
            if is_upper or not words_context or atype == "name":
                return ("typo" if atype == "typo" else "alias"), (code,), 0.9 if atype == "typo" else 1.0
        if up in self.era_atoms and is_upper:
            return "era", None, 0.0
        if up in self.tax.words or not _LETTERS.match(up):
            return "word", None, 0.0
        if not is_upper or self.is_plain_word(up):
            return "unknown", None, 0.0
        acronym = up in self.acronyms
        if acronym and len(up) >= 4:  # a cable defines it as an acronym: a name of its own, not a typo of a code
            near = self.typo_candidates(up)[:3] or [c for c in (self.split(up) or ((), 0))[0] if c in self.codes]
            return ("ambiguous", tuple(near), 0.0) if near else ("unknown", None, 0.0)
        kind, result, conf = self._repaired(up)
        if kind in ("split", "typo") and (acronym or any(self.count.get(c, 0) == 0 for c in result
                                                         if c in self.codes)):
            # into a code no corpus cable carries, or from a three-letter acronym some cable defines (too short to
            # tell from a dropped letter: MRR is MARR's, and an acronym too): never confident
            conf = min(conf, UNATTESTED_CONFIDENCE)
        return kind, result, conf

    def _repaired(self, up: str):
        """The general rules on an upper-case token that is no code, alias, word or acronym: split, typo,
        substitution; (kind, result, confidence)."""
        sp = self.split(up)
        if sp and all(len(p) <= 3 for p in sp[0]) and len(up) >= 4:
            # short pieces only (SAEC = SA EC?) compete with a typo of a longer code (ASEC): a clear
            # typo of a handbook subject/program code, or of a well-used code, wins
            code, info = self._typo(up)
            if code and (self.codes[code].kind in TOPIC_KINDS or self.count.get(code, 0) >= 5
                         or len(code) >= 5):
                return "typo", (code,), info
        if sp:
            return "split", sp[0], sp[1]
        if len(up) >= 3:
            code, info = self._typo(up)
            if code:
                return "typo", (code,), info
            if info:
                return "ambiguous", tuple(info), 0.0
            code, info = self._substitution(up)  # the last rule tried: nothing else explains the token
            if code:
                return "typo", (code,), info
            if info:
                return "ambiguous", tuple(info), 0.0
        return "unknown", None, 0.0

    # --- whole lines -------------------------------------------------------------------------------
    def normalize(self, raw) -> NormalizedTags:
        """The NormalizedTags of one raw TAGS line. Work is linear in the line: a line over MAX_LINE_CHARS
        is cut (at the last separator before the limit) with a "cut" repair saying how much was not read."""
        if raw is None or _missing(raw):
            raw = ""
        if not isinstance(raw, str):
            raise TypeError(f"normalize() expects a str, got {type(raw).__name__}")
        if len(raw) > MAX_LINE_CHARS:  # headers glued to megabytes of text: read the start, never cache
            cut = max(raw.rfind(",", 0, MAX_LINE_CHARS), raw.rfind(" ", 0, MAX_LINE_CHARS))
            cut = cut if cut > MAX_LINE_CHARS // 2 else MAX_LINE_CHARS
            res = self._normalize_uncached(raw[:cut])
            rest = raw[cut:]
            res.repairs.append(Repair("cut", rest[:40] + "…", (), 1.0,
                                      f"line over {MAX_LINE_CHARS} characters: the last {len(rest)} not read"))
            return res
        res = self._line(raw)
        return NormalizedTags(list(res.codes), list(res.names), list(res.unknown), list(res.repairs),
                              dict(res.candidates), res.taxonomy_version)

    def _normalize_uncached(self, raw: str) -> NormalizedTags:
        # most lines are clean codes ("PGOV, PREL, AJ"): they need none of the rules (the result is the
        # same: tests/test_normalizer.py compares the two paths)
        codes = self.plain_code_line(raw)
        if codes is not None:
            return NormalizedTags(codes, taxonomy_version=self.tax.version)
        return self._normalize_full(raw)

    def plain_code_line(self, raw: str) -> list[str] | None:
        """The codes of a line made only of codes written exactly ("PGOV, PREL, AJ"), in order without
        repeats; None for any other line (it needs the rules)."""
        if not raw.isascii() or _HAS_DIGIT.search(raw) or _SPACED_HINT.search(raw):
            return None
        toks = _FAST_SPLIT.split(raw.strip())
        if not toks[0] or not toks[-1] or not self.plain_codes.issuperset(toks):
            return None
        return list(dict.fromkeys(toks))

    def _normalize_full(self, raw: str) -> NormalizedTags:
        out = NormalizedTags(taxonomy_version=self.tax.version)
        text = _clean_text(raw)
        seen_codes: set[str] = set()

        def add_code(c):
            if c not in seen_codes:
                seen_codes.add(c)
                out.codes.append(c)

        def junk(text_, note):
            out.repairs.append(Repair("junk", text_.strip(), (), 1.0, note))

        # repeated label words ("TAGS: TAGS PREL") are stripped one at a time
        while True:
            m = TAGS_LABEL_AT_START.match(text)
            if not m or not m.group(0).strip():
                break
            junk(m.group(0), "label word")
            text = text[m.end():]
        # headers need digits (PAGE 02, SECTION 01 OF 03, E.O. 12958), DECL, or spaced letters (C O N F ...)
        if _HAS_DIGIT.search(text) or "DECL" in text.upper() or _SPACED_HINT.search(text):
            for pat in PAGE_HEADERS:
                def _sub(m):
                    if m.group(0).strip():
                        junk(m.group(0), "page header / banner")
                    return " , "
                text = pat.sub(_sub, text)

        # parenthesised groups holding a personal name or codes are taken out; other parentheses stay
        # inline, as part of a free phrase ("Trafficking (in persons)")
        def _paren(m):
            return " , " if self._paren(m.group(1), out, add_code) else m.group(0)
        if "(" in text:
            text = _PAREN.sub(_paren, text)
        plain = self.plain_codes
        items = [item.strip() for item in _ITEM_SPLIT.split(text)]
        upper_line = any(_UPPER_TOKEN.search(item) for item in items)
        for item in items:
            if item in plain:  # one clean code, the common item
                add_code(item)
            elif item.startswith("(") and self._detached_name(item, out):
                continue
            elif item and not (upper_line and self._lone_word(item, out, add_code)):
                self._replay(self._item_result(item), out, add_code)
        # an unmatched "(" leaves a bare parenthesis in an unknown token; that is kept verbatim
        return out

    def _detached_name(self, item: str, out: NormalizedTags) -> bool:
        """An item that is a parenthesized name of upper-case words alone ("OVIP; (SMITH)"), after a code that takes a
        name: that name, as a clean line writes it (render_line puts names after the codes). True when it was. The
        parentheses were left here because they hold neither codes nor a name of two words (_paren)."""
        inner = item[1:-1].strip() if item.endswith(")") else ""
        if not inner or not _NAME_WORDS.fullmatch(inner) or not any(c in self.name_tags for c in out.codes):
            return False
        self._flush_name("", inner.split(), out)
        return True

    def _lone_word(self, tok: str, out: NormalizedTags, add_code) -> bool:
        """A word not written in upper case, alone beside codes that are ("PHUM, in"): True when handled. A word of
        prose ("in", "as", "is") stays a word, flagged, with the code it could be as a suggestion; anything else
        that is a code but for its case is read as that code with LONE_LOWER_CONFIDENCE. A line written wholly
        in lower case never gets here ("prel, pgov, tu" are codes)."""
        word = tok.strip(_STRIP)
        if not word or word.isupper() or not word.isalpha():
            return False
        up = word.upper()
        kind = "case"
        if up in self.codes:
            code = up
        elif up in self.aliases and word.islower():  # "china", "turkey", "tip": words first, names of codes second
            code, kind = self.aliases[up][0], "alias"
        else:  # a name written as a name ("Iraq") is an alias: the usual rules read it
            return False
        if word.lower() in self.codewords or self.is_plain_word(up):
            if word not in out.unknown:
                out.unknown.append(word)
            out.candidates[word] = [code]
            return True
        out.repairs.append(Repair(kind, word, (code,), LONE_LOWER_CONFIDENCE,
                                  "written in lower case beside upper-case codes"))
        add_code(code)
        return True

    def _paren(self, content: str, out: NormalizedTags, add_code) -> bool:
        """Handle "(...)": True when taken out (empty, codes, or a personal name)."""
        c = content.strip()
        if not c:
            out.repairs.append(Repair("junk", "()", (), 1.0, "empty parentheses"))
            return True
        toks = [t.strip(_STRIP) for t in re.split(r"[\s,]+", c) if t.strip(_STRIP)]
        if toks and all(t in self.codes for t in toks):
            for t in toks:
                add_code(t)
            return True
        name = self._as_name(c)
        if name:
            self._add_name(c, name, out, 0.9)
            return True
        return False

    def _as_name(self, text: str):
        """`SURNAME, GIVEN` when text looks like a personal name (upper-case words), else None."""
        t = re.sub(r"\bET\s+AL\b\.?", "", text.strip(), flags=re.I).strip(" ,")
        if not t or any(ch.islower() for ch in t) or not re.fullmatch(r"[A-Z][A-Z .,'-]*", t):
            return None
        if "," in t:
            sur, _, given = t.partition(",")
            given = re.sub(r"\s*,\s*", " ", given).strip(" ,")
        else:
            words = [w for w in t.split() if any(ch.isalpha() for ch in w)]  # ("AAD ." is one word, as "AAD" is)
            words = [w for w in words if w.strip(".") not in _TITLES] or words
            if len(words) < 2:
                return None
            sur, given = words[0], " ".join(words[1:])
        sur = " ".join(w for w in sur.split() if w.strip(".") not in _TITLES) or sur.strip()
        sur, given = sur.strip(" ."), re.sub(r"\s+", " ", given).strip(" .")
        if not sur:
            return None
        return f"{sur}, {given}" if given else sur

    def _add_name(self, original: str, name: str, out: NormalizedTags, conf: float):
        if name not in out.names:
            out.names.append(name)
        if name != " ".join(original.split()):  # a name already written as SURNAME, GIVEN needs no repair
            out.repairs.append(Repair("name", original.strip(), (name,), conf))

    def _item_result(self, item: str) -> tuple:
        """What one comma-separated item contributes, computed once per distinct item (items recur across
        lines far more than whole lines do): (codes, its own NormalizedTags for the rest)."""
        hit = self._items.get(item)
        if hit is None:
            part = NormalizedTags()
            codes: list[str] = []
            self._item(item, part, codes.append)
            hit = (codes, part)
            if len(self._items) < 200_000:
                self._items[item] = hit
        return hit

    @staticmethod
    def _replay(result: tuple, out: NormalizedTags, add_code) -> None:
        """Add an item's result to the line's, with the line's own rules against repeats."""
        codes, part = result
        for c in codes:
            add_code(c)
        if part:  # it has names or unknown items
            for u in part.unknown:
                if u not in out.unknown:
                    out.unknown.append(u)
            for n in part.names:
                if n not in out.names:
                    out.names.append(n)
        if part.candidates:
            out.candidates.update(part.candidates)
        if part.repairs:
            out.repairs.extend(part.repairs)

    def _item(self, item: str, out: NormalizedTags, add_code):
        s = item.strip()
        if s in self.plain_codes:  # the common case: one clean code
            add_code(s)
            return
        raw_toks = s.split()
        if not raw_toks:
            return
        if self.plain_codes.issuperset(raw_toks):  # "PGOV PREL TU": all clean codes
            for t in raw_toks:
                add_code(t)
            return
        # English context: an item with a lower-case word that is not itself a code reads as a phrase
        lower_words = [t for t in raw_toks if any(map(str.islower, t))]
        words_context = len(raw_toks) > 1 and any(t.strip(_STRIP).upper() not in self.codes for t in lower_words)
        pending: list[str] = []  # unresolved tokens, merged into one phrase

        def flush():
            if pending:
                phrase = " ".join(pending)
                if phrase in self.plain_codes:  # a code of several words (AEROLINEAS ARGENTINAS), as written alone
                    add_code(phrase)
                elif not self._phrase(phrase, out, add_code) and phrase not in out.unknown:
                    out.unknown.append(phrase)
                pending.clear()

        if words_context:
            # a free phrase ("Defense Reform (Mil & NATO)") is kept whole; exact upper-case codes in it
            # are taken as codes too, since they are what the writer tagged
            phrase = " ".join(raw_toks)
            if self._phrase(phrase, out, add_code):
                return
            if phrase not in out.unknown:
                out.unknown.append(phrase)
            for t in raw_toks:
                for part in _PARTS_SPLIT.split(t.strip(_STRIP + "()")):
                    if part in self.codes and part.isupper():
                        add_code(part)
            return
        name_buf: list[str] = []
        name_after: str | None = None
        i = 0
        toks = raw_toks
        upper_item = any(_UPPER_TOKEN.fullmatch(t.strip(_STRIP)) for t in toks)
        while i < len(toks):
            raw_tok = toks[i]
            tok = raw_tok.strip(_STRIP)
            i += 1
            if not tok:
                continue
            # a name after a name-taking tag: the following non-code upper-case words, on the same item
            if name_after is not None:
                up = tok.upper()
                joinable = tok.isupper() and re.fullmatch(r"[A-Z][A-Z'.-]*", tok) and (
                    up not in self.codes or (len(up) == 2 and name_buf)) and up not in self.tax.junk \
                    and up not in self.aliases
                if joinable and (len(up) < 4 or up not in self.codes):
                    name_buf.append(tok)
                    continue
                self._flush_name(name_after, name_buf, out)
                name_after, name_buf = None, []
            if upper_item and len(toks) > 1 and tok.isalpha() and not tok.isupper() and (
                    tok.upper() in self.codes or tok.islower() and tok.upper() in self.aliases):
                flush()
                self._lone_word(tok, out, add_code)
                continue
            resolved = self._resolve_parts(tok, words_context)
            if resolved is None:
                pending.append(raw_tok.strip())
                continue
            flush()
            for kind, result, conf, original in resolved:
                if kind == "unknown":
                    out.unknown.append(original) if original not in out.unknown else None
                    continue
                if kind == "ambiguous":
                    if original not in out.unknown:
                        out.unknown.append(original)
                    out.candidates[original] = list(result)
                    continue
                if kind == "junk":
                    out.repairs.append(Repair("junk", original, (), 1.0, "junk word"))
                    continue
                if kind != "code":
                    out.repairs.append(Repair(kind, original, tuple(result), conf))
                for c in result:
                    add_code(c)
                if result and result[-1] in self.name_tags:
                    name_after = result[-1]
        if name_after is not None:
            self._flush_name(name_after, name_buf, out)
        flush()

    def _phrase(self, phrase: str, out: NormalizedTags, add_code) -> bool:
        """A free phrase of two or more words that is word for word the title of one code, as a source gives it
        (a verified title; a current code before a historic one): "Human Rights" is PHUM's title. Repaired as
        "phrase" (confidence 0.6), the phrase kept as the repair's original. True when it was."""
        if self._phrases is None:
            index: dict[str, list] = {}
            for e in self.codes.values():
                words = _phrase_key(e.title or "")
                if e.verified and words.count(" ") >= 1:
                    index.setdefault(words, []).append(e)
            self._phrases = {}
            for k, es in index.items():
                current = [e for e in es if e.status != "historic"] or es
                if len(current) == 1:
                    self._phrases[k] = current[0].code
        code = self._phrases.get(_phrase_key(phrase))
        if code is None:
            return False
        out.repairs.append(Repair("phrase", phrase, (code,), 0.6, f"the title of {code}"))
        add_code(code)
        return True

    def _flush_name(self, tag: str, buf: list[str], out: NormalizedTags):
        if not buf:
            return
        text = " ".join(buf)
        name = self._as_name(text) if len(buf) > 1 else text.strip(" .,")
        self._add_name(text, name or text, out, 0.8)

    def _resolve_parts(self, tok: str, words_context: bool):
        """Resolve a token, trying its /- parts when the whole fails. None: keep it as free text."""
        kind, result, conf = self._resolve(tok, words_context)
        if kind == "era":  # a token of its own, never merged into a free phrase
            return [("unknown", None, 0.0, tok)]
        if kind not in ("unknown", "word", "ambiguous"):
            return self._atoms_apart(kind, result, conf, tok)
        if kind == "ambiguous":
            return [(kind, result, conf, tok)]
        up = tok.upper()
        if tok == up and kind == "unknown" and up not in self.acronyms and not self.is_plain_word(up):
            partial = self.split_partial(up)
            if partial:
                segs, conf = partial
                out = [("split", tuple(c for c, _ in segs if c), conf, tok)]
                for c, form in segs:
                    if c is None:  # the piece the taxonomy does not know: its ISO form mapped, else kept
                        out.append(("alias", (self.iso_forms[form],), 0.6, form) if form in self.iso_forms
                                   else ("unknown", None, 0.0, form))
                return out
        parts = [p for p in _PARTS_SPLIT.split(tok) if p]
        if len(parts) > 1:
            res = [self._resolve(p.strip(_STRIP), words_context) + (p,) for p in parts if p.strip(_STRIP)]
            if any(r[0] not in ("unknown", "word", "era", "ambiguous", "junk") for r in res):
                return [x for k, r, c, p in res
                        for x in self._atoms_apart(k if k not in ("word", "era") else "unknown", r, c, p)]
        return None

    def _atoms_apart(self, kind: str, result, conf: float, original: str) -> list[tuple]:
        """A resolved token as (kind, result, confidence, original) tuples: a split whose pieces include codes of
        another era (AADPCAB = AADP + CAB, the 1974 Civil Aviation Board) keeps those pieces as unknown."""
        if kind != "split" or not self.era_atoms.intersection(result):
            return [(kind, result, conf, original)]
        return [(kind, tuple(c for c in result if c in self.codes), conf, original)] + \
            [("unknown", None, 0.0, c) for c in result if c not in self.codes]


def get_normalizer(taxonomy: Taxonomy | None = None, *, typo_aliases: bool = True) -> Normalizer:
    """The Normalizer of a taxonomy, built once and kept with it (Taxonomy.derived); typo_aliases=False: the one
    of the taxonomy without its typo aliases. None loads the shipped taxonomy now: a program that normalizes more
    than once holds its taxonomy (cabletags.Workspace, or cabletags.normalize, which uses one)."""
    tax = taxonomy if taxonomy is not None else load_taxonomy()
    if not typo_aliases:
        tax = tax.without_typo_aliases()
    return tax.derived("normalizer", lambda: Normalizer(tax))


_UPPER_TOKEN = re.compile(r"\b[A-Z][A-Z0-9]+\b")  # a token written in upper case: the line's codes are
# the confidence of a repair into a code that no corpus cable carries: below any pipeline's "trusted" cut
UNATTESTED_CONFIDENCE = 0.5
# the confidence of a lone word not written in upper case, read as a code, in a line whose codes are
LONE_LOWER_CONFIDENCE = 0.6


def _prose_lists() -> tuple[frozenset, frozenset]:
    """(code-like words of prose, acronyms defined in cables): taxonomy/codewords.txt and acronyms.txt, made by
    scripts/tools/build_plainwords.py from the corpus (read from the shipped taxonomy: they are corpus facts)."""
    from .taxonomy import shipped_taxonomy_dir

    out = []
    for name in ("codewords.txt", "acronyms.txt"):
        try:
            text = (shipped_taxonomy_dir() / name).read_text(encoding="utf-8")
        except OSError:
            text = ""
        out.append(frozenset(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#")))
    return out[0], out[1]


def _missing(value) -> bool:
    """A missing cell of a table: NaN (float or numpy), pandas' NA and NaT; they read as an empty line."""
    if isinstance(value, float):
        return value != value
    name = type(value).__name__
    return name in ("NAType", "NaTType") or (name.startswith("float") and value != value)

"""The format of a cable as text: every pattern that recognises a part of a cable, in one place.

Header fields (classification banners, the TAGS label, SUBJECT, REF, E.O. lines, date-time groups), page
headers that break a TAGS list, boilerplate the classifier ignores, reference numbers and cable ids, and
the one paragraph splitter. The parser, the normalizer, the classifier's text preparation and the reference
index all read cables through these patterns, so a format fix lands everywhere at once.

Every pattern is bounded in length: many cables had their line breaks flattened into spaces, and a
"rest of the line" pattern would then swallow the whole text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


class _Lazy:
    """A pattern compiled on first use: a command that never reads a cable body pays nothing for it. Each method
    asked for is kept on the object, so that later uses find it without a call of __getattr__ (a whole cable asks
    some 70 times)."""

    def __init__(self, pattern: str, flags: int = 0):
        self._args, self._re = (pattern, flags), None

    def __getattr__(self, name):
        if name.startswith("__") or name in ("_args", "_re"):
            raise AttributeError(name)
        if self._re is None:
            self._re = re.compile(*self._args)
        value = getattr(self._re, name)
        setattr(self, name, value)
        return value

__all__ = ["Paragraph", "split_paragraphs", "prose_paragraphs", "signature", "strip_boilerplate",
           "strip_boilerplate_all", "TOKEN_PATTERN", "CLASSIFICATION",
           "SPACED_BANNERS", "TAGS_LABEL", "TAGS_LABEL_AT_START", "FIELD_STOP", "CONTINUATION_LINE",
           "PAGE_HEADERS", "CABLE_ID", "REFERENCE", "REF_LINE", "SUBJECT", "REFERENCE_ID_IN_HEADER"]

# --- header fields ------------------------------------------------------------------------------
CLASSIFICATION = r"(?:UNCLASSIFIED|UNCLAS|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE|SENSITIVE BUT UNCLASSIFIED)"
SPACED_BANNERS = {"U N C L A S": "UNCLASSIFIED", "C O N F I D E N T I A L": "CONFIDENTIAL", "S E C R E T": "SECRET"}
# the first classification word (the lookahead lets the scan skip to the letters that can start one)
CLASSIFICATION_WORD = _Lazy(rf"(?=[UCSL])\b{CLASSIFICATION}\b")
# "CONFIDENTIAL SECTION 01 OF 02 ANKARA 000123": the posting post and serial after the banner
# (the lookahead skips at once the places where neither a classification word nor a spaced banner can start)
POST_SERIAL = _Lazy(rf"(?=[UCSL]|[A-Z] [A-Z] )(?:{CLASSIFICATION}|(?:[A-Z] ){{4,}}[A-Z])\s+"
                    r"(?:SECTION\s+\d+\s+OF\s+\d+\s+)?([A-Z][A-Z .'-]{1,30}?)\s+(\d{3,6})\b")
REFERENCE_ID_IN_HEADER = _Lazy(r"\b(\d{2}[A-Z][A-Z-]{2,}\d{1,6})\b")
_MONTHS = "JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|SEPT|OCT|NOV|DEC"
# the cable's own id on a line of its header: 09PARIS1007, 2000HANOI00686 (a PDF's first line), 1974ATHENS02959_b;
# never a date written the same way (03APR2003) and never an id inside a REF line (it is at a line start)
HEADER_REFERENCE_ID = _Lazy(rf"(?m)^[ \t]*(?:Reference ID|Canonical ID|Cable ID)?[ \t:#]*"
                            rf"((?:\d\d){{1,2}}(?!(?:{_MONTHS})\d)[A-Z][A-Z-]{{2,}}\d{{1,6}}(?:_[a-z])?)\b")
CAVEATS = ("SIPDIS", "NOFORN", "EXDIS", "NODIS", "LIMDIS", "SENSITIVE", "FOUO")
DATE_TIME_GROUP = _Lazy(r"\b(\d{6}Z\s+[A-Z]{3}\s+\d{2,4})\b")
_DTG_AT = _Lazy(r"(\d{6}Z\s+[A-Z]{3}\s+\d{2,4})\b")


def date_time_group(text: str) -> str | None:
    """The first date-time group (241555Z JUL 09) of a text: DATE_TIME_GROUP's match, found from each "Z" (a C
    scan) instead of a regex tried at every digit."""
    at = text.find("Z", 6)
    while at >= 0:
        start = at - 6
        if text[start:at].isdigit() and (start == 0 or not text[start - 1].isalnum() and text[start - 1] != "_"):
            m = _DTG_AT.match(text, start)
            if m:
                return m.group(1)
        at = text.find("Z", at + 1)
    return None
# lines that start FM / TO / INFO, searched in "\n" + text: a line start written as the newline before it is a
# literal the regex engine skips to at C speed (^ is tried at every position: 4 times slower); [ \t]*: a leading
# \s* would rescan blank lines
FROM_LINE = _Lazy(r"(?m)\n[ \t]*FM\s+(.+)$")
TO_LINES = _Lazy(r"(?m)\n[ \t]*(?:TO|INFO)\s+(.+)$")
# a line of an addressee block after its TO or INFO line ("RHEHNSC/NSC WASHDC PRIORITY", "AMEMBASSY NICOSIA"):
# capitals, digits, blanks, slashes and dashes (no comma or full stop: prose has them), never the banner or a field
ADDRESSEE_LINE = _Lazy(r"[ \t]*(?!(?:UNCLAS|CONFIDENTIAL|SECRET|LIMITED OFFICIAL|SENSITIVE|(?:[A-Z] ){3}|BT\b|"
                       r"E\.\s?O\.|TAGS?\b|SUBJ|SIPDIS|NOFORN|SECTION\b|PAGE\b|REF\b))"
                       r"([A-Z0-9][A-Z0-9 /'()&-]{1,80})[ \t]*$")
EO_LINE = _Lazy(r"\bE\.\s?O\.\s*1\d{4}\s*:?[ \t]*[^\n]*?(?=\s{2,}|\n|TAGS|$)")

# a TAGS label inside a cable: safe spellings anywhere a field may start; risky ones (TAS, AGS) only with a colon.
# Every spelling starts with T or A: the first lookahead skips other positions before the lookbehinds are tried
# (the same matches in a quarter of the time)
TAGS_LABEL = _Lazy(
    r"(?=[TA])(?:(?<=\n)|(?<=^)|(?<=\s\s)|(?<=[\s:]\s)|(?<=\b))"
    r"(?P<label>T\s?A\s?G\s?S|TAGE|TABS|TGS|TAG|TAS(?=\s*:)|AGS(?=\s*:))\s*(?::|\.|;|\s)\s*",
    re.I)
# a label word at the start of a raw TAGS value ("TAGS: PREL", "TAGS TAGS PREL")
TAGS_LABEL_AT_START = re.compile(r"^\s*(?:TAGS?|TAGE|TAS|TABS|TGS|AGS)\s*[:.;]?(?=\s|$|[:.;,])\s*", re.I)
# where a header field's value stops: the next header field (every one starts with a letter of [SRCE1\n] in either
# case, so the lookahead lets the scan skip every other place at once: a third of the time)
FIELD_STOP = _Lazy(
    r"(?=[SRCE1\n])(?:\bSUBJ(?:ECT)?\s*[:.]|\bSUBJECT\b\s+(?=[A-Z])|\bREF(?:S|ERENCE)?\s*[:.]|\bClassified\s+By\b|"
    r"\bCLASSIFIED\s+BY\b|\bE\.\s?O\.\s*1\d{4}|\b1\.\s+\((?:U|C|S|SBU)\)|\bSUMMARY\s*[:.]|\n\s*\n)", re.I)
# a line that may continue a TAGS list: capitals, digits and punctuation only
CONTINUATION_LINE = _Lazy(r"^[\sA-Z0-9,;:()/&.'-]*$")
# the subject runs to the next field: a blank line, REF/REFTEL/REF(S), the classified-by line, an E.O. line
# (OCR reads E.0.), a page header of a multi-page cable, a rule of dashes, or paragraph 1 (glued or not; "¶1.",
# "¶ 1." and "PARA 1." too)
_SUBJECT_STOP = (r"\n\s*\n|\s+REF(?:S|TEL|\(S\))?\s*:|\s+Classified\s+By|"
                 r"\s+1\.\s*\(|\s{2,}1\.\s|\n\s*1\.\s*\)?\s*\S|\u00b6[ \t]*1\.(?!\d)|"
                 r"\n[ \t]*PARA(?:GRAPH)?[ \t]+1\.(?!\d)|\s+E\.\s?[O0]\.\s*1\d{4}|"
                 r"\s+(?:(?:UNCLAS\w*|CONFIDENTIAL|SECRET)\s+)?PAGE\s+\d+\s|\n\s*-{4,}|$")
# the subject is the shortest run of characters (at least one) before a stop, as (.+?) would find it; every stop starts
# at a blank, a pilcrow or the end, so the run is taken a word at a time (possessively: no backtracking) and the stops
# are tried only where a blank or a pilcrow stands, not after every character (the same matches in 60% of the time:
# tests/test_speed_paths.py holds it equal to the lazy form)
SUBJECT = _Lazy(r"\bSUBJ(?:ECT)?\s*[:.]\s*(.[^\s\u00b6]*+(?:(?!" + _SUBJECT_STOP + r")[\s\u00b6][^\s\u00b6]*+)*+)(?="
                + _SUBJECT_STOP + ")", re.S | re.I)
# a REF field: its line, and the lines after it that carry more of its list ("REF: A. STATE 123\n     B. PARIS 456",
# a line starting with a letter and a full stop or parenthesis, a pilcrow before it or not; never a marking that
# opens the text: "(U)", "(C) Classified By", "(S) SUMMARY"), to "Classified By" or the end. The word boundary is
# checked after the literal REF (a lookbehind), so that the engine skips to each REF at C speed
REF_LINE = _Lazy(r"REF(?<=\bREF)(?:S)?\s*:\s*(.+?)(?=Classified|CLASSIFIED|\n(?![ \t]*\u00b6?[ \t]*"
                 r"(?!\(U\)|\([A-Z]\)\s+(?:CLASSIFIED|Classified|SUMMARY|Summary))\(?[A-Z]{1,2}[.)]\s)|\Z)", re.S)

# page headers and banners that break a TAGS list in multi-page cables (junk for the normalizer)
PAGE_HEADERS = [
    # "SECRET PAGE 02 LIMA 02475 01 OF 03 251228Z"
    _Lazy(r"\b(?:UNCLASSIFIED|UNCLAS|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE)?\s*PAGE\s+\d+\s+"
               r"(?:[A-Z][A-Z.'-]*\s+){1,3}\d+\s+(?:\d+\s+OF\s+\d+\s+)?(?:\d{6}Z)?", re.I),
    _Lazy(r"\bSECTION\s+\d+\s+OF\s+\d+\b", re.I),
    _Lazy(r"\b\d+\s+OF\s+\d+\s+\d{6}Z\b", re.I),
    _Lazy(r"\bPAGE\s+\d+\b", re.I),
    _Lazy(r"\b(?:E\.\s?O\.|EO)\s*1\d{4}:?(?:\s*DECL:?\s*[\d/]+)?(?:\s*N/A)?", re.I),
    _Lazy(r"\bDECL:\s*\S+", re.I),
    # spaced-out banners: "C O N F I D E N T I A L", "S E C R E T", "U N C L A S"
    _Lazy(r"\b(?:[A-Z] ){4,}[A-Z]\b"),
]

# --- references ---------------------------------------------------------------------------------
# a cable id: 06BAKU1835 (two-digit year, post, serial number)
CABLE_ID = _Lazy(r"^(\d\d)([A-Z]+?)(\d+)$")
# "06 BAKU 1835", "SANAA 02498", "USUN NEW YORK 123": an optional year, an upper-case post name of up to
# three words, a number. The possessive runs (++) never give back a letter or a blank, which could not help a match
# (what follows each is a blank or a digit): the same matches, half the backtracking
REFERENCE_BODY = r"\b(?:(\d\d)\s+)?([A-Z][A-Z]++(?:\s[A-Z]++){0,2})\s++0*(\d{1,6})\b"
# a reference starts with a digit or a capital: the lookahead skips other positions at once
REFERENCE = _Lazy(r"(?=[\dA-Z])" + REFERENCE_BODY)
# what every reference holds (a capital, blanks, a digit): a text without it has none, found by a cheaper scan
REFERENCE_HINT = _Lazy(r"[A-Z]\s+\d")

# --- boilerplate (removed before the classifier reads a text) -----------------------------------
# words of 2+ characters: 2-letter tokens are kept (country codes and acronyms matter here)
TOKEN_PATTERN = r"(?u)\b\w\w+\b"
# the same tokens found faster: a greedy run of 2+ word characters can only start where a run starts and ends where it
# ends, so TOKEN_PATTERN's \b checks add nothing (tests/test_speed_paths.py holds the two equal)
TOKENS = _Lazy(r"\w\w+")
# every ASCII character that is not a word character (\w: letters, digits, underscore), as a blank
ASCII_BLANKS = str.maketrans({chr(i): " " for i in range(128) if not (chr(i).isalnum() or chr(i) == "_")})


def words_of(low: str) -> list[str]:
    """TOKENS.findall(low) of a lower-cased text: an ASCII one cut by C string methods (every other character a
    blank, split, one-character runs dropped: 40% faster than the pattern), any other by the pattern, whose word
    characters are Unicode's (tests/test_speed_paths.py holds the two equal)."""
    if low.isascii():
        return [t for t in low.translate(ASCII_BLANKS).split() if len(t) > 1]
    return TOKENS.findall(low)

# the prefix of a whole cable's header terms ("hdr_trafficking"), which a whole-cable model weighs as a block
HEADER_PREFIX = "hdr_"

_BOILER_STOP = r"(?=\s+(?:Classified|CLASSIFIED|Summary|SUMMARY|1\.\s)|\n\s*\n|$)"
BOILERPLATE_PARTS = [
    # banners, upper case only (prose keeps its words): "C O N F I D E N T I A L", "UNCLAS SECTION 01 OF 02"
    r"\b(?:[A-Z] ){4,}[A-Z]\b",
    r"\b(?:UNCLASSIFIED|UNCLAS|CONFIDENTIAL|SECRET|NOFORN|SIPDIS|LIMDIS|EXDIS|NODIS|SENSITIVE BUT UNCLASSIFIED|"
    r"FOR OFFICIAL USE ONLY)\b",
    r"\bSECTION \d+ OF \d+\b",
    # E.O. 12958: DECL: 12/12/2017 / N/A
    r"\bE\.\s?O\.\s*1\d{4}\s*:?\s*(?:DECL\s*:?\s*[\w/]+)?(?:\s*N/A)?",
    # REF lines and lists: at most 400 characters, up to the next field
    r"\bREF(?:S|ERENCES?)?\s*:\s*.{0,400}?" + _BOILER_STOP,
    # Classified By: <official> for reasons 1.4 (b) and (d).
    r"\b(?:Classified|CLASSIFIED|Derived|DERIVED)\s+(?:By|BY|by)\b.{0,160}?(?:REASONS?|Reasons?|reasons?)\s*:?\s*"
    r"1\.[45]\s*(?:[\(\[]?[a-hA-H][\)\]]?\s*(?:,|and|AND|&|/)?\s*)*\.?",
    # paragraph markings
    r"\((?:U|C|S|SBU|S/NF|C/NF|U/FOUO|S/REL[^)]{0,20})\)",
]
# the letters the parts can start with (a banner: any capital, a blank, a capital): the lookahead lets the scan skip
# every other position at once, and the word-start check is made once for the six parts that begin with it (the
# same matches as the plain alternation, in about 70% of its time; tests/test_speed_paths.py holds them equal)
BOILERPLATE_FIRST = "UCSNLEFRD("
BOILERPLATE = _Lazy(rf"(?=[{BOILERPLATE_FIRST}]|[A-Z] [A-Z] )(?:\b(?:"
                    + "|".join(p.removeprefix(r"\b") for p in BOILERPLATE_PARTS[:-1]) + ")|"
                    + BOILERPLATE_PARTS[-1] + ")", re.S)


# where a part of BOILERPLATE can start: the first characters of each of its literal parts (the word-start check is
# the pattern's), and a run of five spaced capitals for a banner (found in the text with its capitals written "A")
_BOILER_STARTS = ("UNCLAS", "CONFIDENTIAL", "SECRET", "NOFORN", "SIPDIS", "LIMDIS", "EXDIS", "NODIS", "SENSITIVE BUT",
                  "FOR OFFICIAL", "SECTION ", "E.", "REF", "Classified", "CLASSIFIED", "Derived", "DERIVED", "(")
# (bytes: an ASCII view's bytes translate in a third of the time str.translate takes)
_CAPITALS_AS_A = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"A" * 26)
# an ASCII text this long has the places where a literal part starts found by numpy (_starts_by_codes), in one pass
# over it instead of one string search per literal (each a pass): a third of the time for a whole cable; a shorter
# one is searched literal by literal (numpy's fixed cost would weigh more)
_CODES_FROM = 1500


def strip_boilerplate(text: str) -> str:
    """The text without banners, SIPDIS, E.O. lines, classified-by lines, REF lines and markings: BOILERPLATE.sub(" ",
    text), the pattern tried only where one of its parts can start (found by C-speed searches) instead of at every
    position (half the time; tests/test_speed_paths.py holds the two equal). Trying it at more places than that
    changes nothing: every match starts where a part can."""
    if not text:
        return ""
    view = ascii_view(text)
    starts = _starts_by_codes(view) if len(text) >= _CODES_FROM else _starts_by_find(view)
    return _stripped(text, starts, view)


def strip_boilerplate_all(texts: list[str]) -> list[str]:
    """[strip_boilerplate(t) for t in texts], the long texts' places searched in one numpy pass over all of them
    (a batch of whole cables: numpy's fixed cost paid once, not once a text)."""
    long = [i for i, t in enumerate(texts) if len(t) >= _CODES_FROM]
    if len(long) < 2:
        return [strip_boilerplate(t) for t in texts]
    views = {i: ascii_view(texts[i]) for i in long}
    found = dict(zip(long, _starts_by_codes_all([views[i] for i in long])))
    return [_stripped(t, found[i], views[i]) if i in found else strip_boilerplate(t) for i, t in enumerate(texts)]


def ascii_view(text: str) -> str:
    """The text with each character outside ASCII written "?" (the text itself when it has none): the same length,
    every ASCII character where it was. Searches for ASCII literals give the same places in it, at the speed of an
    ASCII string (str.translate alone is ten times faster on one; a cable with curly quotes is one in thirty)."""
    return text if text.isascii() else text.encode("ascii", "replace").decode("ascii")


def _stripped(text: str, starts: set[int], view: str) -> str:
    """The text with BOILERPLATE's matches at `starts` (and at its spaced banners) replaced by a blank; `view` is
    ascii_view(text), where the banners' capitals are found."""
    spaced = view.encode("ascii").translate(_CAPITALS_AS_A)  # one byte a character: the same places
    at = spaced.find(b"A A A A A")
    while at >= 0:
        starts.add(at)
        at = spaced.find(b"A A A A A", at + 1)
    out, last = [], 0
    match = BOILERPLATE.match
    for at in sorted(starts):
        if at < last:
            continue
        m = match(text, at)
        if m is not None:
            out += (text[last:at], " ")
            last = m.end()
    out.append(text[last:])
    return "".join(out)


def _starts_by_find(text: str) -> set[int]:
    """Every place one of _BOILER_STARTS starts, each literal searched for on its own."""
    starts = set()
    for literal in _BOILER_STARTS:
        at = text.find(literal)
        while at >= 0:
            starts.add(at)
            at = text.find(literal, at + 1)
    return starts


class _CodeTables:
    """(numpy, first two (65,536,) bool, which two need no more, three, four) for _starts_by_codes: the literals as
    little-endian numbers of their first 2, 3 or 4 characters ("(" as "(U", "(C", "(S": a marking is one of those).
    Built on first use, like the patterns (numpy is imported then: decode and normalize never need it)."""

    def __init__(self):
        self._tables = None

    def __call__(self):
        if self._tables is None:
            import numpy as np

            literals = [x for x in _BOILER_STARTS if x != "("] + ["(U", "(C", "(S"]

            def code(x):
                return int.from_bytes(x.encode("ascii"), "little")

            first = np.zeros(1 << 16, dtype=bool)
            done = np.zeros(1 << 16, dtype=bool)
            for x in literals:
                first[code(x[:2])] = True
                if len(x) == 2:
                    done[code(x)] = True
            three = np.array(sorted({code(x) for x in literals if len(x) == 3}), dtype=np.uint32)
            four = np.array(sorted({code(x[:4]) for x in literals if len(x) >= 4}), dtype=np.uint32)
            # literals of 8 or more ("FOR OFFICIAL", "CONFIDENTIAL"): their first 4 and 8 characters, so that prose's
            # "FOR THE" is no place to try the pattern
            long4 = np.array(sorted({code(x[:4]) for x in literals if len(x) >= 8}
                                    - {code(x[:4]) for x in literals if 4 <= len(x) < 8}), dtype=np.uint32)
            long8 = np.array(sorted({code(x[:8]) for x in literals if len(x) >= 8}), dtype=np.uint64)
            # after "E." an E.O. line has "O", or one blank (any \s: a character outside ASCII is "?" in the view)
            # and "O": a sentence that ends in E ("THE OFFICE.") is no place either
            blank = np.zeros(256, dtype=bool)
            blank[[ord(c) for c in " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f?"]] = True
            self._tables = (np, first, done, three, four, long4, long8, code("E."), blank)
        return self._tables


_code_tables = _CodeTables()


def _starts_by_codes(text: str) -> set[int]:
    """A superset of _starts_by_find(text) for an ASCII text, at most a few more: each place whose next two characters
    begin a literal, kept when its next 2, 3 or 4 characters are a literal's own (a literal of 5 or more that only
    begins there is kept too: the pattern, tried there, finds nothing). The characters' codes are read in numpy as
    2- and 4-byte numbers starting at every byte (views, no copy)."""
    return set(_places_by_codes(text).tolist())


def _places_by_codes(text: str):
    """_starts_by_codes(text) as a sorted numpy array."""
    np, first, done, three, four, long4, long8, eo, blank = _code_tables()
    n = len(text)
    b = text.encode("ascii") + b"\0" * 7  # every place has 8 bytes
    pair = np.ndarray((n,), "<u2", b, 0, (1,))
    at = np.flatnonzero(np.take(first, pair))  # (np.take: a third faster than indexing by the uint16 codes)
    if not len(at):
        return at
    quad = np.ndarray((n,), "<u4", b, 0, (1,))[at]
    two = pair[at]
    keep = done[two] | _member(quad & 0xFFFFFF, three) | _member(quad, four)
    long = keep & _member(quad, long4)
    if long.any():
        keep[long] = _member(np.ndarray((n,), "<u8", b, 0, (1,))[at[long]], long8)
    e = np.flatnonzero(two == eo)
    if len(e):
        third, fourth = (quad[e] >> 16) & 0xFF, quad[e] >> 24
        keep[e] = (third == ord("O")) | (blank[third] & (fourth == ord("O")))
    return at[keep]


def _starts_by_codes_all(texts: list[str]) -> list[set[int]]:
    """_starts_by_codes of each ASCII text, all of them read in one pass (joined by NULs: no literal holds one)."""
    np = _code_tables()[0]
    first = np.zeros(len(texts), dtype=np.int64)  # where each text starts in the joined one
    np.cumsum([len(t) + 1 for t in texts[:-1]], out=first[1:])
    at = _places_by_codes("\0".join(texts))
    bounds = np.searchsorted(at, first).tolist() + [len(at)]
    local = (at - np.repeat(first, np.diff(bounds))).tolist()
    return [set(local[bounds[k]:bounds[k + 1]]) for k in range(len(texts))]


def _member(x, table):
    """x's values found in the sorted (non-empty) table, as booleans (np.isin costs ten times as much at this size)."""
    i = table.searchsorted(x)
    i[i == len(table)] = 0
    return table[i] == x


# --- paragraphs ---------------------------------------------------------------------------------
_MARK = r"\(([A-Z]{1,3}(?:/[A-Z]{1,4})?)\)"
# A paragraph number as drafters and sites write it: "2. (C) text", "2.(SBU)TEXT", "¶2.", "¶ 2.", a pilcrow on
# the line above (PDFs), "PARA 2.". The pattern starts at the number's first digit, so each candidate costs a
# bounded amount of work (no leading run of blanks to rescan: linear time on any input); what stands before the
# number is checked in _starts_paragraph, looking back at most _LOOKBACK characters.
_NUMBER = _Lazy(rf"(\d{{1,3}})\s*\.(?!\d)\s*(?:{_MARK}\s*)?")  # the digit before is checked in _numbered
_LOOKBACK = 64
_PARA_WORD = _Lazy(r"\bPARA(?:GRAPH)?[ \t]*$")
_BLANK_LINE = _Lazy(r"\n\s*\n")


@dataclass
class Paragraph:
    """One paragraph: its number and classification marking as the drafter wrote them (None when
    absent) and its text with whitespace collapsed."""

    number: int | None
    marking: str | None
    text: str

    def to_dict(self) -> dict:
        return {"number": self.number, "marking": self.marking, "text": self.text}


# the last line of a cable: its signature (one or two capitalised words: the ambassador's or the
# secretary's name, sometimes the post; "KEITH" or, in later cables, "Murray") or an end marker; never a line with a
# full stop ("END COMMENT.") nor one that starts in lower case
_SIGNATURE = _Lazy(r"\n[ \t]*((?:[A-Z][A-Za-z'-]{1,24}(?:[ \t]+[A-Z][A-Za-z'-]{1,24})?)|NNNN|BT)[ \t]*\s*$")
# a 1970s telegram's name at the end of its last line, after a full stop and blanks ("AFFAIRS.    PORTER"), above its
# closing lines
_SIGNATURE_INLINE = _Lazy(r"\.[ \t]{2,}([A-Z][A-Z'-]{1,24})[ \t]*\s*$")


# a block of routing or header lines, not prose: what a paragraph of a cable's text never starts with
HEADER_BLOCK = _Lazy(r"^(?:VZCZC|[ROPZ] \d{6}Z|RR |FM |TO |INFO |E\.\s?O\.|TAGS?\s*:|SUBJ(?:ECT)?\s*:|SIPDIS|"
                     r"(?:UNCLAS|UNCLASSIFIED|CONFIDENTIAL|SECRET)\b|(?:[A-Z] ){4,}[A-Z]\b|\d\d[A-Z]{3,}\d+\b)")


def prose_paragraphs(text: str) -> list[Paragraph]:
    """The paragraphs worth scoring in a text: the drafter's numbered ones, or else its blank-line blocks
    that are not routing or header lines."""
    paras = split_paragraphs(text)
    if any(p.number is not None for p in paras):
        return paras
    return [p for p in paras if not HEADER_BLOCK.match(p.text)]


# the end of a cable's text: what follows the last paragraph's end marker (a page's footer, a site's notices) is
# not the cable. NNNN also closes each section of a cable sent in sections, so only the last paragraph is cut.
_END_MARK = _Lazy(r"(?im)^[ \t]*(?:NNNN?|END (?:OF )?CABLE(?: TEXT)?|END OF MESSAGE)\b.*$")
# lines that close a telegram's text below its signature: the banner again ("LIMITED OFFICIAL USE", "C O N F I D E N T
# I A L"), the declassification stamp of the 1970s releases, an end marker (NNN, NNNN, BT), a printed page's footer
# ("2000HANOI00686 - CONFIDENTIAL", a lone ">"), PlusD's "*** Current Classification *** ..." lines and the routing
# line after NNNN ("NNNNVZCZ", garbled "NMAFVVZCZ"); looked for in the last _TRAILER_CHARS characters only
_TRAILER_LINES = (r"(?:UNCLASSIFIED|UNCLAS|LIMITED OFFICIAL USE|CONFIDENTIAL|SECRET)(?:[ \t]+[A-Z]{4,7})?|"
                  r"(?:[A-Z] ){4,}[A-Z]|Declassified/Released\b[^\n]{0,120}|Systematic Review\b[^\n]{0,40}|NNNN?|BT|>|"
                  r"\*\*\*[^\n]{0,100}|[A-Z]{0,8}VZCZ[A-Z0-9]{0,12}|"
                  r"(?:\d\d){1,2}[A-Z][A-Z-]{2,}\d{1,6}(?:_[a-z])?[ \t]+-[ \t]+[A-Z][A-Z /]{3,40}")
# the closing lines at the end of a text, as one pattern (what _trailer_start finds line by line, tests hold them equal)
_TRAILER = _Lazy(rf"(?:\s*\n[ \t]*(?:{_TRAILER_LINES})[ \t]*)+\s*$")
_TRAILER_LINE = _Lazy(rf"[ \t]*(?:{_TRAILER_LINES})\s*")
_TRAILER_CHARS = 600
_END_MARKERS = ("NNNN", "NNN", "BT")
_SITE_END = _Lazy(r"(?im)^[ \t]*END CABLE TEXT\b.*$")


class _Start:
    """A paragraph number found in a text: where its mark starts (the pilcrow or PARA when there is one), where its
    text starts (start(), end(), as a match's), its number and marking."""

    __slots__ = ("_start", "_end", "number", "marking")

    def __init__(self, start, end, number, marking):
        self._start, self._end, self.number, self.marking = start, end, number, marking

    def start(self):
        return self._start

    def end(self):
        return self._end



def _starts_paragraph(body: str, i: int, marking: str | None) -> int | None:
    """Where the paragraph mark of the number starting at `i` (with its `marking`, or None) starts, or None when
    the number is prose.

    A number starts a paragraph after a pilcrow ("¶1.", "¶ 1.", a pilcrow on the line above); after the word
    PARA standing at a line start; at the very start, after a line break or after two blanks, when a marking
    ("1. (C)") or a blank follows its full stop; after a single blank (flattened text) only with a marking.
    """
    lo = max(0, i - _LOOKBACK)
    j = i
    while j > lo and body[j - 1].isspace():
        j -= 1
    gap = body[j:i]
    if j > 0 and body[j - 1] == "\u00b6":
        return j - 1
    if gap:
        w = _PARA_WORD.search(body, max(0, j - 12), j)
        if w is not None:
            return _placed(body, w.start(), lo)
    dot = body.index(".", i)
    spaced = dot + 1 < len(body) and body[dot + 1].isspace()
    if j == 0 or "\n" in gap or len(gap) >= 2:
        return j if (marking or spaced) else None
    if len(gap) == 1 and marking:  # flattened text: "... end. 2. (C) text"
        return j
    return None


def _placed(body: str, at: int, lo: int) -> int | None:
    """`at` when the mark there stands where a paragraph may start (text start, a line start, after two blanks or
    after a full stop and a blank), else None."""
    k = at
    while k > lo and body[k - 1] in " \t":
        k -= 1
    if k == 0 or body[k - 1] == "\n" or at - k >= 2:
        return at
    return None


# A drafter's numbers may skip (a number lost to a garbled line, a paragraph cut from the copy): the number one or
# two past the one awaited is taken too when its mark leaves no doubt (a pilcrow: "¶4.", a pilcrow link of a page, a
# pilcrow on the line above in a PDF) and it stands before any start of the number awaited
_SKIPS = 2
# numbers awaited in vain (each a search to the text's end) before the sequence ends: keeps the reading linear
_MISSES = 8


def _strong(body: str, s: int) -> bool:
    """Whether the paragraph mark starting at `s` is one no prose number has: a pilcrow ("PARA 3." is as often a
    pointer to paragraph 3 as its mark, and a marking after a number also opens items of a list)."""
    return body[s] == "\u00b6"


def _numbered(body: str) -> list:
    """The paragraph numbers 1., 2., 3. ... in sequence (other numbers are text; one or two may be skipped where the
    next number's mark is strong: _SKIPS), as _Start records."""
    if not body.isascii() and any(c.isdigit() for c in set(body) if c > "\x7f"):
        return _numbered_scan(body)  # digits of other scripts (which \d, int() or isdigit() read): the plain scan
    seq, want, pos = [], 1, 0
    misses = 0 if "\u00b6" in body else _MISSES  # no pilcrow: no mark strong enough to skip a number
    while want <= 999:  # _NUMBER reads three digits at most
        best = _next_start(body, want, pos, len(body), False)
        for n in range(want + 1, min(want + _SKIPS, 999) + 1):
            if misses >= _MISSES:
                break
            found = _next_start(body, n, pos, best[0].start() if best else len(body), True)
            best = found or best
        if best is None:
            return seq
        start, pos = best
        misses += start.number != want
        seq.append(start)
        want = start.number + 1
    return seq


def _next_start(body: str, n: int, pos: int, limit: int, strong: bool):
    """(the _Start of paragraph number n, the end of its mark) for the first start of n from `pos` that begins before
    `limit` (with a strong mark, when asked: _strong), or None."""
    pattern = _NUMBER_AT[n - 1]
    while True:
        m = pattern.search(body, pos)
        if m is None:
            return None
        pos = m.end()
        # the number as _NUMBER reads it: up to three digits, so up to 3 - len(n) leading zeros
        i = m.start()
        floor = max(0, i - (3 - len(m.group(1))))
        while i > floor and body[i - 1] == "0":
            i -= 1
        if i >= limit:
            return None
        if i and body[i - 1].isdigit():  # part of a longer number
            continue
        s = _starts_paragraph(body, i, m.group(2))
        if s is None or not m.group(2) and m.end() >= len(body) or s >= limit:
            continue
        if strong and not _strong(body, s):
            continue
        return _Start(s, m.end(), n, m.group(2)), m.end()


def _numbered_scan(body: str) -> list:
    """_numbered() by a scan of every number (_NUMBER): the reference the per-number search is held equal to."""
    seq, want, misses = [], 1, 0
    for m in _NUMBER.finditer(body):
        n = int(m.group(1))
        if not want <= n <= want + _SKIPS or (m.start() and body[m.start() - 1].isdigit()):
            continue
        s = _starts_paragraph(body, m.start(), m.group(2))
        if s is None:
            continue
        if not m.group(2) and m.end() >= len(body):
            continue
        if n != want and (misses >= _MISSES or not _strong(body, s)):
            continue
        misses += n != want
        seq.append(_Start(s, m.end(), n, m.group(2)))
        want = n + 1
    return seq


# paragraph number n as _NUMBER reads it, from its first significant digit (a literal the scan finds at C speed:
# one search per paragraph instead of a Python step per number in the text); the leading zeros and the digit before
# are checked by _numbered. _NUMBER_AT[n - 1], each compiled on first use, like every pattern here
_NUMBER_AT = tuple(_Lazy(rf"({n})\s*\.(?!\d)\s*(?:{_MARK}\s*)?") for n in range(1, 1000))


# how every end marker (_END_MARK, _SITE_END) starts, at the start of a line: after a newline (a literal the scan
# skips to at C speed: a quarter of the time of lower-casing the text and searching it for each marker's words), or
# at the text's start
_END_WORDS = r"(?i:[ \t]*(?:NNN|END (?:OF )?CABLE|END OF MESSAGE))"
_END_START, _END_START_FIRST = _Lazy("\n" + _END_WORDS), _Lazy(_END_WORDS)


def has_end_marker(body: str) -> bool:
    """Whether `body` may hold an end marker (cable_end): False when no line starts as one does."""
    return _END_START.search(body) is not None or _END_START_FIRST.match(body) is not None


def cable_end(body: str, seq: list | None = None) -> str:
    """The body up to the end of the cable's text: the first end marker (NNNN, "End Cable Text") after the last
    numbered paragraph starts, or, without numbered paragraphs, the last "End Cable Text"; all of it without."""
    body = body or ""
    if not has_end_marker(body):
        return body  # no end marker: the paragraph numbers are not needed
    seq = _numbered(body) if seq is None else seq
    if seq:
        m = _END_MARK.search(body, seq[-1].end())
        return body[:m.start()] if m else body
    ends = list(_SITE_END.finditer(body))
    return body[:ends[-1].start()] if ends else body


def signature(body: str, ended: str | None = None) -> str | None:
    """The signature (or end marker) on the last line of a cable's text (cable_end, or `ended` when the caller
    has it), or None: the name above the lines that close a telegram (_TRAILER) when there is one."""
    text = cable_end(body) if ended is None else ended
    m = _closing(text)[1]
    return m.group(1) if m else None


def _signature_start(text: str) -> int:
    """Where the signature on the text's last line starts (the text's length when there is none)."""
    m = _SIGNATURE.search(text, _tail(text))
    return m.start() if m else len(text)


def _closing(text: str):
    """(where the text of the last paragraph ends, the match of its signature or None): the signature line and,
    below it, the lines that close a telegram (_TRAILER) are not text."""
    t = _trailer_start(text)
    last = _SIGNATURE.search(text, _tail(text))
    if t is None:
        return (last.start() if last else len(text)), last
    m = _SIGNATURE.search(text, _tail(text[:t]), t)
    if m is not None and m.group(1) not in _END_MARKERS:
        return m.start(), m
    m = _SIGNATURE_INLINE.search(text, _tail(text[:t]), t)
    if m is not None and m.group(1) not in _END_MARKERS:
        return m.start() + 1, m
    # no name above the closing lines: they are still not text; an end marker stands as the signature, a banner not
    return t, (last if last is not None and last.group(1) in _END_MARKERS else None)


def _trailer_start(text: str) -> int | None:
    """Where _TRAILER's match in the last _TRAILER_CHARS characters starts, or None: found by walking the lines up
    from the end (blank lines and closing lines, to the first other one), each line matched once, instead of the
    pattern tried at each of 600 positions (a fifth of reading a cable's paragraphs)."""
    lo = max(0, len(text) - _TRAILER_CHARS)
    end, found = len(text), False
    while True:
        nl = text.rfind("\n", lo, end)
        start = nl + 1 if nl >= 0 else lo
        line = text[start:end]
        # the window's first piece has no line break before it within the window: never a closing line
        if line.strip() and (nl < 0 or _TRAILER_LINE.fullmatch(line) is None):
            return start + len(line.rstrip()) if found else None
        if nl < 0:
            return lo if found else None
        found = found or bool(line.strip())
        end = nl


def _tail(text: str) -> int:
    """Where the search for a signature may start: its line is the last one (at most _SIGNATURE's length)."""
    return max(0, len(text.rstrip()) - 160)


# SUMMARY ... END SUMMARY and COMMENT: ... END COMMENT: the start found first, then the first end after it (two
# searches, each linear; one pattern with a lazy middle rescanned the rest of the text for every start)
_SUMMARY_START = _Lazy(r"\bSUMMARY[ \t\n]*[:.]?[ \t\n]*", re.I)
_SUMMARY_END = _Lazy(r"\bEND[ \t\n]+SUMMARY", re.I)
_COMMENT_START = _Lazy(r"\bCOMMENT[ \t\n]*[:.][ \t\n]*", re.I)
_COMMENT_END = _Lazy(r"\bEND[ \t\n]+COMMENT", re.I)


def _between(text: str, start, end, word: str, low: str | None = None) -> str | None:
    """The text between the first `start` (a pattern that begins with \\b and `word`, case-insensitive) and the
    first `end` (\\b and "end") after it. low: text.lower(), when the caller has it."""
    at = _find_word(text, word)
    if at < 0:
        return None
    if text.isascii():  # each pattern tried only where its word stands (lower() keeps ASCII offsets)
        low = text.lower() if low is None else low
        m = _search_at_word(start, text, low, word, max(0, at - 1))
        e = m and _search_at_word(end, text, low, "end", m.end() + 1)
    else:  # other scripts: re.I folds more than lower() does (the long s), so the patterns scan the text
        m = start.search(text, max(0, at - 1))
        e = m and end.search(text, m.end() + 1)
    if not m or not e:
        return None
    inner = " ".join(text[m.end():e.start()].split())
    return inner or None


def _search_at_word(pattern, text: str, low: str, word: str, pos: int):
    """pattern.search(text, pos) for a pattern that can only match where `word` (lower case) starts in the ASCII
    `text` (`low` its lower case): one match tried at each place the word stands, found by a C scan, instead of the
    pattern tried at every character."""
    at = low.find(word, pos)
    while at >= 0:
        m = pattern.match(text, at)
        if m:
            return m
        at = low.find(word, at + 1)
    return None


def _find_word(text: str, word: str) -> int:
    """The first offset of `word` in any of its three usual cases (lower, Capitalized, UPPER), or -1: a few
    C-speed scans that spare a case-insensitive regex scan of texts without the word."""
    hits = [i for i in (text.find(word), text.find(word.capitalize()), text.find(word.upper())) if i >= 0]
    if hits:
        return min(hits)
    return text.lower().find(word)


def summary(body: str, low: str | None = None) -> str | None:
    """The text between SUMMARY and END SUMMARY, whitespace collapsed, or None (low: body.lower(), when known)."""
    return _between(body, _SUMMARY_START, _SUMMARY_END, "summary", low)


def comment(body: str, low: str | None = None) -> str | None:
    """The text between COMMENT: and END COMMENT, whitespace collapsed, or None (low: body.lower(), when known)."""
    return _between(body, _COMMENT_START, _COMMENT_END, "comment", low)


# a line that can begin a cable's header: routing, a date-time group, a classification banner, FM/TO/INFO,
# the E.O. line, the posting post and serial, or the cable's id
_HEADER_LINE = _Lazy(
    r"(?m)^[ \t]*(?:VZCZC|[ROPZ] \d{6}Z|FM |TO |INFO |E\.\s?O\.\s*1\d{4}|SIPDIS|"
    r"(?:UNCLAS|UNCLASSIFIED|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE)\b|(?:[A-Z] ){4,}[A-Z]\b|\d\d[A-Z]{3,}\d{1,6}\b)")


def cable_start(text: str, tags_at: int | None) -> int:
    """Where the cable begins: the first header-like line in the 3,000 characters before its TAGS line
    (`tags_at`, the offset of the label), so that chrome further up is left out; 0 (the whole text) when
    the text has no TAGS line or no header line before it."""
    if tags_at is None:
        return 0
    lo = max(0, tags_at - 3000)
    m = _HEADER_LINE.search(text, lo, tags_at)
    return m.start() if m else 0


def split_paragraphs(body: str, seq: list | None = None) -> list[Paragraph]:
    """The paragraphs of a cable body (or any text).

    Numbered paragraphs 1., 2., 3. ... as the drafter wrote them (numbers out of sequence are text, so
    sub-items "A." and numbers in prose stay inside their paragraph); text without such numbering is cut
    at blank lines. Text after an end marker (NNNN, "End Cable Text": a page's footer) and the signature on
    the last line before it are not part of the last paragraph. Empty paragraphs are dropped.
    """
    body = body or ""
    seq = _numbered(body) if seq is None else seq
    body = cable_end(body, seq)
    # numbered paragraphs end above the signature and the closing lines; blank-line blocks are cut as they always
    # were, at a signature on the last line (a closing line is a block of its own: parse's paragraph counts stay
    # those of the reader before, docs/reading.md)
    end = _closing(body)[0] if seq else _signature_start(body)
    if end < len(body):
        body = body[:end]
        seq = [x for x in seq if x.start() < len(body)]
    if not seq:
        return [Paragraph(None, None, " ".join(p.split())) for p in _BLANK_LINE.split(body) if p.strip()]
    out = []
    for i, m in enumerate(seq):
        end = seq[i + 1].start() if i + 1 < len(seq) else len(body)
        text = " ".join(body[m.end():end].split())
        if text:
            out.append(Paragraph(m.number, m.marking, text))
    return out

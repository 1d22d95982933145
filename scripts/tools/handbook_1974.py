"""Read the 1974 TAGS handbook and the NARA 1973-79 lists; write definitions, titles and attestations.

Sources (public-domain US government documents, read by path from ../shared/taxonomy-sources):
- tags-handbook-1974.txt: "Traffic Analysis by Geography and Subject", TL:TAGS-1 (6-28-74), OCR text of the
  scanned pages. Appendix A defines every subject TAGS.
- nara-cfpf-faq.txt: the National Archives' FAQ on the Central Foreign Policy Files 1973-1979, appendix I
  (permanent subject TAGS) and II (temporary subject TAGS).

The OCR is hard to read by machine, so the reading is done in steps, each a small function:
1. pages (form feeds) -> two columns, de-interleaved: each page's gutter is the most common start column of text
   after a run of 3+ spaces; a page with (almost) no line split there is one column.
2. column lines -> text: page headers dropped, words broken at a line end rejoined.
3. letter-spaced words (``T r a d e``) rejoined: a run of words glued by spaces next to one- or two-letter pieces
   is joined and re-segmented into words with a unigram model of cable English (word counts of the corpus).
4. OCR misreadings repaired against that vocabulary (``rn`` for m, ``1`` for l ...) only when the result is a
   known word and the misread form is not.
5. entries: a heading line (an OCR'd code, 3+ spaces, a title) starts a definition; the code is repaired against
   the known code list (taxonomy, NARA lists) by OCR-aware similarity plus the title's agreement.
Each definition keeps its page and an OCR-confidence mark (share of its words that are known words).

usage: python scripts/tools/handbook_1974.py [--write] [--report FILE]
  without --write it prints what it read; with --write it updates taxonomy/subject.yaml (definition,
  attested, missing 1970s codes as historic entries; a definition marked proofread is kept as curated) and the
  OCR evidence of the hand-curated 1970s table in taxonomy/eras.yaml (never its titles).
"""
from __future__ import annotations

import argparse
import collections
import difflib
import gzip
import json
import math
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from taxonomy_yaml import write as write_yaml  # noqa: E402

SOURCES = ROOT.parent / "shared" / "taxonomy-sources"
CORPUS = ROOT.parent / "shared" / "corpus" / "cables.jsonl.gz"
HANDBOOK_REF = ("Department of State, Traffic Analysis by Geography and Subject, TL:TAGS-1 (6-28-74), "
                "Appendix A, Subject TAGS Definitions, p. {page}")
NARA_REF = ("National Archives, Frequently Asked Questions: Central Foreign Policy Files, 1973-1979, "
            "Appendix {app}: {what} Subject TAGS, 1973-1979")
LIST_REF = ("Department of State, Traffic Analysis by Geography and Subject, TL:TAGS-1 (6-28-74), section 8, "
            "List of Subject TAGS")
FIELDS = {"A": "Administration", "B": "Business Services", "C": "Consular Affairs", "E": "Economic Affairs",
          "M": "Military and Defense Affairs", "O": "Operations", "P": "Political Affairs", "S": "Social Affairs",
          "T": "Technology and Science"}

GAP = re.compile(r" {3,}(?=\S)")
DEBUG = False  # print every heading read and the code matched (to review a run)


# -- 1. columns -------------------------------------------------------------------------------------------

def gutter(lines: list[str]) -> int | None:
    """The start column of a page's right column: the most common start of text after 3+ spaces."""
    hist = collections.Counter(m.end() for line in lines for m in GAP.finditer(line) if 30 <= m.end() <= 115)
    if not hist:
        return None
    return max(range(30, 116), key=lambda c: sum(hist[c + d] for d in range(-2, 3)))


def columns(page: str) -> list[list[str]]:
    """A page's text as its columns, top to bottom (one list of lines per column)."""
    lines = [line.rstrip() for line in page.split("\n")]
    b = gutter(lines)
    two = b is not None and sum(
        1 for line in lines for m in GAP.finditer(line) if abs(m.end() - b) <= 3 and line[:m.start()].strip()) >= 6
    if not two:
        return [lines]
    left, right = [], []
    for line in lines:
        if not line.strip():
            left.append("")
            right.append("")
            continue
        cut = next((m for m in GAP.finditer(line) if m.end() >= b - 6), None)
        indent = len(line) - len(line.lstrip())
        if cut is not None and line[:cut.start()].strip():
            left.append(line[:cut.start()])
            right.append(line[cut.end():])
        elif indent >= b - 6:
            # keep a deeper indent visible: a title's continuation line is indented under the title
            right.append(line.strip() if indent < b + 8 else " " * 10 + line.strip())
        else:
            left.append(line)
    return [left, right]


PAGE_HEAD = re.compile(r"T\S{0,3}\s*[:;,]\s*T\S{2,5}\s*-\s*1|A\s*\S{0,2}\s*p\s*\S\s*e\s*n\s*d\s*i\s*x|"
                       r"^\s*\S?-\s*2\s*\S\s*-\s*7\s*4\s*$|^\s*T-T'S-74")


def column_text(cols: list[list[str]]) -> list[str]:
    """The lines of the columns in reading order, page headers and footers dropped."""
    out = []
    for col in cols:
        for line in col:
            if PAGE_HEAD.search(line) and len(line.strip()) < 40:
                continue
            out.append(line)
    return out


# -- 2-4. words -----------------------------------------------------------------------------------------------

class Vocabulary:
    """Word counts of cable English (lower case) with a unigram segmenter and an OCR fixer."""

    def __init__(self, counts: dict[str, int]):
        self.counts = counts
        self.total = sum(counts.values()) or 1
        self.logp = {w: math.log(c / self.total) for w, c in counts.items()}

    def __contains__(self, word: str) -> bool:
        return word.lower() in self.counts

    def _cost(self, w: str) -> float:
        # one-letter words are only a and i: OCR fragments are not words (depart m en tal)
        lp = self.logp.get(w) if len(w) > 1 or w in ("a", "i") else None
        if lp is not None:
            return -lp
        return -math.log(10.0 / (self.total * 10 ** len(w)))  # unknown pieces cost more the longer they are

    def segment(self, s: str) -> list[str]:
        """Split a lower-case letter string into the most probable words (Viterbi over a unigram model)."""
        n = len(s)
        best = [0.0] + [math.inf] * n
        back = [0] * (n + 1)
        for i in range(1, n + 1):
            for j in range(max(0, i - 24), i):
                c = best[j] + self._cost(s[j:i])
                if c < best[i]:
                    best[i], back[i] = c, j
        out, i = [], n
        while i > 0:
            out.append(s[back[i]:i])
            i = back[i]
        return out[::-1]

    OCR_SWAPS = (("rn", "m"), ("m", "in"), ("m", "rn"), ("1", "l"), ("!", "l"), ("l", "i"), ("i", "l"), ("c", "e"),
                 ("e", "c"), ("0", "o"), ("5", "s"), ("3", "e"), ("h", "b"), ("ii", "n"), ("i", "f"), ("ll", "il"),
                 ("cl", "d"), ("vv", "w"), ("?", "p"), ("$", "s"), ("z", "g"), ("t", "f"), ("r", "t"), ("L", "I"),
                 ("iM", "M"), ("hl", "M"), ("I", "l"), ("q", "n"), ("Lq", "In"), ("Lt", "In"), ("Ln", "In"), ("bl", "M"), ("X", "A"), ("4", "A"), ("u", "a"), ("a", "u"), ("j", "s"))

    def fix(self, word: str) -> str:
        """A misread word mended when one OCR confusion turns it into a known word, or (words of 5+ letters) one
        edit does (the most frequent such word); else unchanged."""
        core = word.strip(".,;:()'\"")
        if len(core) < 3 or not re.search(r"[a-z]", core) or core.lower() in self.counts:
            return word
        best, best_count = None, 0
        odd = [i for i, ch in enumerate(core) if not ch.isalpha()]
        if len(core) >= 5 and 1 <= len(odd) <= 2 and core[0].isalpha() and "-" not in core:
            # a letter misread as a sign inside a word (mat:ers, Internat:onal): try letters in its place
            letters = "abcdefghijklmnopqrstuvwxyz"
            cands = [core]
            for i in odd:
                cands = [c[:i] + x + c[i + 1:] for c in cands for x in letters]
            for cand in cands:
                c = self.counts.get(cand.lower(), 0)
                if c > best_count:
                    best, best_count = cand, c
            if best and best_count >= 20:
                return word.replace(core, best, 1)
            best, best_count = None, 0
        if len(core) >= 5 and core.isalpha() and core.islower():
            letters = "abcdefghijklmnopqrstuvwxyz"
            splits = [(core[:i], core[i:]) for i in range(len(core) + 1)]
            edits = {a + b[1:] for a, b in splits if b} | {a + c + b[1:] for a, b in splits if b for c in letters} | \
                {a + c + b for a, b in splits for c in letters}
            for cand in edits:
                c = self.counts.get(cand, 0)
                if c > best_count:
                    best, best_count = cand, c
            if best and best_count >= 20:
                return word.replace(core, best, 1)
            best, best_count = None, 0
        for bad, good in self.OCR_SWAPS:
            start = core.find(bad)
            while start >= 0:
                cand = core[:start] + good + core[start + len(bad):]
                c = self.counts.get(cand.lower(), 0)
                if c > best_count and re.fullmatch(r"[A-Za-z-]+", cand):
                    best, best_count = cand, c
                start = core.find(bad, start + 1)
        return word.replace(core, best, 1) if best else word


def _short(tok: str) -> bool:
    return tok.isalpha() and len(tok) <= 2


def _acronym(tok: str) -> bool:
    return sum(ch.isupper() for ch in tok) >= 2 and len(tok) >= 2


def rejoin(text: str, vocab: Vocabulary) -> str:
    """Letter-spaced words rejoined: tokens glued by spaces next to one- or two-letter pieces are joined and
    re-segmented into words; the case of each letter is kept."""
    toks = text.split()
    out: list[str] = []
    i = 0
    while i < len(toks):
        j = i
        # extend a run of alphabetic tokens while a neighbour on either side of the space is a short piece
        while (j + 1 < len(toks) and toks[j].isalpha() and toks[j + 1].isalpha()
               and (_short(toks[j]) or _short(toks[j + 1]))
               and not (_acronym(toks[j]) or _acronym(toks[j + 1]))):
            j += 1
        if j == i:
            out.append(toks[i])
        else:
            run = "".join(toks[i:j + 1])
            if run.isupper():
                out.append(run)  # a spaced-out code or acronym: T A G S
            else:
                pos = 0
                for w in vocab.segment(run.lower()):
                    out.append(run[pos:pos + len(w)])
                    pos += len(w)
        i = j + 1
    joined = " ".join(out)
    # glue spaced punctuation: "word ," "( 1 )"
    joined = re.sub(r"\s+([,.;:)])", r"\1", joined)
    joined = re.sub(r"\(\s+", "(", joined)
    return joined


def unwrap(lines: list[str], vocab: Vocabulary) -> str:
    """Column lines of one paragraph as one string; a word broken by a hyphen at a line end is rejoined
    (kept hyphenated when both halves are words and the whole is not)."""
    text = ""
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if text.endswith("-") and len(text) > 1:
            left = re.search(r"(\S*)-$", text).group(1)
            right = re.match(r"\S*", line).group(0).rstrip(".,;:)")
            glued = text[-2] != " "
            if glued and left.isalpha() and right.isalpha() and len(right) >= 3 and (left + right) not in vocab \
                    and left in vocab and right in vocab:
                text = text + line  # a real hyphen: long-term
            else:
                text = text[:-1] + ("" if glued else " ") + line
        else:
            text = (text + " " + line) if text else line
    return text


# -- 5. entries ---------------------------------------------------------------------------------------------

HEADING = re.compile(r"^ {0,8}(\S{3,8}|\S{1,3} \S{1,3})\s{3,}(\S.{2,70})$")
HEADING_TIGHT = re.compile(r"^ {0,8}(\S{4,6}) (\S.{2,60})$")  # one space after the code: see opens_definition
_OCR_CODE = [("-4", "A"), (".4", "A"), ("4", "A"), ("hl", "M"), ("bl", "M"), ("?VI", "M"), ("iM", "M"),
             ("!/I", "M"), ("0", "O"), ("1", "I"), ("!", "I"), ("l", "I"), ("|", "I"), ("5", "S"), ("$", "S"),
             ("2", "Z"), ("8", "B"), ("&", "M")]


def clean_code(raw: str) -> str:
    s = raw.replace(" ", "")
    for bad, good in _OCR_CODE:
        s = s.replace(bad, good)
    return re.sub(r"[^A-Za-z]", "", s).upper()


def _title_words(t: str) -> set[str]:
    return {w.rstrip("s") for w in re.findall(r"[a-z]{3,}", t.lower())
            if w not in {"and", "the", "for", "general", "affairs", "with"}}


ORDER = "ABCEMOPST"  # the fields in the handbook's order


def code_like(token: str, vocab: Vocabulary) -> bool:
    """A heading's first token can be an OCR'd code: 3-5 letters once cleaned, and not an ordinary word."""
    if not 2 <= len(clean_code(token)) <= 5:
        return False
    word = re.fullmatch(r"([A-Z]?[a-z]+)[,.:;]?", token)
    return not (word and word.group(1).lower() in vocab.counts)


def match_code(raw: str, title: str, known: dict[str, list[str]], field: str, era_codes: frozenset = frozenset(),
               taken: frozenset = frozenset(), words: frozenset = frozenset()) -> tuple[str | None, float, bool]:
    """The code an OCR'd heading names within the current field: (code, how sure 0-1, confirmed).

    Candidates are the known codes of the field (taxonomy, NARA lists, codes the handbook itself cites); the score
    is OCR-aware code similarity with the title's agreement deciding between close codes, and codes of the same era
    (`era_codes`: the NARA lists, the handbook's own cross-references) weigh a little more. A cleanly read code of
    the field that no source knows is returned unconfirmed, only when no known code is close. Codes in `taken`
    (already read from a clearer heading) are passed over; `words` are the words known to be read cleanly (the
    title of a heading made of them is trusted to disagree with a neighbour's)."""
    c = clean_code(raw)
    variants = {c, "A" + c[1:] if field == "A" and c[:1] == "X" else c, field + c[1:] if len(c) == 4 else c,
                field + c if len(c) == 3 else c}
    tw = _title_words(title)
    best, best_score = None, 0.0
    clean_title = bool(tw) and all(w in words for w in tw)
    for code, titles in known.items():
        if code[0] != field or code in taken:
            continue
        code_sim = max(difflib.SequenceMatcher(None, v, code).ratio() for v in variants)
        title_sim = max((len(tw & _title_words(t)) / max(1, len(tw | _title_words(t))) for t in titles), default=0)
        if c != code and title_sim == 0 and len(c) == 4 and c[0] == field and c not in known and clean_title \
                and any(titles):
            continue  # a clean reading of an unlisted code beats a neighbour whose title disagrees (SGEN, not SENV)
        score = 0.6 * code_sim + 0.4 * title_sim + (0.3 if c == code else 0) + 0.05 * (code in era_codes)
        if score > best_score:
            best, best_score = code, score
    if best_score >= 0.45:
        return best, min(1.0, best_score), True
    if len(c) == 4 and c[0] == field:
        return c, 0.5, False
    return None, 0.0, False


def _split_glued(text: str, vocab: Vocabulary) -> str:
    """Words the OCR glued together ("donotappear", "allmatters") split when every piece is a known word."""
    out = []
    for tok in text.split():
        core = tok.strip(".,;:()")
        if len(core) >= 7 and core.isalpha() and core.lower() not in vocab.counts:
            parts = vocab.segment(core.lower())
            if len(parts) > 1 and all(len(x) >= 2 and x in vocab.counts for x in parts):
                pos, pieces = 0, []
                for x in parts:
                    pieces.append(core[pos:pos + len(x)])
                    pos += len(x)
                tok = tok.replace(core, " ".join(pieces), 1)
        out.append(tok)
    return " ".join(out)


def _first_words(p: str) -> str:
    """A definition's first word, usually misread ("Cse for", "U je for", "Inciu2es"), restored when the next
    word shows which it was: Use before for/only/to, Includes before all/matters/funding."""
    m = re.match(r"^[\W_]*\S{0,4}(?:\s\S{1,3})?\s(?=(for|only|lor|to|io\S?)\b)", p)
    if m and not p.startswith("Use ") and len(m.group(0).replace(" ", "")) <= 6:
        return "Use " + p[m.end():]
    m = re.match(r"^\S{0,4}\s?\S{1,6}?(?:es|Gdes|cdes)(?=all|\s)", p)
    if m and not p.startswith("Includes") and re.match(r"(h|I|L|l)\S*(c|u)", p):
        return "Includes " + p[m.end():].lstrip()
    return p


def title_like(title: str, strict: bool = False) -> bool:
    """Capitalised words (and the small words between them): a heading's title, not a line of prose.
    strict: every word; else at least half of them."""
    words = [w for w in title.split() if re.search(r"[A-Za-z]", w)]
    if not words:
        return False
    small = ("and", "of", "the", "to", "for", "on", "by", "with", "in")
    ok = sum(1 for w in words if w in small or re.match(r"[^a-z]*[A-Z]", w))
    return ok == len(words) if strict else ok * 2 >= len(words)


def read_definitions(text: str, vocab: Vocabulary, known: dict[str, list[str]],
                     era_codes: frozenset = frozenset()) -> dict[str, dict]:
    """Appendix A as {code: {title, definition, page, ocr, readable, raw_code, sure, confirmed}}."""
    pages = text.split("\f")
    start = next(i for i, p in enumerate(pages) if re.search(r"SUBJECT\s+TAGS\s+DEFINITIONS", p))
    lines: list[tuple[int, str]] = []
    for number, page in enumerate(pages[start:], 1):
        lines.extend((number, line) for line in column_text(columns(page)))
    entries: dict[str, dict] = {}
    words = frozenset(w.rstrip("s") for w in vocab.counts)
    # codes the handbook prints cleanly and exactly in a heading are taken first: a blurred heading cannot claim them
    taken = set()
    for _, line in lines:
        m = HEADING.match(line)
        if m and re.fullmatch(r"[A-Z]{4}", m.group(1)) and m.group(1) in known:
            taken.add(m.group(1))
    current = None
    field = "A"
    para: list[str] = []

    def flush():
        nonlocal current
        if current is not None and para:
            text_ = unwrap(para, vocab)
            if current["paragraphs"] and re.match(r"\W*(Usefor|Useto|Includes|Tobeused)", text_.replace(" ", "")):
                current = None  # a second "Use for ...": a definition whose heading the OCR lost; not this code's
            else:
                current["paragraphs"].append(text_)
        para.clear()

    def opens_definition(k: int) -> bool:
        """A heading with one space after its code: a title of capitalised words, either between blank lines or
        followed by the definition's first words ("Use for", "Covers", "Includes", "To be used")."""
        nxt = next((ln for _, ln in lines[k + 1:k + 3] if ln.strip()), "")
        title = rejoin(lines[k][1].strip().split(" ", 1)[-1] if " " in lines[k][1].strip() else "", vocab)
        titled = title_like(title, strict=True) and len(title.split()) <= 8
        blank_after = k + 1 >= len(lines) or not lines[k + 1][1].strip()
        opens = re.match(r"(Use|Ysefor|Cover|Include|Lnclude|Tobe)", nxt.replace(" ", "")) is not None
        blank_before = not k or not lines[k - 1][1].strip()
        return bool(titled) and ((blank_before and blank_after) or opens)

    for k, (page, line) in enumerate(lines):
        m = HEADING.match(line) or (HEADING_TIGHT.match(line) if opens_definition(k) else None)
        if m and not re.search(r"[.;:]$", m.group(2).strip()) and code_like(m.group(1), vocab) and \
                len(rejoin(m.group(2), vocab).split()) <= 10 and \
                (m.group(1) in known or title_like(" ".join(vocab.fix(w) for w in rejoin(m.group(2), vocab).split()))):
            raw, title = m.group(1), m.group(2)
            # the field moves forward only: to a later field whose known code matches clearly better
            title = " ".join(vocab.fix(w) for w in rejoin(title, vocab).split())
            others = frozenset(taken - {clean_code(raw)})
            code, sure, confirmed = match_code(raw, title, known, field, era_codes, others, words)
            for later in ORDER[ORDER.find(field) + 1:ORDER.find(field) + 3]:
                c2, s2, ok2 = match_code(raw, title, known, later, era_codes, others, words)
                if c2 and ((ok2 and s2 >= 0.7 and (not confirmed or s2 > sure)) or code is None):
                    code, sure, confirmed, field = c2, s2, ok2, later
                    break
            if DEBUG:
                print(f"p{page} {raw!r} {title!r} -> {code} {sure:.2f} {confirmed} field {field}", file=sys.stderr)
            if code:
                flush()
                cont = lines[k + 1][1] if k + 1 < len(lines) else ""
                if cont.startswith(" " * 8) and cont.strip() and len(cont.strip()) < 50:
                    title = title + " " + cont.strip()
                    lines[k + 1] = (page, "")
                current = {"raw_code": raw, "code": code, "sure": round(sure, 2), "confirmed": confirmed,
                           "page": page, "title": rejoin(title, vocab), "paragraphs": []}
                if code not in entries or sure > entries[code]["sure"]:
                    entries[code] = current
                continue
        if not line.strip():
            flush()
        elif re.fullmatch(r"\s*[A-Z ]{6,40}\s*", line) and len(line.strip().split()) <= 4 and not para:
            continue  # a field heading (POLITICAL AFFAIRS)
        else:
            para.append(line)
    flush()
    for e in entries.values():
        words = []
        paras = []
        for p in e.pop("paragraphs"):
            p = " ".join(vocab.fix(w) for w in _split_glued(rejoin(p, vocab), vocab).split())
            if re.match(r"Th\S*\s?-?\s?\S+.{0,40}\bfield covers\b", p):
                continue  # the next field's introduction ("The Technology and Science field covers ...")
            if not paras:
                p = _first_words(p)
            paras.append(p)
            words += re.findall(r"[A-Za-z]{3,}", p)
        m = re.match(r"((?:[A-Z][a-z]+,? ){1,3})(?=Use |Includes |To be )", paras[0] if paras else "")
        if m:  # the title's last line, printed under it, came first
            e["title"] = f"{e['title']} {m.group(1).strip()}"
            paras[0] = paras[0][m.end():]
        e["definition"] = "\n\n".join(paras)
        known_share = sum(1 for w in words if w.lower() in vocab.counts or w.isupper()) / max(1, len(words))
        e["readable"] = round(known_share, 3)
        e["ocr"] = "clean" if known_share >= 0.97 else "fair" if known_share >= 0.9 else "poor"
    return entries


def subject_list(text: str, vocab: Vocabulary) -> dict[str, str]:
    """Section 8, the list of subject TAGS: {code: title} for the codes printed cleanly (four capitals of a field
    letter). A misread code here (EIXD) is only a candidate: a definition's heading still has to match it better
    than every other code by code and title."""
    pages = text.split("\f")
    start = next(i for i, p in enumerate(pages) if re.search(r"List\s+of\s+Subject\s+TAGS", p))
    out = {}
    pair = re.compile(r"(?:^|\s{3})\s*([A-Z]{4})\s{3,}(\S(?:\S| {1,2}\S)*)")  # a code, 3+ spaces, a title
    for page in pages[start:start + 3]:
        for line in page.split("\n"):  # pairs are found along the whole line: no need to split the columns
            for m in pair.finditer(line):
                if m.group(1)[0] in FIELDS:
                    out[m.group(1)] = " ".join(vocab.fix(w) for w in rejoin(m.group(2), vocab).split())
    return out


CITED = re.compile(r"\b(?:u ?s ?e|s ?e ?e|U ?s ?e|S ?e ?e)(?: a ?l ?s ?o)?[;:,]? +([A-Z]{4})\b")


def cited_codes(text: str, vocab: Vocabulary) -> dict[str, list[str]]:
    """Codes the handbook names in its own cross-references, each with what the reference says it is for:
    "For public opinion, use SOPN" gives SOPN ["public opinion"]."""
    out: dict[str, list[str]] = collections.defaultdict(list)
    for m in CITED.finditer(text):
        code = m.group(1)
        if code[0] not in FIELDS:
            continue
        before = rejoin(text[max(0, m.start() - 80):m.start()].replace("\n", " "), vocab)
        said = re.split(r"\b[Ff]or\b|[;.]", before)[-1].strip(" ,")
        out[code].append(said if len(said.split()) <= 6 else "")
    return out


def read_nara(text: str) -> dict[str, dict]:
    """The NARA appendices I (permanent) and II (temporary) as {code: {field, title, disposition}}: a row is a
    code, a field name and a title; a title broken over lines continues on the next line or starts on the line
    before when the code's own line has none."""
    out: dict[str, dict] = {}
    fields = "|".join(re.escape(f) for f in ("Administration", "Business Services", "Consular Affairs",
                                              "Operations", "Economic Affairs", "Political Affairs",
                                              "Social Affairs", "Technology and", "Military and"))
    row = re.compile(rf"^([A-Z]{{4}}|[A-Z]\*\*\*)\s+({fields})\s*(.*)$")
    disposition = None
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Appendix I:"):
            disposition = "permanent"
        elif line.startswith("Appendix II:"):
            disposition = "temporary"
        elif line.startswith("Appendix III"):
            break
        m = row.match(line.strip())
        if not (disposition and m) or "*" in m.group(1):
            continue
        code, field_name, title = m.group(1), m.group(2), m.group(3).strip()
        before = lines[i - 1].strip() if i else ""
        after = lines[i + 1] if i + 1 < len(lines) else ""
        if not title and before and not row.match(before):
            title = before  # the title printed above its code's row
            if after.startswith(" " * 20) and after.strip() and not row.match(after.strip()):
                title += " " + after.strip()
        elif after.startswith(" " * 20) and after.strip() and not row.match(after.strip()) and \
                not (i + 2 < len(lines) and row.match(lines[i + 2].strip()) and not row.match(lines[i + 2].strip()).group(3)):
            title += " " + after.strip()
        out[code] = {"field": field_name, "title": re.sub(r"\s+", " ", title), "disposition": disposition}
    return out


def corpus_vocabulary(path: Path = CORPUS, min_count: int = 3) -> Vocabulary:
    counts: collections.Counter = collections.Counter()
    word = re.compile(r"[A-Za-z]+")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            counts.update(w.lower() for w in word.findall((r.get("subject") or "") + " " + (r.get("body") or "")))
    return Vocabulary({w: c for w, c in counts.items() if c >= min_count})


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sources", default=str(SOURCES))
    ap.add_argument("--corpus", default=str(CORPUS))
    ap.add_argument("--write", action="store_true", help="update taxonomy/subject.yaml")
    ap.add_argument("--report", help="write every definition read, with its marks, to this JSON file")
    a = ap.parse_args(argv)
    src = Path(a.sources)
    for p in (src / "tags-handbook-1974.txt", src / "nara-cfpf-faq.txt", Path(a.corpus)):
        if not p.is_file():
            sys.exit(f"error: source not found: {p} (pass --sources / --corpus)")
    import yaml

    subject_file = ROOT / "taxonomy" / "subject.yaml"
    doc = yaml.safe_load(subject_file.read_text(encoding="utf-8"))
    nara = read_nara((src / "nara-cfpf-faq.txt").read_text(encoding="utf-8"))
    handbook = (src / "tags-handbook-1974.txt").read_text(encoding="utf-8")
    known: dict[str, list[str]] = collections.defaultdict(list)
    for e in doc["entries"]:
        known[e["code"]].append(e.get("title") or "")
    for code, r in nara.items():
        known[code].append(r["title"])
    print(f"reading the corpus vocabulary from {a.corpus} ...", file=sys.stderr)
    vocab = corpus_vocabulary(Path(a.corpus))
    cited = cited_codes(handbook, vocab)
    listed = {}
    for code, title in subject_list(handbook, vocab).items():
        # a list code one letter away from a code known from a clean source, with a title in common, is that
        # code misread (EIXD: EIND)
        near = [k for k in known if len(k) == len(code) and sum(x != y for x, y in zip(k, code)) == 1
                and _title_words(title) & {w for t in known[k] for w in _title_words(t)}]
        code = near[0] if near and code not in cited and len(near) == 1 else code
        known[code].append(title)
        listed[code] = title
    for code, said in cited.items():
        known[code].extend(said)  # a code the handbook cites by name ("for fisheries, use EFIS")
    defs = read_definitions(handbook, vocab, dict(known), frozenset(nara) | frozenset(cited))
    for code in [c for c in listed if c not in defs]:
        # a list code with no definition, one letter from a code whose definition was read under a heading with
        # words of the same title, is that code misread in the list (PEOR: PBOR, AFSN: AFIN)
        near = [(len(_title_words(listed[code]) & _title_words(defs[k]["title"])), k) for k in defs
                if len(k) == len(code) and sum(x != y for x, y in zip(k, code)) == 1]
        near = [x for x in near if x[0]]
        if near:
            listed.setdefault(max(near)[1], listed[code])
            del listed[code]
    marks = collections.Counter(d["ocr"] for d in defs.values())
    codes_1974 = set(defs) | set(listed)
    readable = sum(1 for d in defs.values() if d["ocr"] != "poor")
    print(f"Appendix A: {len(defs)} definitions read ({marks['clean']} clean, {marks['fair']} fair, "
          f"{marks['poor']} poor OCR); the 1974 subject list (section 8 and Appendix A headings): "
          f"{len(codes_1974)} codes, {readable} ({100 * readable / len(codes_1974):.1f}%) with a readable definition")
    print(f"  listed in section 8, no definition read: {' '.join(sorted(set(listed) - set(defs))) or '-'}")
    print(f"  codes read from a heading no other source knows (kept, marked): "
          f"{' '.join(sorted(c for c, d in defs.items() if not d['confirmed'])) or '-'}")
    print(f"NARA appendices I/II: {len(nara)} codes")
    geo_doc = yaml.safe_load((ROOT / "taxonomy" / "geographic.yaml").read_text(encoding="utf-8"))
    geo = read_geographic(handbook, vocab, geo_doc["entries"])
    print(f"sections 11-12: {len(geo)} two-letter codes read; {sum(g['same_place'] for g in geo.values())} mean the "
          f"place Cablegate's code means; another meaning or a code Cablegate does not use: "
          f"{' '.join(sorted(c for c, g in geo.items() if not g['same_place']))}")
    if a.report:
        Path(a.report).write_text(json.dumps({"definitions": defs, "nara": nara, "listed": listed, "geographic": geo},
                                             indent=1), encoding="utf-8")
    if a.write:
        write_subjects(subject_file, doc, defs, nara, listed, vocab)
        write_geographic(ROOT / "taxonomy", geo_doc, geo)


def _readability(title: str, vocab: Vocabulary) -> float:
    words = re.findall(r"[A-Za-z]+", title)
    return sum(w.lower() in vocab.counts for w in words) / max(1, len(words))


def write_subjects(path: Path, doc: dict, defs: dict, nara: dict, listed: dict, vocab: Vocabulary) -> None:
    """Lay what was read over the subject file: definitions and attestations replace the ones a previous run
    wrote; a code no entry has is added as historic with the best-read title; curated titles are kept. A definition
    marked `proofread` (checked by hand against the scan, HAND-EDITED) is kept with its handbook-1974 title."""
    by_code = {e["code"]: e for e in doc["entries"]}
    added = []
    for code in sorted(set(defs) | set(nara) | set(listed)):
        e = by_code.get(code)
        d, n = defs.get(code), nara.get(code)
        # the NARA list is typed; otherwise the better read of the definition's heading and the section 8 list
        read = [t for t in ((d or {}).get("title"), listed.get(code)) if t]
        title = (n or {}).get("title") or max(read, key=lambda t: (_readability(t, vocab), len(t)), default=None)
        if e is None:
            if code[0] not in FIELDS:
                continue
            ref = NARA_REF.format(app="I" if n["disposition"] == "permanent" else "II",
                                  what=n["disposition"].title()) if n else \
                HANDBOOK_REF.format(page=d["page"]) if d else LIST_REF
            e = {"code": code, "title": title, "category": {"letter": code[0], "name": FIELDS[code[0]]},
                 "status": "historic",
                 "provenance": {"source": "listed", "reference": ref,
                                "evidence": "a 1970s subject TAGS (scripts/tools/handbook_1974.py); "
                                            "in the TAGS of no corpus cable"}}
            doc["entries"].append(e)
            by_code[code] = e
            added.append(code)
        elif not e.get("title") and title:
            e["title"] = title
        proofread = (e.get("definition") or {}).get("proofread")
        if proofread:  # checked by hand against the scan: the definition and the handbook title stay as they are
            attested = [a for a in e.get("attested", []) if a.get("source") != "nara-1973-79"]
        else:
            attested = [a for a in e.get("attested", []) if a.get("source") not in ("handbook-1974", "nara-1973-79")]
        if (d or code in listed) and not proofread:
            best_read = max(read, key=lambda t: (_readability(t, vocab), len(t)))
            attested.append({"source": "handbook-1974", "title": best_read,
                             "reference": HANDBOOK_REF.format(page=d["page"]) if d else LIST_REF})
        if d and not proofread:
            e["definition"] = {"text": d["definition"], "reference": HANDBOOK_REF.format(page=d["page"]),
                               "ocr": d["ocr"], "ocr_heading": f"{d['raw_code']} {d['title']}"}
        if n:
            attested.append({"source": "nara-1973-79", "title": n["title"], "disposition": n["disposition"],
                             "reference": NARA_REF.format(app="I" if n["disposition"] == "permanent" else "II",
                                                          what=n["disposition"].title())})
        if attested:
            e["attested"] = sorted(attested, key=lambda a: a["source"])
    none = mark_none_printed(doc)
    doc["entries"].sort(key=lambda e: e["code"])
    write_yaml(path, doc)
    print(f"{path.relative_to(ROOT)}: {none} codes in use with no definition printed; {len(added)} codes added "
          f"({' '.join(added)}), {len(defs)} definitions")


NONE_PRINTED = ("the 1974 handbook's Appendix A has no entry for this code, and the current handbook (5 FAH-3) lists "
                "titles only")


def mark_none_printed(doc: dict) -> int:
    """A subject code in use (on Cablegate cables or in the current handbook) with no definition says so explicitly:
    `definition: {none_printed: true}`. Returns how many are so marked."""
    n = 0
    for e in doc["entries"]:
        used = any(a["source"] in ("cablegate", "handbook-2022") for a in e.get("attested", []))
        if used and not (e.get("definition") or {}).get("text"):
            e["definition"] = {"none_printed": True, "reference": NONE_PRINTED}
            n += 1
    return n


# -- geographic TAGS of 1974 (sections 11 and 12) ------------------------------------------------------------

GEO_REF = ("Department of State, Traffic Analysis by Geography and Subject, TL:TAGS-1 (6-28-74), sections 11-12, "
           "geographic TAGS by country and by world region")
_NAME_STOP = {"the", "and", "of", "islands", "island"}


def _name_words(name: str, vocab: Vocabulary) -> frozenset:
    words = [vocab.fix(w) for w in rejoin(re.sub(r"[()]", " ", name), vocab).split()]
    return frozenset(w.lower().strip(".,'") for w in words if len(w.strip(".,'")) >= 2) - _NAME_STOP


def geographic_readings(text: str, vocab: Vocabulary) -> list[tuple[str, str, str]]:
    """Every (code as printed, place name, section) pair of sections 11 ("Name ..... CODE") and 12 ("CODE Name")."""
    start = text.index("List of Geographic TAGS Alphabetically")
    end = re.search(r"Or\S?s\S?anization TAGS", text[start:])
    part = text[start:start + (end.start() if end else 40000)]
    split12 = re.search(r"12\.\s+List of Geographic T\S+ Alphabetically", part)
    out = []
    sec11 = re.compile(r"([A-Z0-9][A-Za-z0-9 ,'()\-!?:;]{2,45}?)\s*(?:[.,:]\s?){3,}\s*(\S{1,3}(?: \S)?)(?=\s{2,}|$)")
    sec12 = re.compile(r"(?:^|\s{2,})([A-Za-z0-9?.\-!;:|<%&(']{1,4})\s{2,}([A-Za-z'][A-Za-z0-9 .,'()\-!?:;]{2,45}?)(?=\s{3,}|$)")
    for section, body in (("11", part[:split12.start()] if split12 else part), ("12", part[split12.start():] if split12 else "")):
        for line in body.splitlines():
            pattern = sec11 if section == "11" else sec12
            for m in pattern.finditer(line):
                code, name = (m.group(2), m.group(1)) if section == "11" else (m.group(1), m.group(2))
                out.append((code.strip(), re.sub(r"\s+", " ", name).strip(" .,"), section))
    return out


_CONFUSED = {frozenset(p) for p in ("BE", "AX", "OG", "OC", "OD", "IL", "IT", "UV", "EF", "PF", "CG", "BS", "HN")}


def _misread(a: str, b: str) -> bool:
    """b is a with one letter the OCR of this document often confuses (B/E, A/X, O/G ...)."""
    diff = [frozenset((x, y)) for x, y in zip(a, b) if x != y]
    return len(diff) == 1 and diff[0] in _CONFUSED


def read_geographic(text: str, vocab: Vocabulary, entries: list[dict]) -> dict[str, dict]:
    """The 1974 meaning of each two-letter code, by vote over its readings: {code: {title, votes, same_place,
    entry, readings}}.

    A reading votes for its code when the code is printed as two clean capitals (lower case counts half); the
    readings of one code are grouped by place name and the largest group wins. The code means the same place as in
    Cablegate when the names share their words with the Cablegate entry's title or a name alias (same_place); a
    different or new meaning needs two votes, so that one misread code never invents a country. Region codes (X.)
    are read elsewhere (the world-region list)."""
    entry_of = {e["code"]: e for e in entries}
    by_code: dict[str, list[tuple[str, float, str]]] = collections.defaultdict(list)
    for code, name, section in geographic_readings(text, vocab):
        c = code.replace(" ", "")
        if not re.fullmatch(r"[A-Za-z]{2}", c) or c.upper().startswith("X") or len(re.sub(r"\W", "", name)) < 4:
            continue
        by_code[c.upper()].append((name, 1.0 if c.isupper() else 0.5, f"section {section}: {code}  {name}"))

    def similar(a: str, b: str) -> float:
        """Word-set likeness, or letter likeness when the OCR broke the words differently (Yugos 1a via)."""
        wa, wb = " ".join(sorted(_name_words(a, vocab))), " ".join(sorted(_name_words(b, vocab)))
        la, lb = re.sub(r"[^a-z]", "", a.lower()), re.sub(r"[^a-z]", "", b.lower())
        return max(difflib.SequenceMatcher(None, wa, wb).ratio() if wa and wb else 0.0,
                   difflib.SequenceMatcher(None, la, lb).ratio() if la and lb else 0.0)

    names_elsewhere = [(e["code"], f) for e in entries for f in
                       [e.get("title") or ""] + [a["form"] for a in e.get("aliases", []) if a["type"] == "name"] if f]

    def readable(name: str) -> float:
        words = re.findall(r"[A-Za-z]+", rejoin(name, vocab))
        return sum(w.lower() in vocab.counts for w in words) / max(1, len(words))

    out = {}
    for code, readings in sorted(by_code.items()):
        groups: list[list] = []
        for r in readings:
            g = next((g for g in groups if similar(g[0][0], r[0]) >= 0.6), None)
            (g.append(r) if g is not None else groups.append([r]))
        group = max(groups, key=lambda g: sum(v for _, v, _ in g))
        votes = sum(v for _, v, _ in group)
        title = max((n for n, _, _ in group), key=lambda n: (readable(n), -abs(len(n) - 14)))
        title = " ".join(vocab.fix(w) for w in rejoin(title, vocab).split())
        e = entry_of.get(code)
        forms = ([e.get("title") or ""] + [a["form"] for a in e.get("aliases", []) if a["type"] in ("name", "variant")]
                 if e else [])
        same = any(similar(f, n) >= 0.75 for f in forms if f for n, _, _ in group)
        # another meaning needs 1.5 votes; a single clean reading is enough only for a code Cablegate does not use,
        # naming a place Cablegate does not list under another code (Sikkim SK; not "EM Burma", Burma is BM)
        elsewhere = {c for c, f in names_elsewhere if c != code for n, _, _ in group if similar(f, n) >= 0.85}
        if not same and (votes < 1 or (votes < 1.5 and (e is not None or elsewhere))
                         or any(_misread(c, code) for c in elsewhere)):
            continue  # too few readings, or the place's Cablegate code misread (EM for Burma BM)
        out[code] = {"title": title, "votes": votes, "same_place": same, "entry": e["code"] if e else None,
                     "readings": [r for _, _, r in group]}
    for code in list(out):  # two codes for one place: the one read more often (YO, not YG, for Yugoslavia)
        rivals = [c for c in out if c != code and similar(out[c]["title"], out[code]["title"]) >= 0.92]
        if any(out[c]["votes"] > out[code]["votes"] for c in rivals):
            del out[code]
    return out

def write_geographic(folder: Path, doc: dict, geo: dict) -> None:
    """Same-place codes: a handbook-1974 attestation on the geographic entry. The 1970s table of eras.yaml is
    curated by hand (every code and name proofread against the scan): a rerun refreshes only each item's `evidence`
    (its OCR readings) and lists the codes read here that the table lacks, for a curator to check."""
    import yaml

    for e in doc["entries"]:
        g = geo.get(e["code"])
        att = [x for x in e.get("attested", []) if x["source"] != "handbook-1974"]
        if g and g["same_place"]:
            att.append({"source": "handbook-1974", "title": g["title"], "reference": GEO_REF})
        if att:
            e["attested"] = sorted(att, key=lambda x: x["source"])
    path = folder / "geographic.yaml"
    write_yaml(path, doc)
    eras_path = folder / "eras.yaml"
    eras = yaml.safe_load(eras_path.read_text(encoding="utf-8"))
    items = {c["code"]: c for c in eras["eras"]["1970s"]["codes"]}
    for code, g in sorted(geo.items()):
        if code in items:
            items[code]["evidence"] = f"read {g['votes']:g} times: " + "; ".join(g["readings"])
        elif not g["same_place"]:
            print(f"  read {code} {g['title']!r}, not in the curated 1970s table: check it against the scan")
    write_yaml(eras_path, eras)
    print(f"{path.relative_to(ROOT)}: 1974 attestations; {eras_path.relative_to(ROOT)}: evidence of "
          f"{sum(c in items for c in geo)} curated 1970s codes refreshed")


if __name__ == "__main__":
    main()

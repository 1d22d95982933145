"""Read a whole cable: header fields, the TAGS line (raw and normalized), subject, refs, paragraphs.

Copes with what real cables contain: label variants and misspellings (TAGS, TAG, TAGE, TAS:, TABS,
TGS, AGS:, any case), TAGS lists continued on the next line or broken by page / section headers,
text whose line breaks were flattened into spaces, and pages saved from cable websites.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from .. import cableformat as cf
from ..cableformat import HEADER_PREFIX, Paragraph
from ..vocabulary.normalizer import NormalizedTags, get_normalizer

__all__ = ["Cable", "ParsedCable", "Paragraph", "parse_text", "find_tags_line", "cable_reading",
           "header_words"]


def _worked_out(work: str, name: str, doc: str) -> property:
    """A Cable field worked out when first asked for, by the method `work` (from the body: _part; from the header:
    _fact), and settable by hand."""
    return property(lambda self: getattr(self, work)(name), lambda self, v: self._set(work, name, v), doc=doc)


@dataclass
class Cable:
    """One cable as the reader found it (None / empty when absent); tags is always a NormalizedTags.

    Made by cabletags.reading.read_cable (any input: a path, bytes, text, a file object; a page, a PDF, bare
    text) or by parse_text (text already known to be one cable). Where a fact came from is kept beside it
    (reference_id_source: "header", "metadata", "derived" or "filename"; tags_source: "cable" or "metadata"),
    and what the input says in two ways that disagree is listed in `doubts`, never decided silently.
    """

    reference_id: str | None = None
    post: str | None = None
    serial: str | None = None
    date_time_group: str | None = None
    from_: str | None = None
    to: list[str] = field(default_factory=list)
    classification: str | None = None
    # caveats, eo_line, refs and meanings: properties below, worked out when first asked for
    tags_raw: str | None = None
    tags_label: str | None = None
    # tags: a property below, the TAGS line normalized when first asked for
    subject: str | None = None
    # paragraphs, summary, comment and signature: properties below, worked out from the body when first asked for
    reading_text: str = ""  # what a model reads of the whole cable: its header and body without the TAGS field
    header_text: str = ""  # the part of reading_text up to and including the SUBJECT field (addressees, subject)
    year: int | None = None  # from the reference id (09BAKU141) or the date-time group
    era: str = "cablegate"  # the era the codes were read in (cabletags.vocabulary.decoder.ERAS)
    reference_id_source: str | None = None  # "header" | "metadata" | "derived" | "filename"
    reference_id_original: str | None = None  # as written (1974ATHENS02959_b) when it differs from reference_id
    date: str | None = None  # ISO 8601, to the minute when known ("1974-05-17T16:00")
    origin: str | None = None  # the sending post ("Embassy Paris")
    origin_country: str | None = None  # the post's country code (taxonomy/posts.yaml): FR
    body: str = ""  # the text after the SUBJECT block, up to the cable's end marker
    tags_source: str | None = None  # "cable" (its TAGS line) | "metadata" (a page's own TAGS field)
    source: str | None = None  # the file it was read from
    layout: str = "text"  # "text" | "cablegate" | "plusd" | "page" | "pdf"
    encoding: str | None = None  # how its bytes were decoded (cabletags.reading.encoding)
    doubts: list[str] = field(default_factory=list)  # disagreements inside the input, in words
    # the body's parts still to work out (parse_text's body, paragraph numbers and end), and what they gave: scoring a
    # whole cable reads none of them, and they were some 40% of reading one (scripts/benchmarks/bench_reader.py)
    _pending: tuple | None = field(default=None, repr=False, compare=False)
    _bare_id: bool = field(default=False, repr=False, compare=False)  # the header id stood alone on its line
    _parts: dict = field(default_factory=lambda: {"paragraphs": [], "summary": None, "comment": None,
                                                   "signature": None, "caveats": [], "eo_line": None, "refs": []},
                         repr=False)
    # the header's facts still to work out (parse_text's head and body) and the taxonomy the meanings are read in:
    # scoring reads none of them either (some 8% of reading a cable)
    _head_pending: tuple | None = field(default=None, repr=False, compare=False)
    _tax: object = field(default=None, repr=False, compare=False)
    # the TAGS line still to normalize (the normalizer, the line, whether in the 1970s' codes): scoring a whole cable
    # never reads a cable's own tags (some 5% of reading and suggesting one)
    _tags_pending: tuple | None = field(default=None, repr=False, compare=False)

    def _tagged(self, name: str):
        if self._tags_pending is not None:
            norm, raw, seventies = self._tags_pending
            self._tags_pending = None
            tags = norm.normalize(raw) if raw else NormalizedTags(taxonomy_version=norm.tax.version)
            self._parts["tags"] = _in_the_1970s(tags, norm.tax, raw or "") if seventies else tags
        if "tags" not in self._parts:  # a Cable not made by parse_text: no tags
            self._parts["tags"] = NormalizedTags()
        return self._parts["tags"]

    tags = _worked_out("_tagged", "tags", "NormalizedTags: the TAGS line's codes, names, unknown items and repairs")

    def _part(self, name: str):
        if self._pending is not None:
            body, seq, ended = self._pending
            self._pending = None
            low = body.lower() if body.isascii() else None
            self._parts.update(paragraphs=cf.split_paragraphs(body, seq), signature=cf.signature(body, ended),
                               summary=cf.summary(body, low), comment=cf.comment(body, low))
        return self._parts[name]

    def _set(self, work: str, name: str, value) -> None:
        getattr(self, work)(name)  # a value set by hand is never overwritten by the pending one
        self._parts[name] = value

    def _fact(self, name: str):
        if self._head_pending is not None:
            head, body = self._head_pending
            self._head_pending = None
            m = cf.EO_LINE.search(head)
            self._parts.update(caveats=[c for c in cf.CAVEATS if _has_word(head, c)],
                               eo_line=" ".join(m.group(0).split()) if m else None,
                               refs=[" ".join(r.split()) for r in cf.REF_LINE.findall(body[:3000])])
        return self._parts[name]

    caveats = _worked_out("_fact", "caveats", "list of str: the caveats of the header (SIPDIS, NOFORN, ...)")
    eo_line = _worked_out("_fact", "eo_line", "the E.O. line, blanks collapsed, or None")
    refs = _worked_out("_fact", "refs", "list of str: the REF field's lines, blanks collapsed")

    @property
    def meanings(self) -> dict:
        """code -> its title in `era` (and 1970s-only codes such as UR): worked out for the tags and era the cable
        has when asked (a page's own TAGS, an era its date changed), unless set by hand."""
        if "meanings" in self._parts:
            return self._parts["meanings"]
        if self._tax is None:
            return {}
        tags, era, value = self._parts.get("_meanings_of") or (None, None, None)
        if tags is not self.tags or era != self.era:
            value = _meanings(self.tags, self._tax, self.era)
            self._parts["_meanings_of"] = (self.tags, self.era, value)
        return value

    @meanings.setter
    def meanings(self, value: dict) -> None:
        self._parts["meanings"] = value

    def settle_meanings(self) -> None:
        """Work the meanings out now, for the tags and era the cable has, and let go of the taxonomy: a record read
        with a taxonomy loaded for it alone would otherwise hold that taxonomy (megabytes) as long as it lives."""
        self._tagged("tags")  # (its normalizer is the taxonomy's too)
        if self._tax is not None and "meanings" not in self._parts:
            self._parts["meanings"] = self.meanings
        self._tax = None
        self._parts.pop("_meanings_of", None)

    paragraphs = _worked_out("_part", "paragraphs", "list of Paragraph: the numbered paragraphs (number, marking and "
                                                    "text)")
    summary = _worked_out("_part", "summary", "the SUMMARY block's text, or None")
    comment = _worked_out("_part", "comment", "the COMMENT block's text, or None")
    signature = _worked_out("_part", "signature", "the signature line, or None")

    def to_dict(self) -> dict:
        return {"reference_id": self.reference_id, "reference_id_source": self.reference_id_source,
                "reference_id_original": self.reference_id_original, "date": self.date,
                "origin": self.origin, "origin_country": self.origin_country,
                "post": self.post, "serial": self.serial,
                "date_time_group": self.date_time_group, "from": self.from_, "to": self.to,
                "classification": self.classification, "caveats": self.caveats, "eo_line": self.eo_line,
                "tags_raw": self.tags_raw, "tags": self.tags.to_dict(), "subject": self.subject, "refs": self.refs,
                "paragraphs": [p.to_dict() for p in self.paragraphs], "body": self.body, "summary": self.summary,
                "comment": self.comment, "signature": self.signature, "year": self.year, "era": self.era,
                "meanings": self.meanings, "tags_source": self.tags_source, "layout": self.layout,
                "encoding": self.encoding, "source": self.source, "doubts": self.doubts}


ParsedCable = Cable  # the name before the reader stage


def find_tags_line(text: str) -> tuple[str | None, str | None, int]:
    """(raw TAGS value, label as written, end offset) of the first TAGS field, or (None, None, 0)."""
    value, label, _, end = next(_tags_fields(text), (None, None, None, 0))
    return value, label, end


def _find_tags(text: str) -> tuple[str | None, str | None, int | None, int]:
    """(raw TAGS value, label, start offset of the label, end offset) of the first TAGS field that stands in a cable's
    header (_in_header: a SUBJECT or E.O. line next to it), else of the first TAGS field: a page's sidebar or index
    above the cable ("Related: TAGS: PTER, IZ") is passed over."""
    first = previous = None
    for found in _tags_spans(text):  # each field's value written out only for the one returned
        if _in_header(text, found[2], found[3], previous[3] if previous else 0):
            return _with_value(text, found)
        first, previous = first or found, found
    return _with_value(text, first) if first else (None, None, None, 0)


# how far around a TAGS field its header's neighbours are looked for: a SUBJECT after it, an E.O. line or a SUBJECT
# before it (never a banner: a site's menu of classifications may stand right above its menu of tags)
_HEADER_REACH = 300
_SUBJECT_NEAR = re.compile(r"\bSUBJ(?:ECT)?\s*[:.]", re.I)
_EO_OR_SUBJECT_NEAR = re.compile(r"\bSUBJ(?:ECT)?\s*[:.]|\bE\.\s?O\.\s*1\d{4}", re.I)


def _in_header(text: str, start: int, end: int, lo: int) -> bool:
    """Whether the TAGS field at start..end has a SUBJECT within _HEADER_REACH characters after it with no TAGS label
    between, or an E.O. line or a SUBJECT within as many before it and after the TAGS field before (which ends at lo):
    what a cable's header holds around its TAGS line."""
    m = _SUBJECT_NEAR.search(text, end, end + _HEADER_REACH)
    if m is not None and cf.TAGS_LABEL.search(text, end, m.start()) is None:
        return True
    return _EO_OR_SUBJECT_NEAR.search(text, max(lo, start - _HEADER_REACH), start) is not None


def _tags_fields(text: str):
    """(raw TAGS value, label, start offset of the label, end offset) of each TAGS field, in order. A field's value
    runs on over the lines after it that may continue a TAGS list (_continues), within FIELD_WINDOW characters of its
    label."""
    for found in _tags_spans(text):
        yield _with_value(text, found)


def _with_value(text: str, found: tuple) -> tuple:
    """A field of _tags_spans with its value written out: (value, label, start of the label, end)."""
    start, label, at, end = found
    return " ".join(text[start:end].split()), label, at, end


def _tags_spans(text: str):
    """(start of its value, label, start offset of the label, end offset) of each TAGS field of _tags_fields, whose
    value is text[start:end] with its blanks closed up (a field's lines are that one text: its value runs on only
    over whole lines, or to the window's end)."""
    runs: dict[int, int] = {}  # what _run_break found, for the fields whose lines the last one walked already
    for m in cf.TAGS_LABEL.finditer(text):
        label = m.group("label")
        start = m.end()
        # the label must start a field: at a line start, or after whitespace in flattened text
        before = text[max(0, m.start() - 2):m.start()]
        if m.start() > 0 and not (before.endswith("\n") or before.endswith(" ") or before.endswith("\t")):
            continue
        if not label.replace(" ", "").isupper() and (label.replace(" ", "").lower() != "tags"
                                                     or ":" not in m.group(0)):
            continue  # prose ("tags and labels"): lower / mixed case needs "tags:" with its colon
        window = min(len(text), start + FIELD_WINDOW)
        line_end = text.find("\n", start, window)
        first = text[start:window] if line_end < 0 else text[start:line_end]
        stop = cf.FIELD_STOP.search(first)
        if stop:
            end = start + stop.start()
        elif line_end < 0:
            end = window
        else:
            # continuation lines: more codes before the SUBJECT line (page headers are junk for normalize)
            end = _continued(text, line_end + 1, window, runs)
        # a continuation line holds a word of capitals: only a value of its first line alone may hold no two letters
        if (line_end < 0 or end <= line_end) and not _TWO_LETTERS.search(text, start, end):
            continue
        yield start, label, m.start(), end


# how far after its label a TAGS field's value may run
FIELD_WINDOW = 4000
_CODE_WORD = re.compile(r"\b[A-Z]{2,5}\b")
_TWO_LETTERS = re.compile(r"[A-Za-z]{2}")


def _continues(line: str) -> bool:
    """Whether a line may continue a TAGS list: not blank, no next field in it, only capitals, digits and punctuation
    (CONTINUATION_LINE), and a word of 2-5 capitals."""
    return bool(line.strip()) and not cf.FIELD_STOP.search(line) and cf.CONTINUATION_LINE.match(line) is not None \
        and _CODE_WORD.search(line) is not None


def _continued(text: str, first: int, window: int, runs: dict) -> int:
    """The end of a TAGS field's value whose first line ends just before `first`: the end of the last line from
    `first` on that continues it (_continues), line by line, up to the first that does not; a line that runs past
    `window` is judged as cut there (and ends the value at `window` when it continues it); first - 1 when none does."""
    stop = _run_break(text, first, runs)
    last = text.rfind("\n", first - 1, window)  # the last line end inside the window (first - 1 at least)
    if stop <= last:  # a whole line inside the window ends the run
        return stop - 1
    return window if _continues(text[last + 1:window]) else last


def _run_break(text: str, at: int, runs: dict) -> int:
    """The start of the first line from the one starting at `at` that does not continue a TAGS list, whole lines
    judged (len(text) + 1 when every line to the end does). Each line is judged once per text: the answer is kept in
    `runs` for every line walked, so the fields inside a long run (a page of "TAGS" lines) find it at once instead of
    walking it again (which took a 40 KB page 18 s)."""
    walked, n = [], len(text)
    while at <= n:
        known = runs.get(at)
        if known is not None:
            at = known
            break
        nl = text.find("\n", at)
        if not _continues(text[at:] if nl < 0 else text[at:nl]):
            break
        walked.append(at)
        at = n + 1 if nl < 0 else nl + 1
    for line in walked:
        runs[line] = at
    return at


_ID_YEAR = re.compile(r"(\d{4}|\d{2})[A-Z]")
_DTG_YEAR = re.compile(r"(\d{2,4})$")


def cable_year(reference_id: str | None, date_time_group: str | None) -> int | None:
    """A cable's year from its reference id (75STATE123: 1975) or its date-time group (121212Z JAN 75)."""
    for m in (_ID_YEAR.match(reference_id or ""), _DTG_YEAR.search(date_time_group or "")):
        if m:
            y = int(m.group(1))
            return y if y > 999 else (1900 + y if y >= 66 else 2000 + y)
    return None


def era_of(year: int | None) -> str:
    """The era a cable's codes belong to: the 1970s tables up to 1979, Cablegate's after (and when unknown)."""
    return "1970s" if year is not None and year <= 1979 else "cablegate"


def _has_word(text: str, word: str) -> bool:
    """Whether `word` stands in `text` as a word of its own (as \bword\b), found by C-speed scans."""
    at = text.find(word)
    while at >= 0:
        end = at + len(word)
        if (at == 0 or not (text[at - 1].isalnum() or text[at - 1] == "_")) and \
                (end == len(text) or not (text[end].isalnum() or text[end] == "_")):
            return True
        at = text.find(word, at + 1)
    return False


def _addressees(lines: str, at: int) -> list[str]:
    """The addressees of the first TO / INFO block at or after `at` (after the FM line: a distribution list above it,
    "INFO LOG-00 AF-00", is none): each TO and INFO line and each line of the block after it, to the first line that
    is no addressee (the banner, a field, a blank line)."""
    first = cf.TO_LINES.search(lines, at)
    if first is None:
        return []
    out = []
    for line in lines[first.start() + 1:].split("\n"):
        m = cf.TO_LINES.match("\n" + line)
        if m:
            out.append(m.group(1).strip())
            continue
        m = cf.ADDRESSEE_LINE.match(line)
        if m is None:
            break
        out.append(m.group(1).strip())
    return out


def parse_text(text: str, taxonomy=None, era: str = "auto", page: bool = False) -> Cable:
    """The fields of one cable given as plain text (LF line ends; no markup): the header fields, the TAGS line
    (raw and normalized), subject, refs, paragraphs and body. One pass over the text: the paragraph numbers are
    found once and every pattern is bounded or linear (docs/reading.md). page=True: the text of a page or a PDF,
    whose sidebars may hold TAGS lines of their own: the TAGS field beside a SUBJECT or E.O. line is the cable's
    (_find_tags); bare text takes its first TAGS field, as it always did."""
    out = Cable()
    raw, label, tags_at, end = _find_tags(text) if page else next(_tags_fields(text), (None, None, None, 0))
    start = cf.cable_start(text, tags_at)  # a page's chrome above the cable is not its header
    head = text[start:start + 6000]
    header_zone = text[start:tags_at] if tags_at is not None else text[start:start + 3000]
    # the cable's own id: on a line of its header, or on one of the first lines of the text (a PDF's title line)
    m = cf.HEADER_REFERENCE_ID.search(header_zone) or cf.HEADER_REFERENCE_ID.search(
        "\n".join(text[:2000].lstrip().split("\n", 5)[:5]))
    if m:
        out.reference_id_original = m.group(1)
        out.reference_id_source = "header"
        out._bare_id = "ID" not in m.group(0)  # an id alone on its line (a title, or a link), not "Reference ID: ..."
    for spaced, word in cf.SPACED_BANNERS.items():
        if spaced in head:
            out.classification = word
            break
    if out.classification is None:
        m = cf.CLASSIFICATION_WORD.search(head)
        if m:
            out.classification = m.group(0).strip().replace("UNCLAS", "UNCLASSIFIED").replace(
                "UNCLASSIFIEDSIFIED", "UNCLASSIFIED")
    m = cf.POST_SERIAL.search(head)
    if m:
        out.post, out.serial = m.group(1).strip(), m.group(2)
        if out.reference_id_original is None:
            # the cable's own id written anywhere in its first pages (a footer, a repeat of the header): only
            # when it names the cable's own post and serial, so that ids of cables it cites are never taken
            own = re.sub(r"[^A-Z]", "", out.post.upper()) + str(int(out.serial))
            at = head.find(own)
            while at >= 2:
                rid = head[at - 2:at + len(own)]
                if rid[:2].isdigit() and not head[at - 3:at - 2].isalnum() and not head[at + len(own):
                                                                                         at + len(own) + 1].isalnum():
                    out.reference_id_original, out.reference_id_source = rid, "header"
                    break
                at = head.find(own, at + 1)
    out.date_time_group = cf.date_time_group(head)
    lines = "\n" + head  # FROM_LINE and TO_LINES find a line start as the newline before it
    m = cf.FROM_LINE.search(lines)
    if m:
        out.from_ = m.group(1).strip()
    # addressees stand above the TAGS line (a line of the text that starts "TO" is prose)
    out.to = _addressees(lines[:len(header_zone) + 1], m.end() if m else 0)
    out.tags_raw, out.tags_label = raw, label
    norm = get_normalizer(taxonomy)
    out._tags_pending = (norm, raw, False)  # normalized when first asked for
    if raw:
        out.tags_source = "cable"
    after = text[end:] if raw else text[start:]
    m = cf.SUBJECT.search(after[:3000])
    body_start = 0
    if m:
        out.subject = " ".join(m.group(1).split()) or None
        body_start = m.end()
    body = after[body_start:]
    # the paragraph numbers, found once when the cable's end needs them (an end marker in the body) and else only when
    # its paragraphs are asked for: scoring a whole cable reads none of them
    marked = cf.has_end_marker(body)
    seq = cf._numbered(body) if marked else None
    ended = cf.cable_end(body, seq) if marked else body  # (cable_end's answer without a marker, not asked twice)
    head_end = (end if raw else start) + body_start
    pre_body = text[start:tags_at] + " " + text[end:head_end] if raw and tags_at is not None else text[start:head_end]
    out.reading_text = _without_own_id(pre_body + ended, out)
    out.header_text = _without_own_id(pre_body, out) if body_start else ""
    out._pending = (body, seq, ended)  # paragraphs, summary, comment, signature: when first asked for
    out._head_pending = (head, body)  # caveats, E.O. line, refs: when first asked for
    out.body = ended
    out.year = cable_year(out.reference_id_original, out.date_time_group)
    out.era = era_of(out.year) if era == "auto" else era
    if out.era == "1970s":  # the line read in the 1970s' codes
        out._tags_pending = (norm, raw, True)
    out._tax = norm.tax  # the meanings: when first asked for
    if taxonomy is None:  # a taxonomy loaded for this call alone: the record must not keep it alive
        out.settle_meanings()
    return out


# how many times cable_reading writes the header before the whole cable (which holds it once more)
HEADER_REPEATS = 2


def cable_reading(p: Cable, header_block: bool = False) -> str:
    """What a whole-cable model (ModelSettings.reading "cable") reads of a parsed cable: the SUBJECT line twice
    and the header (addressees, subject) HEADER_REPEATS times, then the whole cable (reading_text). A cable's
    header says in a few words what its body says at length; in one bag of words with a long body it would
    weigh next to nothing. Weighted so, a model trained and read on whole cables ranks their tags best
    (docs/research.md: header once, twice, three times more). header_block=True (a model with
    ModelSettings.header_weight > 0) adds the subject twice and the header once more as words of their own
    (cabletags.cableformat.HEADER_PREFIX), which that model normalizes apart from the rest."""
    subject = p.subject or ""
    if not (subject or p.header_text):
        return p.reading_text
    text = f"{subject}\n{subject}\n\n" + f"{p.header_text}\n\n" * HEADER_REPEATS + p.reading_text
    head = header_words(p) if header_block else ""
    return text + "\n\n" + head if head else text


def header_words(p: Cable) -> str:
    """The header block of a whole cable: the words of its SUBJECT line twice and of its header once (boilerplate
    left out), each written with cabletags.cableformat.HEADER_PREFIX ("hdr_trafficking"), so that a model reads
    them as features of their own, apart from the same words in the body."""

    subject = p.subject or ""
    head = cf.strip_boilerplate(f"{subject}\n{subject}\n{p.header_text}").lower()
    words = cf.words_of(head)
    return HEADER_PREFIX + f" {HEADER_PREFIX}".join(words) if words else ""


def _without_own_id(text: str, p: Cable) -> str:
    """`text` without the cable's own reference id and post + serial: the reference index would read them as a
    citation of itself."""
    for own in (p.reference_id_original, p.reference_id, f"{p.post} {p.serial}" if p.post and p.serial else None):
        if own:
            text = text.replace(own, " ")
    return text


def _in_the_1970s(tags: NormalizedTags, tax, raw: str) -> NormalizedTags:
    """A 1970s cable's TAGS: the codes of that era (UR, GW, SEATO), which the Cablegate-era normalizer keeps as
    unknown, are its codes, in the order the line gives them (a copy: normalized lines are shared)."""
    old = tax.era_codes("1970s")
    found = [u for u in tags.unknown if u in old]
    if not found:
        return tags
    codes, last, keys = list(dict.fromkeys(tags.codes + found)), -1, {}
    for i, c in enumerate(codes):  # where the line has each code; a repaired one (not written so) keeps its place
        m = re.search(rf"(?<![A-Z0-9-]){re.escape(c)}(?![A-Z0-9-])", raw)
        last = m.start() if m else last
        keys[c] = (last, i)
    codes.sort(key=keys.__getitem__)
    return replace(tags, codes=codes, unknown=[u for u in tags.unknown if u not in old])


def _meanings(tags: NormalizedTags, tax, era: str) -> dict:
    from ..vocabulary.decoder import era_meaning

    codes = list(tags.codes) + [u for u in tags.unknown if len(u) == 2 and u.isupper()]
    if era == "cablegate":  # the entries' own titles (era_meaning's notes are not wanted here)
        return {c: tax.entries[c].title for c in codes if c in tax.entries}
    out = {}
    for code in codes:
        entry, title, _ = era_meaning(tax, code, era)
        if entry is not None:
            out[code] = title or entry.title
    return out

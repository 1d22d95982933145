"""Read a whole cable: header fields, the TAGS line (raw and normalized), subject, refs, paragraphs.

Copes with what real cables contain: label variants and misspellings (TAGS, TAG, TAGE, TAS:, TABS,
TGS, AGS:, any case), TAGS lists continued on the next line or broken by page / section headers,
text whose line breaks were flattened into spaces, and pages saved from cable websites.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .normalizer import NormalizedTags, get_normalizer

__all__ = ["ParsedCable", "Paragraph", "parse_cable", "find_tags_line"]

_CLASSIF = r"(?:UNCLASSIFIED|UNCLAS|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE|SENSITIVE BUT UNCLASSIFIED)"
_SPACED = {"U N C L A S": "UNCLASSIFIED", "C O N F I D E N T I A L": "CONFIDENTIAL", "S E C R E T": "SECRET"}

# a TAGS label: safe spellings anywhere a field may start; risky ones (TAS, AGS) only with a colon
_LABEL = re.compile(
    r"(?:(?<=\n)|(?<=^)|(?<=\s\s)|(?<=[\s:]\s)|(?<=\b))"
    r"(?P<label>T\s?A\s?G\s?S|TAGE|TABS|TGS|TAG|TAS(?=\s*:)|AGS(?=\s*:))\s*(?::|\.|;|\s)\s*",
    re.I)
# where the TAGS value stops: the next header field
_STOP = re.compile(
    r"(?:\bSUBJ(?:ECT)?\s*[:.]|\bSUBJECT\b\s+(?=[A-Z])|\bREF(?:S|ERENCE)?\s*[:.]|\bClassified\s+By\b|"
    r"\bCLASSIFIED\s+BY\b|\bE\.\s?O\.\s*1\d{4}|\b1\.\s+\((?:U|C|S|SBU)\)|\bSUMMARY\s*[:.]|\n\s*\n)", re.I)
_CONT_LINE = re.compile(r"^[\sA-Z0-9,;:()/&.'-]*$")


@dataclass
class Paragraph:
    number: int | None
    marking: str | None
    text: str

    def to_dict(self) -> dict:
        return {"number": self.number, "marking": self.marking, "text": self.text}


@dataclass
class ParsedCable:
    """Fields found in a cable (None / empty when absent). tags is always a NormalizedTags."""

    reference_id: str | None = None
    post: str | None = None
    serial: str | None = None
    date_time_group: str | None = None
    from_: str | None = None
    to: list[str] = field(default_factory=list)
    classification: str | None = None
    caveats: list[str] = field(default_factory=list)
    eo_line: str | None = None
    tags_raw: str | None = None
    tags_label: str | None = None
    tags: NormalizedTags = field(default_factory=NormalizedTags)
    subject: str | None = None
    refs: list[str] = field(default_factory=list)
    paragraphs: list[Paragraph] = field(default_factory=list)
    summary: str | None = None
    comment: str | None = None

    def to_dict(self) -> dict:
        return {"reference_id": self.reference_id, "post": self.post, "serial": self.serial,
                "date_time_group": self.date_time_group, "from": self.from_, "to": self.to,
                "classification": self.classification, "caveats": self.caveats, "eo_line": self.eo_line,
                "tags_raw": self.tags_raw, "tags": self.tags.to_dict(), "subject": self.subject, "refs": self.refs,
                "paragraphs": [p.to_dict() for p in self.paragraphs], "summary": self.summary,
                "comment": self.comment}


def _strip_html(text: str) -> str:
    if "<" not in text or not re.search(r"<(?:html|body|div|p|br|pre|table|span|a)\b", text, re.I):
        return text
    text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", text)
    text = re.sub(r"(?i)<br\s*/?>|</(?:p|div|tr|li|h\d|pre)>", "\n", text)
    text = re.sub(r"<[^>]+>", " ", text)
    import html

    return html.unescape(text)


def find_tags_line(text: str) -> tuple[str | None, str | None, int]:
    """(raw TAGS value, label as written, end offset) of the first TAGS field, or (None, None, 0)."""
    for m in _LABEL.finditer(text):
        label = m.group("label")
        start = m.end()
        # the label must start a field: at a line start, or after whitespace in flattened text
        before = text[max(0, m.start() - 2):m.start()]
        if m.start() > 0 and not (before.endswith("\n") or before.endswith(" ") or before.endswith("\t")):
            continue
        if not label.replace(" ", "").isupper() and (label.replace(" ", "").lower() != "tags"
                                                     or ":" not in m.group(0)):
            continue  # prose ("tags and labels"): lower / mixed case needs "tags:" with its colon
        rest = text[start:start + 4000]
        line_end = rest.find("\n")
        first = rest if line_end < 0 else rest[:line_end]
        stop = _STOP.search(first)
        if stop:
            value = first[:stop.start()]
            end = start + stop.start()
        else:
            value = first
            end = start + (len(first) if line_end < 0 else line_end)
            # continuation lines: more codes before the SUBJECT line (page headers are junk for normalize)
            pos = line_end
            while pos >= 0:
                nxt = rest.find("\n", pos + 1)
                line = rest[pos + 1:] if nxt < 0 else rest[pos + 1:nxt]
                if not line.strip() or _STOP.search(line) or not _CONT_LINE.match(line):
                    break
                if not re.search(r"\b[A-Z]{2,5}\b", line):
                    break
                value += " " + line.strip()
                end = start + (len(rest) if nxt < 0 else nxt)
                pos = nxt
        value = " ".join(value.split())
        if not value or not re.search(r"[A-Za-z]{2}", value):
            continue
        return value, label, end
    return None, None, 0


def parse_cable(text: str, taxonomy=None) -> ParsedCable:
    """Parse a cable given as plain text (or an HTML page holding one)."""
    if not isinstance(text, str):
        raise TypeError(f"parse_cable() expects a str, got {type(text).__name__}")
    text = _strip_html(text.replace("\r\n", "\n").replace("\r", "\n"))
    out = ParsedCable()
    head = text[:6000]
    m = re.search(r"\b(\d{2}[A-Z][A-Z-]{2,}\d{1,6})\b", head)
    if m:
        out.reference_id = m.group(1)
    for spaced, word in _SPACED.items():
        if spaced in head:
            out.classification = word
            break
    if out.classification is None:
        m = re.search(rf"(?m)^\s*{_CLASSIF}\b|\b{_CLASSIF}\b", head)
        if m:
            out.classification = m.group(0).strip().replace("UNCLAS", "UNCLASSIFIED").replace(
                "UNCLASSIFIEDSIFIED", "UNCLASSIFIED")
    m = re.search(rf"(?:{_CLASSIF}|(?:[A-Z] ){{4,}}[A-Z])\s+(?:SECTION\s+\d+\s+OF\s+\d+\s+)?([A-Z][A-Z .'-]{{1,30}}?)\s+(\d{{3,6}})\b",
                  head)
    if m:
        out.post, out.serial = m.group(1).strip(), m.group(2)
    out.caveats = [c for c in ("SIPDIS", "NOFORN", "EXDIS", "NODIS", "LIMDIS", "SENSITIVE", "FOUO")
                   if re.search(rf"\b{c}\b", head)]
    m = re.search(r"\b(\d{6}Z\s+[A-Z]{3}\s+\d{2,4})\b", head)
    if m:
        out.date_time_group = m.group(1)
    m = re.search(r"(?m)^\s*FM\s+(.+)$", head)
    if m:
        out.from_ = m.group(1).strip()
    out.to = [x.strip() for x in re.findall(r"(?m)^\s*(?:TO|INFO)\s+(.+)$", head)]
    m = re.search(r"\bE\.\s?O\.\s*1\d{4}\s*:?[^\n]*?(?=\s{2,}|\n|TAGS|$)", head)
    if m:
        out.eo_line = " ".join(m.group(0).split())
    raw, label, end = find_tags_line(text)
    out.tags_raw, out.tags_label = raw, label
    norm = get_normalizer(taxonomy)
    out.tags = norm.normalize(raw) if raw else NormalizedTags(taxonomy_version=norm.tax.version)
    after = text[end:] if raw else text
    m = re.search(r"\bSUBJ(?:ECT)?\s*[:.]\s*(.+?)(?=\n\s*\n|\s+REFS?\s*:|\s+Classified\s+By|\s+1\.\s*\(|"
                  r"\s{2,}1\.\s|\n\s*1\.\s|$)", after[:3000], re.S | re.I)
    body_start = 0
    if m:
        out.subject = " ".join(m.group(1).split()) or None
        body_start = m.end()
    body = after[body_start:]
    out.refs = [" ".join(r.split()) for r in re.findall(r"(?m)\bREF(?:S)?\s*:\s*(.+?)(?=\n\s*\n|Classified|\n\s*1\.|$)",
                                                       body[:3000], re.S)]
    out.paragraphs = _paragraphs(body)
    m = re.search(r"\bSUMMARY\s*[:.]?\s*(.+?)\s*END\s+SUMMARY", body, re.S | re.I)
    if m:
        out.summary = " ".join(m.group(1).split())
    m = re.search(r"\bCOMMENT\s*[:.]\s*(.+?)\s*END\s+COMMENT", body, re.S | re.I)
    if m:
        out.comment = " ".join(m.group(1).split())
    return out


# "2. (C) text" after a line break or two spaces; in flattened text (single spaces) the marking is required
_PARA = re.compile(r"(?:(?:(?<=\n)|(?<=\s\s)|^)\s*(\d{1,3})\s*\.\s*(?:\(([A-Z]{1,3}(?:/[A-Z]{1,4})?)\))?\s+"
                   r"|(?<=\s)(\d{1,3})\s*\.\s*\(([A-Z]{1,3}(?:/[A-Z]{1,4})?)\)\s+)")


def _paragraphs(body: str) -> list[Paragraph]:
    marks = [m for m in _PARA.finditer(body)]
    # keep a numbered sequence 1, 2, 3 ... (other numbers in the text are not paragraph starts)
    seq, want = [], 1
    for m in marks:
        n = int(m.group(1) or m.group(3))
        if n == want:
            seq.append(m)
            want += 1
    if not seq:
        parts = [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
        return [Paragraph(None, None, " ".join(p.split())) for p in parts]
    out = []
    for i, m in enumerate(seq):
        end = seq[i + 1].start() if i + 1 < len(seq) else len(body)
        out.append(Paragraph(int(m.group(1) or m.group(3)), m.group(2) or m.group(4),
                             " ".join(body[m.end():end].split())))
    return out

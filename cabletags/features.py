"""Text preparation for the classifier: strip cable boilerplate, split paragraphs.

Boilerplate (classification banners, SIPDIS, "E.O. 12958" lines, classified-by lines, REF lines,
paragraph markings) says nothing about the subject and appears in most cables, so it is removed
before vectorizing. The same function is used at training and at suggestion time.
"""
from __future__ import annotations

import re

__all__ = ["strip_boilerplate", "split_paragraphs", "TOKEN_PATTERN"]

# words of 2+ characters: 2-letter tokens are kept (country codes and acronyms matter here)
TOKEN_PATTERN = r"(?u)\b\w\w+\b"

_LINE_PATTERNS = [
    r"^\s*(?:UNCLAS(?:SIFIED)?|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE)\b[^\n]{0,60}(?:SECTION \d+ OF \d+)?[^\n]{0,40}$",
    r"^\s*(?:[A-Z] ){4,}[A-Z][^\n]*$",                 # spaced banners: C O N F I D E N T I A L ...
    r"^\s*SIPDIS\s*$",
    r"^\s*(?:E\.\s?O\.|EO)\s*1\d{4}\b[^\n]*$",          # E.O. 12958: DECL: ...
    r"^\s*REF(?:S|ERENCE)?\s*[:.][^\n]*$",              # REF: A. BAGHDAD 1234 ...
    r"^\s*[A-H]\.\s+[A-Z][A-Z ]+\s+\d{2,}[^\n]*$",      # continuation of a REF list: B. STATE 12345
    r"^\s*(?:CLASSIFIED|DERIVED)\s+BY\b[^\n]*$",
    r"^\s*REASONS?:?\s*1\.[45][^\n]*$",
    r"^\s*(?:TAGS?|SUBJECT|SUBJ)\s*:[^\n]*$",
]
_LINES = re.compile("|".join(f"(?:{p})" for p in _LINE_PATTERNS), re.M | re.I)
_INLINE = re.compile(
    r"\bSIPDIS\b|\bNOFORN\b|\((?:U|C|S|SBU|S/NF|C/NF|U/FOUO)\)|"
    r"\bCLASSIFIED BY[^.]{0,120}\.(?:\s*REASONS?:?\s*1\.[45]\s*(?:\([A-H]\)\s*(?:,|AND)?\s*)*)?|"
    r"\bE\.\s?O\.\s*1\d{4}:?", re.I)


def strip_boilerplate(text: str) -> str:
    """The text without banners, SIPDIS, E.O. lines, classified-by lines, REF lines and markings."""
    if not text:
        return ""
    text = _LINES.sub(" ", text)
    return _INLINE.sub(" ", text)


_PARA_SPLIT = re.compile(r"\n\s*\n|(?:(?<=\s)|^)(?=\d{1,2}\.\s+\((?:U|C|S|SBU)\))")


def split_paragraphs(text: str, min_chars: int = 1) -> list[str]:
    """Paragraphs: blank-line separated, or numbered "2. (C) ..." blocks when line breaks were lost."""
    parts = [p.strip() for p in _PARA_SPLIT.split(text or "") if p and p.strip()]
    return [p for p in parts if len(p) >= min_chars]

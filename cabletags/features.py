"""Text preparation for the classifier: strip cable boilerplate, split paragraphs.

Boilerplate (classification banners, SIPDIS, "E.O. 12958" lines, classified-by lines, REF lines,
paragraph markings) says nothing about the subject and appears in most cables, so it is removed
before vectorizing. The same function is used at training and at suggestion time.

Every pattern is bounded in length: many cables had their line breaks flattened into spaces, and a
"rest of the line" pattern would then swallow the whole text.
"""
from __future__ import annotations

import re

__all__ = ["strip_boilerplate", "split_paragraphs", "TOKEN_PATTERN"]

# words of 2+ characters: 2-letter tokens are kept (country codes and acronyms matter here)
TOKEN_PATTERN = r"(?u)\b\w\w+\b"

_STOP = r"(?=\s+(?:Classified|CLASSIFIED|Summary|SUMMARY|1\.\s)|\n\s*\n|$)"
_BOILER = re.compile("|".join([
    # banners, upper case only (prose keeps its words): "C O N F I D E N T I A L", "UNCLAS SECTION 01 OF 02"
    r"\b(?:[A-Z] ){4,}[A-Z]\b",
    r"\b(?:UNCLASSIFIED|UNCLAS|CONFIDENTIAL|SECRET|NOFORN|SIPDIS|LIMDIS|EXDIS|NODIS|SENSITIVE BUT UNCLASSIFIED|"
    r"FOR OFFICIAL USE ONLY)\b",
    r"\bSECTION \d+ OF \d+\b",
    # E.O. 12958: DECL: 12/12/2017 / N/A
    r"\bE\.\s?O\.\s*1\d{4}\s*:?\s*(?:DECL\s*:?\s*[\w/]+)?(?:\s*N/A)?",
    # REF lines and lists: at most 400 characters, up to the next field
    r"\bREF(?:S|ERENCES?)?\s*:\s*.{0,400}?" + _STOP,
    # Classified By: <official> for reasons 1.4 (b) and (d).
    r"\b(?:Classified|CLASSIFIED|Derived|DERIVED)\s+(?:By|BY|by)\b.{0,160}?(?:REASONS?|Reasons?|reasons?)\s*:?\s*"
    r"1\.[45]\s*(?:[\(\[]?[a-hA-H][\)\]]?\s*(?:,|and|AND|&|/)?\s*)*\.?",
    # paragraph markings
    r"\((?:U|C|S|SBU|S/NF|C/NF|U/FOUO|S/REL[^)]{0,20})\)",
]), re.S)


def strip_boilerplate(text: str) -> str:
    """The text without banners, SIPDIS, E.O. lines, classified-by lines, REF lines and markings."""
    if not text:
        return ""
    return _BOILER.sub(" ", text)


_PARA_SPLIT = re.compile(r"\n\s*\n|(?:(?<=\s)|^)(?=\d{1,2}\.\s+\((?:U|C|S|SBU)\))")


def split_paragraphs(text: str, min_chars: int = 1) -> list[str]:
    """Paragraphs: blank-line separated, or numbered "2. (C) ..." blocks when line breaks were lost."""
    parts = [p.strip() for p in _PARA_SPLIT.split(text or "") if p and p.strip()]
    return [p for p in parts if len(p) >= min_chars]

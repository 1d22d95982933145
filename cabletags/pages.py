"""Cables as people hold them: inside saved web pages, with page chrome around them.

``page_text(text)`` turns an HTML page into text with a real HTML parser (BeautifulSoup over Python's
html.parser: no compiled dependency, tolerant of broken markup); scripts, styles, navigation, headers and
footers are dropped, and a <pre> block holding a TAGS line is taken as the cable itself. ``cable_start(text)``
finds where the cable begins in a page's text rendering (menus, tag indexes and other chrome above it are
left out), so the header fields are read from the cable and not from the page. ``page_reference_id(text)``
finds the reference id a page prints about the cable ("Reference ID: 09BAKU141").
"""
from __future__ import annotations

import re

__all__ = ["is_html", "page_text", "cable_start", "page_reference_id"]

_HTML = re.compile(r"<(?:!doctype\s+html|html|body|div|pre|table|p|br|span|a)\b", re.I)
_DROP = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "button", "select", "svg")
_BLOCKS = ("p", "div", "pre", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section",
           "article", "blockquote", "dd", "dt")
# a line that can begin a cable's header: routing, a date-time group, a classification banner, FM/TO/INFO,
# the E.O. line, the posting post and serial, or the cable's id
_HEADER_LINE = re.compile(
    r"(?m)^[ \t]*(?:VZCZC|[ROPZ] \d{6}Z|FM |TO |INFO |E\.\s?O\.\s*1\d{4}|SIPDIS|"
    r"(?:UNCLAS|UNCLASSIFIED|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE)\b|(?:[A-Z] ){4,}[A-Z]\b|\d\d[A-Z]{3,}\d{1,6}\b)")
_REFERENCE_ID = re.compile(r"(?i)\b(?:reference\s+id|cable\s+id|canonical\s+id|id)\s*[:#]?\s*(\d\d[A-Z][A-Z-]{2,}\d{1,6})\b")
_TAGS = re.compile(r"(?m)^[ \t]*TAGS?\s*:", re.I)


def is_html(text: str) -> bool:
    return "<" in text and bool(_HTML.search(text[:20000]))


def page_text(text: str) -> str:
    """The text of an HTML page: the <pre> block holding the cable when there is one, else the whole
    visible text, with line breaks at block elements. Plain text is returned as it is."""
    if not is_html(text):
        return text
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(_DROP):
        tag.decompose()
    for pre in soup.find_all("pre"):
        inner = pre.get_text()
        if _TAGS.search(inner):
            return _with_page_id(soup, inner)
    for tag in soup.find_all(_BLOCKS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    body = soup.body or soup
    return body.get_text()


def _with_page_id(soup, cable: str) -> str:
    """A page's reference id line kept above the cable taken from its <pre> (the cable text may not show it)."""
    rid = page_reference_id(soup.get_text(" "))
    return f"Reference ID: {rid}\n\n{cable}" if rid and rid not in cable[:3000] else cable


def page_reference_id(text: str) -> str | None:
    """The reference id a page prints as such ("Reference ID: 09BAKU141"), or None."""
    m = _REFERENCE_ID.search(text)
    return m.group(1).upper() if m else None


def cable_start(text: str, tags_at: int | None) -> int:
    """Where the cable begins: the first header-like line in the 3,000 characters before its TAGS line
    (`tags_at`, the offset of the label), so that chrome further up is left out; 0 (the whole text) when
    the text has no TAGS line or no header line before it."""
    if tags_at is None:
        return 0
    lo = max(0, tags_at - 3000)
    m = _HEADER_LINE.search(text, lo, tags_at)
    return m.start() if m else 0

"""Cables printed to PDF: the text layer read with pypdf (the optional extra ``cabletags[pdf]``).

Pages printed from cable sites put each TAGS code on a line of its own (``TAGS:`` / ``PTER`` / blank / ``TU``);
the codes are joined back onto the TAGS line. A PDF with no text layer (scanned pages) cannot be read here: it
needs OCR first, and the error says so.
"""
from __future__ import annotations

import io
import re

from ..errors import InputError, MissingExtra

__all__ = ["is_pdf", "pdf_text", "MissingExtra", "NoTextLayer", "UnreadablePDF"]



class NoTextLayer(InputError):
    """The PDF holds only images (exit 3)."""


class UnreadablePDF(InputError):
    """The bytes start like a PDF but pypdf cannot read them (exit 3)."""


def is_pdf(data: bytes) -> bool:
    """A PDF starts with %PDF- within its first kilobyte (some writers put junk before it)."""
    return b"%PDF-" in data[:1024]


_TAGS_LABEL = re.compile(r"(?m)^[ \t]*TAGS?[ \t]*:[ \t]*")
_CODE_LINE = re.compile(r"[A-Z0-9][A-Z0-9(),.'/ -]{0,40}")
_NEXT_FIELD = re.compile(r"(?:SUBJ(?:ECT)?\b|REF\b|E\.\s?O\.|CLASSIFIED|Classified|\d+\.|\u00b6)")


def _join_tags(text: str) -> str:
    """The first TAGS label followed by lines of one code each (blank lines between) joined onto one line, up to
    the next field; line by line, so the work is linear in the lines looked at (at most 80)."""
    m = _TAGS_LABEL.search(text)
    if m is None:
        return text
    lines = text[m.end():].split("\n", 81)
    first, rest = lines[0].strip(), lines[1:81]
    codes = [first] if first else []
    taken = 0
    for line in rest:
        s = line.strip()
        if _NEXT_FIELD.match(s):
            break
        if s and not _CODE_LINE.fullmatch(s):
            return text  # prose after the label: not a list printed one code a line
        if s:
            codes.append(s)
        taken += 1
    else:
        return text
    if taken == 0:
        return text
    tail = "\n".join(lines[1 + taken:])
    return text[:m.end()] + " ".join(codes) + "\n" + tail


def pdf_text(data: bytes) -> str:
    """The text of a PDF's pages (LF line ends), TAGS codes printed one a line joined onto the TAGS line.

    Raises MissingExtra without pypdf, UnreadablePDF when pypdf cannot open it, NoTextLayer when no page has
    text."""
    try:
        import pypdf
        from pypdf.errors import PyPdfError
    except ImportError:
        raise MissingExtra.needs("pdf", "reading PDFs") from None
    import logging

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings about odd but readable files are noise here
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception:  # noqa: BLE001 - pypdf raises several kinds for a password it lacks
                raise UnreadablePDF("the PDF is encrypted") from None
        pages = [page.extract_text() or "" for page in reader.pages]
    except UnreadablePDF:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, OSError,
            NotImplementedError) as e:
        raise UnreadablePDF(f"not a readable PDF ({type(e).__name__})") from None
    text = "\n".join(pages).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise NoTextLayer("the PDF has no text layer (scanned pages?): run OCR on it first, e.g. ocrmypdf")
    return _join_tags(text)

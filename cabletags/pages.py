"""Cables inside saved web pages (kept for callers of the earlier API): the reader stage does this now,
cabletags.reading.html (layouts) and cabletags.reading.read_cable (the record)."""
from __future__ import annotations

from .cableformat import cable_start
from .reading.html import is_html, page_reference_id, read_page

__all__ = ["is_html", "page_text", "cable_start", "page_reference_id"]


def page_text(text: str) -> str:
    """The cable's text of an HTML page (its reference id line above it when the page prints one); plain text is
    returned as it is."""
    if not is_html(text):
        return text
    page = read_page(text)
    rid = page.meta.get("reference id") or page.meta.get("canonical id")
    return f"Reference ID: {rid}\n\n{page.text}" if rid and rid not in page.text[:3000] else page.text

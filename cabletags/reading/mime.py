"""Cables inside MIME documents: pages saved as one file (MHTML: Chrome's and Edge's "Webpage, Single File", Internet
Explorer's "Web Archive", .mhtml / .mht) and mail messages (.eml) that carry a cable.

Their parts are encoded (quoted-printable or base64) under a header block of their own. Read as text, a saved page
comes out with "=3D" for every "=" and a soft line break ("=" at a line's end) inside words, and a message's own
"Subject:" and "From:" lines would be taken for the cable's. So the document is opened by the standard library's MIME
parser (email), and the part that holds the cable is read instead: the page itself (the part at the snapshot's own
location, else the first HTML part), else the first plain-text part. What it is comes from the content: a header block
at the very start that declares MIME-Version and a Content-Type; a cable's text never starts so.
"""
from __future__ import annotations

import re

__all__ = ["is_mime", "is_mime_text", "mime_part"]

# a header line ("Name: value") or a folded continuation of one, up to the first blank line
_HEADER_LINE = re.compile(rb"[!-9;-~]+:[^\r\n]*|[ \t][^\r\n]*")
# what a MIME document's first line is (after blank lines): a header's name and its colon
_FIRST_HEADER = re.compile(rb"[\r\n]*[!-9;-~]+:")
_HEAD_BYTES = 16384  # a header block longer than this is no saved page's or message's


def _header_names(head: bytes) -> set[bytes] | None:
    """The lower-cased names of the header block that starts `head` (None when `head` does not start with one that
    ends in it)."""
    names = set()
    for line in re.split(rb"\r\n|\n|\r", head):
        if not line:
            return names or None  # the blank line that ends the block
        if not _HEADER_LINE.fullmatch(line):
            return None
        if line[:1] not in b" \t":
            names.add(line.split(b":", 1)[0].lower())
    return None


def is_mime(data: bytes) -> bool:
    """Whether `data` is a MIME document: a header block at its start naming MIME-Version and Content-Type. Cheap for
    any other input: its first line is no header, or its first 16 KB never say "mime-version"."""
    if not _FIRST_HEADER.match(data):
        return False
    head = data[:_HEAD_BYTES].lstrip(b"\r\n")
    if b"mime-version" not in head.lower():
        return False
    names = _header_names(head)
    return names is not None and b"mime-version" in names and b"content-type" in names


def is_mime_text(text: str) -> bool:
    """is_mime for a document handed over as text (its first line looked at before any of it is encoded)."""
    return _FIRST_HEADER_TEXT.match(text) is not None and is_mime(text[:_HEAD_BYTES].encode("utf-8", "surrogateescape"))


_FIRST_HEADER_TEXT = re.compile(r"[\r\n]*[!-9;-~]+:")


def mime_part(data: bytes) -> tuple[bytes, str | None, str, str]:
    """(the bytes of the part that holds the cable, decoded from its transfer encoding; its declared charset or None;
    its content type, "text/html" or "text/plain"; the transfer encoding it had). ValueError when no part is text."""
    import email
    import email.policy

    msg = email.message_from_bytes(data.lstrip(b"\r\n"), policy=email.policy.compat32)  # compat32: never raises
    where = (msg.get("Snapshot-Content-Location") or "").strip()
    parts = [p for p in msg.walk() if not p.is_multipart()]
    html = [p for p in parts if p.get_content_type() == "text/html"]
    own = [p for p in html if where and (p.get("Content-Location") or "").strip() == where]
    plain = [p for p in parts if p.get_content_type() == "text/plain"]
    chosen = (own or html or plain or [None])[0]
    if chosen is None:
        raise ValueError("a MIME document without a text or HTML part")
    payload = chosen.get_payload(decode=True) or b""
    charset = chosen.get_content_charset()
    return payload, charset, chosen.get_content_type(), (chosen.get("Content-Transfer-Encoding") or "7bit").lower()

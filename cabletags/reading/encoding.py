"""Bytes to text, by a documented rule read from the bytes themselves (never from a file name).

The rule, in order (docs/reading.md):

1. a byte-order mark decides: UTF-8 (EF BB BF), UTF-16 LE/BE (FF FE / FE FF), UTF-32 LE/BE;
2. UTF-16 without a mark: when NUL bytes fill every other byte of the first 4 KB (ASCII text written as UTF-16);
3. valid UTF-8 is UTF-8 (pure ASCII is both);
4. otherwise Windows-1252, the code page old Windows tools wrote (the pilcrow is 0xB6, curly quotes 0x91-0x94);
   its five undefined bytes (0x81, 0x8D, 0x8F, 0x90, 0x9D) are read as Latin-1, so a valid cp1252 or Latin-1
   file never yields U+FFFD.

Why a rule and not a statistical detector (charset-normalizer): cables are English, mostly ASCII; the only
question that matters is "UTF-8 or a Windows code page", which the bytes answer exactly, and the rule is
deterministic, instant on 10 MB files, and needs no dependency. UTF-16 that is not valid is decoded with
replacement and says so (`replaced`).

Line ends: CRLF and lone CR become LF.
"""
from __future__ import annotations

import codecs
from dataclasses import dataclass

__all__ = ["Decoded", "decode_bytes"]

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# the bytes Windows-1252 leaves undefined, read as Latin-1 (the same code points) instead of failing
_CP1252_HOLES = {0x81: "\x81", 0x8D: "\x8d", 0x8F: "\x8f", 0x90: "\x90", 0x9D: "\x9d"}


def _cp1252_lenient(error: UnicodeDecodeError):
    bad = error.object[error.start:error.end]
    return "".join(_CP1252_HOLES.get(b, chr(b)) for b in bad), error.end


codecs.register_error("cabletags-cp1252", _cp1252_lenient)


@dataclass(frozen=True)
class Decoded:
    """A decoded input: its text (LF line ends), the encoding read, and whether any byte could not be read
    (U+FFFD was put in its place: only for broken UTF-16/32)."""

    text: str
    encoding: str
    replaced: bool = False


def _utf16_without_bom(head: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' when NULs fill the odd / even bytes of `head` (ASCII text as UTF-16)."""
    if len(head) < 4 or head.count(0) < len(head) // 4:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def decode_bytes(data: bytes) -> Decoded:
    """Decode `data` by the module's rule; line ends normalized to LF."""
    enc = None
    for bom, name in _BOMS:
        if data.startswith(bom):
            enc = name
            break
    if enc is None:
        enc = _utf16_without_bom(data[:4096])
    replaced = False
    if enc is not None:
        if enc == "utf-8-sig":
            try:
                text = data.decode(enc)
            except UnicodeDecodeError:  # a UTF-8 mark on Windows text: the mark is dropped, the rest read as cp1252
                text, enc = data[3:].decode("cp1252", errors="cabletags-cp1252"), "cp1252"
        else:
            text = data.decode(enc, errors="replace")
            replaced = "\ufffd" in text and b"\xfd\xff" not in data and b"\xff\xfd" not in data
            text = text.lstrip("\ufeff")
    else:
        try:
            text, enc = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, enc = data.decode("cp1252", errors="cabletags-cp1252"), "cp1252"
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return Decoded(text, "utf-8" if enc == "utf-8-sig" else enc, replaced)

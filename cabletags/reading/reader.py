"""The reader stage: any input that holds one cable -> one Cable record.

    >>> from cabletags.reading import read_cable
    >>> c = read_cable(Path("09PARIS1007.txt"))      # a path, bytes, text or a binary file object
    >>> c.reference_id, c.reference_id_source, c.tags.codes, c.origin_country
    ('09PARIS1007', 'derived', ['PGOV', 'PREL', 'FR'], 'FR')

What an input is comes from its content, never its name: a PDF (%PDF-), JSON Lines (refused: they hold many
cables, read them with --jsonl), a saved page (cabletags.reading.html: its layout from its markup) or bare text;
bytes are decoded by cabletags.reading.encoding's rule. The cable's fields come from
cabletags.reading.parser.parse_text;
a page's own metadata (reference id, date, origin, PlusD's TAGS) then fills and checks them. Where the input
says one thing in two ways (the page's id and the header's, PlusD's TAGS and the telegram's TAGS line, a gloss that
names another code), the record keeps the first by the rule below and says so in ``doubts``.

Reference id, by where it comes from (``reference_id_source``): ``metadata`` (the page's own field), ``header``
(an id line in the cable's header), ``derived`` (year + post + serial: a PARIS 001007 telegram of 2009 is
09PARIS1007), ``filename`` (an id-shaped file name, the last resort). Ids are normalized to the Cablegate form
(two-digit year, post, serial without leading zeros: 1974ATHENS02959_b is 74ATHENS2959), the original kept in
``reference_id_original``.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..errors import EXIT_INPUT, InputError
from .encoding import decode_bytes
from .html import is_html, read_page
from .mime import is_mime, is_mime_text, mime_part
from .parser import Cable, cable_year, era_of, parse_text
from .pdf import MissingExtra, NoTextLayer, UnreadablePDF, is_pdf, pdf_text
from .posts import origin_of_from_line, post_entry

__all__ = ["Cable", "Document", "ReadError", "read_document", "read_cable", "parse_cable", "scoring_text",
           "normalize_id",
           "MAX_BYTES"]

MAX_BYTES = 200 * 1024 * 1024  # one cable, page or PDF; larger inputs are refused before they are read


class ReadError(InputError):
    """An input that cannot be read as a cable, with the exit code the CLI gives it: 3 (unreadable, no text
    layer) or 2 (a usage problem: JSON Lines without --jsonl, a missing optional extra)."""

    def __init__(self, message: str, exit_code: int = EXIT_INPUT):
        super().__init__(message, exit_code=exit_code)


@dataclass
class Document:
    """An input decoded: its text (the cable's text for a page), what it is (``layout``: "text", "pdf",
    "cablegate", "plusd", "page"), how its bytes were decoded, and a page's own metadata."""

    text: str
    layout: str = "text"
    encoding: str | None = None
    meta: dict = field(default_factory=dict)
    tag_pairs: list = field(default_factory=list)
    source: str | None = None
    replaced: bool = False


def _load(source) -> tuple[bytes | None, str | None, str | None]:
    """(bytes, text, path) of an input: a path (os.PathLike), bytes, a str (the text itself) or a file object."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), None, None
    if isinstance(source, str):
        return None, source, None
    if isinstance(source, os.PathLike):
        p = Path(source)
        try:
            if p.is_dir():
                raise ReadError(f"{p}: is a directory, not a file")
            if p.exists() and not p.is_file():  # a FIFO or a device would block or never end
                raise ReadError(f"{p}: not a regular file (use - to read a stream from stdin)")
            with p.open("rb") as f:
                data = f.read(MAX_BYTES + 1)
        except FileNotFoundError:
            raise ReadError(f"{p}: no such file") from None
        except OSError as e:
            raise ReadError(f"{p}: cannot read: {e.strerror or e}") from None
        if len(data) > MAX_BYTES:
            raise ReadError(f"{p}: larger than {MAX_BYTES >> 20} MB; not one cable")
        return data, None, str(p)
    if hasattr(source, "read"):
        data = source.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise ReadError(f"input larger than {MAX_BYTES >> 20} MB; not one cable")
        name = getattr(source, "name", None)
        return (data, None, name) if isinstance(data, bytes) else (None, data, name)
    raise TypeError(f"read_cable() reads a path, bytes, str or file object, not {type(source).__name__}")


def _is_jsonl(text: str) -> bool:
    """Whether the text is JSON Lines: its first non-blank line (and the next, when there is one) a JSON object."""
    import json

    lines = []
    for line in text.lstrip("\ufeff").splitlines():
        if line.strip():
            lines.append(line)
            if len(lines) == 2:
                break
    if not lines or not lines[0].lstrip().startswith("{"):
        return False
    try:
        return all(isinstance(json.loads(line), dict) for line in lines)
    except ValueError:
        return False


def _refuse_documents(text: str, name: str) -> None:
    """ReadError for text that is a document of another format, whose markup would be read as the cable's words:
    JSON that is not JSON Lines (an array of records, an object over several lines: 2, a usage problem) and RTF
    (3: save it as text)."""
    head = text.lstrip("\ufeff \t\r\n")
    if head.startswith("{\\rtf"):
        raise ReadError(f"{name}: an RTF document, not a cable: save it as plain text or PDF first")
    if head[:1] in "[{" and head:
        import json

        try:
            value = json.loads(head)
        except ValueError:
            return  # text that starts with a bracket
        what = f"a JSON array of {len(value)} item(s)" if isinstance(value, list) else "a JSON document"
        raise ReadError(f"{name}: {what}, not a cable: write one JSON record a line (JSON Lines) and add --jsonl", 2)


def read_document(source, name: str | None = None) -> Document:
    """Decode an input and find what it is (a page's cable text and metadata taken out of the page).

    Raises ReadError: unreadable (3), a PDF with no text layer (3), JSON Lines (2: use --jsonl), a PDF without
    the pdf extra (2)."""
    data, text, path = _load(source)
    name = name or path
    doc = Document("", source=name)
    if data is not None:
        if is_pdf(data):
            try:
                doc.text, doc.layout = pdf_text(data), "pdf"
            except MissingExtra as e:
                raise ReadError(f"{name or 'input'}: {e}", e.exit_code) from None
            except (NoTextLayer, UnreadablePDF) as e:
                raise ReadError(f"{name or 'input'}: {e}") from None
            return doc
        if data[:2] == b"\x1f\x8b":  # gzip, by its magic bytes
            data = _gunzip(data, name)
        if data[:4] == b"PK\x03\x04":  # a ZIP archive: word processors' documents are ZIP archives of XML
            raise ReadError(f"{name or 'input'}: a ZIP archive (a .docx or .odt document?), not a cable: save the "
                            "cable as plain text or PDF")
        if is_mime(data):  # a page saved as one file (MHTML) or a mail message: the part that holds the cable
            text, doc.encoding = _mime_text(data, name)
        else:
            d = decode_bytes(data)
            if "\x00" in d.text[:4096]:
                raise ReadError(f"{name or 'input'}: a binary file, not a cable")
            text, doc.encoding, doc.replaced = d.text, d.encoding, d.replaced
    else:
        if is_mime_text(text):
            text, doc.encoding = _mime_text(text.encode("utf-8", "surrogateescape"), name)
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
    if data is not None and _is_jsonl(text[:1 << 20]):  # text handed over as a str is taken as the cable it is
        raise ReadError(f"{name or 'input'}: this is JSON Lines (one record a line); add --jsonl to read each "
                        "record", 2)
    if data is not None:
        _refuse_documents(text, name or "input")
    if is_html(text):
        page = read_page(text)
        doc.text, doc.layout, doc.meta, doc.tag_pairs = page.text, page.layout, page.meta, page.tag_pairs
    else:
        doc.text = text
    return doc


def _mime_text(data: bytes, name) -> tuple[str, str]:
    """(the text of the part of a MIME document that holds the cable, how it was decoded): by the part's declared
    charset when it has one that reads it, else by cabletags.reading.encoding's rule."""
    try:
        payload, charset, kind, transfer = mime_part(data)
    except ValueError as e:
        raise ReadError(f"{name or 'input'}: {e}") from None
    text = enc = None
    if charset:
        try:
            text, enc = payload.decode(charset), charset
        except (LookupError, UnicodeDecodeError):  # an unknown or wrong charset: the rule decides
            text = None
    if text is None:
        d = decode_bytes(payload)
        text, enc = d.text, d.encoding
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, f"{enc} ({kind}, {transfer}, in a MIME document)"


def _gunzip(data: bytes, name) -> bytes:
    import zlib

    d = zlib.decompressobj(wbits=31)
    try:
        out = d.decompress(data, MAX_BYTES + 1)
    except zlib.error:
        raise ReadError(f"{name or 'input'}: corrupt gzip data") from None
    if len(out) > MAX_BYTES:
        raise ReadError(f"{name or 'input'}: more than {MAX_BYTES >> 20} MB once decompressed; not one cable")
    return out


_ID = re.compile(r"^(\d\d|\d{4})([A-Z][A-Z-]*?)(\d{1,6})$")


def normalize_id(rid: str | None) -> str | None:
    """A reference id in the Cablegate form: 1974ATHENS02959_b -> 74ATHENS2959, 09paris001007 -> 09PARIS1007;
    None for what is not an id."""
    if not rid:
        return None
    m = _ID.match(re.sub(r"_[A-Za-z]$", "", rid.strip()).upper().replace(" ", ""))
    if not m:
        return None
    year, post, serial = m.groups()
    return f"{year[-2:]}{post}{int(serial)}"


def _serial(rid: str) -> int | None:
    """The serial number of an id (09PARIS1007: 1007), or None."""
    m = re.search(r"(\d+)$", normalize_id(rid) or "")
    return int(m.group(1)) if m else None


def _derived_id(c: Cable, year: int | None) -> str | None:
    """Year + post + serial (CONFIDENTIAL PARIS 001007 in a telegram of 2009: 09PARIS1007)."""
    if year is None or not c.post or not c.serial:
        return None
    post = re.sub(r"[^A-Z]", "", c.post.upper())
    return f"{year % 100:02d}{post}{int(c.serial)}" if post else None


_MONTH = {m: i for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV",
                                      "DEC"), 1)}


def _date(meta: dict, dtg: str | None) -> str | None:
    """ISO date (to the minute when known) from a page's metadata or the date-time group (241555Z JUL 09)."""
    for key in ("created", "date", "md draft date"):
        v = meta.get(key)
        if not v:
            continue
        v = re.sub(r"\s*\(.*?\)\s*$", "", v.strip())
        for fmt, out in (("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"), ("%Y-%m-%d", "%Y-%m-%d"),
                         ("%Y %B %d, %H:%M", "%Y-%m-%dT%H:%M"), ("%Y %b %d, %H:%M", "%Y-%m-%dT%H:%M"),
                         ("%d %b %Y", "%Y-%m-%d")):
            try:
                return datetime.strptime(v, fmt).strftime(out)
            except ValueError:
                continue
    m = re.match(r"(\d\d)(\d\d)(\d\d)Z[ \t]+([A-Z]{3})[ \t]+(\d{2,4})$", dtg or "")  # on one line
    if m and m.group(4) in _MONTH:
        y = int(m.group(5))
        y = y if y > 999 else (1900 + y if y >= 66 else 2000 + y)
        try:
            return datetime(y, _MONTH[m.group(4)], int(m.group(1)), int(m.group(2)), int(m.group(3))).strftime(
                "%Y-%m-%dT%H:%M")
        except ValueError:
            return None
    return None


def _titles(tax) -> dict:
    """lower-case title or other name -> the codes it names, over every entry of a taxonomy (kept on the
    taxonomy object: made once per loaded taxonomy)."""
    out = getattr(tax, "_titles_index", None)
    if out is not None:
        return out
    out = {}
    for code, e in tax.entries.items():
        for t in [e.title, *(getattr(e, "names", None) or [])]:
            if isinstance(t, str) and t:
                out.setdefault(t.lower(), set()).add(code)
    try:
        tax._titles_index = out
    except AttributeError:  # a taxonomy with __slots__: computed again next time
        pass
    return out


def _plusd_tags(c: Cable, doc: Document, norm) -> None:
    """A PlusD page's TAGS: its own metadata field, checked against the telegram's TAGS line and the glosses."""
    raw = doc.meta.get("md tags")
    if not raw and doc.tag_pairs:
        raw = ", ".join(code if code else f"({name})" for code, name in doc.tag_pairs)
    if not raw:
        return
    line = set(c.tags.codes) if c.tags_raw else None
    c.tags_raw, c.tags = raw, norm.normalize(raw)
    c.tags_source = "metadata"
    if line is not None and line != set(c.tags.codes):
        c.doubts.append(f"the page's TAGS ({', '.join(c.tags.codes)}) differ from the telegram's TAGS line "
                        f"({', '.join(sorted(line))}); the page's are kept")
    titles = _titles(norm.tax)
    for code, gloss in doc.tag_pairs:
        if not code or not gloss:
            continue
        parts = [p.strip().lower() for p in re.split(r"--|;", gloss) if p.strip()]
        named = set().union(*(titles.get(p, set()) for p in parts)) if parts else set()
        if named and code not in named:
            c.doubts.append(f"PlusD glosses {code} as {gloss!r}, a title the taxonomy gives to "
                            f"{', '.join(sorted(named))}; {code} is kept")


def _filename_id(name: str | None) -> str | None:
    if not name:
        return None
    stem = Path(name).name.split(".")[0]
    return stem if normalize_id(stem) else None


def read_cable(source, taxonomy=None, era: str = "auto", *, name: str | None = None) -> Cable:
    """One Cable from any input: a path (os.PathLike), bytes, a str holding the text, a binary file object, or a
    Document from read_document.

    taxonomy: a loaded Taxonomy (None: the shipped one, loaded for this call; cabletags.read_cable keeps it);
    era: "auto" (from the cable's year) or one of cabletags.vocabulary.taxonomy.ERAS; name: the input's name for
    messages and the last-resort id (a path's own by default).
    Raises ReadError (see read_document) and TypeError for other types. Never raises on the text itself.
    """
    from ..vocabulary.normalizer import get_normalizer

    doc = source if isinstance(source, Document) else read_document(source, name)
    norm = get_normalizer(taxonomy)  # None: the shipped taxonomy, loaded once for this cable
    c = parse_text(doc.text, norm.tax, era, page=doc.layout != "text")
    c.layout, c.encoding, c.source = doc.layout, doc.encoding, doc.source
    if doc.replaced:
        c.doubts.append("some bytes could not be decoded and were replaced with U+FFFD")
    meta = doc.meta
    if doc.layout == "plusd":
        _plusd_tags(c, doc, norm)
    if not c.subject:
        c.subject = meta.get("md subject") or None
    if not c.classification:
        c.classification = meta.get("classification") or meta.get("original classification") or None
    c.date = _date(meta, c.date_time_group)
    header_id = c.reference_id_original
    year = int(c.date[:4]) if c.date else cable_year(header_id, None)
    candidates = [("metadata", meta.get("reference id") or meta.get("canonical id")
                   or meta.get("md document number")),
                  ("header", header_id), ("derived", _derived_id(c, year)), ("filename", _filename_id(doc.source))]
    candidates = [(k, v) for k, v in candidates if v and normalize_id(v)]
    ids = dict(candidates)
    if c._bare_id and "header" in ids and "derived" in ids and _serial(ids["header"]) != int(c.serial):
        # an id alone on a line whose serial is not the one of the cable's own banner line (a page's link to another
        # cable, a cable it quotes) is not this cable's: year + post + serial outrank it (the doubt is said); a
        # labelled one ("Reference ID: ...") keeps its rank
        candidates.sort(key=lambda kv: kv[0] == "header")
    c.reference_id = c.reference_id_original = c.reference_id_source = None
    if candidates:
        kind, original = candidates[0]
        c.reference_id, c.reference_id_source = normalize_id(original), kind
        c.reference_id_original = original if original != c.reference_id else None
        for other, value in candidates[1:]:
            if normalize_id(value) != c.reference_id:
                c.doubts.append(f"the {kind} id is {c.reference_id} but the {other} id is {normalize_id(value)}; "
                                f"the {kind} one is kept")
    if year is None:
        year = cable_year(c.reference_id, None)
    c.year = year
    c.era = era_of(year) if era == "auto" else era
    city, from_origin = origin_of_from_line(c.from_)
    post = post_entry(c.post, norm.tax) or post_entry(city, norm.tax)
    c.origin = meta.get("origin") or (post or {}).get("origin") or from_origin
    c.origin_country = (post or {}).get("country")
    if taxonomy is None:  # the shipped taxonomy was loaded for this call: meanings now, the taxonomy let go
        c.settle_meanings()
    return c


def scoring_text(source, taxonomy=None) -> str:
    """What a plain suggestion scores of an input: a page's or a PDF's cable (its header and body without the TAGS
    field), never the page's menus, indexes or sidebars; bare text as it is (a paragraph stays a paragraph)."""
    doc = source if isinstance(source, Document) else read_document(source)
    if doc.layout == "text":
        return doc.text
    c = read_cable(doc, taxonomy)
    return c.reading_text if c.reading_text.strip() else doc.text


def parse_cable(text: str, taxonomy=None, era: str = "auto") -> Cable:
    """A cable given as text (bare, or an HTML page holding one): cabletags.reading.read_cable on a str.

    era: "auto" (default: by the cable's year, see era_of) or one of cabletags.vocabulary.taxonomy.ERAS; the codes'
    titles in that era are in `meanings` (a 1975 cable's UR is the Soviet Union).
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_cable() expects a str, got {type(text).__name__}")
    return read_cable(text, taxonomy, era)

"""The reader stage: every input that holds a cable, as one Cable record.

* ``read_cable(source)``: a path, bytes, text or file object -> Cable (cabletags.reading.reader);
* ``read_document(source)``: the decoded input and its layout, before the cable's fields are read;
* ``iter_sources(paths)``: files, folders and glob patterns -> the files to read, in order (for batches);
* the parts, each with one job: ``encoding`` (bytes to text), ``html`` (saved pages by layout), ``pdf``
  (text layers, the ``pdf`` extra), ``posts`` (a sending post's country).
"""
from __future__ import annotations

from .parser import Cable, Paragraph
from .reader import MAX_BYTES, Document, ReadError, normalize_id, parse_cable, read_cable, read_document, scoring_text
from .sources import iter_sources

__all__ = ["Cable", "Paragraph", "Document", "ReadError", "read_cable", "parse_cable", "read_document", "normalize_id",
           "iter_sources", "scoring_text", "MAX_BYTES"]

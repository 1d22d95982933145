"""One column of a CSV or TSV file normalized, every other byte of the file kept (``normalize --csv/--tsv``).

The file is streamed with the csv module, record by record: each record's own text (its lines as read, quotes,
embedded newlines and all) is written back unchanged, and the new cells are appended before its line end:
``codes`` (space-separated), ``names`` and ``unknown`` ("; "-separated), ``repairs`` (compact:
``kind:original>result``) and ``confidence`` (the lowest confidence of the line's repairs; 1 without repairs).
A byte-order mark at the start is kept. Memory is flat: one record at a time, and a bounded cache of the
appended cells of lines already seen (archives repeat their TAGS lines).

A record that lacks the column (fewer fields) or that the csv module cannot read is reported by its line number
(`bad`, the batch contract) and written unchanged, with empty new cells when it could be split into fields, so
that output record N is input record N; a record with more fields than the header is reported too (its new cells
follow its extra fields, so they stand under other columns).

The delimiter comes from the file: Excel's ``sep=;`` first line (kept in the output), else the one of the
given delimiter, comma, semicolon, tab and bar whose split of the header holds the column (a semicolon file saved
by Excel in many locales reads as such under --csv); the new cells use the same delimiter.
"""
from __future__ import annotations

import csv
import io
import itertools
import re
from dataclasses import dataclass, field
from typing import IO, Iterator

from ..errors import UsageError

__all__ = ["NEW_COLUMNS", "TableError", "TableReport", "normalize_table"]

NEW_COLUMNS = ("codes", "names", "unknown", "repairs", "confidence")
CACHE = 100_000  # appended cells kept per distinct TAGS value; the cache is cleared when full


class TableError(UsageError):
    """The table cannot be read at all (no header, no such column): exit 2."""


@dataclass
class TableReport:
    """What a table run met: data records read, and bad records as (line number, reason)."""

    records: int = 0
    bad: list = field(default_factory=list)


def _lines(f: IO[bytes], report_decoding: list, max_record: int, too_long: list) -> Iterator[str]:
    """The file's lines with their line ends, decoded as UTF-8 (a line that is not: Windows-1252, reported); a
    line over `max_record` bytes is skipped as it is read (reported in `too_long`), a blank line in its place."""
    from ..textio import _bounded, _TooLong

    for n, raw in enumerate(_bounded(f, max_record), 1):
        if isinstance(raw, _TooLong):
            too_long.append((n, raw.size))
            yield "\n"
            continue
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            report_decoding.append(n)
            yield raw.decode("cp1252", errors="replace")


_SEP_LINE = re.compile(r"sep=([^\r\n\w\"])\r?\n?$")
_DELIMITERS = (",", ";", "\t", "|")


def _delimiter(line: str, column: str, given: str) -> str:
    """The delimiter whose split of the header line holds `column`: the given one first, then comma, semicolon, tab
    and bar; the given one when none (or the column is not named) does."""
    for d in dict.fromkeys((given,) + _DELIMITERS):
        try:
            if column in next(csv.reader([line], delimiter=d), []):
                return d
        except csv.Error:
            continue
    return given


def _ending(text: str) -> tuple[str, str]:
    """(the record's text without its line end, the line end)."""
    if text.endswith("\r\n"):
        return text[:-2], "\r\n"
    if text.endswith(("\n", "\r")):
        return text[:-1], text[-1]
    return text, ""


def normalize_table(f: IO[bytes], out: IO[str], column: str, normalizer, delimiter: str = ",",
                    id_column: str | None = None, report: TableReport | None = None,
                    min_confidence: float = 0.0, max_record: int | None = None, name: str = "table") -> TableReport:
    """Stream the table in `f` (binary) to `out` (text) with NEW_COLUMNS appended to every record.

    Raises TableError (its message starts with `name`) when there is no header or `column` (or `id_column`) is
    not in it."""
    from ..textio import MAX_RECORD_BYTES

    report = report if report is not None else TableReport()
    undecoded: list[int] = []
    too_long: list = []
    taken: list[str] = []  # the lines the csv reader took for the record it yields next
    line_no = 0

    def feed():
        nonlocal line_no
        for line in _lines(f, undecoded, max_record or MAX_RECORD_BYTES, too_long):
            line_no += 1
            taken.append(line)
            yield line.lstrip("\ufeff") if line_no == 1 else line

    lines = feed()
    first = next(lines, None)
    if first is None:
        raise TableError(f"{name}: empty table: no header line")
    hint = _SEP_LINE.match(first.lstrip("\ufeff"))
    if hint:  # Excel's delimiter line: kept as it is, the header follows it
        delimiter = hint.group(1)
        out.write("".join(taken))
        taken.clear()
        reader = csv.reader(lines, delimiter=delimiter)
    else:
        delimiter = _delimiter(first.lstrip("\ufeff"), column, delimiter)
        reader = csv.reader(itertools.chain([first.lstrip("\ufeff")], lines), delimiter=delimiter)
    cells = io.StringIO()
    writer = csv.writer(cells, delimiter=delimiter, lineterminator="")

    def appended(values) -> str:
        cells.seek(0)
        cells.truncate()
        writer.writerow(values)
        return delimiter + cells.getvalue()

    try:
        header = next(reader)
    except StopIteration:
        raise TableError(f"{name}: empty table: no header line") from None
    except csv.Error as e:
        raise TableError(f"{name}: line 1: not a readable header ({e})") from None
    for wanted in [column] + ([id_column] if id_column else []):
        if wanted not in header:
            shown = ", ".join(header[:12]) + (" ..." if len(header) > 12 else "")
            raise TableError(f"{name}: no column {wanted!r} in the header (columns: {shown})")
    col = header.index(column)
    idc = header.index(id_column) if id_column else None
    text, end = _ending("".join(taken))
    out.write(text + appended(NEW_COLUMNS) + end)
    taken.clear()
    empty = appended([""] * len(NEW_COLUMNS))
    cache: dict[str, str] = {}
    while True:
        start = line_no + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            report.bad.append((start, f"not a readable record ({e}); written unchanged"))
            out.write("".join(taken))
            taken.clear()
            continue
        report.records += 1
        text, end = _ending("".join(taken))
        taken.clear()
        if not row:  # a blank line: a record with no fields, kept as it is
            out.write(text + end)
            continue
        if col >= len(row):
            who = f" (id {row[idc]!r})" if idc is not None and idc < len(row) else ""
            report.bad.append((start, f"{len(row)} field(s), no {column!r} field{who}; new cells left empty"))
            out.write(text + empty + (end or ""))
            continue
        if len(row) > len(header):
            who = f" (id {row[idc]!r})" if idc is not None else ""
            report.bad.append((start, f"{len(row)} fields, the header has {len(header)}{who}: the new cells follow "
                                      "the extra fields"))
        value = row[col]
        add = cache.get(value)
        if add is None:
            n = normalizer.normalize(value)
            if min_confidence:
                n = n.trusted(min_confidence, value)
            conf = min((r.confidence for r in n.repairs), default=1.0)
            add = appended([" ".join(n.codes), "; ".join(n.names), "; ".join(n.unknown),
                            "; ".join(f"{r.kind}:{r.original}>{' '.join(r.result)}" for r in n.repairs),
                            f"{conf:.2f}".rstrip("0").rstrip(".") if conf != 1.0 else "1"])
            if len(cache) >= CACHE:
                cache.clear()
            cache[value] = add
        out.write(text + add + end)
    for n, size in too_long:
        report.bad.append((n, f"a line of {size:,} bytes, over the record limit (--max-record-mb): left out"))
    for n in undecoded:
        report.bad.append((n, "not UTF-8: read as Windows-1252, written as UTF-8"))
    return report

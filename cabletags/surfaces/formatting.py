"""Render rows as a text table, TSV, JSON or JSON Lines (the four output formats of every command).

``write_rows`` streams: rows are written as they come (a table takes its column widths from the first
rows), so a million input lines never sit in memory at once. ``render`` returns the same text as a string.
"""
from __future__ import annotations

import io
import json
from itertools import islice
from typing import IO, Iterable

from ..textio import dumps

FORMATS = ("table", "json", "jsonl", "tsv")
TABLE_SAMPLE = 1000  # rows that set a streamed table's column widths


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, (list, tuple)):
        return " ".join(_cell(x) for x in v)
    if isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False)
    return str(v).replace("\t", " ").replace("\n", " ")


def _cut(v: str, max_width: int) -> str:
    return v if len(v) <= max_width else v[: max_width - 1] + "…"


def write_rows(out: IO[str], rows: Iterable[dict], columns: list[str], fmt: str, meta: dict | None = None,
               max_width: int = 60) -> int:
    """Write rows to `out` in the chosen format, one at a time; `meta` (e.g. the taxonomy version) goes into
    JSON outputs. Table cells are cut at max_width with an ellipsis. Returns the number of rows written."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    rows = iter(rows)
    n = 0
    if fmt == "table":
        first = [[_cut(_cell(r.get(c)), max_width) for c in columns] for r in islice(rows, TABLE_SAMPLE)]
        widths = [max([len(c)] + [len(row[i]) for row in first]) for i, c in enumerate(columns)]
        out.write("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip() + "\n")
        out.write("  ".join("-" * w for w in widths) + "\n")
        for cells in first:
            out.write("  ".join(v.ljust(w) for v, w in zip(cells, widths)).rstrip() + "\n")
        n = len(first)
        for r in rows:  # past the sample a longer cell widens only its own row
            out.write("  ".join(_cut(_cell(r.get(c)), max_width).ljust(w) for c, w in zip(columns, widths)).rstrip()
                      + "\n")
            n += 1
    elif fmt == "tsv":
        out.write("\t".join(columns) + "\n")
        for r in rows:
            out.write("\t".join(_cell(r.get(c)) for c in columns) + "\n")
            n += 1
    elif fmt == "jsonl":
        for r in rows:
            out.write(dumps(dict(r, **(meta or {}))) + "\n")
            n += 1
    else:  # json: {"<meta>": ..., "results": [...]}, laid out as json.dumps(indent=2) would
        head = json.dumps(dict(meta or {}, results=[]), ensure_ascii=False, indent=2)
        out.write(head[: head.rindex("[") + 1])
        for r in rows:
            body = json.dumps(r, ensure_ascii=False, indent=2).replace("\n", "\n    ")
            out.write(("," if n else "") + "\n    " + body)
            n += 1
        out.write("\n  ]\n}\n" if n else "]\n}\n")
    return n


def render(rows: list[dict], columns: list[str], fmt: str, meta: dict | None = None) -> str:
    """rows in the chosen format, as one string without the final newline."""
    buf = io.StringIO()
    write_rows(buf, rows, columns, fmt, meta)
    return buf.getvalue().rstrip("\n")

"""Render rows as a text table, TSV, JSON or JSON Lines (the four output formats of every command)."""
from __future__ import annotations

import json

from .textio import dumps

FORMATS = ("table", "json", "jsonl", "tsv")


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, (list, tuple)):
        return " ".join(_cell(x) for x in v)
    if isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False)
    return str(v).replace("\t", " ").replace("\n", " ")


def table(rows: list[dict], columns: list[str], max_width: int = 60) -> str:
    """Columns padded to their widest cell (cut at max_width with an ellipsis)."""
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    cells = [[v if len(v) <= max_width else v[: max_width - 1] + "…" for v in row] for row in cells]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines)


def tsv(rows: list[dict], columns: list[str]) -> str:
    return "\n".join(["\t".join(columns)] + ["\t".join(_cell(r.get(c)) for c in columns) for r in rows])


def render(rows: list[dict], columns: list[str], fmt: str, meta: dict | None = None) -> str:
    """rows in the chosen format; `meta` (e.g. the taxonomy version) goes into JSON outputs."""
    if fmt == "table":
        return table(rows, columns)
    if fmt == "tsv":
        return tsv(rows, columns)
    if fmt == "json":
        doc = dict(meta or {})
        doc["results"] = rows
        return json.dumps(doc, ensure_ascii=False, indent=2)
    if fmt == "jsonl":
        return "\n".join(dumps(dict(r, **(meta or {}))) for r in rows)
    raise ValueError(f"unknown format {fmt!r}")

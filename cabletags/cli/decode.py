"""`cabletags decode`: codes or raw TAGS lines -> taxonomy entries (cabletags.decode)."""
from __future__ import annotations

import click

from ..formatting import render
from ..textio import iter_lines
from .common import EXIT_INPUT, EXIT_UNRESOLVED, CLIError, format_option, get_taxonomy, require_input


@click.command()
@click.argument("items", nargs=-1)
@format_option
@click.pass_context
def decode(ctx, items, fmt):
    """Decode codes (KTIP PHUM AJ) or whole raw TAGS lines ("TAGS: PGOV, OSCEPREF").

    Reads lines from stdin when no argument is given. Exit 1 when something stayed unknown.
    """
    from ..decoder import decode as decode_items

    tax = get_taxonomy(ctx)
    if not items:
        require_input(None)
        items = [line for _, line in iter_lines("-") if line.strip()]
        if not items:
            raise CLIError("empty input on stdin", EXIT_INPUT)
    rows = []
    for d in decode_items(list(items), tax):
        row = d.to_dict()
        row.update(code=d.code or d.input, kind=d.entry.kind if d.entry else d.status, title=d.title,
                   notes=d.notes())
        rows.append(row)
    click.echo(render(rows, ["code", "kind", "title", "notes"], fmt, {"taxonomy_version": tax.version}))
    if any(r["status"] in ("unknown", "word") for r in rows):
        ctx.exit(EXIT_UNRESOLVED)

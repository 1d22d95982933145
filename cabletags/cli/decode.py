"""`cabletags decode`: codes or raw TAGS lines -> taxonomy entries (cabletags.decoder.iter_decode)."""
from __future__ import annotations

import sys
from itertools import chain

import click

from ..formatting import write_rows
from ..textio import iter_lines
from .common import EXIT_INPUT, EXIT_UNRESOLVED, CLIError, format_option, get_taxonomy, require_input


@click.command()
@click.argument("items", nargs=-1)
@format_option
@click.pass_context
def decode(ctx, items, fmt):
    """Decode codes (KTIP PHUM AJ) or whole raw TAGS lines ("TAGS: PGOV, OSCEPREF").

    Reads lines from stdin when no argument is given (streamed: any number of lines). Exit 1 when
    something stayed unknown.
    """
    from ..decoder import iter_decode

    tax = get_taxonomy(ctx)
    if not items:
        require_input(None)
        lines = (line for _, line in iter_lines("-") if line.strip())
        first = next(lines, None)
        if first is None:
            raise CLIError("empty input on stdin", EXIT_INPUT)
        items = chain([first], lines)
    unresolved = False

    def rows():
        nonlocal unresolved
        for d in iter_decode(items, tax):
            row = d.to_dict()
            row.update(code=d.code or d.input, kind=d.entry.kind if d.entry else d.status, title=d.title,
                       notes=d.notes())
            unresolved = unresolved or d.status in ("unknown", "word")
            yield row

    write_rows(sys.stdout, rows(), ["code", "kind", "title", "notes"], fmt, {"taxonomy_version": tax.version})
    if unresolved:
        ctx.exit(EXIT_UNRESOLVED)

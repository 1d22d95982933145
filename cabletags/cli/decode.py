"""`cabletags decode`: codes or raw TAGS lines -> taxonomy entries (cabletags.vocabulary.decoder.iter_decode)."""
from __future__ import annotations

import sys
from itertools import chain

import click

from ..surfaces.formatting import write_rows
from ..textio import iter_lines
from ..vocabulary.taxonomy import ERAS
from .common import EXIT_INPUT, EXIT_UNRESOLVED, CLIError, format_option, get_taxonomy, require_input


@click.command()
@click.argument("items", nargs=-1)
@click.option("--era", type=click.Choice(ERAS), default="cablegate", show_default=True,
              help="Read the codes as in that era: Cablegate (2000s, FIPS), the 1970s (1974 handbook, UR = USSR) or "
                   "current GENC/ISO tables (CH = Switzerland).")
@format_option
@click.pass_context
def decode(ctx, items, era, fmt):
    """Decode codes (KTIP PHUM AJ) or whole raw TAGS lines ("TAGS: PGOV, OSCEPREF").

    Reads lines from stdin when no argument is given (streamed: any number of lines). Exit 1 when
    something stayed unknown. A code that means another place in another era says so in its notes.
    """
    from ..vocabulary.decoder import iter_decode

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
        for d in iter_decode(items, tax, era):
            row = {} if fmt in ("table", "tsv") else d.to_dict()  # a table shows five columns: build only those
            row.update(code=d.code or d.input, kind=d.entry.kind if d.entry else d.status, title=d.title,
                       notes=d.notes())
            if fmt in ("table", "tsv"):
                row["definition (1974)"] = d.short_definition()
            unresolved = unresolved or d.status in ("unknown", "word")
            yield row

    write_rows(sys.stdout, rows(), ["code", "kind", "title", "notes", "definition (1974)"], fmt,
               {"taxonomy_version": tax.version})
    if unresolved:
        ctx.exit(EXIT_UNRESOLVED)

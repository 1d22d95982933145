"""`cabletags normalize`: raw TAGS lines -> canonical codes, names, unknowns and repairs (cabletags.normalize)."""
from __future__ import annotations

from itertools import chain

import click

from ..surfaces.formatting import write_rows
from ..textio import Stats, atomic_output, iter_lines
from .common import (EXIT_BAD_RECORDS, EXIT_INPUT, EXIT_USAGE, BatchInput, CLIError, Progress, finish_batch,
                     format_option, get_taxonomy, output_option, record_limit, require_input, strict_option)


@click.command()
@click.argument("raw", nargs=-1)
@click.option("--input", "input_path", type=click.Path(), help="Read lines (or JSON Lines) from FILE, not stdin.")
@click.option("--jsonl", is_flag=True, help="Input is JSON Lines: add a 'normalized' field to every record.")
@click.option("--field", "field_name", default="tags", show_default=True, help="Record field holding the TAGS line.")
@click.option("--csv", "csv_path", type=click.Path(allow_dash=True),
              help="A CSV file: normalize one column (--column), keep every other byte, append codes, names, "
                   "unknown, repairs and confidence.")
@click.option("--tsv", "tsv_path", type=click.Path(allow_dash=True), help="The same for a tab-separated file.")
@click.option("--column", default="tags", show_default=True, help="The column holding the TAGS line (--csv/--tsv).")
@click.option("--id-column", help="A column naming each record in reports of bad rows (--csv/--tsv).")
@output_option
@click.option("--min-confidence", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Apply only the repairs at least this confident; the others are kept as unknown tokens with "
                   "their suggestion in 'candidates'.")
@click.option("--no-typo-aliases", is_flag=True, help="Ignore typo aliases: only the general rules repair typos.")
@strict_option
@format_option
@click.pass_context
def normalize(ctx, raw, input_path, jsonl, field_name, csv_path, tsv_path, column, id_column, output, min_confidence,
              no_typo_aliases, strict, fmt):
    """Clean raw TAGS lines into canonical codes, names and flagged unknowns, with every repair.

    \b
    cabletags normalize "TAGS: PGOV, PREL, OSCEPREF"
    cabletags normalize --jsonl --field tags --input cables.jsonl > out.jsonl
    cabletags normalize --csv archive.csv --column TAGS --id-column ID -o clean.csv
    """
    tax = get_taxonomy(ctx, typo_aliases=not no_typo_aliases)
    if csv_path or tsv_path:
        if sum(map(bool, (csv_path, tsv_path, jsonl, raw, input_path))) > 1:
            raise CLIError("--csv/--tsv read one table: not with --tsv/--csv, --jsonl, --input or arguments",
                           EXIT_USAGE)
        return _normalize_table(ctx, tax, csv_path or tsv_path, "," if csv_path else "\t", column, id_column,
                                output, strict, min_confidence)
    if jsonl:
        if raw:
            raise CLIError("--jsonl reads records from --input or stdin, not from arguments", EXIT_USAGE)
        return _normalize_jsonl(ctx, tax, input_path, field_name, output, strict, min_confidence)
    if raw and input_path:
        raise CLIError("give raw lines as arguments or --input FILE, not both", EXIT_USAGE)
    stats = Stats()
    if raw:
        lines = iter(raw)
    else:
        require_input(input_path)
        # every line gives one row, blank or not: output row N is input row N (a `paste` stays aligned)
        lines = (line for _, line in iter_lines(input_path, stats, max_record=record_limit()))
        first = next(lines, None)
        if first is None:
            raise CLIError(f"no input lines in {input_path or 'stdin'}", EXIT_INPUT)
        lines = chain([first], lines)
    from ..vocabulary.normalizer import get_normalizer

    norm = get_normalizer(tax)
    results = (dict((norm.normalize(line).trusted(min_confidence, line) if min_confidence else
                     norm.normalize(line)).to_dict(), input=line) for line in lines)
    with atomic_output(output) as out:
        if fmt in ("table", "tsv"):
            view = ({"input": d["input"], "codes": ", ".join(d["codes"]), "names": "; ".join(d["names"]),
                     "unknown": "; ".join(d["unknown"]),
                     "repairs": "; ".join(f"{x['kind']}: {x['original']} -> {' '.join(x['result']) or '(removed)'}"
                                          for x in d["repairs"])} for d in results)
            write_rows(out, view, ["input", "codes", "names", "unknown", "repairs"], fmt)
        else:
            write_rows(out, results, [], fmt, {"taxonomy_version": tax.version})
    stats.report()


def _normalize_jsonl(ctx, tax, input_path, field_name, output, strict, min_confidence=0.0):
    from ..surfaces.batch import RecordNormalizer

    batch = BatchInput(input_path, (field_name,))
    rn = RecordNormalizer(tax, field_name, min_confidence=min_confidence)
    prog = Progress("normalized")
    with atomic_output(output) as out:
        write = out.write
        for rec, line in batch.lines(blank=True):
            if rec is None:
                write("\n")  # a blank line stays a blank row
                continue
            write(rn.line(rec, line))
            prog.tick()
        batch.check()
    finish_batch(ctx, "normalize", batch, prog.n, prog, strict)


def _normalize_table(ctx, tax, path, delimiter, column, id_column, output, strict, min_confidence=0.0):
    from ..surfaces.tables import TableReport, normalize_table
    from ..textio import open_binary
    from ..vocabulary.normalizer import get_normalizer

    require_input(path)
    report, prog = TableReport(), Progress("normalized")
    f = open_binary(path)
    try:
        with atomic_output(output) as out:
            normalize_table(f, out, column, get_normalizer(tax), delimiter, id_column, report, min_confidence,
                            record_limit(), name=str(path))
    finally:
        if path not in (None, "-"):
            f.close()
    prog.tick(report.records)
    secs = prog.close()
    for n, why in report.bad[:20]:
        click.echo(f"warning: line {n}: {why}", err=True)
    click.echo(f"normalize: {report.records} record(s) in, {report.records} out, {len(report.bad)} with a "
               f"problem, {secs:.1f} s", err=True)
    if report.bad and strict:
        ctx.exit(EXIT_BAD_RECORDS)

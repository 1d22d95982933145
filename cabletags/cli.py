"""The `cabletags` command line: a thin layer over the library (each command calls one function).

Exit codes (the same for every command; README has the table):
  0 success · 1 done, but some inputs were not fully decoded / resolved · 2 usage error (bad option,
  wrong --format) · 3 input error (missing / unreadable / empty input) · 4 taxonomy or model error ·
  5 --strict batch run that met bad records · 70 internal error · 130 interrupted.
"""
from __future__ import annotations

import os
import sys

import click

from . import __version__
from .formatting import FORMATS, render
from .textio import InputError, Stats, atomic_output, dumps, iter_jsonl, iter_lines, loads

EXIT_OK, EXIT_UNRESOLVED, EXIT_USAGE, EXIT_INPUT, EXIT_DATA, EXIT_BAD_RECORDS, EXIT_INTERNAL, EXIT_INTERRUPTED = \
    0, 1, 2, 3, 4, 5, 70, 130


class CLIError(click.ClickException):
    """A one-line error with its exit code."""

    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.exit_code = code

    def show(self, file=None):
        click.echo(f"error: {self.format_message()}", err=True)


def _taxonomy(ctx: click.Context, typo_aliases: bool = True):
    from .taxonomy import TaxonomyError, load_taxonomy

    o = ctx.find_root().obj or {}
    try:
        return load_taxonomy(o.get("taxonomy"), overlay=o.get("overlay"), typo_aliases=typo_aliases)
    except TaxonomyError as e:
        raise CLIError(f"taxonomy: {str(e).splitlines()[0]}", EXIT_DATA) from None


format_option = click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
                             help="Output format.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cabletags")
@click.option("--taxonomy", "taxonomy", type=click.Path(), envvar="CABLETAGS_TAXONOMY",
              help="Taxonomy directory to use instead of the shipped one (env CABLETAGS_TAXONOMY).")
@click.option("--taxonomy-overlay", "overlay", type=click.Path(), envvar="CABLETAGS_TAXONOMY_OVERLAY",
              help="YAML file or directory laid over the taxonomy (extra codes, aliases, titles).")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@click.pass_context
def cli(ctx, taxonomy, overlay, debug):
    """Decode, clean and suggest TAGS codes of US diplomatic cables."""
    ctx.obj = {"taxonomy": taxonomy, "overlay": overlay, "debug": debug}


# --- decode -------------------------------------------------------------------------------------------
@cli.command()
@click.argument("items", nargs=-1)
@format_option
@click.pass_context
def decode(ctx, items, fmt):
    """Decode codes (KTIP PHUM AJ) or whole raw TAGS lines ("TAGS: PGOV, OSCEPREF").

    Reads lines from stdin when no argument is given. Exit 1 when something stayed unknown.
    """
    from .decoder import decode as _decode

    tax = _taxonomy(ctx)
    if not items:
        if sys.stdin is None or sys.stdin.isatty():
            raise CLIError("no codes given (pass codes or raw TAGS lines, or pipe them on stdin)", EXIT_INPUT)
        items = [line for _, line in iter_lines("-") if line.strip()]
        if not items:
            raise CLIError("empty input on stdin", EXIT_INPUT)
    rows = []
    for d in _decode(list(items), tax):
        e = d.entry
        notes = []
        if e is not None:
            if e.category:
                notes.append(f"{e.category['letter']}: {e.category['name']}")
            if e.iso3166:
                notes.append(f"ISO {e.iso3166}")
            if e.status != "current":
                notes.append(f"status {e.status}")
            if e.replaced_by:
                notes.append(f"replaced by {e.replaced_by}")
            if not e.verified:
                notes.append("title unverified")
        if d.via:
            notes.append(f"from {d.via}")
        if d.reason:
            notes.append(d.reason)
        if d.candidates:
            notes.append("did you mean: " + ", ".join(d.candidates))
        row = d.to_dict()
        row.update(code=d.code or d.input, kind=e.kind if e else d.status,
                   title=(e.title or "(title unknown)") if e else {"name": "(personal name)",
                                                                   "word": "(not a code)"}.get(d.status, "(unknown)"),
                   notes="; ".join(notes))
        rows.append(row)
    click.echo(render(rows, ["code", "kind", "title", "notes"], fmt, {"taxonomy_version": tax.version}))
    if any(r["status"] in ("unknown", "word") for r in rows):
        ctx.exit(EXIT_UNRESOLVED)


# --- normalize ----------------------------------------------------------------------------------------
@cli.command()
@click.argument("raw", nargs=-1)
@click.option("--input", "input_path", type=click.Path(), help="Read lines (or JSON Lines) from FILE, not stdin.")
@click.option("--jsonl", is_flag=True, help="Input is JSON Lines: add a 'normalized' field to every record.")
@click.option("--field", "field_name", default="tags", show_default=True, help="Record field holding the TAGS line.")
@click.option("--output", "-o", type=click.Path(), help="Write to FILE (atomically) instead of stdout.")
@click.option("--no-typo-aliases", is_flag=True, help="Ignore typo aliases: only the general rules repair typos.")
@click.option("--strict", is_flag=True, help="Exit 5 when any input record was bad (default: report and go on).")
@format_option
@click.pass_context
def normalize(ctx, raw, input_path, jsonl, field_name, output, no_typo_aliases, strict, fmt):
    """Clean raw TAGS lines into canonical codes, names and flagged unknowns, with every repair.

    \b
    cabletags normalize "TAGS: PGOV, PREL, OSCEPREF"
    cabletags normalize --jsonl --field tags --input cables.jsonl > out.jsonl
    """
    from .normalizer import get_normalizer

    tax = _taxonomy(ctx, typo_aliases=not no_typo_aliases)
    norm = get_normalizer(tax)
    version = tax.version
    stats = Stats()
    if jsonl:
        if raw:
            raise CLIError("--jsonl reads records from --input or stdin, not from arguments", EXIT_USAGE)
        _stdin_guard(input_path)
        count = 0
        cache: dict[str, str] = {}  # raw line -> serialized result (TAGS lines repeat a lot)
        empty = dumps(dict(_EMPTY, taxonomy_version=version))
        with atomic_output(output) as out:
            write = out.write
            for n, rec, line in iter_jsonl(input_path, stats):
                if rec is None:
                    continue
                value = rec.get(field_name)
                if value is not None and not isinstance(value, str):
                    value = str(value)
                if not value:
                    text = empty
                else:
                    text = cache.get(value)
                    if text is None:
                        text = dumps(dict(norm.normalize(value).to_dict(), taxonomy_version=version))
                        if len(cache) < 100_000:
                            cache[value] = text
                if "normalized" in rec or not line.rstrip().endswith("}"):
                    rec["normalized"] = loads(text)
                    write(dumps(rec) + "\n")
                else:  # splice the result into the original line: no re-serialisation of big records
                    body = line.rstrip()[:-1].rstrip()
                    sep = "" if body.endswith("{") else ", "
                    write(f'{body}{sep}"normalized": {text}}}\n')
                count += 1
        stats.report(what="line")
        click.echo(f"normalized {count} record(s)", err=True)
        if stats.bad and strict:
            ctx.exit(EXIT_BAD_RECORDS)
        return
    if raw and input_path:
        raise CLIError("give raw lines as arguments or --input FILE, not both", EXIT_USAGE)
    if raw:
        lines = list(enumerate(raw, 1))
    else:
        _stdin_guard(input_path)
        lines = [(n, line) for n, line in iter_lines(input_path, stats) if line.strip()]
        if not lines:
            raise CLIError(f"no input lines in {input_path or 'stdin'}", EXIT_INPUT)
    rows = []
    for _, line in lines:
        r = norm.normalize(line)
        d = r.to_dict()
        d["input"] = line
        rows.append(d)
    with atomic_output(output) as out:
        if fmt in ("table", "tsv"):
            view = [{"input": d["input"], "codes": ", ".join(d["codes"]), "names": "; ".join(d["names"]),
                     "unknown": "; ".join(d["unknown"]),
                     "repairs": "; ".join(f"{x['kind']}: {x['original']} -> {' '.join(x['result']) or '(removed)'}"
                                          for x in d["repairs"])} for d in rows]
            out.write(render(view, ["input", "codes", "names", "unknown", "repairs"], fmt) + "\n")
        else:
            out.write(render(rows, [], fmt, {"taxonomy_version": version}) + "\n")
    stats.report(what="line")


_EMPTY = {"codes": [], "names": [], "unknown": [], "repairs": []}


def read_text_input(path, what: str = "text") -> str:
    """A whole text input (FILE or stdin) for the one-text commands: empty or binary input is an error."""
    from .textio import read_text

    text, replaced = read_text(path)
    if replaced:
        click.echo("warning: undecodable bytes replaced with U+FFFD", err=True)
    if not text.strip():
        raise CLIError(f"{path or 'stdin'}: empty input (no {what} to read)", EXIT_INPUT)
    if "\x00" in text[:4096]:
        raise CLIError(f"{path or 'stdin'}: looks like a binary file, not {what}", EXIT_INPUT)
    return text


def _stdin_guard(path):
    if path in (None, "-") and (sys.stdin is None or sys.stdin.isatty()):
        raise CLIError("no input: pass --input FILE or pipe data on stdin", EXIT_INPUT)


def _register_optional_commands():
    """Commands living in their own modules (they import heavy libraries only when run)."""
    from . import cli_cable, cli_suggest, cli_taxonomy  # noqa: F401


def main(argv=None):
    """Entry point: maps every failure to a one-line error and a documented exit code."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    _register_optional_commands()
    try:
        code = cli.main(args=argv, prog_name="cabletags", standalone_mode=False)
    except click.exceptions.Exit as e:
        code = e.exit_code
    except CLIError as e:
        e.show()
        code = e.exit_code
    except click.UsageError as e:
        click.echo(f"error: {e.format_message()}", err=True)
        if e.ctx is not None:
            click.echo(f"(see: {e.ctx.command_path} --help)", err=True)
        code = EXIT_USAGE
    except click.Abort:
        click.echo("error: interrupted", err=True)
        code = EXIT_INTERRUPTED
    except KeyboardInterrupt:
        click.echo("error: interrupted", err=True)
        code = EXIT_INTERRUPTED
    except InputError as e:
        click.echo(f"error: {e}", err=True)
        code = EXIT_INPUT
    except BrokenPipeError:
        # the reader went away (e.g. `| head`): not an error; silence the flush at exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = EXIT_OK
    except click.ClickException as e:
        click.echo(f"error: {e.format_message()}", err=True)
        code = e.exit_code
    except Exception as e:  # noqa: BLE001 - last resort: never a traceback without --debug
        if debug:
            raise
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        click.echo(f"error: internal error: {msg} (run with --debug for details)", err=True)
        code = EXIT_INTERNAL
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    sys.exit(code or 0)


if __name__ == "__main__":  # pragma: no cover
    main()

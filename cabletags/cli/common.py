"""What every command shares: the one-line error, common options, inputs, outputs, progress.

Exit codes are the error family's (cabletags.errors; docs/cli.md has the table); cabletags.cli.main maps every
CabletagsError to its code in one place.
"""
from __future__ import annotations

import sys
import time

import click

from ..errors import (  # noqa: F401
    EXIT_BAD_RECORDS,
    EXIT_DATA,
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UNRESOLVED,  # the commands import the codes from here
    EXIT_USAGE,
    CabletagsError,
)
from ..surfaces.formatting import FORMATS
from ..textio import Stats, iter_jsonl

__all__ = ["EXIT_OK", "EXIT_UNRESOLVED", "EXIT_USAGE", "EXIT_INPUT", "EXIT_DATA", "EXIT_BAD_RECORDS",
           "EXIT_INTERNAL", "EXIT_INTERRUPTED", "CLIError", "format_option", "output_option", "strict_option",
           "model_option", "workspace", "get_taxonomy", "load_suggester", "require_input", "Progress",
           "BatchInput", "finish_batch", "record_limit", "read_document_input", "is_batch", "each_cable",
           "finish_files"]



class CLIError(CabletagsError):
    """A one-line error of the command line itself, with its exit code."""

    def __init__(self, message: str, code: int):
        super().__init__(message, exit_code=code)


format_option = click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
                             help="Output format.")
output_option = click.option("--output", "-o", type=click.Path(),
                             help="Write to FILE (atomically) instead of stdout.")
strict_option = click.option("--strict", is_flag=True, help="Exit 5 when any input record was bad.")
model_option = click.option("--model", "model_path", type=click.Path(),
                            help="Model directory (default: the shipped model).")
cable_model_option = click.option("--cable-model", "cable_path", type=click.Path(),
                                  help="Model directory for whole cables (default: the shipped whole-cable model "
                                       "without --model, else the --model one).")


def workspace(ctx: click.Context):
    """The Workspace every command takes its state from: the process's (cabletags.workspace.default_workspace), so
    an application that runs commands in-process loads each taxonomy and model once; what it holds is keyed by
    content, so the global options of each run choose what it gets."""
    from ..workspace import default_workspace

    return default_workspace()


def get_taxonomy(ctx: click.Context, typo_aliases: bool = True):
    """The taxonomy chosen by the global options (--taxonomy, --taxonomy-overlay), from the Workspace;
    TaxonomyError (exit 4) when invalid."""
    o = ctx.find_root().obj or {}
    return workspace(ctx).load_taxonomy(o.get("taxonomy"), o.get("overlay"), typo_aliases)


def load_suggester(ctx: click.Context, model_path, cable_path=None, cable: bool = False, cables_only: bool = False):
    """The model at `model_path` (None: the shipped one; `cable_path`: the one for whole cables) with the chosen
    taxonomy; exit 4 when unusable. cable=True: whole cables will be read, so the whole-cable model is loaded
    (and checked) now, not on first use; cables_only=True: only whole cables will be read (Suggester.load)."""
    s = workspace(ctx).suggester(model_path, cable_path, cables_only=cables_only, taxonomy=get_taxonomy(ctx),
                                 cable_soon=cable)
    if cable:
        s.cable_model
    return s


def require_input(path) -> None:
    """Refuse to wait on a terminal: stdin (None or '-') must be piped."""
    if path in (None, "-") and (sys.stdin is None or sys.stdin.isatty()):
        raise CLIError("no input: give FILE (or -) or pipe data on stdin", EXIT_INPUT)


def read_document_input(path, what: str = "a cable"):
    """One input (FILE or stdin) decoded and its kind found (cabletags.reading.read_document); ReadError becomes
    its one-line error and exit code, and an input with no text is refused (exit 3)."""
    from pathlib import Path

    from ..reading import MAX_BYTES, read_document

    require_input(path)
    name = "stdin" if path in (None, "-") else str(path)
    if path in (None, "-"):
        stdin = getattr(sys.stdin, "buffer", sys.stdin)
        doc = read_document(stdin.read(MAX_BYTES + 1), name)
    else:
        doc = read_document(Path(path))
    if doc.replaced:
        click.echo(f"warning: {name}: undecodable bytes replaced with U+FFFD", err=True)
    if not doc.text.strip():
        raise CLIError(f"{name}: empty input: expected {what}", EXIT_INPUT)
    return doc


def is_batch(files) -> bool:
    """Whether FILE arguments name a batch: several, a folder, or a glob pattern the shell left alone."""
    import glob
    from pathlib import Path

    return len(files) > 1 or any(f != "-" and (Path(f).is_dir() or (not Path(f).exists() and glob.has_magic(f)))
                                 for f in files)


def each_cable(files, taxonomy, era: str, progress):
    """(path, Cable) for every file a batch names (cabletags.reading.iter_sources), in order; a file that cannot
    be read is reported on stderr by name and skipped (counted in the returned list `bad`)."""
    from pathlib import Path

    from ..reading import ReadError, iter_sources, read_cable, read_document

    bad: list = []
    if len(files) == 1 and Path(files[0]).is_dir() and not any(why is None for _, why in iter_sources(files)):
        raise CLIError(f"{files[0]}: an empty folder (no file to read)", EXIT_INPUT)

    def run():
        for path, why in iter_sources(files):
            if why:
                bad.append((path, why))
                click.echo(f"warning: {path}: {why}; skipped", err=True)
                continue
            try:
                doc = read_document(Path(path))
                if not doc.text.strip():  # as for one file: nothing to read is a bad input, not a cable
                    raise ReadError(f"{path}: empty input: expected a cable")
                c = read_cable(doc, taxonomy, era)
            except ReadError as e:
                bad.append((path, str(e)))
                click.echo(f"warning: {e}; skipped", err=True)
                continue
            progress.tick()
            yield path, c

    return run(), bad


def finish_files(ctx, what: str, bad: list, done: int, progress, strict: bool) -> None:
    """End a batch over files: the summary line; exit 3 when no file could be read, 5 under --strict when some
    could not."""
    secs = progress.close()
    click.echo(f"{what}: {done + len(bad)} file(s) in, {done} out, {len(bad)} skipped, {secs:.1f} s", err=True)
    if bad and not done:
        raise CLIError(f"no file could be read ({len(bad)} skipped)", EXIT_INPUT)
    if bad and strict:
        ctx.exit(EXIT_BAD_RECORDS)


def record_limit() -> int:
    """The record limit in bytes (--max-record-mb, default 64 MB) of the command being run."""
    from ..textio import MAX_RECORD_BYTES

    ctx = click.get_current_context(silent=True)
    obj = (ctx.find_root().obj or {}) if ctx is not None else {}
    return obj.get("max_record") or MAX_RECORD_BYTES


class BatchInput:
    """The records of a batch command's JSON Lines input (FILE, .gz, or stdin).

    ``records()`` yields each good record (bad lines are counted in ``stats`` and reported at the end),
    counting the records that lack each of `fields`. ``check()``, called before the output is committed,
    refuses an input without a single readable record, or where no record has one of `fields` (exit 3),
    and warns when only some lack it.
    """

    def __init__(self, path, fields: tuple[str, ...] = ()):
        require_input(path)
        self.path, self.fields = path, fields
        self.max_record = record_limit()
        self.stats = Stats()
        self.n = 0
        self.missing = dict.fromkeys(fields, 0)

    def _count(self, rec: dict) -> None:
        self.n += 1
        for f in self.fields:
            if f not in rec:
                self.missing[f] += 1

    def records(self):
        for _, rec, _ in iter_jsonl(self.path, self.stats, self.max_record):
            if rec is not None:
                self._count(rec)
                yield rec

    def lines(self, blank: bool = False):
        """(record, its JSON line) pairs, for commands that splice their output into the line; blank=True also
        gives (None, line) for each blank line, so that output row N can stay input row N."""
        from ..textio import iter_lines

        for _, rec, line in iter_lines(self.path, self.stats, _parse=True, _blank=blank, max_record=self.max_record):
            if rec == ():
                yield None, line
            elif rec is not None:
                self._count(rec)
                yield rec, line

    def check(self) -> None:
        where = self.path if self.path not in (None, "-") else "stdin"
        if not self.n:
            self.stats.report()
            what = f"none of its {self.stats.lines} line(s) is a JSON object" if self.stats.lines else "it is empty"
            raise CLIError(f"{where}: no records to read ({what})", EXIT_INPUT)
        for f, k in self.missing.items():
            if k == self.n:
                raise CLIError(f"{where}: no record has the field {f!r} ({self.n} record(s) read)", EXIT_INPUT)
            if k:
                click.echo(f"warning: {k} of {self.n} record(s) have no field {f!r}", err=True)


class Progress:
    """Progress of a batch job on stderr: a bar with count and rate when stderr is a terminal (tqdm),
    nothing otherwise; the summary line comes from finish_batch()."""

    def __init__(self, label: str, total: int | None = None):
        self.n = 0
        self.start = time.perf_counter()
        self._bar = None
        if sys.stderr is not None and sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=label, unit=" rec", file=sys.stderr, leave=False)

    @property
    def on_terminal(self) -> bool:
        """Whether a bar is drawn (stderr is a terminal)."""
        return self._bar is not None

    def tick(self, k: int = 1) -> None:
        self.n += k
        if self._bar is not None:
            self._bar.update(k)

    def close(self) -> float:
        """Seconds since the start."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        return time.perf_counter() - self.start


def finish_batch(ctx: click.Context, what: str, batch: BatchInput, out: int, progress: Progress | None = None,
                 strict: bool = False) -> None:
    """End a batch command: the reader's warnings, one summary line on stderr (records in, out, skipped,
    seconds), and exit 5 under --strict when bad records were met."""
    secs = progress.close() if progress is not None else 0.0
    stats = batch.stats
    stats.report()
    click.echo(f"{what}: {batch.n + len(stats.bad)} record(s) in, {out} out, {len(stats.bad)} skipped, {secs:.1f} s",
               err=True)
    if stats.bad and strict:
        ctx.exit(EXIT_BAD_RECORDS)

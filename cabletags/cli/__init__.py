"""The `cabletags` command line: a thin layer over the library (each command calls one documented function).

One module per command group (decode, normalize, cable: parse and audit, model: train, suggest and evaluate,
taxonomy: taxonomy and corpus); shared options, exit codes and progress live in `cabletags.cli.common`.
Every command is registered here, at import; its module is imported only when the command runs, so light
commands stay light. Errors become one line on stderr and a documented exit code inside the group itself,
so `cli.main()` behaves the same from the console script and from click's CliRunner.
"""
from __future__ import annotations

import importlib
import os
import signal
import sys

import click

from .. import __version__
from ..errors import EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, CabletagsError

__all__ = ["cli", "main", "COMMANDS"]

# command name -> (module of cabletags.cli, attribute)
COMMANDS = {
    "decode": ("decode", "decode"),
    "normalize": ("normalize", "normalize"),
    "parse": ("cable", "parse"),
    "audit": ("cable", "audit"),
    "train": ("model", "train"),
    "suggest": ("model", "suggest"),
    "evaluate": ("model", "evaluate"),
    "taxonomy": ("taxonomy", "taxonomy"),
    "corpus": ("taxonomy", "corpus"),
    "serve": ("serve", "serve"),
}


# the commands that score texts, on the kernel threads (cabletags.scoring.kernels.one_malloc_arena)
_HEAVY = frozenset({"suggest", "evaluate", "audit", "serve", "train"})
# the short-lived ones among them, whose start-up is a visible part of a run: numpy's unused submodules are loaded
# on first use (cabletags.scoring.lazy_modules; the service and training keep the usual imports)
_SHORT_HEAVY = frozenset({"suggest", "evaluate", "audit"})
# the root group's options that take a value: the word after one is not the command
_GROUP_VALUED = frozenset({"--taxonomy", "--taxonomy-overlay", "--max-record-mb"})


def _command_of(argv: list[str]) -> str | None:
    """The command a command line runs (its first word that is neither a root option nor an option's value)."""
    it = iter(argv)
    for word in it:
        if word == "--":
            return next(it, None)
        if word in _GROUP_VALUED:
            next(it, None)
        elif not word.startswith("-"):
            return word
    return None


def _quiet_stdout() -> None:
    """The reader went away (`| head`): send the rest of stdout, and the flush at exit, to /dev/null."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


class _ReaderGone(Exception):
    """stdout's reader went away (click turns a raw BrokenPipeError into exit 1; this is exit 0)."""


def _terminate(signum, frame):
    raise KeyboardInterrupt  # SIGTERM ends a run as Ctrl-C does: temporary files removed, exit 130


class CableTagsGroup(click.Group):
    """The root group: commands from COMMANDS, imported on use; every failure mapped to an exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            raise _ReaderGone() from None

    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module, attr = COMMANDS[name]
        return getattr(importlib.import_module(f"{__name__}.{module}"), attr)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        argv = list(args) if args is not None else sys.argv[1:]
        debug = "--debug" in argv
        if standalone_mode:
            try:
                signal.signal(signal.SIGTERM, _terminate)
            except ValueError:  # not the main thread (an embedding application): leave signals alone
                pass
            command = _command_of(argv)
            if command in _HEAVY:
                from ..scoring.kernels import one_malloc_arena

                one_malloc_arena()  # the kernel threads' arrays in the main arena: no second high-water mark
            if command in _SHORT_HEAVY and "--help" not in argv and "-h" not in argv:
                from ..scoring.lazy_modules import defer

                defer()
        try:
            rv = super().main(argv, prog_name or "cabletags", complete_var, standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) else EXIT_OK
        except CabletagsError as e:  # every error a user can cause, mapped here and nowhere else
            click.echo(f"error: {e.one_line()}", err=True)
            code = e.exit_code
        except click.UsageError as e:
            click.echo(f"error: {e.format_message()}", err=True)
            if e.ctx is not None:
                click.echo(f"(see: {e.ctx.command_path} --help)", err=True)
            code = EXIT_USAGE
        except (click.Abort, KeyboardInterrupt):
            click.echo("error: interrupted", err=True)
            code = EXIT_INTERRUPTED
        except (BrokenPipeError, _ReaderGone):
            _quiet_stdout()
            code = EXIT_OK
        except OSError as e:  # writing failed (a full disk, a device error): the system's doing, not a bug
            click.echo(f"error: cannot write: {e.strerror or e}" + (f": {e.filename}" if e.filename else ""),
                       err=True)
            code = EXIT_INPUT
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
            _quiet_stdout()
        except OSError as e:  # the last of the output could not be written (a full disk): never exit 0 on that
            _quiet_stdout()
            click.echo(f"error: cannot write: {e.strerror or e}", err=True)
            code = code or EXIT_INPUT
        except ValueError:
            pass
        if standalone_mode:
            sys.exit(code or 0)
        return code or 0


@click.group(cls=CableTagsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cabletags")
@click.option("--taxonomy", "taxonomy", type=click.Path(), envvar="CABLETAGS_TAXONOMY",
              help="Taxonomy directory to use instead of the shipped one (env CABLETAGS_TAXONOMY).")
@click.option("--taxonomy-overlay", "overlay", type=click.Path(), envvar="CABLETAGS_TAXONOMY_OVERLAY",
              help="YAML file or directory laid over the taxonomy (extra codes, aliases, titles).")
@click.option("--max-record-mb", type=click.IntRange(1, 4096), default=64, show_default=True,
              envvar="CABLETAGS_MAX_RECORD_MB",
              help="The largest record (one line of JSON Lines, text or CSV) a batch reads; a larger one is a bad "
                   "record, reported and skipped.")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@click.pass_context
def cli(ctx, taxonomy, overlay, max_record_mb, debug):
    """Decode, clean and suggest TAGS codes of US diplomatic cables."""
    ctx.obj = {"taxonomy": taxonomy, "overlay": overlay, "debug": debug, "max_record": max_record_mb << 20}


def main(argv=None):
    """Console entry point (`cabletags`): runs the group and exits with its code."""
    cli.main(args=argv, prog_name="cabletags")

"""The one error family: every failure a user can cause is a CabletagsError with a one-line message and the
exit code the command line gives it. Modules raise the subclass of their kind; the CLI maps them to exit codes in
one place (cabletags.cli.main) and the service to HTTP statuses in one place (cabletags.surfaces.service).

Exit codes (docs/cli.md has the table): 0 success · 1 done, but some inputs were not fully decoded / resolved ·
2 usage error · 3 input error · 4 taxonomy or model error · 5 --strict batch run that met bad records ·
70 internal error · 130 interrupted.
"""
from __future__ import annotations

__all__ = ["EXIT_OK", "EXIT_UNRESOLVED", "EXIT_USAGE", "EXIT_INPUT", "EXIT_DATA", "EXIT_BAD_RECORDS",
           "EXIT_INTERNAL", "EXIT_INTERRUPTED", "CabletagsError", "UsageError", "MissingExtra", "InputError",
           "DataError",
           "BadRecordsError", "TrainingError"]

EXIT_OK, EXIT_UNRESOLVED, EXIT_USAGE, EXIT_INPUT, EXIT_DATA, EXIT_BAD_RECORDS, EXIT_INTERNAL, EXIT_INTERRUPTED = \
    0, 1, 2, 3, 4, 5, 70, 130


class CabletagsError(Exception):
    """A failure the user can act on. `exit_code`: the command line's exit code (the class's unless given);
    `subject`: what failed, shown before the message ("taxonomy", "model"; empty for most)."""

    exit_code: int = EXIT_INPUT
    subject: str = ""

    def __init__(self, message: str = "", *, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    def one_line(self) -> str:
        """The message as the CLI prints it after "error: ": its first line, after the subject."""
        text = str(self).strip()
        first = text.splitlines()[0] if text else type(self).__name__
        return f"{self.subject}: {first}" if self.subject else first


class UsageError(CabletagsError):
    """Options or arguments that do not fit together, or an extra that is not installed (exit 2)."""

    exit_code = EXIT_USAGE


class MissingExtra(UsageError):
    """An optional part that is not installed (exit 2): the message names the install command."""

    @classmethod
    def needs(cls, extra: str, what: str) -> "MissingExtra":
        """"<what> needs the <extra> extra: pip install 'cabletags[<extra>]'"."""
        return cls(f"{what} needs the {extra} extra: pip install 'cabletags[{extra}]'")


class InputError(CabletagsError):
    """An input that is missing, unreadable, empty or not what the command reads (exit 3)."""

    exit_code = EXIT_INPUT


class DataError(CabletagsError):
    """A taxonomy or a model that cannot be used (exit 4)."""

    exit_code = EXIT_DATA


class BadRecordsError(CabletagsError):
    """A batch run with --strict met bad records (exit 5); the good ones were still written."""

    exit_code = EXIT_BAD_RECORDS


class TrainingError(InputError, ValueError):
    """Training data or settings that cannot give a model (exit 3): no records, too few for both parts of the
    split, no term left after pruning, a setting out of range. A ValueError too, as scikit-learn's estimators
    raise for bad parameters and data."""

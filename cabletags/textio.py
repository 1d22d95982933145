"""Reading inputs and writing outputs safely: decoding with replacement, JSON Lines, atomic files.

Every reader reports problems instead of raising on bad data: undecodable bytes are replaced (and
counted), lines that are not JSON objects are yielded as errors with their line numbers.
"""
from __future__ import annotations

import io
import json
import os
import stat
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Iterator

from .errors import BadRecordsError, InputError

__all__ = ["InputError", "BadRecordsError", "Stats", "open_binary", "iter_lines", "iter_jsonl", "atomic_output",
           "dumps"]

try:  # orjson is several times faster than json for the batch paths; it is optional
    import orjson as _orjson
except ImportError:  # pragma: no cover - exercised when orjson is absent
    _orjson = None


def dumps(obj) -> str:
    """Compact JSON text, non-ASCII kept as is. Integers beyond 64 bits and numbers read as Decimal (loads' exact
    path) are written exactly as they were read."""
    if _orjson is not None:
        try:
            return _orjson.dumps(obj).decode("utf-8")
        except TypeError:
            pass
    try:
        return json.dumps(obj, ensure_ascii=False, separators=(", ", ": "), allow_nan=False)
    except (TypeError, ValueError):
        return "".join(_exact(obj))


def _exact(obj):
    """JSON text of data that json.dumps cannot write as it was read: Decimal numbers (1.5e999) as their text."""
    from decimal import Decimal

    if isinstance(obj, dict):
        yield "{"
        for i, (k, v) in enumerate(obj.items()):
            yield (", " if i else "") + json.dumps(str(k), ensure_ascii=False) + ": "
            yield from _exact(v)
        yield "}"
    elif isinstance(obj, (list, tuple)):
        yield "["
        for i, v in enumerate(obj):
            if i:
                yield ", "
            yield from _exact(v)
        yield "]"
    elif isinstance(obj, Decimal):
        yield str(obj)
    else:
        yield json.dumps(obj, ensure_ascii=False)


def _lossy(value) -> bool:
    """Whether orjson may have changed a number: it reads an integer beyond 64 bits as a float, so an integral float
    of 2**53 or more may have been such an integer (a cheap walk: records hold few numbers)."""
    if isinstance(value, float):
        return abs(value) >= 2 ** 53 and value == int(value)
    if isinstance(value, dict):
        return any(_lossy(v) for v in value.values())
    if isinstance(value, list):
        return any(_lossy(v) for v in value)
    return False


def loads(text: str):
    """A JSON value, every number exactly as written: orjson for the common case; the standard library for a
    text whose numbers a double cannot hold (integers beyond 64 bits, 1.5e999), floats then read as Decimal."""
    if _orjson is not None:
        try:
            value = _orjson.loads(text)
            if not _lossy(value):
                return value
        except _orjson.JSONDecodeError as e:
            if "infinity" not in str(e) and "number" not in str(e):
                raise ValueError(str(e)) from None
    from decimal import Decimal

    return json.loads(text, parse_float=Decimal, parse_constant=_no_constant)


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


@dataclass
class Stats:
    """What a batch reader met: lines read, undecodable bytes replaced, bad records (line, reason)."""

    lines: int = 0
    replaced_lines: list[int] = field(default_factory=list)
    bad: list[tuple[int, str]] = field(default_factory=list)

    def report(self, stream=None, what="line") -> None:
        stream = stream or sys.stderr
        if self.replaced_lines:
            shown = ", ".join(map(str, self.replaced_lines[:10])) + (" ..." if len(self.replaced_lines) > 10 else "")
            print(f"warning: undecodable bytes replaced with U+FFFD on {len(self.replaced_lines)} {what}(s): {shown}",
                  file=stream)
        for n, why in self.bad[:20]:
            print(f"warning: line {n}: {why}; skipped", file=stream)
        if self.bad:
            shown = ", ".join(str(n) for n, _ in self.bad[:10]) + (" ..." if len(self.bad) > 10 else "")
            print(f"warning: skipped {len(self.bad)} bad record(s) of {self.lines} at line(s) {shown}", file=stream)


def open_binary(path: str | None) -> IO[bytes]:
    """Open a file (or stdin for None / '-') for binary reading, with a clear InputError."""
    if path in (None, "-"):
        return sys.stdin.buffer
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{path}: is a directory, not a file")
    if not p.exists():
        raise InputError(f"{path}: no such file")
    if not p.is_file():  # a FIFO or a device would block or never end: stdin ("-") is the way to stream
        raise InputError(f"{path}: not a regular file (use - to read a stream from stdin)")
    try:
        f = p.open("rb")
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}") from None
    if path.endswith(".gz"):
        import gzip

        return gzip.open(f, "rb")  # type: ignore[return-value]
    return f


def _peekable(f):
    return f if hasattr(f, "peek") else io.BufferedReader(f)  # stdin under a test runner is a BytesIO


def _gzip_errors() -> tuple:
    """What a truncated or corrupt gzip stream raises (gzip is imported only when a .gz file is read)."""
    gzip, zlib = sys.modules.get("gzip"), sys.modules.get("zlib")
    return (EOFError,) + ((zlib.error,) if zlib else ()) + ((gzip.BadGzipFile,) if gzip else ())


MAX_RECORD_BYTES = 64 << 20  # one line of a JSON Lines, text or CSV stream (the CLI's --max-record-mb)


class _Utf16AsUtf8(io.RawIOBase):
    """A UTF-16 stream read as UTF-8 bytes, in blocks (so that its lines can be bounded as any other's)."""

    def __init__(self, f):
        self._text = io.TextIOWrapper(f, encoding="utf-16", errors="replace", newline=None)
        self._pending = b""

    def readable(self):
        return True

    def readinto(self, buf):
        while not self._pending:
            chunk = self._text.read(1 << 16)
            if not chunk:
                return 0
            self._pending = chunk.encode("utf-8")
        n = min(len(buf), len(self._pending))
        buf[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


class _TooLong:
    """A line over the record limit, skipped without being held in memory."""

    def __init__(self, size: int):
        self.size = size


def _bounded(f, limit: int):
    """The lines of binary stream `f` (with their ends); a line over `limit` bytes is read in blocks and thrown
    away as it is read, and comes out as a _TooLong: memory stays flat whatever one line holds."""
    while True:
        line = f.readline(limit + 1)
        if not line:
            return
        if len(line) > limit and not line.endswith(b"\n"):
            size = len(line)
            while True:
                more = f.readline(1 << 20)
                size += len(more)
                if not more or more.endswith(b"\n"):
                    break
            yield _TooLong(size)
            continue
        yield line


def iter_lines(path: str | None, stats: Stats | None = None, _parse: bool = False,
               _blank: bool = False, max_record: int = MAX_RECORD_BYTES) -> Iterator[tuple]:
    """(line number, text) for every line, decoded as UTF-8 with undecodable bytes replaced.

    A UTF-8 byte-order mark is dropped; input starting with a UTF-16 byte-order mark is read as UTF-16.
    A truncated or corrupt gzip file raises InputError naming the last good line. A line over `max_record`
    bytes is a bad record (in stats.bad): skipped as it is read, an empty line in its place.
    """
    stats = stats if stats is not None else Stats()
    f = open_binary(path)
    n = 0
    try:
        f = _peekable(f)
        utf16 = f.peek(4)[:2] in (b"\xff\xfe", b"\xfe\xff")
        # UTF-16 (rare) is re-encoded line by line; everything else is read as the bytes it is
        source = _bounded(io.BufferedReader(_Utf16AsUtf8(f)), max_record) if utf16 else _bounded(f, max_record)
        for n, raw in enumerate(source, 1):
            stats.lines = n
            if isinstance(raw, _TooLong):
                stats.bad.append((n, f"a record of {raw.size:,} bytes, over the limit of {max_record >> 20} MB "
                                     "(--max-record-mb)"))
                raw = b""
                if _parse:
                    yield n, None, ""
                    continue
            if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("utf-8", errors="replace")
                stats.replaced_lines.append(n)
            if utf16 and "\ufffd" in text:
                stats.replaced_lines.append(n)
            text = text.rstrip("\r\n")
            if not _parse:
                yield n, text
            elif (rec := _parsed(n, text, stats)) != () or _blank:
                yield n, rec, text  # rec () marks a blank line (_blank: a caller that keeps rows aligned)
    except _gzip_errors() as e:
        raise InputError(f"{path}: truncated or corrupt gzip data after line {n} ({type(e).__name__})") from None
    except OSError as e:
        raise InputError(f"{path or 'stdin'}: read failed after line {n}: {e}") from None
    finally:
        if path not in (None, "-"):
            f.close()


def iter_jsonl(path: str | None, stats: Stats, max_record: int = MAX_RECORD_BYTES) -> Iterator[tuple[int, dict | None, str]]:
    """(line number, record or None, raw line) for every non-blank line; bad lines go to stats.bad.
    Lines are read as iter_lines() reads them (one generator, not two: this is the batch commands' loop)."""
    return iter_lines(path, stats, _parse=True, max_record=max_record)


def _parsed(n: int, line: str, stats: Stats):
    """The record of one JSON line, or None (the reason goes to stats.bad)."""
    if not line.strip():
        return ()
    try:
        rec = loads(line)
    except ValueError as e:
        stats.bad.append((n, f"not JSON ({str(e).splitlines()[0][:80]})"))
        return None
    if not isinstance(rec, dict):
        stats.bad.append((n, f"not a JSON object (a {type(rec).__name__})"))
        return None
    return rec


@contextmanager
def atomic_output(path: str | None):
    """Write to `path` through a temporary file renamed into place on success (stdout for None / '-').

    Only regular files are written: a FIFO, device, socket or directory at `path` is refused (InputError);
    a symbolic link is followed and the file it points to is replaced. An existing file keeps its mode; a
    new one gets the umask's. The data is flushed to disk before the rename, and an interrupted or failed
    run leaves any earlier file untouched (and no temporary file).
    """
    if path in (None, "-"):
        yield sys.stdout
        return
    target = Path(os.path.realpath(path))
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as e:  # a parent that is a file, a name too long: the user's path, not a bug
        raise InputError(f"{path}: cannot write: {e.strerror}") from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        what = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise InputError(f"{path}: is {what}; --output writes regular files only")
    mode = stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~_umask()
    import secrets

    # the temporary name is chosen before the file exists, so that an interrupt at any moment after its
    # creation finds it to remove
    tmp = str(target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp")
    # the folders this run makes for the output: removed again (deepest first) when the run fails
    made = [p for p in [target.parent, *target.parent.parents] if not p.exists()][::-1]
    try:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as e:
            if isinstance(e, FileExistsError):
                tmp = None  # not ours: never remove it
            raise InputError(f"{path}: cannot write: {e.strerror}") from None
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            if tmp is not None:
                os.unlink(tmp)
        except OSError:
            pass
        for d in reversed(made):  # a failed run leaves the file system as it found it
            try:
                d.rmdir()
            except OSError:
                break
        raise


def _umask() -> int:
    old = os.umask(0)
    os.umask(old)
    return old

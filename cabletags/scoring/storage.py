"""Model folders as data, never pickle: named arrays with their hashes and a manifest; a folder is replaced as a
whole. Storage knows arrays and documents, not models: each kind of model turns itself into a document and named
arrays (TagModel.to_arrays) and back (TagModel.from_arrays), and says which arrays it may hold, with which dtype
and shape (an ArrayLayout).

A model folder holds ``model.json`` (its ``format`` names the kind of model and the version, e.g.
``cabletags-tagmodel/3``; the rest is the kind's), ``arrays.npz`` (the named arrays) and ``manifest.json``: the
sha256 of every file of the folder and the dtype and shape of every array.

Loading trusts nothing it reads (a crafted model gets a one-line ModelError, never a crash or a large
allocation):

* every file's sha256 must match the manifest (the shipped model's manifest is pinned by
  models/MANIFEST.json); files are read through one handle on the folder, so a folder replaced meanwhile
  is read whole, old or new;
* model.json is at most 64 MB and every field is type-checked; the format version is checked with a clear
  message for older and newer formats;
* arrays.npz may hold only the arrays the kind's layout names; each array's declared shape must agree with the
  layout (for a TagModel: the labels, the vocabulary and the settings), its zip member must not be larger than
  that shape needs, its .npy header must declare exactly that dtype and shape, and only those bytes are read (a
  zip bomb cannot allocate). To save time, the members are inflated on threads while model.json is parsed and
  checked (cabletags.scoring.modelfiles), only those the manifest declares, each within its declared size, and
  all of them within 8 times the archive's size and 256 MB; the checks above then hold for each before it is used;
* the kind then checks the values (TagModel.from_arrays: finite numbers, index bounds, monotone row pointers).

Writing builds the whole folder in a new temporary folder beside the target and swaps it in with one
atomic rename (RENAME_EXCHANGE where the system has it), under a lock that refuses a second writer.
"""
from __future__ import annotations

import io
import json
import math
import os
import shutil
import tempfile
import threading
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import numpy as np

from ..errors import InputError
from .modelfiles import HEADER_SLACK as _HEADER_SLACK
from .modelfiles import MANIFEST_FORMAT, MANIFEST_NAME, FolderFiles, ModelError, read_json
from .modelfiles import sha256 as _sha256

__all__ = ["ModelError", "TargetError", "ArrayLayout", "save_folder", "load_folder", "replace_folder", "folder_lock",
           "check_target", "write_manifest", "strings", "number", "MANIFEST_NAME"]



@dataclass(frozen=True)
class ArrayLayout:
    """The arrays a folder may hold, as its model.json and manifest say they must be: `dtypes` name -> dtype
    string ('<f4'), `shapes` name -> the exact shape (every allowed array), `required` the names that must be there.
    `state`: whatever the kind found while checking its document, handed back by load_folder."""

    dtypes: dict
    shapes: dict
    required: tuple
    state: object = None


class TargetError(InputError):
    """A folder a model cannot be written to: a file, a folder that holds no model, a model without force, or a
    folder another run is writing (exit 3)."""


# --- writing --------------------------------------------------------------------------------------
def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# numpy reads a .npy header with ast.literal_eval, and CPython 3.11's AST constructor is not safe in threads: two
# members read at once can fail with "SystemError: AST constructor recursion depth mismatch" (CPython gh-106905).
# The headers are a few bytes: they are parsed one at a time, the members still decompressed in parallel
_HEADER_LOCK = threading.Lock()


def _npy_header(f):
    """(shape, fortran_order, dtype) from the header of a .npy stream (versions 1.0 and 2.0)."""
    with _HEADER_LOCK:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            return np.lib.format.read_array_header_1_0(f)
        if version == (2, 0):
            return np.lib.format.read_array_header_2_0(f)
    raise ValueError(f"unsupported .npy version {version}")


def _declared_arrays(path: Path) -> dict:
    with zipfile.ZipFile(path) as z:
        out = {}
        for info in z.infolist():
            with z.open(info) as f:
                shape, _, dtype = _npy_header(f)
            out[info.filename[:-4]] = {"dtype": dtype.str, "shape": list(shape)}
    return out


def write_manifest(directory: str | Path) -> dict:
    """(Re)write manifest.json for the files of a model folder (after editing its card, say)."""
    d = Path(directory)
    files = {f.name: _sha256(f.read_bytes()) for f in sorted(d.iterdir())
             if f.is_file() and f.name != MANIFEST_NAME and not f.name.startswith(".")}
    doc = {"format": MANIFEST_FORMAT, "files": files, "arrays": _declared_arrays(d / "arrays.npz")}
    tmp = d / f".{MANIFEST_NAME}.tmp"
    tmp.write_text(json.dumps(doc, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, d / MANIFEST_NAME)
    return doc


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where the system cannot."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    AT_FDCWD, RENAME_EXCHANGE = -100, 2
    return fn(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0


@contextmanager
def folder_lock(target: str | Path):
    """Hold the writer's lock of a model folder (a lock file beside it); TargetError if another holds it."""
    import fcntl

    t = Path(target).absolute()
    t.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(t.parent / f".{t.name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise TargetError(f"{target}: another run is writing this model folder") from None
        yield
    finally:
        os.close(fd)


def check_target(target: str | Path, force: bool) -> None:
    """Refuse a target that is a file, a folder that is not a model, or (without force) an existing model."""
    t = Path(target)
    if t.is_symlink() or (t.exists() and not t.is_dir()):
        raise TargetError(f"{target}: exists and is not a folder")
    if t.is_dir() and any(t.iterdir()):
        if not (t / "model.json").is_file():
            raise TargetError(f"{target}: a folder that is not a cabletags model; refusing to replace it")
        if not force:
            raise TargetError(f"{target}: already holds a model (replace it with --force / force=True)")


def replace_folder(target: str | Path, fill, force: bool = False, lock: bool = True) -> None:
    """Build a model folder with fill(tmp_dir) in a temporary folder beside `target`, add its manifest,
    and swap it in atomically. lock=False when the caller already holds folder_lock(target)."""
    t = Path(target).absolute()
    with (folder_lock(t) if lock else _nothing()):
        check_target(t, force)
        tmp = Path(tempfile.mkdtemp(prefix=f".{t.name}.", suffix=".new", dir=t.parent))
        try:
            fill(tmp)
            write_manifest(tmp)
            for f in tmp.iterdir():
                _fsync_file(f)
            os.chmod(tmp, 0o777 & ~_umask())
            if t.exists():
                if not _exchange(tmp, t):  # no atomic exchange: two renames (a reader may miss it briefly)
                    old = t.parent / f"{tmp.name}.old"
                    os.rename(t, old)
                    os.rename(tmp, t)
                    tmp = old
                shutil.rmtree(tmp)  # the old folder, now under the temporary name
            else:
                os.rename(tmp, t)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise


@contextmanager
def _nothing():
    yield


def _umask() -> int:
    old = os.umask(0)
    os.umask(old)
    return old


def save_folder(directory: str | Path, doc: dict, arrays: dict, force: bool = True, extra=None,
                lock: bool = True) -> dict:
    """Write a model folder at `directory`: arrays.npz (the named arrays), model.json (`doc` and the arrays'
    sha256), the files extra(tmp_dir, doc) adds (a card) and manifest.json, built beside it and swapped in whole,
    replacing any earlier model there. Returns the model.json document written."""
    out = {}

    def fill(d: Path):
        np.savez_compressed(d / "arrays.npz", **arrays)
        out.update(doc, arrays_sha256=_sha256((d / "arrays.npz").read_bytes()))
        (d / "model.json").write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
        if extra is not None:
            extra(d, out)

    replace_folder(directory, fill, force=force, lock=lock)
    return out


# --- reading --------------------------------------------------------------------------------------
def read_folder(directory: str | Path) -> tuple[dict, dict, bytes]:
    """(manifest, model.json document, arrays.npz bytes) of a model folder, every file checked against
    the manifest, all read through one handle on the folder."""
    files = FolderFiles.read(directory)
    return files.manifest, read_json(files.doc_bytes, files.d / "model.json"), files.data


def _check_format(doc, d: Path, want: str, oldest: int | None = None) -> None:
    fmt = doc.get("format") if isinstance(doc, dict) else None
    name, _, version = str(fmt).partition("/")
    want_name, _, want_version = want.partition("/")
    if name != want_name or not version.isdigit():
        raise ModelError(f"{d}: model format {fmt!r} is not {want!r} (not a cabletags model)")
    if int(version) > int(want_version):
        raise ModelError(f"{d}: model format {fmt} is newer than this cabletags reads ({want}); upgrade")
    if int(version) < (int(want_version) if oldest is None else oldest):
        raise ModelError(f"{d}: model format {fmt} is older than {want_name}/{oldest or want_version}; "
                         "retrain the model")


def strings(x, what: str, unique: bool = True) -> list[str]:
    """`x` if it is a list of strings (without repeats when `unique`); ValueError naming `what` otherwise."""
    if not isinstance(x, list) or not set(map(type, x)) <= {str}:
        raise ValueError(f"{what} must be a list of strings")
    # a list in strictly rising order repeats nothing: one comparison of neighbours, half the time of hashing every
    # string into a set (a model's vocabulary is sorted: 25 against 50-60 ms for 300,000 terms); other lists are hashed
    if unique and not all(map(str.__lt__, x, islice(x, 1, None))) and len(set(x)) != len(x):
        raise ValueError(f"{what} repeat an entry")
    return x


def number(x, what: str, lo: float = -math.inf, hi: float = math.inf) -> float:
    """`x` as a float if it is a finite number in [lo, hi] (never a bool); ValueError naming `what` otherwise."""
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x) or not lo <= x <= hi:
        raise ValueError(f"{what} must be a finite number in [{lo}, {hi}], not {x!r}")
    return float(x)


def _check_header(f, name: str, dtype: np.dtype, shape: tuple, d: Path) -> None:
    try:
        got_shape, fortran, got_dtype = _npy_header(f)
    except ValueError:
        raise ModelError(f"{d / 'arrays.npz'}: member {name} is not a .npy array") from None
    if tuple(got_shape) != tuple(shape) or got_dtype.str != dtype.str or fortran:
        raise ModelError(f"{d / 'arrays.npz'}: member {name} holds {got_dtype.str} {got_shape}, "
                         f"expected {dtype.str} {shape}")


def _read_member(data: bytes, info, dtype: np.dtype, shape: tuple, d: Path, inflated: bytes | None = None):
    """One member of the archive, which must hold a .npy array of exactly `dtype` and `shape`; only the bytes that
    shape needs are read. `inflated`: the whole member, inflated already (modelfiles), whose bytes the array then
    views. Otherwise one archive handle per member: members decompress in parallel threads."""
    name = info.filename[:-4]
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if inflated is not None:
        f = io.BytesIO(inflated)
        _check_header(f, name, dtype, shape, d)
        if len(inflated) - f.tell() < nbytes:
            raise ModelError(f"{d / 'arrays.npz'}: member {name} is truncated")
        return np.frombuffer(inflated, dtype=dtype, count=int(np.prod(shape, dtype=np.int64)),
                             offset=f.tell()).reshape(shape)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zz, zz.open(info) as f:
            _check_header(f, name, dtype, shape, d)
            buf = f.read(nbytes)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as e:
        raise ModelError(f"{d / 'arrays.npz'}: member {name} cannot be read ({type(e).__name__})") from None
    if len(buf) != nbytes:
        raise ModelError(f"{d / 'arrays.npz'}: member {name} is truncated")
    return np.frombuffer(buf, dtype=dtype).reshape(shape)


def _read_arrays(files: FolderFiles, declared: dict, layout: ArrayLayout, d: Path) -> dict:
    expected = layout.shapes
    try:
        z = zipfile.ZipFile(io.BytesIO(files.data))
    except zipfile.BadZipFile:
        raise ModelError(f"{d / 'arrays.npz'}: not an npz archive") from None
    names = {}
    for info in z.infolist():
        name = info.filename[:-4] if info.filename.endswith(".npy") else None
        if name not in expected or name in names:
            raise ModelError(f"{d / 'arrays.npz'}: unexpected member {info.filename[:40]!r}")
        names[name] = info
    missing = [n for n in layout.required if n not in names]
    if missing:
        raise ModelError(f"{d / 'arrays.npz'}: arrays missing ({', '.join(missing)})")
    for name, info in names.items():
        dtype, shape = np.dtype(layout.dtypes[name]), expected[name]
        if declared.get(name) != {"dtype": dtype.str, "shape": list(shape)}:
            raise ModelError(f"{d}: array {name} declared as {declared.get(name)!r}, expected {dtype.str} {shape}")
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if info.file_size > nbytes + _HEADER_SLACK:
            raise ModelError(f"{d / 'arrays.npz'}: member {name} is larger than its declared shape needs")
    def read(name, inflated=None):
        return _read_member(files.data, names[name], np.dtype(layout.dtypes[name]), expected[name], d, inflated)

    out, left = {}, []
    for name in sorted(names, key=lambda n: -names[n].compress_size):
        inflated = files.member(names[name].filename)  # (inflated early: only its header is read here)
        if inflated is not None:
            out[name] = read(name, inflated)
        else:
            left.append(name)
    if left:  # members not inflated early, each checked against the layout as it is inflated, on threads
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
            out.update(zip(left, pool.map(read, left)))
    return out


def load_folder(directory: str | Path, fmt: str, layout, oldest: int | None = None,
                prefetched=None) -> tuple[dict, dict, object]:
    """(model.json document, arrays by name, the layout's state) of the model folder at `directory`, whose
    model.json must be of format `fmt` ("cabletags-tagmodel/3"), or of an older version of it down to `oldest` (the
    layout tells them apart: it reads doc["format"]). layout(doc, declared) -> ArrayLayout: the kind's
    reading of its document (raising ValueError or ModelError when it is wrong) and the arrays that document allows,
    `declared` being the manifest's {name: {dtype, shape}}. Only JSON and plain arrays are read (never pickle).

    prefetched: a cabletags.scoring.modelfiles.Prefetch of this folder, started earlier: its files are used when
    the folder's manifest is unchanged since (else the folder is read here).

    Raises ModelError (one line) for a missing, corrupt, modified, crafted or foreign folder. A folder replaced
    while it is read is read again (up to three times)."""
    files = prefetched.take() if prefetched is not None else None
    for attempt in range(3):
        try:
            return _load(Path(directory), fmt, layout, oldest, files)
        except ModelError:
            if attempt == 2 or not Path(directory).is_dir():
                raise
            files = None
    raise AssertionError("unreachable")  # pragma: no cover


def _load(d: Path, fmt: str, layout, oldest: int | None = None, files: FolderFiles | None = None):
    if files is None:
        files = FolderFiles.read(d)
        files.inflate(threads=min(4, os.cpu_count() or 1))  # inflating while model.json is parsed and checked
    doc = read_json(files.doc_bytes, d / "model.json")
    _check_format(doc, d, fmt, oldest)
    try:
        lay = layout(doc, files.manifest["arrays"])
    except (ValueError, TypeError) as e:
        raise ModelError(f"{d}: corrupt model ({str(e)[:120]})") from None
    except ModelError as e:  # the kind refuses its document: say which folder
        raise ModelError(f"{d}: {e}") from None
    return doc, _read_arrays(files, files.manifest["arrays"], lay, d), lay.state

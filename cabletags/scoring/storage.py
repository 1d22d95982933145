"""Saving and loading a TagModel as data, never pickle; a model folder is replaced as a whole.

A model folder holds ``model.json`` (format, settings, labels, vocabulary, scalar calibration),
``arrays.npz`` (idf, pruned weights in float16, intercepts, offsets, the reference index) and
``manifest.json``: the sha256 of every file of the folder and the dtype and shape of every array.

Loading trusts nothing it reads (a crafted model gets a one-line ModelError, never a crash or a large
allocation):

* every file's sha256 must match the manifest (the shipped model's manifest is pinned by
  models/MANIFEST.json); files are read through one handle on the folder, so a folder replaced meanwhile
  is read whole, old or new;
* model.json is at most 64 MB and every field is type-checked; the format version is checked with a clear
  message for older and newer formats;
* arrays.npz may hold only the known arrays; each array's declared shape must agree with the labels, the
  vocabulary and the settings, its zip member must not be larger than that shape needs, its .npy header
  must declare exactly that dtype and shape, and only those bytes are read (a zip bomb cannot allocate);
* values are checked: finite numbers, index bounds, monotone row pointers.

Writing builds the whole folder in a new temporary folder beside the target and swaps it in with one
atomic rename (RENAME_EXCHANGE where the system has it), under a lock that refuses a second writer.
"""
from __future__ import annotations

import hashlib
import io
import json
import math
import os
import shutil
import tempfile
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ..errors import DataError, InputError

__all__ = ["MODEL_FORMAT", "ModelError", "save_model", "load_model", "replace_folder", "folder_lock",
           "write_manifest", "MANIFEST_NAME"]

FORMAT_NAME = "cabletags-tagmodel"
FORMAT_VERSION = 1
MODEL_FORMAT = f"{FORMAT_NAME}/{FORMAT_VERSION}"
MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = "cabletags-model-manifest/1"
MAX_JSON_BYTES = 64 << 20
MAX_ARRAYS_BYTES = 1 << 30
MAX_REFERENCE_ROWS = 10_000_000
_HEADER_SLACK = 4096  # bytes a .npy header may take beyond the data

# name -> dtype; the first six are required
_ARRAYS = {"idf": "<f4", "w_data": "<f2", "w_indices": "<i4", "w_indptr": "<i4", "intercept": "<f4",
           "offsets": "<f4", "select_margins": "<f4", "ref_own": "<i4", "ref_tags_indptr": "<i4",
           "ref_tags": "<i2", "ref_cites_indptr": "<i4", "ref_cites": "<i4"}
_REQUIRED = ("idf", "w_data", "w_indices", "w_indptr", "intercept", "offsets")
_REFERENCE = ("ref_own", "ref_tags_indptr", "ref_tags", "ref_cites_indptr", "ref_cites")


class ModelError(DataError):
    """A model directory that is missing, corrupt, tampered with or of another format (exit 4)."""

    subject = "model"


class TargetError(InputError):
    """A folder a model cannot be written to: a file, a folder that holds no model, a model without force, or a
    folder another run is writing (exit 3)."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- writing --------------------------------------------------------------------------------------
def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _npy_header(f):
    """(shape, fortran_order, dtype) from the header of a .npy stream (versions 1.0 and 2.0)."""
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


def save_model(model, directory: str | Path, force: bool = True, extra=None, lock: bool = True) -> dict:
    """Write the model's folder (model.json, arrays.npz, manifest.json) at `directory`, replacing any
    earlier model there as a whole; extra(tmp_dir), when given, adds files (the card). Returns the
    model.json document."""
    doc_out = {}

    def fill(d: Path):
        doc_out.update(_write_files(model, d))
        if extra is not None:
            extra(d, doc_out)

    replace_folder(directory, fill, force=force, lock=lock)
    return doc_out


def _write_files(model, d: Path) -> dict:
    w = model.weights.tocsr()
    cal = model.calibration
    refs = model.references.to_arrays() if model.references is not None else {}
    offsets = cal.offsets if cal.offsets is not None else np.zeros(len(model.labels))
    np.savez_compressed(d / "arrays.npz", **refs, idf=model.idf.astype(np.float32),
                        w_data=w.data.astype(np.float16), w_indices=w.indices.astype(np.int32),
                        w_indptr=w.indptr.astype(np.int32), intercept=model.intercept.astype(np.float32),
                        offsets=offsets.astype(np.float32))
    doc = {"format": MODEL_FORMAT, "settings": asdict(model.settings), "labels": model.labels,
           "scale": cal.scale, "select_score": cal.select_score, "vocabulary": model.vocabulary,
           "shape": [len(model.labels), len(model.vocabulary)], "ref_weights": list(cal.ref_weights),
           "reference_posts": model.references.posts if model.references is not None else None,
           "arrays_sha256": _sha256((d / "arrays.npz").read_bytes()), "info": model.info}
    (d / "model.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return doc


# --- reading --------------------------------------------------------------------------------------
def _read(dfd: int, name: str, limit: int, d: Path) -> bytes:
    try:
        fd = os.open(name, os.O_RDONLY, dir_fd=dfd)
    except FileNotFoundError:
        raise ModelError(f"{d}: not a cabletags model (no {name})") from None
    with os.fdopen(fd, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise ModelError(f"{d / name}: larger than {limit >> 20} MB; not a cabletags model file")
    return data


def _json(data: bytes, what: Path):
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise ModelError(f"{what}: unreadable ({e.__class__.__name__})") from None


def read_folder(directory: str | Path) -> tuple[dict, dict, bytes]:
    """(manifest, model.json document, arrays.npz bytes) of a model folder, every file checked against
    the manifest, all read through one handle on the folder."""
    d = Path(directory)
    if not d.is_dir():
        raise ModelError(f"{d}: model directory not found")
    try:
        dfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as e:
        raise ModelError(f"{d}: cannot open ({e.strerror})") from None
    try:
        manifest = _json(_read(dfd, MANIFEST_NAME, MAX_JSON_BYTES, d), d / MANIFEST_NAME)
        if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT \
                or not isinstance(manifest.get("files"), dict) or not isinstance(manifest.get("arrays"), dict):
            raise ModelError(f"{d / MANIFEST_NAME}: not a {MANIFEST_FORMAT} manifest")
        raw = {}
        for name, limit in (("model.json", MAX_JSON_BYTES), ("arrays.npz", MAX_ARRAYS_BYTES)):
            raw[name] = _read(dfd, name, limit, d)
            if _sha256(raw[name]) != manifest["files"].get(name):
                raise ModelError(f"{d / name}: sha256 does not match {MANIFEST_NAME} (corrupt or modified file)")
        return manifest, _json(raw["model.json"], d / "model.json"), raw["arrays.npz"]
    finally:
        os.close(dfd)


def _check_format(doc, d: Path) -> None:
    fmt = doc.get("format") if isinstance(doc, dict) else None
    name, _, version = str(fmt).partition("/")
    if name != FORMAT_NAME or not version.isdigit():
        raise ModelError(f"{d}: model format {fmt!r} is not {MODEL_FORMAT!r} (not a cabletags model)")
    if int(version) > FORMAT_VERSION:
        raise ModelError(f"{d}: model format {fmt} is newer than this cabletags reads ({MODEL_FORMAT}); upgrade")
    if int(version) < FORMAT_VERSION:
        raise ModelError(f"{d}: model format {fmt} is older than {MODEL_FORMAT}; retrain the model")


def _strings(x, what: str, unique: bool = True) -> list[str]:
    if not isinstance(x, list) or not set(map(type, x)) <= {str}:
        raise ValueError(f"{what} must be a list of strings")
    if unique and len(set(x)) != len(x):
        raise ValueError(f"{what} repeat an entry")
    return x


def _number(x, what: str, lo: float = -math.inf, hi: float = math.inf) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x) or not lo <= x <= hi:
        raise ValueError(f"{what} must be a finite number in [{lo}, {hi}], not {x!r}")
    return float(x)


def _expected_shapes(declared: dict, L: int, V: int, keep: int) -> dict:
    """name -> shape every array must have, from the labels, vocabulary and settings; the data arrays'
    and the reference index's sizes come from the manifest but are bounded."""
    nnz = declared.get("w_data", {}).get("shape", [None])[0]
    if not isinstance(nnz, int) or not 0 <= nnz <= L * min(V, keep):
        raise ValueError(f"weights declared as {nnz!r} values; at most {L} x {min(V, keep)}")
    exp = {"idf": (V,), "w_data": (nnz,), "w_indices": (nnz,), "w_indptr": (L + 1,), "intercept": (L,),
           "offsets": (L,), "select_margins": (L,)}
    if "ref_own" in declared:
        dims = [declared.get(k, {}).get("shape") or [None] for k in ("ref_own", "ref_tags", "ref_cites")]
        n, k, m = dims[0][0], dims[1][0], dims[2][0]
        if not all(isinstance(v, int) and v >= 0 for v in (n, k, m)) or n > MAX_REFERENCE_ROWS \
                or k > n * L or m > 1000 * n:
            raise ValueError("reference index sizes out of bounds")
        exp.update(ref_own=(n, 3), ref_tags_indptr=(n + 1,), ref_tags=(k,), ref_cites_indptr=(n + 1,),
                   ref_cites=(m, 3))
    return exp


def _read_arrays(data: bytes, declared: dict, expected: dict, d: Path) -> dict:
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ModelError(f"{d / 'arrays.npz'}: not an npz archive") from None
    names = {}
    for info in z.infolist():
        name = info.filename[:-4] if info.filename.endswith(".npy") else None
        if name not in _ARRAYS or name in names:
            raise ModelError(f"{d / 'arrays.npz'}: unexpected member {info.filename[:40]!r}")
        names[name] = info
    missing = [n for n in _REQUIRED if n not in names]
    if missing or ("ref_own" in names) != all(n in names for n in _REFERENCE):
        raise ModelError(f"{d / 'arrays.npz'}: arrays missing ({', '.join(missing) or 'part of the reference index'})")
    for name, info in names.items():
        dtype, shape = np.dtype(_ARRAYS[name]), expected[name]
        if declared.get(name) != {"dtype": dtype.str, "shape": list(shape)}:
            raise ModelError(f"{d}: array {name} declared as {declared.get(name)!r}, expected {dtype.str} {shape}")
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if info.file_size > nbytes + _HEADER_SLACK:
            raise ModelError(f"{d / 'arrays.npz'}: member {name} is larger than its declared shape needs")

    def read(name):
        try:
            return _read_member(name)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as e:
            raise ModelError(f"{d / 'arrays.npz'}: member {name} cannot be read ({type(e).__name__})") from None

    def _read_member(name):
        # one archive handle per member: zlib releases the GIL, so members decompress in parallel threads
        dtype, shape = np.dtype(_ARRAYS[name]), expected[name]
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        with zipfile.ZipFile(io.BytesIO(data)) as zz, zz.open(names[name]) as f:
            try:
                got_shape, fortran, got_dtype = _npy_header(f)
            except ValueError:
                raise ModelError(f"{d / 'arrays.npz'}: member {name} is not a .npy array") from None
            if tuple(got_shape) != tuple(shape) or got_dtype.str != dtype.str or fortran:
                raise ModelError(f"{d / 'arrays.npz'}: member {name} holds {got_dtype.str} {got_shape}, "
                                 f"expected {dtype.str} {shape}")
            buf = f.read(nbytes)
        if len(buf) != nbytes:
            raise ModelError(f"{d / 'arrays.npz'}: member {name} is truncated")
        return name, np.frombuffer(buf, dtype=dtype).reshape(shape)

    from concurrent.futures import ThreadPoolExecutor

    biggest_first = sorted(names, key=lambda n: -names[n].compress_size)
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        return dict(pool.map(read, biggest_first))


def _check_values(a: dict, L: int, V: int, d: Path) -> None:
    for name in ("idf", "w_data", "intercept", "offsets"):
        if not np.all(np.isfinite(a[name])):
            raise ModelError(f"{d}: array {name} holds values that are not finite numbers")
    ptr, idx = a["w_indptr"].astype(np.int64), a["w_indices"]
    if ptr[0] != 0 or ptr[-1] != len(idx) or np.any(np.diff(ptr) < 0):
        raise ModelError(f"{d}: weight row pointers are not monotone from 0 to {len(idx)}")
    if len(idx) and (idx.min() < 0 or idx.max() >= V):
        raise ModelError(f"{d}: weight indices outside the vocabulary of {V} terms")
    if np.any(a["idf"] <= 0):
        raise ModelError(f"{d}: idf values must be positive")


def load_model(directory: str | Path, verify: bool = True):
    """The TagModel saved in `directory`. Only JSON and plain arrays are read (never pickle).

    Raises ModelError (one line) for a missing, corrupt, modified, crafted or foreign model. A folder
    replaced while it is read is read again (up to three times). `verify` is kept for compatibility:
    every check always runs.
    """
    for attempt in range(3):
        try:
            return _load(Path(directory))
        except ModelError:
            if attempt == 2 or not Path(directory).is_dir():
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _load(d: Path):
    from .calibration import Calibration
    from .model import ModelSettings, TagModel
    from .references import ReferenceIndex

    manifest, doc, data = read_folder(d)
    _check_format(doc, d)
    try:
        labels = _strings(doc.get("labels"), "labels")
        vocabulary = _strings(doc.get("vocabulary"), "vocabulary terms")
        L, V = len(labels), len(vocabulary)
        if doc.get("shape") != [L, V] or not L:
            raise ValueError("shape disagrees with the labels and vocabulary")
        settings = doc.get("settings")
        if not isinstance(settings, dict):
            raise ValueError("settings must be a mapping")
        settings = dict(settings)
        # one selection rule: models of the older per-tag rule need retraining
        if settings.pop("selection", "global") != "global" or doc.get("select_score") is None:
            raise ModelError(f"{d}: saved with the retired per-tag selection rule; retrain it")
        settings.setdefault("nb_scaling", 0.0)  # models saved before naive Bayes scaling
        settings = ModelSettings(**settings)
        cal = Calibration(scale=_number(doc.get("scale"), "scale", 1e-6, 1e6),
                          select_score=_number(doc.get("select_score"), "select_score", 0.0, 1.0))
        posts = doc.get("reference_posts")
        if posts is not None:
            posts = _strings(posts, "reference posts")
            rw = doc.get("ref_weights") or [0.0, 0.0]
            if not isinstance(rw, list) or len(rw) != 2:
                raise ValueError("ref_weights must be two numbers")
            cal.ref_weights = (_number(rw[0], "ref_weights", -1e3, 1e3), _number(rw[1], "ref_weights", -1e3, 1e3))
        expected = _expected_shapes(manifest["arrays"], L, V,
                                    # a whole-cable model with its header block keeps the weights of two fits
                                    settings.keep_weights * (2 if settings.header_weight else 1))
    except (ValueError, TypeError) as e:
        raise ModelError(f"{d}: corrupt model ({str(e)[:120]})") from None
    a = _read_arrays(data, manifest["arrays"], expected, d)
    if (posts is None) != ("ref_own" not in a):
        raise ModelError(f"{d}: corrupt model (reference posts and reference arrays disagree)")
    _check_values(a, L, V, d)
    cal.offsets = a["offsets"]
    weights = sp.csr_matrix((a["w_data"].astype(np.float32), a["w_indices"], a["w_indptr"]), shape=(L, V))
    m = TagModel(settings=settings, labels=labels, vocabulary=vocabulary, idf=a["idf"], weights=weights,
                 intercept=a["intercept"], calibration=cal, info=doc.get("info") if isinstance(doc.get("info"), dict) else {})
    if posts is not None:
        try:
            m.references = ReferenceIndex.from_arrays(posts, a, L)
        except ValueError as e:
            raise ModelError(f"{d}: corrupt model ({e})") from None
    return m

"""A model folder's files, read and checked against its manifest, and its arrays' zip members inflated on threads:
the first step of loading a model (cabletags.scoring.storage does the rest), kept free of numpy so that it can start
before a command's heavy imports and run beside them.

Inflating the shipped model's arrays takes about 0.2 s of CPU, reading and hashing its files a few hundredths more,
and all of it lets the interpreter lock go (zlib and hashlib), while a scoring command's imports (numpy, scipy, the
package) hold it for a few tenths of a second. `Prefetch(folder)` starts the reading in a thread of its own; the
load that follows takes the result (`take`) when the folder's manifest is still the one read, and otherwise reads
the folder again: a prefetch never changes what is loaded, only when its bytes were read.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import threading
import zipfile
from concurrent.futures import Future
from pathlib import Path

from ..errors import DataError

__all__ = ["ModelError", "FolderFiles", "Prefetch", "prefetch_all", "prefetch_of", "MANIFEST_NAME", "MANIFEST_FORMAT",
           "MAX_JSON_BYTES", "MAX_ARRAYS_BYTES"]

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = "cabletags-model-manifest/1"
MAX_JSON_BYTES = 64 << 20
MAX_ARRAYS_BYTES = 1 << 30  # the largest arrays.npz read
HEADER_SLACK = 4096  # bytes a .npy header may take beyond the data
# inflating before the model's document is checked is bounded: only members the manifest declares, each no larger
# than its declared dtype and shape need, and all of them at most EARLY_RATIO times the archive's size and at most
# EARLY_MAX (a zip bomb, or a manifest that declares huge arrays, is left to the checks, which refuse it unread)
EARLY_RATIO = 8
EARLY_MAX = 256 << 20
_DTYPE = re.compile(r"[<>|=]?[biuf]([1-9][0-9]?)")


class ModelError(DataError):
    """A model directory that is missing, corrupt, tampered with or of another format (exit 4)."""

    subject = "model"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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


def read_json(data: bytes, what: Path):
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise ModelError(f"{what}: unreadable ({e.__class__.__name__})") from None


class FolderFiles:
    """The bytes of one model folder: `manifest` (parsed) and `manifest_bytes`, `doc_bytes` (model.json) and `data`
    (arrays.npz), each file's sha256 checked against the manifest, all read through one handle on the folder (a
    folder replaced meanwhile is read whole, old or new). Use FolderFiles.read(d)."""

    def __init__(self, d: Path, manifest: dict, manifest_bytes: bytes, doc_bytes: bytes, data: bytes):
        self.d, self.manifest, self.manifest_bytes, self.doc_bytes, self.data = \
            d, manifest, manifest_bytes, doc_bytes, data
        self._members: dict[str, Future] = {}

    @classmethod
    def read(cls, directory: str | Path) -> "FolderFiles":
        """Read and check the folder's files; ModelError (one line) when one is missing, too large or modified."""
        d = Path(directory)
        if not d.is_dir():
            raise ModelError(f"{d}: model directory not found")
        try:
            dfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as e:
            raise ModelError(f"{d}: cannot open ({e.strerror})") from None
        try:
            manifest_bytes = _read(dfd, MANIFEST_NAME, MAX_JSON_BYTES, d)
            manifest = read_json(manifest_bytes, d / MANIFEST_NAME)
            if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT \
                    or not isinstance(manifest.get("files"), dict) or not isinstance(manifest.get("arrays"), dict):
                raise ModelError(f"{d / MANIFEST_NAME}: not a {MANIFEST_FORMAT} manifest")
            raw = {}
            for name, limit in (("model.json", MAX_JSON_BYTES), ("arrays.npz", MAX_ARRAYS_BYTES)):
                raw[name] = _read(dfd, name, limit, d)
                if sha256(raw[name]) != manifest["files"].get(name):
                    raise ModelError(f"{d / name}: sha256 does not match {MANIFEST_NAME} (corrupt or modified file)")
        finally:
            os.close(dfd)
        return cls(d, manifest, manifest_bytes, raw["model.json"], raw["arrays.npz"])

    def inflate(self, threads: int = 1) -> list[threading.Thread]:
        """Start inflating the members of arrays.npz on `threads` daemon threads, the largest first, and return
        them: the members the manifest declares, each no larger than its declared array needs, when all of them
        inflate to at most EARLY_RATIO times the archive's size and EARLY_MAX. Any other member, or all of them when
        the archive cannot be read or holds more, is left to the caller, who reads it after checking it against the
        model's own layout (cabletags.scoring.storage)."""
        if self._members:  # inflating already
            return []
        try:
            infos = zipfile.ZipFile(io.BytesIO(self.data)).infolist()
        except zipfile.BadZipFile:
            return []
        declared = self.manifest["arrays"]
        todo = [i for i in infos if i.filename.endswith(".npy")
                and (need := _declared_bytes(declared.get(i.filename[:-4]))) is not None
                and i.file_size <= need + HEADER_SLACK]
        if sum(i.file_size for i in todo) > min(EARLY_RATIO * len(self.data), EARLY_MAX):
            return []
        todo.sort(key=lambda i: -i.compress_size)
        futures = {info.filename: Future() for info in todo}
        lock = threading.Lock()

        def work():
            while True:
                with lock:
                    if not todo:
                        return
                    info = todo.pop(0)
                try:
                    # one archive handle per member, so that threads inflate at once
                    with zipfile.ZipFile(io.BytesIO(self.data)) as z, z.open(info) as f:
                        got = f.read()
                except Exception:  # noqa: BLE001 - read again, and reported, by the caller
                    got = None
                futures[info.filename].set_result(got)

        started = []
        for _ in range(max(1, threads)):
            t = threading.Thread(target=work, daemon=True, name="cabletags-inflate")
            try:
                t.start()
            except RuntimeError:  # no thread to be had: the caller reads every member itself
                break
            started.append(t)
        if started:
            self._members.update(futures)  # (no member is waited for that no thread will inflate)
        return started

    def member(self, filename: str) -> bytes | None:
        """The whole inflated member `filename` (waiting for it), or None when it was not inflated here."""
        fut = self._members.get(filename)
        return None if fut is None else fut.result()


def _declared_bytes(spec) -> int | None:
    """The bytes of a manifest's {"dtype": "<f4", "shape": [...]} entry for a plain numeric array; None otherwise."""
    if not isinstance(spec, dict) or not isinstance(spec.get("dtype"), str) or not isinstance(spec.get("shape"), list):
        return None
    m = _DTYPE.fullmatch(spec["dtype"])
    if m is None or not all(type(n) is int and 0 <= n for n in spec["shape"]):
        return None
    n = int(m.group(1))
    for k in spec["shape"]:
        n *= k
        if n > MAX_ARRAYS_BYTES << 4:  # far beyond any archive this reads: never inflated early
            return None
    return n


class Prefetch:
    """A model folder being read on a daemon thread, for the load that follows: Prefetch(folder) starts it, and
    TagModel.load(folder, prefetched=it) takes what it read (`take`). An error is left for that load to find and
    report: it reads the folder itself."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self._files: Future = Future()
        try:
            threading.Thread(target=self._work, daemon=True, name="cabletags-prefetch").start()
        except RuntimeError:  # no thread to be had: the load reads the folder itself
            self._files.set_result(None)

    def _work(self) -> None:
        try:
            files = FolderFiles.read(self.directory)
            files.inflate(threads=1)  # one thread: the other core runs the imports this overlaps
        except Exception:  # noqa: BLE001 - the load reads the folder itself and says what is wrong
            files = None
        self._files.set_result(files)  # (after inflate has listed the members: the load waits for each it lists)

    def take(self) -> FolderFiles | None:
        """What was read (waiting for it), when the folder was read whole and its manifest is still the bytes that
        were read; None otherwise (the caller reads the folder itself)."""
        files = self._files.result()
        if files is None:
            return None
        try:
            now = (self.directory / MANIFEST_NAME).read_bytes()
        except OSError:
            return None
        return files if now == files.manifest_bytes else None


def prefetch_all(folders) -> dict:
    """{folder: its Prefetch} for each of `folders`, keyed as prefetch_of looks them up (the resolved path)."""
    return {str(Path(f).resolve()): Prefetch(f) for f in folders}


def prefetch_of(prefetched: dict | None, directory) -> Prefetch | None:
    """The Prefetch of `directory` among `prefetched` (prefetch_all's), if any."""
    return prefetched.get(str(Path(directory).resolve())) if prefetched else None

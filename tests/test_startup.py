"""A scoring command's start-up: numpy's unused submodules loaded on first use (lazy_modules), and a model folder's
files read and inflated on other threads before the load that uses them (modelfiles), never changing what loads."""
import io
import json
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import copy_model, rehash_arrays, run_cli

from cabletags.cli import _command_of
from cabletags.scoring import lazy_modules, shipped
from cabletags.scoring.modelfiles import FolderFiles, Prefetch
from cabletags.scoring.model import ModelError, TagModel
from cabletags.scoring.storage import write_manifest


# --- numpy's unused submodules ---------------------------------------------------------------------------
@pytest.fixture
def lazypkg(tmp_path, monkeypatch):
    pkg = tmp_path / "lazypkg_t"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "heavy.py").write_text("import sys\nsys.lazypkg_t_runs = getattr(sys, 'lazypkg_t_runs', 0) + 1\n"
                                  "VALUE = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield pkg
    for name in ("lazypkg_t", "lazypkg_t.heavy"):
        sys.modules.pop(name, None)
    if hasattr(sys, "lazypkg_t_runs"):
        del sys.lazypkg_t_runs


def test_a_deferred_module_runs_on_first_use_and_once(lazypkg):
    import lazypkg_t

    assert lazy_modules.defer(["lazypkg_t.heavy"]) == ["lazypkg_t.heavy"]
    assert lazypkg_t.heavy is sys.modules["lazypkg_t.heavy"]  # bound on the package, as an import binds it
    from lazypkg_t import heavy  # binding the name reads nothing from the module

    assert getattr(sys, "lazypkg_t_runs", 0) == 0
    assert heavy.VALUE == 42 and sys.lazypkg_t_runs == 1
    import lazypkg_t.heavy as again

    assert again.VALUE == 42 and sys.lazypkg_t_runs == 1


def test_imported_missing_and_compiled_modules_are_left_alone(lazypkg):
    import json as imported

    before = sys.modules["json"]
    compiled = next((m for m in ("_bz2", "_lzma", "_decimal", "_csv", "_bisect") if m not in sys.modules), None)
    names = ["json", "lazypkg_t.absent", "no_such_package_t.x"] + ([compiled] if compiled else [])
    assert lazy_modules.defer(names) == []
    assert sys.modules["json"] is before is imported
    assert "lazypkg_t.absent" not in sys.modules


def test_the_command_is_found_past_the_root_options():
    assert _command_of(["--taxonomy", "suggest", "decode", "PHUM"]) == "decode"
    assert _command_of(["--debug", "--max-record-mb", "8", "suggest", "f.txt"]) == "suggest"
    assert _command_of(["--max-record-mb=8", "evaluate"]) == "evaluate"
    assert _command_of(["--", "suggest"]) == "suggest"
    assert _command_of(["--debug"]) is None and _command_of([]) is None


def test_only_the_short_scoring_commands_defer(tiny, tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(lazy_modules, "defer", lambda *a: calls.append(a) or [])
    assert run_cli("decode", "suggest").returncode in (0, 1) and calls == []
    assert run_cli("suggest", "--help").returncode == 0 and calls == []
    f = tmp_path / "p.txt"
    f.write_text("Human trafficking victims were assisted by the ministry.\n")
    p = run_cli("suggest", "--model", tiny / "model", f)
    assert p.returncode == 0, p.stderr
    assert calls == [()]


# --- a model folder read early ----------------------------------------------------------------------------
def _same(a: TagModel, b: TagModel):
    (doc_a, arr_a), (doc_b, arr_b) = a.to_arrays(), b.to_arrays()
    assert doc_a == doc_b and arr_a.keys() == arr_b.keys()
    for k in arr_a:
        assert np.array_equal(arr_a[k], arr_b[k]), k


def test_a_prefetched_load_is_the_plain_load(tiny):
    d = tiny / "model"
    p = Prefetch(d)
    files = p.take()
    assert files is not None
    with zipfile.ZipFile(d / "arrays.npz") as z:
        for info in z.infolist():
            assert files.member(info.filename) == z.read(info)  # every member inflated, whole
    _same(TagModel.load(d, prefetched=p), TagModel.load(d))


def test_a_folder_replaced_after_its_prefetch_is_read_again(tiny, tmp_path):
    a = TagModel.load(tiny / "model")
    b = TagModel.load(tiny / "model")
    b.calibration.select_score = 0.123
    d = tmp_path / "m"
    a.save(d)
    p = Prefetch(d)
    assert p.take() is not None  # read, as it was
    b.save(d)
    assert TagModel.load(d, prefetched=p).calibration.select_score == 0.123


def test_a_prefetch_of_a_broken_folder_fails_as_the_plain_load_does(tiny, tmp_path):
    d = copy_model(tiny, tmp_path, "edited")
    (d / "model.json").write_text((d / "model.json").read_text().replace('"labels"', '"labels" ', 1))
    with pytest.raises(ModelError) as plain:
        TagModel.load(d)
    p = Prefetch(d)
    assert p.take() is None
    with pytest.raises(ModelError) as early:
        TagModel.load(d, prefetched=p)
    assert str(early.value) == str(plain.value) and "sha256 does not match" in str(plain.value)


def _add_member(d, name, array, declare=True):
    buf = io.BytesIO()
    np.save(buf, array)
    with zipfile.ZipFile(d / "arrays.npz", "a", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, buf.getvalue())
    if declare:
        write_manifest(d)
    else:
        rehash_arrays(d)


def test_nothing_is_inflated_early_from_a_bomb_or_a_manifest_that_declares_huge_arrays(tiny, tmp_path):
    d = copy_model(tiny, tmp_path, "bomb")
    _add_member(d, "junk.npy", np.zeros(8_000_000 // 8))  # 8 MB of zeros, declared by the manifest
    files = FolderFiles.read(d)
    assert files.inflate() == [] and files.member("idf.npy") is None
    with pytest.raises(ModelError, match="unexpected member"):
        TagModel.load(d, prefetched=Prefetch(d))
    d = copy_model(tiny, tmp_path, "huge")
    m = json.loads((d / "manifest.json").read_text())
    with np.load(d / "arrays.npz") as z:
        a = {k: z[k] for k in z.files}
    a["idf"] = np.ones(2_000_000, dtype=np.float32)  # 8 MB, declared so, where the vocabulary needs a few KB
    np.savez_compressed(d / "arrays.npz", **a)
    write_manifest(d)
    files = FolderFiles.read(d)
    assert files.inflate() == []
    with pytest.raises(ModelError, match="declared as"):
        TagModel.load(d, prefetched=Prefetch(d))
    assert json.loads((d / "manifest.json").read_text())["arrays"]["idf"]["shape"] != m["arrays"]["idf"]["shape"]


def test_an_undeclared_member_is_not_inflated_early_and_still_refused(tiny, tmp_path):
    d = copy_model(tiny, tmp_path, "undeclared")
    _add_member(d, "junk.npy", np.arange(10), declare=False)
    files = FolderFiles.read(d)
    for t in files.inflate(threads=2):
        t.join()
    assert files.member("junk.npy") is None and files.member("idf.npy") is not None
    with pytest.raises(ModelError, match="unexpected member"):
        TagModel.load(d, prefetched=Prefetch(d))


def test_a_damaged_member_is_reported_as_the_plain_load_reports_it(tiny, tmp_path):
    d = copy_model(tiny, tmp_path, "damaged")
    raw = bytearray((d / "arrays.npz").read_bytes())
    with zipfile.ZipFile(d / "arrays.npz") as z:
        info = max(z.infolist(), key=lambda i: i.compress_size)
    at = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + info.compress_size // 2
    raw[at:at + 8] = bytes(8)  # inside the member's deflate stream: a CRC (or inflate) failure
    (d / "arrays.npz").write_bytes(bytes(raw))
    rehash_arrays(d)
    with pytest.raises(ModelError) as plain:
        TagModel.load(d)
    with pytest.raises(ModelError) as early:
        TagModel.load(d, prefetched=Prefetch(d))
    assert str(early.value) == str(plain.value) and info.filename[:-4] in str(plain.value)


@pytest.mark.parametrize("path, cable, cables_only, soon", [
    (None, None, False, False), (None, None, True, False), ("model", None, False, False), ("model", None, True, False),
    ("model", "cable", False, False), (None, "cable", True, False), (None, None, False, True),
    ("model", None, False, True)])
def test_the_folders_read_early_are_those_the_load_reads(tiny, path, cable, cables_only, soon, monkeypatch):
    from cabletags.scoring import suggester

    if not (shipped.shipped_model_dir() / "model.json").is_file():
        pytest.skip("no shipped model")
    model = TagModel.load(tiny / "model")
    read = []

    def load(d, verify=True, prefetched=None):
        read.append((str(d), prefetched))
        return model

    monkeypatch.setattr(suggester.TagModel, "load", staticmethod(load))
    path = path and tiny / path
    cable = cable and tiny / "model"  # (the loader is stubbed: any folder that exists will do)
    folders = shipped.eager_folders(path, cable, cables_only, cable_soon=soon)
    pre = {str(f.resolve()): SimpleNamespace(directory=f) for f in folders}  # stand-ins for Prefetch objects
    s = suggester.Suggester.load(path, cable_path=cable, cables_only=cables_only, prefetched=pre)
    if soon:  # the whole-cable model, loaded on first use, with its prefetch
        s.cable_model
    assert [d for d, _ in read] == [str(f) for f in folders]
    assert all(p is pre[str(Path(d).resolve())] for d, p in read)


def test_a_member_that_fails_to_inflate_or_no_thread_leaves_the_reading_to_the_load(tiny, monkeypatch):
    import threading
    import zipfile as zf

    d = tiny / "model"
    files = FolderFiles.read(d)
    real_open = zf.ZipFile.open
    with monkeypatch.context() as m:
        m.setattr(zf.ZipFile, "open", lambda self, info, *a, **k: (_ for _ in ()).throw(ValueError("odd")))
        for t in files.inflate(threads=2):
            t.join()
    assert zf.ZipFile.open is real_open
    assert files.member("idf.npy") is None  # never a wait that no thread will end
    with monkeypatch.context() as m:
        m.setattr(threading.Thread, "start", lambda self: (_ for _ in ()).throw(RuntimeError("no threads")))
        again = FolderFiles.read(d)
        assert again.inflate() == [] and again.member("idf.npy") is None
        p = Prefetch(d)
    assert p.take() is None
    _same(TagModel.load(d, prefetched=p), TagModel.load(d))

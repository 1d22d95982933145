"""Crafted files and faults: each case ends with a clean error and exit code, or is handled correctly.
Every crafted file is made here; scripts/benchmarks/fault_matrix.py runs the same cases as real processes
and prints exit codes, seconds and peak memory."""
import gzip
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import threading
import time
import zipfile

import numpy as np
import pytest
from conftest import ROOT, TAXONOMY_MEMO, copy_model, craft_model_json, rehash_arrays, run_cli, run_process

from cabletags.scoring.model import ModelError, TagModel
from cabletags.scoring.storage import folder_lock, write_manifest
from cabletags.vocabulary.taxonomy import TaxonomyError, load_taxonomy, validate_taxonomy


# --- models -----------------------------------------------------------------------------------------
def _rewrite_arrays(d, edit):
    """Change arrays.npz with edit(dict of arrays) and rewrite the manifest to match (a crafted model)."""
    with np.load(d / "arrays.npz") as z:
        a = {k: z[k].copy() for k in z.files}
    edit(a)
    np.savez_compressed(d / "arrays.npz", **a)
    write_manifest(d)
    return d


def test_out_of_range_weight_indices_are_refused_not_a_crash(tiny, tmp_path):
    d = _rewrite_arrays(copy_model(tiny, tmp_path, "m"), lambda a: a["wt_indices"].__setitem__(0, 30000))
    with pytest.raises(ModelError, match=r"weight indices outside the \d+ labels"):
        TagModel.load(d)
    p = run_cli("suggest", "-", "--model", str(d), input="budget")
    assert p.returncode == 4 and p.stderr.startswith("error: model:") and len(p.stderr.splitlines()) == 1


def test_weights_by_label_as_older_models_kept_them_load_and_score_the_same(tiny, tmp_path):
    # models are saved by term (wt_*: the (V, L) product matrix, label numbers in int16); folders saved by label
    # (w_*) before that load and score the same; a folder holding both, or neither, is refused
    import scipy.sparse as sp

    new = TagModel.load(tiny / "model")
    names = zipfile.ZipFile(tiny / "model" / "arrays.npz").namelist()
    assert "wt_indices.npy" in names and "w_indices.npy" not in names

    def by_label(a):
        V, L = len(a["wt_indptr"]) - 1, len(a["intercept"])
        w = sp.csr_matrix((a.pop("wt_data"), a.pop("wt_indices").astype(np.int32), a.pop("wt_indptr")),
                          shape=(V, L)).T.tocsr()
        a.update(w_data=w.data.astype(np.float16), w_indices=w.indices.astype(np.int32),
                 w_indptr=w.indptr.astype(np.int32))

    v1 = lambda doc: doc.update(format="cabletags-tagmodel/1")  # noqa: E731
    old = TagModel.load(_rewrite_arrays(copy_model(tiny, tmp_path, "old", v1), by_label))
    texts = ["budget deficit and the oil pipeline", "visa fraud", "", "police arrested traffickers"]
    assert np.array_equal(old.logits(texts), new.logits(texts))
    assert (old.weights.tocsr() != new.weights.tocsr()).nnz == 0
    old.save(tmp_path / "resaved")  # saved again: by term
    assert "wt_data.npy" in zipfile.ZipFile(tmp_path / "resaved" / "arrays.npz").namelist()
    assert np.array_equal(TagModel.load(tmp_path / "resaved").logits(texts), new.logits(texts))

    def both(a):
        a.update(w_data=a["wt_data"], w_indices=a["wt_indices"].astype(np.int32), w_indptr=a["wt_indptr"])

    with pytest.raises(ModelError, match="stored once"):
        TagModel.load(_rewrite_arrays(copy_model(tiny, tmp_path, "both"), both))
    with pytest.raises(ModelError, match="format 1"):  # version 1 kept its weights by label only
        TagModel.load(copy_model(tiny, tmp_path, "v1-by-term", v1))


def test_row_pointers_and_values_are_checked(tiny, tmp_path):
    d = _rewrite_arrays(copy_model(tiny, tmp_path, "a"), lambda a: a["wt_indptr"].__setitem__(1, -5))
    with pytest.raises(ModelError, match="monotone"):
        TagModel.load(d)
    d = _rewrite_arrays(copy_model(tiny, tmp_path, "b"), lambda a: a["idf"].__setitem__(0, np.nan))
    with pytest.raises(ModelError, match="not finite"):
        TagModel.load(d)


@pytest.mark.parametrize("edit, message", [
    (lambda doc: doc.update(scale=float("nan")), "corrupt model"),
    (lambda doc: doc.update(labels=list(range(len(doc["labels"])))), "corrupt model"),
    (lambda doc: doc.update(labels=doc["labels"][:1] * len(doc["labels"])), "corrupt model"),
    (lambda doc: doc["settings"].update(keep_weights="many"), "corrupt model"),
    (lambda doc: doc.update(format="cabletags-tagmodel/4"), "newer"),
    (lambda doc: doc.update(format="cabletags-tagmodel/0"), "older"),
], ids=["nan-scale", "integer-labels", "repeated-labels", "bad-setting", "future-format", "old-format"])
def test_crafted_model_json_is_refused(tiny, tmp_path, edit, message):
    with pytest.raises(ModelError, match=message):
        TagModel.load(copy_model(tiny, tmp_path, "m", edit))


def test_an_edited_file_without_a_matching_manifest_is_refused(tiny, tmp_path):
    d = copy_model(tiny, tmp_path, "m")
    doc = json.loads((d / "model.json").read_text())
    doc["labels"][0], doc["labels"][1] = doc["labels"][1], doc["labels"][0]  # swapped labels: a valid-looking edit
    (d / "model.json").write_text(json.dumps(doc))
    with pytest.raises(ModelError, match="model.json: sha256 does not match"):
        TagModel.load(d)


def test_shipped_model_is_pinned_even_with_a_rewritten_manifest(tmp_path, monkeypatch):
    from cabletags.scoring import suggester

    src = suggester.shipped_model_dir()
    dst = tmp_path / "models" / src.name
    shutil.copytree(src, dst)
    shutil.copy(src.parent / "MANIFEST.json", dst.parent / "MANIFEST.json")

    def swap(doc):
        doc["labels"][0], doc["labels"][1] = doc["labels"][1], doc["labels"][0]

    craft_model_json(dst, swap)
    monkeypatch.setattr(suggester, "shipped_model_dir", lambda name=suggester.DEFAULT_MODEL: dst)
    with pytest.raises(ModelError, match="MANIFEST.json"):
        suggester.Suggester.load()


def _add_member(d, name, data: bytes):
    with zipfile.ZipFile(d / "arrays.npz", "a", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, data)


def test_zip_bombs_are_refused_before_decompression(tiny, tmp_path):
    d = copy_model(tiny, tmp_path, "extra")
    buf = io.BytesIO()
    np.save(buf, np.zeros(50_000_000 // 8))  # 50 MB of zeros: a few dozen KB compressed
    _add_member(d, "junk.npy", buf.getvalue())
    write_manifest(d)
    with pytest.raises(ModelError, match="unexpected member"):
        TagModel.load(d)
    # a known member that is larger than its declared shape (a manifest that lies about it, or a swapped member)
    d = copy_model(tiny, tmp_path, "big")
    with np.load(d / "arrays.npz") as z:
        a = {k: z[k] for k in z.files}
    a["idf"] = np.ones(5_000_000, dtype=np.float32)  # 20 MB where the vocabulary needs a few KB
    np.savez_compressed(d / "arrays.npz", **a)
    rehash_arrays(d)
    with pytest.raises(ModelError, match="larger than its declared shape"):
        TagModel.load(d)


# --- taxonomy -----------------------------------------------------------------------------------------
@pytest.mark.slow
def test_yaml_alias_bomb_is_refused_fast(tmp_path):
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for prev, name in zip("abcdefg", "bcdefgh"):
        levels.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(levels) + "\nkind: program\nentries: *h\n")
    t = time.perf_counter()
    with pytest.raises(TaxonomyError, match="anchors and aliases are not allowed"):
        load_taxonomy(overlay=bomb, memo=TAXONOMY_MEMO)
    assert time.perf_counter() - t < 5
    p = run_cli("--taxonomy-overlay", str(bomb), "decode", "PHUM")
    assert p.returncode == 4 and len(p.stderr.splitlines()) == 1 and len(p.stderr) < 300


def test_overlay_speaks_for_its_user_and_cannot_change_a_kind(tmp_path):
    ov = tmp_path / "o.yaml"
    ov.write_text("kind: program\nentries:\n- code: KXYZ\n  title: A claimed code\n  status: current\n"
                  "  provenance: {source: handbook, evidence: trust me}\n")
    e = load_taxonomy(overlay=ov, memo=TAXONOMY_MEMO).entries["KXYZ"]
    assert e.provenance["source"] == "user" and not e.verified and "handbook" in e.provenance["note"]
    ov.write_text("kind: program\nentries:\n- code: PHUM\n  title: Hijacked\n  status: current\n"
                  "  provenance: {source: user, evidence: x}\n")
    with pytest.raises(TaxonomyError, match="cannot change the kind"):
        load_taxonomy(overlay=ov, memo=TAXONOMY_MEMO)


def test_a_damaged_cache_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("CABLETAGS_CACHE", str(tmp_path))
    load_taxonomy(memo=TAXONOMY_MEMO)
    caches = list((tmp_path / "cabletags").glob("taxonomy-*.json"))
    assert len(caches) == 1
    caches[0].write_text("{}")
    assert load_taxonomy(memo=TAXONOMY_MEMO).entries["PHUM"].title == "Human Rights"
    assert json.loads(caches[0].read_text())["entries"]  # rewritten whole


def test_validate_reports_malformed_word_files(taxonomy_copy):
    (taxonomy_copy / "words.yaml").write_text("- just\n- a list\n")
    (taxonomy_copy / "plainwords.txt").write_bytes(b"good\n\xff\xfe bad bytes\n")
    problems = validate_taxonomy(taxonomy_copy, memo=TAXONOMY_MEMO)
    assert any("words.yaml: expected a mapping" in p for p in problems)
    assert any("plainwords.txt: unreadable" in p for p in problems)
    p = run_cli("taxonomy", "validate", str(taxonomy_copy))
    assert p.returncode == 4 and "Traceback" not in p.stderr


def test_long_arguments_are_bounded():
    t = time.perf_counter()
    assert run_cli("taxonomy", "show", "X" * 100_000).returncode == 1
    assert run_cli("decode", "Q" * 100_000).returncode == 1
    assert time.perf_counter() - t < 10


# --- writes -------------------------------------------------------------------------------------------
def test_output_is_a_regular_file_only(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for target in (fifo, tmp_path):
        p = run_cli("normalize", "PREL", "-o", str(target))
        assert p.returncode == 3 and "regular files only" in p.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # left as it was


def test_output_follows_symlinks_and_keeps_modes(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old\n")
    os.chmod(real, 0o640)
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    assert run_cli("normalize", "PREL", "-o", str(link), "--format", "jsonl").returncode == 0
    assert link.is_symlink() and "PREL" in real.read_text()
    assert stat.S_IMODE(os.stat(real).st_mode) == 0o640
    old = os.umask(0o027)
    try:
        assert run_cli("normalize", "PREL", "-o", str(tmp_path / "new.txt")).returncode == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "new.txt").st_mode) == 0o640  # 0666 under umask 027
    assert [f.name for f in tmp_path.iterdir() if f.name.startswith(".")] == []


def test_train_out_is_checked_before_training_and_locked(tiny, tmp_path):
    corpus = str(tiny / "corpus.jsonl")
    (tmp_path / "file").write_text("x")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "mine.txt").write_text("x")
    for out, needle in ((tmp_path / "file", "not a folder"), (tmp_path / "notes", "not a cabletags model"),
                        (tiny / "model", "already holds a model")):
        t = time.perf_counter()
        p = run_cli("train", "--jobs", "1", "--corpus", corpus, "--out", str(out), "--min-label-count", "5")
        assert p.returncode == 3 and needle in p.stderr and time.perf_counter() - t < 5
    with folder_lock(tmp_path / "busy"):
        p = run_cli("train", "--jobs", "1", "--corpus", corpus, "--out", str(tmp_path / "busy"), "--min-label-count", "5")
    assert p.returncode == 3 and "another run" in p.stderr


def test_readers_never_see_a_mixed_folder(tiny, tmp_path):
    a = TagModel.load(tiny / "model")
    b = TagModel.load(tiny / "model")
    b.calibration.select_score = 0.123
    target = tmp_path / "m"
    a.save(target)
    failures, seen, stop = [], set(), threading.Event()

    def read():
        while not stop.is_set():
            try:
                seen.add(TagModel.load(target).calibration.select_score)
            except Exception as e:  # noqa: BLE001 - any failure is what the test counts
                failures.append(repr(e))

    readers = [threading.Thread(target=read) for _ in range(2)]
    for r in readers:
        r.start()
    for i in range(12):
        (b if i % 2 else a).save(target)
    stop.set()
    for r in readers:
        r.join()
    assert failures == [] and seen == {a.calibration.select_score, 0.123}
    assert sorted(f.name for f in tmp_path.iterdir()) == [".m.lock", "m"]  # no temporary folders left


def test_a_failed_save_leaves_the_old_model(tiny, tmp_path):

    target = tmp_path / "m"
    shutil.copytree(tiny / "model", target)
    before = {f.name: f.read_bytes() for f in target.iterdir()}

    def fail(d, doc):
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        TagModel.load(target).save(target, extra=fail)
    assert {f.name: f.read_bytes() for f in target.iterdir()} == before
    assert sorted(f.name for f in tmp_path.iterdir()) == [".m.lock", "m"]


# --- inputs -------------------------------------------------------------------------------------------
def test_truncated_and_corrupt_gzip_exit_3_with_the_line_reached(tmp_path):
    lines = "".join(json.dumps({"id": i, "tags": "PREL, PGOV"}) + "\n" for i in range(20_000)).encode()
    whole = gzip.compress(lines)
    (tmp_path / "cut.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    p = run_cli("normalize", "--jsonl", "--input", str(tmp_path / "cut.jsonl.gz"), "-o", str(tmp_path / "o.jsonl"))
    assert p.returncode == 3 and "truncated or corrupt gzip data after line" in p.stderr
    assert not (tmp_path / "o.jsonl").exists()
    (tmp_path / "bad.jsonl.gz").write_bytes(whole[:10] + b"\x00" * 200)
    p = run_cli("normalize", "--jsonl", "--input", str(tmp_path / "bad.jsonl.gz"))
    assert p.returncode == 3 and "gzip" in p.stderr


@pytest.mark.parametrize("content, needle", [(b"", "it is empty"), (b"\x00\x01\x02\xff" * 100, "JSON object"),
                                             (b"not json\n[1, 2]\n", "none of its 2 line(s)")],
                         ids=["empty", "binary", "no-object"])
def test_batches_without_a_record_exit_3(tmp_path, content, needle):
    f = tmp_path / "in.jsonl"
    f.write_bytes(content)
    for args in (["normalize", "--jsonl", "--input", str(f)], ["parse", "--jsonl", str(f)]):
        p = run_cli(*args)
        assert p.returncode == 3 and needle in p.stderr, (args, p.stderr)
    p = run_cli("normalize", "--jsonl", input=content)
    assert p.returncode == 3


def test_byte_order_marks_and_utf16(tmp_path):
    recs = [{"id": 1, "tags": "PREL"}, {"id": 2, "tags": "KTIP"}]
    text = "".join(json.dumps(r) + "\n" for r in recs)
    (tmp_path / "bom.jsonl").write_bytes(b"\xef\xbb\xbf" + text.encode())
    (tmp_path / "u16.jsonl").write_bytes(text.encode("utf-16"))
    for name in ("bom.jsonl", "u16.jsonl"):
        p = run_cli("normalize", "--jsonl", "--input", str(tmp_path / name))
        assert p.returncode == 0, p.stderr
        assert [json.loads(x)["normalized"]["codes"] for x in p.stdout.splitlines()] == [["PREL"], ["KTIP"]]


def test_a_field_no_record_has_exits_3_and_a_partial_one_warns(tmp_path):
    f = tmp_path / "in.jsonl"
    f.write_text(json.dumps({"id": 1, "tags": "PREL"}) + "\n" + json.dumps({"id": 2}) + "\n")
    p = run_cli("normalize", "--jsonl", "--input", str(f), "--field", "nosuch")
    assert p.returncode == 3 and "no record has the field 'nosuch'" in p.stderr
    p = run_cli("normalize", "--jsonl", "--input", str(f))
    assert p.returncode == 0 and "1 of 2 record(s) have no field 'tags'" in p.stderr


def test_train_and_evaluate_report_malformed_lines(tiny, tmp_path):
    good = (tiny / "corpus.jsonl").read_text().splitlines()
    f = tmp_path / "c.jsonl"
    f.write_text("\n".join(good[:60] + ["{broken", "[1]"] + good[60:]) + "\n")
    p = run_cli("evaluate", "--corpus", str(f), "--model", str(tiny / "model"))
    assert p.returncode == 0 and "skipped 2 bad record(s) of 122 at line(s) 61, 62" in p.stderr
    p = run_cli("evaluate", "--corpus", str(f), "--model", str(tiny / "model"), "--strict")
    assert p.returncode == 5
    t = time.perf_counter()
    p = run_cli("train", "--jobs", "1", "--corpus", str(f), "--out", str(tmp_path / "m"), "--min-label-count", "5", "--strict")
    assert p.returncode == 5 and "malformed line(s) of 122: line(s) 61, 62" in p.stderr
    assert time.perf_counter() - t < 5 and not (tmp_path / "m").exists()


# --- signals (real processes; SIGTERM and Ctrl-C: tests/test_robustness.py) ------------------------------
def _records(path, n=300_000):
    with open(path, "w") as fh:
        for i in range(n):
            fh.write(json.dumps({"id": i, "tags": f"PREL, PGOV, OSCEPREF, X{i}"}) + "\n")
    return path


@pytest.mark.slow
def test_a_closed_pipe_exits_0_quietly(tmp_path):
    f = _records(tmp_path / "in.jsonl")
    p = subprocess.Popen([sys.executable, "-m", "cabletags", "normalize", "--jsonl", "--input", str(f)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(ROOT))
    assert p.stdout.readline()
    p.stdout.close()  # as `| head -1` does
    err = p.stderr.read()
    assert p.wait(timeout=60) == 0 and b"Traceback" not in err and b"error" not in err


def test_real_process_exit_codes_for_crafted_model(tiny, tmp_path):
    d = _rewrite_arrays(copy_model(tiny, tmp_path, "m"), lambda a: a["wt_indices"].__setitem__(0, 30000))
    p = run_process("suggest", "-", "--model", str(d), input="budget")
    assert p.returncode == 4 and "Traceback" not in p.stderr

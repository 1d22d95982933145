"""Robustness: suggest property tests, a bad-input matrix for every command, interruption, privacy."""
import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import ROOT, run_cli
from hypothesis import given, settings
from hypothesis import strategies as st
from tiny_corpus import make_records


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from cabletags.scoring.model import ModelSettings, TagModel

    recs = make_records(80)
    m = TagModel(settings=ModelSettings(keep_weights=500))
    m.fit([r["body"] for r in recs], [["PREL", r["tags"].split(", ")[1], r["tags"].split(", ")[2]] for r in recs],
          ["PREL", "KTIP", "PHUM", "ECON", "MARR", "AJ", "GM", "IZ"], n_jobs=1)
    m.tune([r["body"] for r in recs[:30]], [["KTIP"]] * 30)
    d = tmp_path_factory.mktemp("m") / "model"
    m.save(d)
    return d


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(max_size=300), st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=50),
                 st.just(""), st.just("   \n\t"), st.just("a"), st.just("Ж" * 1000)))
def test_suggest_never_raises_scores_in_range_and_ranked(tiny_model, text):

    s = _cached(tiny_model)
    out = s.suggest(text, limit=5)
    scores = [x.score for x in out]
    assert len(out) == 5 and scores == sorted(scores, reverse=True) and all(0 <= v <= 1 for v in scores)


_S = {}


def _cached(path):
    from cabletags.scoring.suggester import Suggester

    if path not in _S:
        _S[path] = Suggester.load(path)
    return _S[path]


def test_suggest_one_megabyte_and_scripts(tiny_model):
    s = _cached(tiny_model)
    for text in ["x" * 1_000_000, "中文 " * 200_000, "العربية " * 1000, "\x00" * 100]:
        out = s.suggest(text, limit=3)
        assert len(out) == 3 and all(0 <= x.score <= 1 for x in out)


# --- the bad-input matrix: every command that reads a file ---------------------------------------------
def _commands(model):
    m = ["--model", str(model)]
    return {
        "normalize": lambda f: ["normalize", "--input", f],
        "normalize-jsonl": lambda f: ["normalize", "--jsonl", "--input", f],
        "suggest": lambda f: ["suggest", f, *m],
        "suggest-jsonl": lambda f: ["suggest", "--jsonl", f, *m],
        "parse": lambda f: ["parse", f],
        "parse-jsonl": lambda f: ["parse", "--jsonl", f],
        "audit": lambda f: ["audit", f, *m],
        "taxonomy-stats": lambda f: ["taxonomy", "stats", "--corpus", f],
        "corpus-export": lambda f: ["corpus", "export", f, "--annif", f + ".annif"],
    }


@pytest.mark.parametrize("cmd", list(_commands(Path("m"))))
@pytest.mark.parametrize("case", ["missing", "directory"])
def test_unreadable_inputs_give_one_line_and_exit_3(tiny_model, tmp_path, cmd, case):
    f = str(tmp_path / "nope.txt") if case == "missing" else str(tmp_path)
    p = run_cli(*_commands(tiny_model)[cmd](f))
    assert p.returncode == 3, (p.returncode, p.stderr)
    assert p.stderr.startswith("error:") and len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr


@pytest.mark.parametrize("cmd", ["normalize-jsonl", "suggest-jsonl", "parse-jsonl", "audit", "taxonomy-stats",
                                 "corpus-export"])
def test_jsonl_commands_survive_bad_records(tiny_model, tmp_path, cmd):
    f = tmp_path / "in.jsonl"
    good = {"id": "g1", "tags": "PREL, KTIP", "body": "trafficking victims", "text": "TAGS: PREL\nSUBJECT: X\n"}
    f.write_bytes(b"\n".join([json.dumps(good).encode(), b"{truncated", b"\xff\xfe not utf8 {",
                              json.dumps({"id": "g2"}).encode(), b"[1, 2]", json.dumps(good)[:20].encode(),
                              json.dumps(dict(good, id="g3")).encode()]) + b"\n")
    p = run_cli(*_commands(tiny_model)[cmd](str(f)))
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr
    assert "line 2" in p.stderr and "line 5" in p.stderr and "skipped 4 bad record(s)" in p.stderr


@pytest.mark.parametrize("cmd", [["decode", "PHUM"], ["normalize", "PHUM"], ["suggest", "-"], ["parse", "-"],
                                 ["evaluate", "--corpus", "x.jsonl"]])
def test_wrong_format_is_exit_2(cmd):
    p = run_cli(*cmd, "--format", "xml", input="PHUM")
    # the format is the only thing wrong with these calls
    assert p.returncode == 2 and p.stderr.startswith("error:") and "'xml'" in p.stderr, p.stderr
    assert "Traceback" not in p.stderr


def test_jsonl_batch_streams_its_output(tmp_path):
    """Output comes out while input is still coming in: the batch never holds the whole input."""
    p = subprocess.Popen([sys.executable, "-m", "cabletags", "normalize", "--jsonl"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(ROOT))
    got = []
    reader = threading.Thread(target=lambda: got.append(p.stdout.readline()), daemon=True)
    reader.start()
    line = (json.dumps({"id": 1, "tags": "PREL, PGOV"}) + "\n").encode()
    for _ in range(400):  # at most 400 x 20 KB of input, far past any output buffer
        p.stdin.write(line * 200)
        p.stdin.flush()
        reader.join(timeout=0.05)
        if got:
            break
    try:
        assert got and json.loads(got[0])["normalized"]["codes"] == ["PREL", "PGOV"]
        assert p.poll() is None  # still running: stdin was never closed
    finally:
        p.kill()
        p.communicate()


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupted_batch_leaves_previous_output(tmp_path, sig):
    """Ctrl-C and SIGTERM alike: exit 130, one line, the earlier output file untouched, no temporary file."""
    f = tmp_path / "big.jsonl"
    with f.open("w") as fh:
        for i in range(300_000):
            fh.write(json.dumps({"id": i, "tags": f"PREL, PGOV, OSCEPREF, X{i}"}) + "\n")
    out = tmp_path / "out.jsonl"
    out.write_text("previous good output\n")
    p = subprocess.Popen([sys.executable, "-m", "cabletags", "normalize", "--jsonl", "--input", str(f), "-o", str(out)],
                         stderr=subprocess.PIPE, cwd=str(ROOT))
    deadline = time.monotonic() + 60
    # interrupt once the run is writing: its temporary output file exists
    while not [x for x in tmp_path.iterdir() if x.name.startswith(".out")] and time.monotonic() < deadline:
        time.sleep(0.01)
    p.send_signal(sig)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert b"interrupted" in err and b"Traceback" not in err
    assert out.read_text() == "previous good output\n"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["big.jsonl", "out.jsonl"]


def test_write_failures_are_input_output_errors_not_bugs(tmp_path):
    (tmp_path / "afile").write_text("x")
    p = run_cli("normalize", "PREL", "-o", str(tmp_path / "afile" / "x.txt"))
    assert p.returncode == 3 and "cannot write: Not a directory" in p.stderr
    p = run_cli("normalize", "PREL", "-o", str(tmp_path / ("a" * 300)))
    assert p.returncode == 3 and "cannot write: File name too long" in p.stderr


def test_a_full_disk_on_stdout_exits_3():
    import os
    import sys

    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    with open("/dev/full", "w") as full:  # every write to it fails with ENOSPC, as a full disk's
        p = subprocess.run([sys.executable, "-m", "cabletags", "decode", "PREL", "PGOV"], stdout=full,
                           stderr=subprocess.PIPE, text=True)
    assert p.returncode == 3 and "cannot write: No space left on device" in p.stderr and "internal" not in p.stderr


def test_a_failed_run_leaves_no_folders_it_made(tmp_path):
    src = tmp_path / "bad.jsonl"
    src.write_text("not json\n")
    out = tmp_path / "new" / "sub" / "x.jsonl"
    p = run_cli("normalize", "--jsonl", "--input", str(src), "-o", str(out))
    assert p.returncode == 3 and not (tmp_path / "new").exists()


def test_an_overlay_that_is_nothing_is_an_error_not_silence(tmp_path):
    import os

    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    (tmp_path / "empty").mkdir()
    zero = tmp_path / "zero.yaml"
    zero.symlink_to("/dev/zero")
    for ov in ("/dev/null", str(fifo), str(tmp_path / "empty"), str(zero)):
        p = run_cli("--taxonomy-overlay", ov, "decode", "PREL")
        assert p.returncode == 4 and p.stderr.startswith("error: taxonomy:") and len(p.stderr.splitlines()) == 1, ov


def test_a_huge_taxonomy_file_is_refused_before_it_is_read(taxonomy_copy):
    big = taxonomy_copy / "words.yaml"
    with big.open("ab") as f:  # a sparse file: 20 MB long, no memory or disk to write it
        f.truncate(20 << 20)
    p = run_cli("--taxonomy", str(taxonomy_copy), "decode", "PREL")
    assert p.returncode == 4 and "larger than 16 MB" in p.stderr


def test_a_record_over_the_limit_is_a_bad_record_not_a_memory_spike(tmp_path):
    f = tmp_path / "big.jsonl"
    f.write_text(json.dumps({"id": 1, "tags": "PREL"}) + "\n" + json.dumps({"id": 2, "tags": "x" * (2 << 20)}) +
                 "\n" + json.dumps({"id": 3, "tags": "PGOV"}) + "\n")
    p = run_cli("--max-record-mb", "1", "normalize", "--jsonl", "--input", str(f))
    assert p.returncode == 0 and [json.loads(x)["id"] for x in p.stdout.splitlines()] == [1, 3]
    assert "line 2: a record of" in p.stderr and "--max-record-mb" in p.stderr
    assert run_cli("--max-record-mb", "1", "normalize", "--jsonl", "--input", str(f), "--strict").returncode == 5
    t = tmp_path / "t.csv"
    t.write_text("id,tags\n1,PREL\n2," + "y" * (2 << 20) + "\n3,PGOV\n")
    p = run_cli("--max-record-mb", "1", "normalize", "--csv", str(t))
    assert p.returncode == 0 and "line 3" in p.stderr and p.stdout.splitlines()[-1].startswith("3,PGOV,PGOV")


def test_a_fifo_as_input_is_refused_not_waited_on(tmp_path):
    import os

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for args in (["parse", str(fifo)], ["normalize", "--input", str(fifo)], ["normalize", "--jsonl", "--input",
                                                                              str(fifo)]):
        p = run_cli(*args)
        assert p.returncode == 3 and "not a regular file" in p.stderr, args


def test_a_failed_annif_export_leaves_no_folders(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    p = run_cli("corpus", "export", str(bad), "--annif", str(tmp_path / "new" / "sub"))
    assert p.returncode == 3 and not (tmp_path / "new").exists()


def test_train_with_an_empty_validation_split_is_refused(tmp_path):
    from tiny_corpus import make_records, write_jsonl

    f = tmp_path / "c.jsonl"
    write_jsonl(f, make_records(3, seed=2))  # three records: the hash puts none in a 1% validation split
    p = run_cli("train", "--jobs", "1", "--corpus", str(f), "--out", str(tmp_path / "m"), "--validation-share", "0.01",
                "--min-label-count", "1")
    assert p.returncode == 3 and "both parts need texts" in p.stderr and not (tmp_path / "m").exists()


def test_a_gzip_stream_line_over_the_limit_is_a_bad_record(tmp_path):
    import gzip

    f = tmp_path / "c.jsonl.gz"
    with gzip.open(f, "wt") as g:
        g.write(json.dumps({"tags": "PREL"}) + "\n" + json.dumps({"tags": "z" * (2 << 20)}) + "\n")
    p = run_cli("--max-record-mb", "1", "normalize", "--jsonl", "--input", str(f))
    assert p.returncode == 0 and len(p.stdout.splitlines()) == 1 and "line 2: a record of" in p.stderr

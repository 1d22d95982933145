"""Robustness: suggest property tests, a bad-input matrix for every command, interruption, privacy."""
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from conftest import ROOT, run_cli
from tiny_corpus import make_records

SHARED_CORPUS = ROOT.parent / "shared" / "corpus" / "cables.jsonl.gz"


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from cabletags.model import ModelSettings, TagModel

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
    from cabletags.suggester import Suggester

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


@pytest.mark.parametrize("cmd", ["decode", "normalize", "suggest", "parse", "evaluate"])
def test_wrong_format_is_exit_2(cmd):
    p = run_cli(cmd, "--format", "xml")
    assert p.returncode == 2 and p.stderr.startswith("error:") and "Traceback" not in p.stderr


def test_fifty_megabyte_jsonl_streams(tmp_path):
    f = tmp_path / "big.jsonl"
    line = json.dumps({"id": 1, "tags": "PREL, PGOV", "body": "x" * 5000}) + "\n"
    with f.open("w") as fh:
        for _ in range(50_000_000 // len(line) + 1):
            fh.write(line)
    p = run_cli("normalize", "--jsonl", "--input", str(f), "-o", str(tmp_path / "out.jsonl"))
    assert p.returncode == 0, p.stderr
    with open(tmp_path / "out.jsonl") as fh:
        n = sum(1 for _ in fh)
    assert n == 50_000_000 // len(line) + 1


def test_interrupted_batch_leaves_previous_output(tmp_path):
    f = tmp_path / "big.jsonl"
    with f.open("w") as fh:
        for i in range(400_000):
            fh.write(json.dumps({"id": i, "tags": f"PREL, PGOV, OSCEPREF, X{i}"}) + "\n")
    out = tmp_path / "out.jsonl"
    out.write_text("previous good output\n")
    p = subprocess.Popen([sys.executable, "-m", "cabletags", "normalize", "--jsonl", "--input", str(f), "-o", str(out)],
                         stderr=subprocess.PIPE, cwd=str(ROOT))
    time.sleep(1.5)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert b"interrupted" in err and b"Traceback" not in err
    assert out.read_text() == "previous good output\n"
    assert [x.name for x in tmp_path.iterdir() if x.name.startswith(".out")] == []


@pytest.mark.skipif(not SHARED_CORPUS.is_file(), reason="needs ../shared/corpus (recounts document frequencies)")
def test_shipped_model_vocabulary_respects_min_df_5():
    p = subprocess.run([sys.executable, str(ROOT / "scripts" / "check_model_privacy.py"), "--corpus", str(SHARED_CORPUS)],
                       capture_output=True, text=True)
    assert p.returncode == 0 and "terms below 5: 0" in p.stdout, p.stdout + p.stderr

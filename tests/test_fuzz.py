"""Fuzzing as a habit (issue 30): hypothesis drives the reader, the normalizer, decode and the batch paths with
arbitrary text and bytes, pathological shapes among them (long runs of one character, one word or one marker, deep
markup). No traceback, no hang (hypothesis' deadline per call), the documented exit codes. Whether time grows
linearly with size is measured by scripts/benchmarks/bench_reader.py (it doubles each shape and exits 1 on a
superlinear one); a longer run of these strategies: scripts/benchmarks/fuzz_long.py."""
import json
import os

import pytest
from conftest import run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cabletags import decode, normalize, read_cable
from cabletags.reading import ReadError

pytestmark = pytest.mark.slow  # hundreds of examples a test: CI's slow step runs them (python -m pytest -m slow)

MARKERS = ["TAGS: ", "SUBJECT: ", "1. ", "\u00b6", "PARA ", "(C) ", "SUMMARY: ", "END SUMMARY", "COMMENT: ", "REF: ",
           "NNNN", "\n", " ", "\r\n", "<div>", "</pre>", "<pre>", "E.O. 12958", "UNCLAS ", "09PARIS1007", "PREL, ",
           "%PDF-", "{", "\x00", "\ufeff", "&#x000A;", "<table class='cable'><tr><th>Reference ID</th></tr>"]
# a marker repeated many times, words and markers mixed, or plain arbitrary text
shapes = st.one_of(
    st.builds(lambda m, k: m * k, st.sampled_from(MARKERS), st.integers(1, 3000)),
    st.lists(st.sampled_from(MARKERS + ["WORD ", "word ", "12", "A. "]), max_size=400).map("".join),
    st.text(max_size=2000),
)
# examples per property: 60 in the suite; scripts/benchmarks/fuzz_long.py runs thousands
EXAMPLES = int(os.environ.get("CABLETAGS_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=5000, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(shapes)
def test_the_reader_never_fails_on_text(text):
    c = read_cable(text)
    assert isinstance(c.to_dict(), dict) and all(p.number is None or p.number >= 1 for p in c.paragraphs)


@FUZZ
@given(st.one_of(st.binary(max_size=3000), shapes.map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_the_reader_never_fails_on_bytes(data):
    try:
        c = read_cable(data)
    except ReadError as e:  # JSON Lines, a PDF it cannot read, a binary file: one line, a documented code
        assert e.exit_code in (2, 3) and "\n" not in str(e)
        return
    assert "\ufffd" not in c.body or c.encoding in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be") or \
        "\ufffd" in data.decode("utf-8", "ignore")


@FUZZ
@given(shapes)
def test_normalize_and_decode_never_fail(text):
    n = normalize(text)
    assert all(isinstance(c, str) for c in n.codes)
    decode(text[:200])


@settings(max_examples=max(EXAMPLES // 3, 20), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=600))
def test_batch_paths_take_any_bytes(tmp_path, data):
    f = tmp_path / "in"
    f.write_bytes(data)
    for args in (["normalize", "--jsonl", "--input", str(f)], ["normalize", "--input", str(f), "--format", "tsv"],
                 ["normalize", "--csv", str(f)], ["parse", str(f), "--format", "json"]):
        p = run_cli(*args)
        assert p.returncode in (0, 1, 2, 3, 5), (args, p.returncode, p.stderr)
        assert "Traceback" not in p.stderr and "internal error" not in p.stderr, (args, p.stderr)
        if args[1] == "--jsonl" and p.returncode == 0:
            assert all(json.loads(x) is not None for x in p.stdout.splitlines() if x.strip())

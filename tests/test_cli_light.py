"""The light commands (decode, normalize) through the real `cabletags` entry point, in new processes; and the
light install (no extra) doing the main jobs."""
import json
import subprocess
import sys

import pytest

from conftest import run_cli


def test_decode_table_and_exit_zero():
    p = run_cli("decode", "KTIP", "PHUM", "AJ")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].split() == ["code", "kind", "title", "notes", "definition", "(1974)"]
    assert any(line.startswith("AJ") and "Azerbaijan" in line and "ISO AZ" in line for line in lines)
    assert any(line.startswith("KTIP") and "Trafficking in Persons" in line for line in lines)


def test_decode_raw_line_shows_repairs_and_unknown_exit_one():
    p = run_cli("decode", "--format", "json", "TAGS: PGOV, PREL, OSCEPREF", "QQQX")
    assert p.returncode == 1
    doc = json.loads(p.stdout)
    assert doc["taxonomy_version"]
    by_code = {r["code"]: r for r in doc["results"]}
    assert by_code["OSCE"]["via"] == "split: OSCEPREF" and by_code["PREF"]["status"] == "repaired"
    assert by_code["QQQX"]["status"] == "unknown"


def test_decode_did_you_mean():
    p = run_cli("decode", "--format", "jsonl", "PHUMM", "KCI")
    rows = [json.loads(x) for x in p.stdout.splitlines()]
    assert rows[0]["code"] == "PHUM" and rows[0]["status"] == "repaired"
    # three codes are one letter from KCI and none is clearly best: kept unknown, with the candidates
    assert rows[1]["status"] == "unknown" and "KOCI" in rows[1]["did_you_mean"] and p.returncode == 1


def test_decode_tsv_and_stdin():
    p = run_cli("decode", "--format", "tsv", input="PREL\nGM\n")
    assert p.returncode == 0
    assert p.stdout.splitlines()[0] == "code\tkind\ttitle\tnotes\tdefinition (1974)"
    assert p.stdout.splitlines()[2].startswith("GM\tgeographic\tGermany")


def test_decode_does_not_import_scikit_learn():
    # nor the ISO tables, which only the current era reads (XK: a GENC code GENC adds, named from the curated table)
    code = ("import sys; from cabletags.cli import main\n"
            "try:\n    main(['decode', 'PHUM', 'XK', 'CH'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in sys.modules if m.startswith(('sklearn', 'pycountry'))]\n"
            "print(heavy or 'LIGHT', file=sys.stderr)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert p.stderr.strip().endswith("LIGHT"), p.stderr


def test_normalize_arguments_json():
    p = run_cli("normalize", "--format", "json", "OVIP (POWELL, COLIN)", "PREL OSCEPREF")
    assert p.returncode == 0
    doc = json.loads(p.stdout)
    assert doc["taxonomy_version"]
    assert doc["results"][0]["names"] == ["POWELL, COLIN"]
    assert doc["results"][1]["codes"] == ["PREL", "OSCE", "PREF"]


def test_normalize_stdin_lines_table():
    p = run_cli("normalize", input="PREL PGOV\n\nprel\n")
    assert p.returncode == 0 and "PREL, PGOV" in p.stdout and "case: prel -> PREL" in p.stdout


def test_normalize_jsonl_batch_contract(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join([
        json.dumps({"id": "a", "tags": "TAGS: PGOV, PREL, OSCEPREF", "body": "x"}),
        "this is not json",
        json.dumps({"id": "b", "tags": None}),
        json.dumps({"id": "c"}),
        json.dumps([1, 2]),
        json.dumps({"id": "d", "tags": ""}),
        json.dumps({"id": "e", "tags": "OVIP POWELL COLIN", "normalized": "old"}),
    ]) + "\n")
    p = run_cli("normalize", "--jsonl", "--field", "tags", "--input", str(src))
    assert p.returncode == 0, p.stderr
    out = [json.loads(x) for x in p.stdout.splitlines()]
    assert [r["id"] for r in out] == ["a", "b", "c", "d", "e"]
    assert out[0]["normalized"]["codes"] == ["PGOV", "PREL", "OSCE", "PREF"] and out[0]["body"] == "x"
    assert set(out[0]["normalized"]) >= {"codes", "names", "unknown", "repairs", "taxonomy_version"}
    for r in out[1:4]:
        assert r["normalized"]["codes"] == [] and r["normalized"]["repairs"] == []
    assert out[4]["normalized"]["names"] == ["POWELL, COLIN"]
    assert "line 2" in p.stderr and "line 5" in p.stderr


def test_normalize_jsonl_from_stdin_with_other_field():
    rec = {"id": 1, "t": "PHUM"}
    p = run_cli("normalize", "--jsonl", "--field", "t", input=json.dumps(rec) + "\n")
    assert json.loads(p.stdout)["normalized"]["codes"] == ["PHUM"]


def test_strict_batch_exit_code():
    p = run_cli("normalize", "--jsonl", "--strict", input='{"tags": "PREL"}\nnope\n')
    assert p.returncode == 5 and len(p.stdout.splitlines()) == 1


def test_missing_input_file():
    p = run_cli("normalize", "--input", "/nonexistent/file.txt")
    assert p.returncode == 3 and p.stderr.startswith("error:") and "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


def test_directory_as_input(tmp_path):
    p = run_cli("normalize", "--jsonl", "--input", str(tmp_path))
    assert p.returncode == 3 and "is a directory" in p.stderr


def test_no_input_at_all():
    p = run_cli("normalize")
    assert p.returncode == 3 and "no input" in p.stderr


def test_wrong_format_is_a_usage_error():
    p = run_cli("decode", "--format", "yaml", "PHUM")
    assert p.returncode == 2 and p.stderr.startswith("error:") and "Traceback" not in p.stderr


def test_unknown_option_is_a_usage_error():
    p = run_cli("normalize", "--frobnicate")
    assert p.returncode == 2 and "Traceback" not in p.stderr


def test_binary_and_invalid_utf8_are_processed_and_reported(tmp_path):
    f = tmp_path / "bin.txt"
    f.write_bytes(b"PREL \xff\xfe PGOV\n\x00\x01\x02 PHUM\n")
    p = run_cli("normalize", "--format", "jsonl", "--input", str(f))
    assert p.returncode == 0
    rows = [json.loads(x) for x in p.stdout.splitlines()]
    assert rows[0]["codes"] == ["PREL", "PGOV"] and rows[1]["codes"] == ["PHUM"]
    assert "undecodable bytes replaced" in p.stderr


def test_ten_megabyte_line(tmp_path):
    f = tmp_path / "big.txt"
    f.write_text("PREL " * 2_000_000 + "\n")
    p = run_cli("normalize", "--format", "json", "--input", str(f))
    assert p.returncode == 0 and json.loads(p.stdout)["results"][0]["codes"] == ["PREL"]


def test_broken_user_taxonomy_is_a_clear_error(taxonomy_copy):
    (taxonomy_copy / "subject.yaml").write_text("kind: subject\nentries:\n  - code: 12\n")
    p = run_cli("--taxonomy", str(taxonomy_copy), "decode", "PHUM")
    assert p.returncode == 4 and "subject.yaml" in p.stderr and "Traceback" not in p.stderr


def test_output_file_is_written_atomically(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text("previous good output\n")
    p = run_cli("normalize", "--jsonl", "-o", str(out), input='{"tags": "PREL"}\n')
    assert p.returncode == 0 and json.loads(out.read_text())["normalized"]["codes"] == ["PREL"]
    assert [x.name for x in tmp_path.iterdir()] == ["out.jsonl"]


# a light install: the serve, dask and pdf extras absent (their modules made unimportable in a new process)
_WITHOUT_EXTRAS = ("import sys\n"
                   "for m in ('fastapi', 'starlette', 'uvicorn', 'multipart', 'python_multipart', 'dask', "
                   "'distributed', 'pypdf'):\n"
                   "    sys.modules[m] = None\n"
                   "from cabletags.cli import main\n"
                   "main(sys.argv[1:])\n")


def _light(*args, input=b""):
    return subprocess.run([sys.executable, "-c", _WITHOUT_EXTRAS, *args], input=input, capture_output=True)


@pytest.mark.slow
def test_the_core_install_decodes_normalizes_parses_and_suggests():
    cable = b"UNCLAS BAKU 000123\n\nTAGS: PREL, KTIP, AJ\nSUBJECT: SHELTERS\n\n1. (U) Trafficking victims.\n"
    for args, stdin in ((["decode", "KTIP"], b""), (["normalize", "PGOV OSCEPREF"], b""), (["parse", "-"], cable),
                        (["suggest", "--limit", "3", "-"], cable)):
        p = _light(*args, input=stdin)
        assert p.returncode == 0, (args, p.stderr)


def test_a_missing_extra_is_one_line_with_its_install_command():
    p = _light("serve", "--port", "1")
    err = p.stderr.decode()
    assert p.returncode == 2 and err.count("\n") == 1
    assert "pip install 'cabletags[serve]'" in err and "Traceback" not in err
    p = _light("parse", "-", input=b"%PDF-1.4\n%%EOF\n")
    assert p.returncode == 2 and "pip install 'cabletags[pdf]'" in p.stderr.decode()

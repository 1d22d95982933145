"""cabletags inside other people's pipelines (issue 26): row for row, missing cells, streaming, tables, pandas.
Every line and table here was written for the tests."""
import json
import math

import pytest
from conftest import run_cli

from cabletags import normalize, normalize_many

LINES = ["PGOV, PREL", "", "   ", "TAGS:", "OSCEPREF", "\t", "PHUM KTIP", "-- -- --"]


@pytest.mark.parametrize("fmt", ["tsv", "jsonl", "json", "table"])
def test_normalize_gives_one_row_per_input_line_blank_or_not(tmp_path, fmt):
    f = tmp_path / "lines.txt"
    f.write_text("\n".join(LINES) + "\n")
    p = run_cli("normalize", "--input", str(f), "--format", fmt)
    assert p.returncode == 0
    if fmt == "tsv":
        rows = p.stdout.splitlines()[1:]
        codes = [r.split("\t")[1] for r in rows]
    elif fmt == "jsonl":
        codes = [", ".join(json.loads(r)["codes"]) for r in p.stdout.splitlines()]
    elif fmt == "json":
        codes = [", ".join(d["codes"]) for d in json.loads(p.stdout)["results"]]
    else:
        codes = p.stdout.splitlines()[2:]
    assert len(codes) == len(LINES)
    if fmt != "table":
        assert codes == ["PGOV, PREL", "", "", "", "OSCE, PREF", "", "PHUM, KTIP", ""]


def test_missing_cells_normalize_to_an_empty_result():
    np = pytest.importorskip("numpy")
    for missing in (None, float("nan"), np.float32("nan"), np.nan, ""):
        n = normalize(missing)
        assert n.codes == [] and n.unknown == [] and n.names == []
    with pytest.raises(TypeError):
        normalize(12)  # a number is not a missing cell: said, not guessed


def test_normalize_many_streams_in_order():
    def lines():
        yield from ["PGOV, PREL", None, math.nan, "OSCEPREF"]
    got = normalize_many(lines())
    assert not isinstance(got, list)  # a generator: nothing is read ahead
    assert [n.codes for n in got] == [["PGOV", "PREL"], [], [], ["OSCE", "PREF"]]


def test_the_pandas_recipe():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"id": ["a", "b", "c"], "tags": ["PGOV, PREL", None, "OSCEPREF"]})
    # docs/pipelines.md: one column in, the codes as a column out, missing cells kept as empty lists
    df["codes"] = [n.codes for n in normalize_many(df["tags"])]
    df["codes_map"] = df["tags"].map(lambda t: normalize(t).codes)
    assert df["codes"].tolist() == [["PGOV", "PREL"], [], ["OSCE", "PREF"]] == df["codes_map"].tolist()


TABLE = ('\ufeffID,TAGS,note\r\n1,"PGOV, PREL","a, b"\r\n2,OSCEPREF,"line1\nline2"\r\n3\r\n\r\n'
         '4,,x\r\n5,prel pgov,')


def test_csv_keeps_every_other_byte_and_appends_the_new_columns(tmp_path):
    f = tmp_path / "t.csv"
    f.write_bytes(TABLE.encode("utf-8"))
    p = run_cli("normalize", "--csv", str(f), "--column", "TAGS", "--id-column", "ID", "-o", str(tmp_path / "o.csv"))
    got = (tmp_path / "o.csv").read_bytes().decode("utf-8")
    assert got == ('\ufeffID,TAGS,note,codes,names,unknown,repairs,confidence\r\n'
                   '1,"PGOV, PREL","a, b",PGOV PREL,,,,1\r\n'
                   '2,OSCEPREF,"line1\nline2",OSCE PREF,,,split:OSCEPREF>OSCE PREF,0.95\r\n'
                   '3,,,,,\r\n'  # no TAGS field: reported, new cells empty, the record kept
                   '\r\n'
                   '4,,x,,,,,1\r\n'
                   '5,prel pgov,,PREL PGOV,,,case:prel>PREL; case:pgov>PGOV,1')
    assert p.returncode == 0 and "line 5" in p.stderr and "id '3'" in p.stderr
    assert run_cli("normalize", "--csv", str(f), "--column", "TAGS", "--strict").returncode == 5


def test_tsv_and_the_refusals(tmp_path):
    f = tmp_path / "t.tsv"
    f.write_text("id\ttags\tother\na\tPHUM, KTIP\t\"quoted\" text\n")
    p = run_cli("normalize", "--tsv", str(f))
    # the record as written (its quotes are not re-quoted), then the new cells
    assert p.returncode == 0 and p.stdout.splitlines() == ["id\ttags\tother\tcodes\tnames\tunknown\trepairs\tconfidence",
                                                           'a\tPHUM, KTIP\t"quoted" text\tPHUM KTIP\t\t\t\t1']
    p = run_cli("normalize", "--tsv", str(f), "--column", "TAGS")
    assert p.returncode == 2 and "no column 'TAGS'" in p.stderr and len(p.stderr.splitlines()) == 1
    assert run_cli("normalize", "--csv", str(f), "--jsonl").returncode == 2


def test_the_delimiter_comes_from_the_file(tmp_path):
    # a semicolon table (Excel in many locales) under --csv, and Excel's "sep=" line (kept): the header's split that
    # holds the column decides, and the new cells use the same delimiter
    f = tmp_path / "semi.csv"
    f.write_bytes(b'ID;TAGS;note\r\n1;"PGOV, OSCEPREF";a, b\r\n')
    p = run_cli("normalize", "--csv", str(f), "--column", "TAGS")
    assert p.returncode == 0 and p.stdout.splitlines() == ["ID;TAGS;note;codes;names;unknown;repairs;confidence",
                                                           '1;"PGOV, OSCEPREF";a, b;PGOV OSCE PREF;;;'
                                                           'split:OSCEPREF>OSCE PREF;0.95']
    f.write_bytes(b"sep=|\nTAGS|ID\nPHUM|x\n")
    p = run_cli("normalize", "--csv", str(f), "--column", "TAGS")
    assert p.stdout.splitlines() == ["sep=|", "TAGS|ID|codes|names|unknown|repairs|confidence", "PHUM|x|PHUM||||1"]
    f.write_bytes(b"ID,TAGS\n1,PGOV\n2,PREL,EXTRA\n")  # more fields than the header: said, kept as written
    p = run_cli("normalize", "--csv", str(f), "--column", "TAGS", "--id-column", "ID")
    assert p.stdout.splitlines()[2] == "2,PREL,EXTRA,PREL,,,,1"
    assert "line 3: 3 fields, the header has 2 (id '2')" in p.stderr


def test_evaluate_says_what_it_left_out(tiny, tmp_path):
    from tiny_corpus import make_records

    recs = make_records(12, seed=7)
    recs[0]["body"] = ""  # no text
    del recs[1]["body"]  # no text field
    recs[2]["tags"] = "TAGS: ZZZZ"  # no code the model knows
    f = tmp_path / "held.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in recs) + "\n{broken\n")
    p = run_cli("evaluate", "--corpus", str(f), "--model", str(tiny / "model"), "--format", "json")
    d = json.loads(p.stdout)
    assert p.returncode == 0 and d["scored"] == 9
    assert d["left_out"] == {"no text in field 'body'": 2, "no TAGS code in the model's label space": 1,
                             "malformed line": 1}
    assert "9 scored, 4 left out" in p.stderr
    strict = run_cli("evaluate", "--corpus", str(f), "--model", str(tiny / "model"), "--strict")
    assert strict.returncode == 5
    g = tmp_path / "none.jsonl"
    g.write_text(json.dumps({"id": "x", "body": "text", "tags": "ZZZZ"}) + "\n")
    p = run_cli("evaluate", "--corpus", str(g), "--model", str(tiny / "model"))
    assert p.returncode == 3 and "nothing to evaluate" in p.stderr and len(p.stderr.strip().splitlines()) == 1


def test_normalize_jsonl_keeps_blank_lines_as_blank_rows(tmp_path):
    f = tmp_path / "t.jsonl"
    f.write_text('{"id": 1, "tags": "PREL"}\n\n   \n{"id": 2, "tags": "PGOV"}\n')
    rows = run_cli("normalize", "--jsonl", "--input", str(f)).stdout.split("\n")
    assert [json.loads(r)["id"] if r.strip() else None for r in rows[:4]] == [1, None, None, 2]


def test_records_pass_through_exactly_big_numbers_key_order_and_all():
    from decimal import Decimal

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from cabletags.surfaces.batch import RecordNormalizer
    from cabletags.textio import dumps, loads

    scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**40, max_value=10**40),
                        st.decimals(allow_nan=False, allow_infinity=False, places=None).map(lambda d: d.normalize()),
                        st.sampled_from([Decimal("1.5e999"), Decimal("-2E-400"), Decimal("0.1")]), st.text(max_size=8))
    values = st.recursive(scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c,
                                                                                        max_size=3), max_leaves=8)
    records = st.dictionaries(st.text(max_size=6).filter(lambda k: k not in ("tags", "normalized")), values,
                              max_size=5).map(lambda d: {**d, "tags": "PGOV, OSCEPREF"})
    rn = RecordNormalizer()

    @settings(max_examples=150, deadline=None)
    @given(records)
    def check(rec):
        line = dumps(rec)
        exact = json.loads(rn.line(loads(line), line), parse_float=Decimal)  # numbers read exactly, as written
        assert list(exact) == list(rec) + ["normalized"]  # key order kept, one field added
        assert {k: v for k, v in exact.items() if k != "normalized"} == json.loads(line, parse_float=Decimal)
        assert exact["normalized"]["codes"] == ["PGOV", "OSCE", "PREF"]

    check()


def test_suggest_jsonl_keeps_a_big_integer_id(tiny, tmp_path):
    f = tmp_path / "big.jsonl"
    f.write_text('{"id": 123456789012345678901234567890, "body": "shelters for trafficking victims", "x": 1.5e999}\n')
    p = run_cli("suggest", "--jsonl", str(f), "--model", str(tiny / "model"), "--limit", "1")
    assert p.returncode == 0 and p.stdout.startswith('{"id": 123456789012345678901234567890,')

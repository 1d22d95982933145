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

"""The library owns every behaviour: batch helpers, audit, whole-cable suggestion, Annif export and
evaluation through the Python API, and the CLI's JSON Lines output equal to what they return."""
import json

import pytest
from conftest import run_cli
from tiny_corpus import make_records, write_jsonl

from cabletags import Suggester
from cabletags.scoring.corpus import export_annif
from cabletags.scoring.evaluation import evaluate_model
from cabletags.surfaces.audit import Auditor
from cabletags.surfaces.batch import normalize_records, parse_records, suggest_records
from cabletags.textio import InputError

CABLE = """CONFIDENTIAL BAKU 000123

SIPDIS

E.O. 12958: DECL: 01/01/2019
TAGS: PREL, KTIP, AJ
SUBJECT: TRAFFICKING SHELTERS OPEN

1. (C) Trafficking victims reached two new shelters; traffickers face prosecution for forced labor.

2. (U) Inflation and the budget deficit worry the central bank.
"""


def test_normalize_records_match_the_cli_contract(tmp_path):
    recs = [{"id": 1, "tags": "PGOV, prel, OSCEPREF"}, {"id": 2, "tags": None}, {"id": 3}, {"id": 4, "tags": 7}]
    out = list(normalize_records(recs))
    assert [r["id"] for r in out] == [1, 2, 3, 4] and "normalized" not in recs[0]  # inputs are not changed
    assert out[0]["normalized"]["codes"] == ["PGOV", "PREL", "OSCE", "PREF"]
    assert out[1]["normalized"]["codes"] == [] and out[2]["normalized"]["codes"] == []
    assert out[3]["normalized"]["unknown"] == ["7"]
    src = write_jsonl(tmp_path / "in.jsonl", recs)
    p = run_cli("normalize", "--jsonl", "--input", str(src))
    assert p.returncode == 0, p.stderr
    assert [json.loads(line) for line in p.stdout.splitlines()] == out
    assert "normalize: 4 record(s) in, 4 out, 0 skipped" in p.stderr


def test_parse_records_match_the_cli_contract(tmp_path):
    recs = [{"id": "x", "text": CABLE}, {"id": "y", "text": None}]
    out = list(parse_records(recs))
    assert out[0]["parsed"]["tags"]["codes"] == ["PREL", "KTIP", "AJ"]
    assert out[0]["parsed"]["subject"] == "TRAFFICKING SHELTERS OPEN"
    assert out[1]["parsed"]["tags"]["codes"] == [] and out[1]["parsed"]["paragraphs"] == []
    p = run_cli("parse", "--jsonl", str(write_jsonl(tmp_path / "in.jsonl", recs)))
    assert p.returncode == 0, p.stderr
    assert [json.loads(line) for line in p.stdout.splitlines()] == out


def test_suggest_records_match_the_cli_contract(tiny, tmp_path):
    s = Suggester.load(tiny / "model")
    recs = make_records(n=7, seed=3) + [{"id": "empty", "body": "  "}, {"id": "none"}]
    out = list(suggest_records(recs, s, limit=3, batch_size=4))  # batches of 4: the rows still line up
    assert [r["id"] for r in out] == [r["id"] for r in recs]
    assert out[-1]["tags"] == [] and out[-2]["tags"] == []
    assert out[0]["tags"] == [x.to_dict() for x in s.suggest(recs[0]["body"], 3)]
    p = run_cli("suggest", "--jsonl", str(write_jsonl(tmp_path / "in.jsonl", recs)), "--model", str(tiny / "model"),
                "--limit", "3")
    assert p.returncode == 0, p.stderr
    assert [json.loads(line) for line in p.stdout.splitlines()] == out


def test_records_must_be_dicts(tiny):
    with pytest.raises(TypeError, match="dict"):
        list(normalize_records(["PREL"]))
    with pytest.raises(TypeError, match="dict"):
        list(suggest_records([["text"]], Suggester.load(tiny / "model")))


def test_auditor_reports_missing_tags_and_malformed_lines(tiny):
    s = Suggester.load(tiny / "model")
    body = "trafficking victims smuggling forced labor shelters traffickers prosecution persons " * 5
    recs = [{"id": "a", "body": body, "tags": "PREL"},            # KTIP is missing
            {"id": "b", "body": body, "tags": "TAGS: PREL, KTIPP"},  # a typo, repaired
            {"id": "c", "body": "", "tags": None}]                 # no TAGS line, no text
    auditor = Auditor(s, min_score=0.5)
    found = list(auditor.audit(recs))
    assert [f["id"] for f in found] == ["a", "b", "c"]
    assert "KTIP" in [m["tag"] for m in found[0]["missing"]] and not found[0]["malformed"]
    assert found[1]["malformed"] and [r["kind"] for r in found[1]["repairs"]] == ["typo"]
    assert "KTIP" not in [m["tag"] for m in found[1]["missing"]]  # the repaired code counts as present
    assert found[2]["problem"] == "no TAGS line" and found[2]["missing"] == []
    sm = auditor.summary
    assert (sm.cables, sm.flagged, sm.repairs["typo"], sm.missing["KTIP"]) == (3, 3, 1, 1)


def test_suggest_cable_reads_the_cable_beside_its_own_tags(tiny):
    d = Suggester.load(tiny / "model").suggest_cable(CABLE, limit=5)
    assert d["reference_id"] is None and d["subject"] == "TRAFFICKING SHELTERS OPEN"
    assert d["own_tags"] == ["PREL", "KTIP", "AJ"]
    assert [p["number"] for p in d["paragraphs"]] == [1, 2]
    assert d["whole"][0]["tag"] == "KTIP" and d["whole"][0]["own"] is True
    assert d["paragraphs"][1]["tags"][0]["tag"] == "ECON"  # the budget paragraph on its own
    assert set(d["suggested_but_absent"]) == {x["tag"] for x in d["whole"] if x["selected"] and not x["own"]}


def test_export_annif_writes_corpus_and_vocabulary(tmp_path):
    recs = [{"body": "Police\tarrested\n traffickers.", "tags": "KTIP, AJ"}, {"body": "no tags", "tags": ""},
            {"body": None, "tags": "PREL"}]
    n, skipped = export_annif(recs, tmp_path / "annif")
    assert (n, skipped) == (1, 2)
    text, subjects = (tmp_path / "annif" / "corpus.tsv").read_text().rstrip("\n").split("\t")
    assert text == "Police arrested traffickers."
    assert [s.rsplit("/", 1)[1].rstrip(">") for s in subjects.split()] == ["KTIP", "AJ"]
    vocab = (tmp_path / "annif" / "vocab.tsv").read_text()
    assert any(line.split("\t")[0] == subjects.split()[0] for line in vocab.splitlines())
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        export_annif(recs, tmp_path / "file")


def test_evaluate_model_matches_the_cli(tiny, tmp_path):
    s = Suggester.load(tiny / "model")
    ev = evaluate_model(s, tiny / "corpus.jsonl")
    assert ev.report["all"]["documents"] == 120 and ev.report["all"]["P@1"] > 0.9
    preds = list(ev.predictions(limit=3))
    assert len(preds) == 120 and all(len(p["tags"]) == 3 for p in preds)
    assert {r["tag"] for r in ev.per_tag()} == set(s.labels)
    p = run_cli("evaluate", "--corpus", str(tiny / "corpus.jsonl"), "--model", str(tiny / "model"), "--format", "json")
    row = json.loads(p.stdout)["results"][0]
    assert row["slice"] == "all" and row["P@1"] == round(ev.report["all"]["P@1"], 4)
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(InputError, match="no records"):
        evaluate_model(s, tmp_path / "empty.jsonl")

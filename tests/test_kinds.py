"""Suggestions of one kind ("which program tag applies"): the library, the CLI, JSON Lines and the service."""
import json

import pytest
from conftest import run_cli

from cabletags.scoring.suggester import Suggester

TEXT = ("1. (C) SUMMARY: trafficking victims smuggling forced labor shelters traffickers prosecution in azerbaijan "
        "baku, the embassy said.")


@pytest.fixture(scope="module")
def s(tiny):
    return Suggester.load(tiny / "model")


def test_rank_keeps_only_the_kinds_asked_with_the_whole_rankings_scores(s):
    whole = s.suggest(TEXT, limit=20)
    kinds = {x.tag: x.kind for x in whole}
    assert {"program", "geographic", "subject"} <= set(kinds.values())
    program = s.suggest(TEXT, limit=20, kinds=["program"])
    assert program and {x.kind for x in program} == {"program"}
    # the same scores and selected flags, in the same order, as in the whole ranking
    same = [(x.tag, x.score, x.selected) for x in whole if x.kind == "program"]
    assert [(x.tag, x.score, x.selected) for x in program] == same
    assert program[0].tag == "KTIP" and program[0].selected
    both = s.suggest(TEXT, limit=20, kinds=("program", "geographic"))
    assert {x.kind for x in both} == {"program", "geographic"}
    assert [x.tag for x in s.suggest(TEXT, limit=1, kinds="geographic")] == ["AJ"]
    assert s.suggest(TEXT, limit=5, kinds=["organization"]) == []  # the tiny model has no organization tag
    with pytest.raises(ValueError, match="unknown tag kind 'programme'"):
        s.suggest(TEXT, kinds=["programme"])


def test_a_kind_with_nothing_selected_still_says_the_text_has_evidence(s):
    from cabletags.scoring.results import text_result

    d = text_result(s, TEXT, limit=3, kinds=["subject"])
    assert {t["kind"] for t in d["tags"]} == {"subject"}
    assert d["no_evidence"] is False
    assert text_result(s, "hello", limit=3, kinds=["program"])["no_evidence"] is True


def test_cli_kind_in_text_jsonl_and_cable_modes(tiny, tmp_path):
    f = tmp_path / "p.txt"
    f.write_text(TEXT)
    p = run_cli("suggest", str(f), "--model", str(tiny / "model"), "--kind", "program", "--format", "json")
    assert p.returncode == 0, p.stderr
    assert [t["tag"] for t in json.loads(p.stdout)["tags"]][:1] == ["KTIP"]
    assert {t["kind"] for t in json.loads(p.stdout)["tags"]} == {"program"}
    recs = tmp_path / "r.jsonl"
    recs.write_text(json.dumps({"id": "a", "body": TEXT}) + "\n" + json.dumps({"id": "b", "body": ""}) + "\n")
    p = run_cli("suggest", "--jsonl", str(recs), "--model", str(tiny / "model"), "--kind", "geographic",
                "--limit", "2")
    assert p.returncode == 0, p.stderr
    rows = [json.loads(line) for line in p.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["a", "b"]
    assert rows[0]["tags"][0]["tag"] == "AJ" and len(rows[0]["tags"]) == 2 and rows[0]["no_evidence"] is False
    assert rows[1] == {"id": "b", "tags": [], "no_evidence": True}
    cable = tmp_path / "c.txt"
    cable.write_text("UNCLAS BAKU 000123\n\nTAGS: PREL, KTIP, AJ\nSUBJECT: SHELTERS\n\n" + TEXT + "\n")
    p = run_cli("suggest", "--cable", str(cable), "--model", str(tiny / "model"), "--kind", "program",
                "--format", "json")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert {w["kind"] for w in d["whole"]} == {"program"}
    assert all(t["tag"] != "AJ" for t in d["own_below"])  # an own tag of another kind is not "below the list"
    p = run_cli("suggest", str(f), "--model", str(tiny / "model"), "--kind", "programme")
    assert p.returncode == 2 and "programme" in p.stderr


def test_service_kinds(tiny):
    from fastapi.testclient import TestClient

    from cabletags.surfaces.service import create_app

    client = TestClient(create_app(tiny / "model"))
    r = client.post("/v1/suggest", json={"text": TEXT, "kinds": ["program"], "paragraphs": True})
    assert r.status_code == 200
    d = r.json()
    assert d["tags"][0]["tag"] == "KTIP" and {t["kind"] for t in d["tags"]} == {"program"}
    assert all(t["kind"] == "program" for p in d["paragraphs"] for t in p["tags"])
    assert client.post("/v1/suggest", json={"text": TEXT, "kinds": ["programme"]}).status_code == 422

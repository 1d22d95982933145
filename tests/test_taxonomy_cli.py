"""`cabletags taxonomy ...` and `cabletags corpus export` through the real CLI; SKOS round trip."""
import json

import pytest
from conftest import run_cli

from cabletags import load_taxonomy
from cabletags.vocabulary.catalog import search


@pytest.fixture(scope="module")
def tax():
    return load_taxonomy()


@pytest.mark.parametrize("query,first", [("trafficking", "KTIP"), ("Russia", "RS"), ("human rights", "PHUM"),
                                         ("RU", "RS"), ("Azerbaijan", "AJ"), ("germany", "GM"), ("PHUM", "PHUM")])
def test_search_ranking(tax, query, first):
    hits = search(tax, query)
    assert hits and hits[0]["code"] == first, hits[:3]


def test_search_tells_about_aliases(tax):
    hit = search(tax, "Russia")[0]
    assert "RU" in hit["aliases"]
    assert search(tax, "RU")[0]["why"].startswith("iso alias RU of RS")


def test_cli_list_filters():
    p = run_cli("taxonomy", "list", "--kind", "subject", "--category", "P", "--format", "json")
    rows = json.loads(p.stdout)["results"]
    assert rows and all(r["kind"] == "subject" and r["category"] == "P" for r in rows)
    assert "PHUM" in {r["code"] for r in rows}


def test_cli_show_and_alias_and_unknown(tmp_path):
    d = json.loads(run_cli("taxonomy", "show", "AJ", "--format", "json").stdout)
    assert d["title"] == "Azerbaijan" and d["iso3166"] == "AZ" and d["kind"] == "geographic"
    d = json.loads(run_cli("taxonomy", "show", "RU", "--format", "json").stdout)
    assert d["code"] == "RS" and "alias" in d["looked_up_as"]
    p = run_cli("taxonomy", "show", "PHUX")
    assert p.returncode == 1 and "did you mean: PHUM" in p.stderr


def test_cli_show_with_corpus(tmp_path):
    f = tmp_path / "c.jsonl"
    f.write_text("\n".join(json.dumps({"id": i, "tags": t}) for i, t in enumerate(["PHUM, AJ", "PREL", "phum"])))
    d = json.loads(run_cli("taxonomy", "show", "PHUM", "--corpus", str(f), "--format", "json").stdout)
    assert d["corpus"] == {"cables": 3, "carrying": 2}


def test_cli_stats(tmp_path):
    f = tmp_path / "c.jsonl"
    f.write_text("\n".join(json.dumps({"tags": t}) for t in ["PHUM, Press Summaries", "PHUM XQZW", "Press Summaries"]))
    rows = json.loads(run_cli("taxonomy", "stats", "--corpus", str(f), "--format", "json").stdout)["results"]
    assert rows[0] == {"item": "PHUM", "type": "code", "kind": "subject", "cables": 2}
    unknown = [r for r in rows if r["type"] == "unknown"]
    assert unknown[0]["item"] == "Press Summaries" and unknown[0]["cables"] == 2


def test_cli_validate(taxonomy_copy):
    assert run_cli("taxonomy", "validate").returncode == 0
    (taxonomy_copy / "program.yaml").write_text("kind: program\nentries:\n  - code: KXYZ\n    status: weird\n")
    p = run_cli("taxonomy", "validate", str(taxonomy_copy))
    assert p.returncode == 4 and "program.yaml" in p.stdout and "weird" in p.stdout


@pytest.mark.slow
def test_skos_round_trip(tmp_path, tax):
    rdflib = pytest.importorskip("rdflib")
    from rdflib.namespace import OWL, RDF, SKOS

    out = tmp_path / "tax.ttl"
    p = run_cli("taxonomy", "export", "--format", "skos", "-o", str(out))
    assert p.returncode == 0, p.stderr
    g = rdflib.Graph().parse(out, format="turtle")
    concepts = set(g.subjects(RDF.type, SKOS.Concept))
    # a concept per entry, per kind (the schemes' top concepts) and per category (subject fields)
    # and per code of the 1970s only (UR, SEATO), retired
    categories = {(e.kind, e.category["letter"]) for e in tax.entries.values() if e.category}
    only_1970s = [c for c in tax.era_codes("1970s") if c not in tax.entries]
    assert len(concepts) == len(tax.entries) + 4 + len(categories) + len(only_1970s) and "UR" in only_1970s
    assert len(set(g.subjects(RDF.type, SKOS.ConceptScheme))) == 4
    assert len(list(g.triples((None, SKOS.prefLabel, None)))) == len(tax.entries) + 8 + len(categories) + len(
        only_1970s)
    # every code has a broader concept (its category or kind); places link to ISO 3166
    codes = {c for c in concepts if (c, SKOS.notation, None) in g and "/kind/" not in c and "/category/" not in c}
    assert all((c, SKOS.broader, None) in g for c in codes)
    ps = rdflib.URIRef("https://w3id.org/cabletags/PS")  # FIPS PS, Palau: ISO PW
    assert (ps, SKOS.exactMatch, rdflib.URIRef("https://www.iso.org/obp/ui/#iso:code:3166:PW")) in g
    phum = rdflib.URIRef("https://w3id.org/cabletags/PHUM")
    assert (phum, SKOS.broader, rdflib.URIRef("https://w3id.org/cabletags/category/subject/P")) in g
    n_alt = sum(1 for e in tax.entries.values() for a in e.aliases if a.type != "typo") + sum(
        len(tax.era_codes("1970s")[c]["names"]) for c in only_1970s)
    n_hidden = sum(1 for e in tax.entries.values() for a in e.aliases if a.type == "typo")
    assert len(list(g.triples((None, SKOS.altLabel, None)))) == n_alt
    assert len(list(g.triples((None, SKOS.hiddenLabel, None)))) == n_hidden > 0
    n_dep = sum(1 for e in tax.entries.values() if e.replaced_by or e.status == "historic") + len(only_1970s)
    assert len(list(g.triples((None, OWL.deprecated, None)))) == n_dep > 0


def test_annif_vocabulary_and_corpus_export(tmp_path, tax):
    voc = run_cli("taxonomy", "export", "--format", "annif").stdout.splitlines()
    assert len(voc) == len(tax.entries)
    uris = {line.split("\t")[0] for line in voc}
    src = tmp_path / "c.jsonl"
    src.write_text("\n".join([json.dumps({"id": 1, "body": "Text one\nline two", "tags": "PHUM, OSCEPREF"}),
                              json.dumps({"id": 2, "body": "", "tags": "PREL"}), "broken"]) + "\n")
    p = run_cli("corpus", "export", str(src), "--annif", str(tmp_path / "annif"))
    assert p.returncode == 0, p.stderr
    lines = (tmp_path / "annif" / "corpus.tsv").read_text().splitlines()
    assert len(lines) == 1
    text, subjects = lines[0].split("\t")
    assert text == "Text one line two"
    assert set(subjects.split()) <= uris and len(subjects.split()) == 3
    assert (tmp_path / "annif" / "vocab.tsv").read_text().splitlines() == voc


def test_csv_and_json_exports(tax):
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(run_cli("taxonomy", "export", "--format", "csv").stdout)))
    assert len(rows) == len(tax.entries) and {"code", "kind", "title", "iso3166"} <= set(rows[0])
    doc = json.loads(run_cli("taxonomy", "export", "--format", "json").stdout)
    assert len(doc["entries"]) == len(tax.entries) and doc["taxonomy_version"] == tax.version


def test_search_puts_the_code_named_by_the_query_first():
    def first(q):
        p = run_cli("taxonomy", "search", q, "--format", "json", "--limit", "3")
        return json.loads(p.stdout)["results"][0]["code"]

    assert first("united kingdom") == "UK" and first("Britain") == "UK" and first("Holland") == "NL"
    assert first("terrorism") == "PTER" and first("human rights") == "PHUM" and first("Burma") == "BM"
    d = json.loads(run_cli("taxonomy", "show", "NL", "--format", "json").stdout)
    assert d["iso3166"] == "NL" and d["title"] == "Netherlands"

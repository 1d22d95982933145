"""The taxonomy as an authority: 1974 definitions, attestations, meanings per era, titles, search.

Expectations are written from the sources themselves (the 1974 handbook TL:TAGS-1 and the NARA 1973-79 lists in
../shared/taxonomy-sources), not read back from the taxonomy files."""
import json

import pytest
import yaml
from conftest import TAXONOMY_MEMO, run_cli

from cabletags import decode, parse_cable
from cabletags.reading.parser import cable_year, era_of
from cabletags.vocabulary.taxonomy import TaxonomyError, load_taxonomy


@pytest.fixture(scope="module")
def tax():
    return load_taxonomy()


def test_definitions_from_the_1974_handbook(tax):
    # Appendix A, p. 14: EEWT covers trade and commercial relations with the socialist nations
    eewt = tax.entries["EEWT"].definition
    assert "commercial relations with the socialist nations" in eewt["text"]
    assert "Appendix A" in eewt["reference"] and eewt["ocr"] in ("clean", "fair")
    # Appendix A: PARM, arms control and disarmament, covers talks, negotiations, treaties
    assert "treaties" in tax.entries["PARM"].definition["text"]
    # a definition keeps its pointers to the other codes ("For ... use ETRD")
    assert "ETRD" in eewt["text"]


def test_1970s_subject_codes_decode_with_the_titles_of_the_sources(tax):
    # NARA appendix II (temporary TAGS): AART Art-in-Embassies Program; appendix I (permanent): CARR
    assert tax.entries["AART"].title == "Art-in-Embassies Program"
    assert tax.entries["CARR"].title == "Americans Arrested Abroad"
    nara = [a for a in tax.entries["AART"].attested if a["source"] == "nara-1973-79"]
    assert nara and nara[0]["disposition"] == "temporary"
    # the 1974 handbook's Social field: SREF Refugees, SOPN Public Opinion and Information
    assert tax.entries["SREF"].title == "Refugees" and tax.entries["SREF"].kind == "subject"
    assert tax.entries["SOPN"].title == "Public Opinion and Information"
    for code in ("PFOR", "PINT", "EEWT", "OGEN", "AORG", "CSCE", "IMCO", "CCMS"):
        assert decode(code, tax)[0].status == "known", code


def test_a_code_means_its_place_in_each_era(tax):
    # 1974 handbook, section 11: "China (Mainland) ... CH", "Soviet Union ... UR"; GENC/ISO today: CH Switzerland
    assert decode("CH", tax)[0].title == "China"
    assert decode("CH", tax, era="1970s")[0].title == "China (Mainland)"
    now = decode("CH", tax, era="current")[0]
    assert now.title == "Switzerland" and now.to_dict()["cablegate_code"] == "SZ"
    assert decode("UR", tax, era="1970s")[0].title == "Soviet Union"
    # AU: Austria in FIPS (Cablegate), Australia in GENC/ISO
    assert decode("AU", tax, era="current")[0].title == "Australia"


def test_an_ambiguous_code_says_so(tax):
    ch = decode("CH", tax)[0].notes()
    assert "GENC/ISO today: Switzerland" in ch
    ur = decode("UR", tax)[0]  # not a Cablegate code: kept as a word, its 1970s meaning named
    assert ur.status == "word" and "1970s: Soviet Union" in ur.notes()
    with pytest.raises(ValueError):
        decode("CH", tax, era="1990s")


def test_decode_era_option_and_json(tax):
    r = run_cli("decode", "--era", "1970s", "UR", "GW", "--format", "json")
    assert r.returncode == 0
    rows = json.loads(r.stdout)["results"]
    assert [x["title"] for x in rows] == ["Soviet Union", "Germany (West)"]
    assert all(x["era"] == "1970s" for x in rows)
    r = run_cli("decode", "EEWT", "--format", "json")
    d = json.loads(r.stdout)["results"][0]
    assert d["definition"]["reference"].startswith("Department of State") and d["attested"]
    table = run_cli("decode", "EEWT", "--format", "tsv").stdout.splitlines()
    assert table[0].split("\t")[-1] == "definition (1974)"
    assert table[1].split("\t")[-1].startswith("Use for papers on policies, planning, or programs")


def test_parse_reads_a_cable_in_its_own_era(tax):
    cable = ("R 121212Z JAN 75\nFM AMEMBASSY MOSCOW\nTO SECSTATE WASHDC\nE.O. 11652: GDS\n"
             "TAGS: PFOR, UR, GW\nSUBJECT: TEST\n\n1. TEXT.\n")
    p = parse_cable(cable, tax)
    assert p.year == 1975 and p.era == "1970s"
    assert p.meanings["UR"] == "Soviet Union" and p.meanings["PFOR"] == "Foreign Policy and Relations"
    assert parse_cable(cable, tax, era="cablegate").meanings.get("UR") is None
    assert cable_year("09BAKU141", None) == 2009 and cable_year(None, "121212Z JAN 75") == 1975
    assert era_of(None) == "cablegate" and era_of(1979) == "1970s" and era_of(1980) == "cablegate"


def test_search_finds_old_names_and_definitions(tax):
    from cabletags.vocabulary.catalog import search

    assert search(tax, "USSR")[0]["code"] == "UR"
    assert search(tax, "Zaire")[0]["code"] == "CG"
    assert search(tax, "United Kingdom")[0]["code"] == "UK"
    assert search(tax, "Britain")[0]["code"] == "UK"
    hits = {h["code"]: h for h in search(tax, "socialist nations", limit=50)}
    assert "EEWT" in hits and "definition" in hits["EEWT"]["why"]


def test_skos_export_carries_definitions(tax):
    from cabletags.vocabulary.catalog import export

    ttl = export(tax, "skos")
    assert "skos:definition" in ttl and "socialist nations" in ttl
    assert "proofread against the scan" in ttl  # the editorial note says how the definition was read
    # era meanings as history notes: GE was East Germany in the 1974 handbook; WTO the Warsaw Pact
    assert "1970s (1974 handbook, section 15): Warsaw Pact Organization (another meaning" in ttl


def test_every_code_on_three_corpus_cables_has_a_title_or_says_its_meaning_is_unknown(tax):
    for e in tax.entries.values():
        if e.corpus_count >= 3:
            assert e.title, e.code
        if not e.title:
            assert "meaning unknown" in (e.note or ""), e.code


def test_eras_file_is_validated(taxonomy_copy):
    (taxonomy_copy / "eras.yaml").write_text(yaml.safe_dump({"eras": {"1990s": {"codes": []}}}))
    with pytest.raises(TaxonomyError, match="1990s"):
        load_taxonomy(taxonomy_copy, use_cache=False, memo=TAXONOMY_MEMO)
    (taxonomy_copy / "eras.yaml").write_text(yaml.safe_dump({"eras": {"1970s": {"codes": [{"code": "UR"}]}}}))
    with pytest.raises(TaxonomyError, match="needs 'code' and 'title'"):
        load_taxonomy(taxonomy_copy, use_cache=False, memo=TAXONOMY_MEMO)
    (taxonomy_copy / "eras.yaml").unlink()  # optional: a taxonomy without it decodes Cablegate meanings only
    t = load_taxonomy(taxonomy_copy, use_cache=False, memo=TAXONOMY_MEMO)
    assert decode("CH", t, era="1970s")[0].title == "China"


def test_substitution_typos_and_surnames():
    from cabletags import normalize

    # a one-letter substitution in a frequent code is repaired when one candidate is clearly best
    r = normalize("PGOV, KCRN")
    assert r.codes == ["PGOV", "KCRM"] and r.repairs[-1].confidence < 0.9
    # a surname is kept whole, never split into two-letter codes or "corrected"
    for name in ("MALIKI", "SARKOZY"):
        r = normalize(f"PREL, {name}")
        assert r.codes == ["PREL"] and r.unknown == [name], name

import re

import pytest
import yaml
from conftest import TAXONOMY_MEMO

from cabletags.vocabulary.taxonomy import TaxonomyError, load_taxonomy, validate_taxonomy


@pytest.fixture(scope="module")
def tax():
    return load_taxonomy()


def test_shipped_taxonomy_loads_with_all_kinds(tax):
    kinds = {e.kind for e in tax.entries.values()}
    assert kinds == {"subject", "program", "geographic", "organization"}
    assert re.fullmatch(r"\d+\.\d+\+[0-9a-f]{12}", tax.version)


@pytest.mark.parametrize("code,title,iso", [
    ("AU", "Austria", "AT"), ("AS", "Australia", "AU"), ("GM", "Germany", "DE"), ("GG", "Georgia", "GE"),
    ("CH", "China", "CN"), ("SZ", "Switzerland", "CH"), ("KS", "South Korea", "KR"), ("KN", "North Korea", "KP"),
    ("RS", "Russia", "RU"), ("RI", "Serbia", "RS"), ("AJ", "Azerbaijan", "AZ"),
])
def test_fips_codes_are_not_iso(tax, code, title, iso):
    e = tax.entries[code]
    assert e.kind == "geographic" and e.title == title and e.iso3166 == iso


def test_subject_entries_have_category_letter_and_name(tax):
    for e in tax.by_kind("subject"):
        assert e.category and e.category["letter"] == e.code[0] or e.code.startswith("K"), e.code
        assert e.category["name"]


def test_no_entry_without_a_source_is_marked_verified(tax):
    for e in tax.entries.values():
        src = e.provenance["source"]
        if src in ("handbook", "listed"):
            assert e.provenance.get("reference"), f"{e.code} claims a source but names none"
        else:
            assert not e.verified
        assert e.provenance.get("evidence"), e.code


def test_handbook_titles_only_from_the_handbook(tax):
    for e in tax.entries.values():
        if e.provenance["source"] == "handbook":
            assert "FAM" in e.provenance["reference"], e.code


def test_aliases_resolve_to_real_codes(tax):
    assert tax.aliases["RU"] == ("RS", "iso")
    assert tax.aliases["IRAQ"][0] == "IZ"
    assert tax.aliases["INDIA"][0] == "IN"
    for form, (code, _) in tax.aliases.items():
        assert code in tax.entries and form not in tax.entries


def test_typo_aliases_can_be_switched_off():
    on, off = load_taxonomy(typo_aliases=True), load_taxonomy(typo_aliases=False)
    typos = {f for f, (_, t) in on.aliases.items() if t == "typo"}
    assert typos and not typos & set(off.aliases)


def test_repaired_forms_are_really_repaired_by_the_rules(tax):
    from cabletags.vocabulary.normalizer import get_normalizer

    n = get_normalizer(load_taxonomy(typo_aliases=False))
    for form, info in tax.repaired_forms.items():
        assert n.normalize(form).codes == info["codes"], form


def _edit(directory, name, fn):
    path = directory / name
    # libyaml's C loader and dumper when present: the pure-Python ones take seconds on a taxonomy file
    doc = yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    fn(doc)
    path.write_text(yaml.dump(doc, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False))


def _error(directory) -> str:
    with pytest.raises(TaxonomyError) as ei:
        load_taxonomy(directory, use_cache=False, memo=TAXONOMY_MEMO)
    return str(ei.value)


def test_duplicate_code_is_reported_with_file_and_entry(taxonomy_copy):
    _edit(taxonomy_copy, "program.yaml", lambda d: d["entries"].append(
        {"code": "PHUM", "status": "current", "provenance": {"source": "unverified", "evidence": "x"}}))
    msg = _error(taxonomy_copy)
    assert "program.yaml" in msg and "(PHUM)" in msg and "duplicate code" in msg


def test_alias_colliding_with_a_code_is_reported(taxonomy_copy):
    def f(d):
        e = next(e for e in d["entries"] if e["code"] == "PHUM")
        e["aliases"] = [{"form": "PGOV", "type": "variant"}]
    _edit(taxonomy_copy, "subject.yaml", f)
    msg = _error(taxonomy_copy)
    assert "subject.yaml" in msg and "alias 'PGOV' collides" in msg


def test_replaced_by_pointing_nowhere_is_reported(taxonomy_copy):
    def f(d):
        next(e for e in d["entries"] if e["code"] == "PHUM")["replaced_by"] = "ZZZZ"
    _edit(taxonomy_copy, "subject.yaml", f)
    assert "replaced_by 'ZZZZ' points to no code" in _error(taxonomy_copy)


def test_same_alias_on_two_codes_is_reported(taxonomy_copy):
    def f(d):
        next(e for e in d["entries"] if e["code"] == "PHUM")["aliases"] = [{"form": "RU", "type": "variant"}]
    _edit(taxonomy_copy, "subject.yaml", f)
    assert "alias 'RU' already points to" in _error(taxonomy_copy)


def test_bad_kind_is_reported(taxonomy_copy):
    def f(d):
        d["entries"][0]["kind"] = "geographic"
    _edit(taxonomy_copy, "subject.yaml", f)
    msg = _error(taxonomy_copy)
    assert "subject.yaml" in msg and "bad kind" in msg


def test_schema_violation_names_entry_and_field(taxonomy_copy):
    def f(d):
        d["entries"][2]["status"] = "retired-ish"
    _edit(taxonomy_copy, "subject.yaml", f)
    msg = _error(taxonomy_copy)
    assert "subject.yaml" in msg and "entry 3" in msg and "status" in msg


def test_broken_yaml_names_file_and_line(taxonomy_copy):
    (taxonomy_copy / "program.yaml").write_text("kind: program\nentries: [\n  - code: X\n")
    msg = _error(taxonomy_copy)
    assert "program.yaml" in msg and "line" in msg


def test_missing_file_is_reported(taxonomy_copy):
    (taxonomy_copy / "geographic.yaml").unlink()
    assert "geographic.yaml" in _error(taxonomy_copy)


def test_validate_lists_every_problem(taxonomy_copy):
    def f(d):
        d["entries"][0]["status"] = "bad"
        d["entries"][1]["status"] = "worse"
    _edit(taxonomy_copy, "subject.yaml", f)
    problems = validate_taxonomy(taxonomy_copy, memo=TAXONOMY_MEMO)
    assert len(problems) == 2 and all("subject.yaml" in p for p in problems)
    assert validate_taxonomy(None, memo=TAXONOMY_MEMO) == []


def test_overlay_adds_codes_and_corrects_titles(tmp_path):
    ov = tmp_path / "mine.yaml"
    ov.write_text(yaml.safe_dump({"kind": "program", "entries": [
        {"code": "KZZZ", "title": "Our own program", "status": "current",
         "provenance": {"source": "user", "evidence": "our archive"}, "aliases": [{"form": "ZZPROG", "type": "variant"}]},
        {"code": "KSEP", "title": "Corrected title", "status": "unknown",
         "provenance": {"source": "user", "evidence": "checked"}}]}))
    tax = load_taxonomy(overlay=ov, memo=TAXONOMY_MEMO)
    assert tax.entries["KZZZ"].title == "Our own program"
    assert tax.entries["KSEP"].title == "Corrected title"
    assert tax.aliases["ZZPROG"] == ("KZZZ", "variant")
    assert "KZZZ" not in load_taxonomy().entries


def test_edited_file_is_revalidated_not_served_from_cache(taxonomy_copy):
    load_taxonomy(taxonomy_copy, memo=TAXONOMY_MEMO)  # fills the cache
    _edit(taxonomy_copy, "subject.yaml", lambda d: d["entries"][0].update(status="nope"))
    with pytest.raises(TaxonomyError):
        load_taxonomy(taxonomy_copy, memo=TAXONOMY_MEMO)


def test_world_region_codes_decode_as_the_1974_handbook_lists_them():
    # expectations written from the handbook's list of world regions (TL:TAGS-1, 1974, sections 11-12)
    tax = load_taxonomy()
    for code, title in (("XF", "Middle East"), ("XA", "Africa"), ("XZ", "Scandinavia"), ("XJ", "Africa South of the Sahara"),
                        ("XX", "Worldwide")):
        e = tax.entries[code]
        assert e.title == title and e.kind == "geographic" and e.verified and "TL:TAGS-1" in e.provenance["reference"]


def test_1970s_codes_decode_and_are_not_repaired_into_later_ones():
    # expectations written from the 1974 handbook (TL:TAGS-1, sections 8 and 15)
    from cabletags import decode

    got = {d.code: d for d in decode(["EEWT", "AORG", "OGEN", "CSCE", "PFOR", "PINT"])}
    assert got["EEWT"].entry.title == "East-West Trade" and got["EEWT"].status == "known"  # not EWWT
    assert got["AORG"].status == "known" and got["CSCE"].entry.kind == "organization"
    assert all(d.entry.status == "historic" for d in got.values())

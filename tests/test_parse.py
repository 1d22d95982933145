"""Whole-cable parsing on headers written in the style of real cables (every label variant)."""
import json

import pytest
from conftest import run_cli

from cabletags import normalize, parse_cable

HEADER = """C O N F I D E N T I A L SECTION 01 OF 02 ANKARA 000123

SIPDIS

E.O. 12958: DECL: 01/01/2018
{label} PREL, PGOV,
      TU, IZ
SUBJECT: TURKEY AND IRAQ DISCUSS BORDER SECURITY

REF: A. ANKARA 100 B. STATE 200

Classified By: Ambassador for reasons 1.4 (b) and (d).

1. (C) Summary: Turkish officials met Iraqi counterparts on border security. End Summary.

2. (SBU) The ministers agreed to increase cooperation against terrorism along the border.

3. (U) Comment: Both sides want results before winter. End Comment.
"""


@pytest.mark.parametrize("label", ["TAGS:", "TAGS", "TAG:", "TAGE:", "TAS:", "TABS:", "TGS:", "AGS:", "tags:",
                                   "Tags:"])
def test_label_variants_and_continuation_lines(label):
    p = parse_cable(HEADER.format(label=label))
    assert p.tags.codes == ["PREL", "PGOV", "TU", "IZ"]
    assert p.tags_raw == "PREL, PGOV, TU, IZ"


def test_header_fields_and_paragraphs():
    p = parse_cable(HEADER.format(label="TAGS:"))
    assert p.classification == "CONFIDENTIAL" and p.post == "ANKARA" and p.serial == "000123"
    assert "SIPDIS" in p.caveats and p.eo_line.startswith("E.O. 12958")
    assert p.subject == "TURKEY AND IRAQ DISCUSS BORDER SECURITY"
    assert p.refs == ["A. ANKARA 100 B. STATE 200"]
    assert [(q.number, q.marking) for q in p.paragraphs] == [(1, "C"), (2, "SBU"), (3, "U")]
    assert p.summary.startswith("Turkish officials") and p.comment.startswith("Both sides")


def test_header_facts_worked_out_when_asked_follow_the_cable_and_keep_what_is_set_by_hand():
    # caveats, the E.O. line, refs and meanings are worked out on first use (scoring reads none of them): meanings
    # follow the tags and era the cable has then; a value set by hand is kept, before or after a first read
    p = parse_cable(HEADER.format(label="TAGS:"))
    assert p.meanings["TU"] == "T\u00fcrkiye"
    p.tags, p.era = normalize("UR, PFOR"), "1970s"
    assert "Soviet" in p.meanings["UR"] and "TU" not in p.meanings
    p.era = "cablegate"
    assert "UR" not in p.meanings
    p.meanings = {"X": "set"}
    p.tags = normalize("TU")
    assert p.meanings == {"X": "set"}
    q = parse_cable(HEADER.format(label="TAGS:"))
    q.caveats, q.refs = ["NOFORN"], []
    assert q.caveats == ["NOFORN"] and q.refs == [] and q.eo_line.startswith("E.O. 12958")
    q.eo_line = None
    assert q.eo_line is None and q.to_dict()["caveats"] == ["NOFORN"]
    # the TAGS line too is normalized when first asked for (scoring a whole cable never asks), and a value set by
    # hand before then is kept
    from cabletags import load_taxonomy, read_cable

    tax = load_taxonomy()
    r = read_cable(HEADER.format(label="TAGS:"), tax)
    assert r._tags_pending is not None
    assert r.tags.codes == ["PREL", "PGOV", "TU", "IZ"] and r._tags_pending is None
    r2 = read_cable(HEADER.format(label="TAGS:"), tax)
    r2.tags = normalize("PREL")
    assert r2.tags.codes == ["PREL"] and r2._tags_pending is None
    assert read_cable(HEADER.format(label="TAGS:"), tax).to_dict()["tags"] == parse_cable(
        HEADER.format(label="TAGS:")).to_dict()["tags"]


def test_a_record_read_with_a_taxonomy_loaded_for_it_alone_does_not_keep_it(tmp_path):
    # read_cable(x) and parse_text(x) without a taxonomy load one for the call: the record's meanings are worked out
    # then and the taxonomy let go (a list of such records once held a taxonomy each: gigabytes); with a taxonomy the
    # caller holds, they wait until asked
    import gc
    import weakref

    from cabletags.reading.parser import parse_text
    from cabletags.reading.reader import read_cable
    from cabletags.vocabulary.taxonomy import load_taxonomy

    text = HEADER.format(label="TAGS:")
    for c in (read_cable(text), parse_text(text)):
        assert c._tax is None and c.meanings["IZ"] == "Iraq" and c.to_dict()["meanings"] == c.meanings
    tax = load_taxonomy()
    held = read_cable(text, tax)
    assert held._tax is tax and held.meanings["IZ"] == "Iraq"
    gone = weakref.ref(tax)
    c = read_cable(text, tax)
    c.settle_meanings()
    del tax, held
    gc.collect()
    assert gone() is None and c.meanings["IZ"] == "Iraq"


def test_flattened_line_breaks():
    flat = " ".join(HEADER.format(label="TAGS:").split())
    p = parse_cable(flat)
    assert p.tags.codes == ["PREL", "PGOV", "TU", "IZ"]
    assert p.subject.startswith("TURKEY AND IRAQ")
    assert [q.number for q in p.paragraphs] == [1, 2, 3]


def test_tags_broken_by_a_page_header():
    text = ("UNCLAS LIMA 002475\n\nE.O. 12958: N/A\nTAGS: PINR, PGOV, PREL,\n"
            "UNCLASSIFIED PAGE 02 LIMA 02475 01 OF 03 251228Z\nPE\nSUBJECT: PERU POLITICS\n\n1. (U) Text.\n")
    p = parse_cable(text)
    assert p.tags.codes == ["PINR", "PGOV", "PREL", "PE"]


def test_web_page_with_navigation():
    page = ("<html><body><div class='nav'>Home | Browse by tag | Search</div><pre>"
            "Reference ID 08BAKU123\nUNCLAS BAKU 000123\n\nSIPDIS\n\nE.O. 12958: N/A\n"
            "TAGS: PGOV, PHUM, AJ\nSUBJECT: ELECTIONS\n\n1. (SBU) Text about elections.\n</pre>"
            "<div>Footer links</div></body></html>")
    p = parse_cable(page)
    assert p.reference_id == "08BAKU123" and p.tags.codes == ["PGOV", "PHUM", "AJ"]


def test_no_tags_line_invents_nothing():
    p = parse_cable("UNCLAS BAKU 000123\n\nSUBJECT: NOTHING HERE\n\n1. (U) Text about tags and labels.\n")
    assert p.tags_raw is None and p.tags.codes == [] and p.tags.to_dict()["codes"] == []


def test_public_api_exports_parse_cable():
    import cabletags

    text = "UNCLAS STATE 000001\n\nTAGS: PREL, OSCEPREF\nSUBJECT: VISIT\n\n1. (U) Text.\n"
    assert "parse_cable" in cabletags.__all__
    from cabletags.reading import parse_cable as stage_parse_cable

    assert cabletags.parse_cable(text).to_dict() == stage_parse_cable(text).to_dict()


def test_parse_and_normalize_agree_on_the_tags_line():
    raw = "PREL, PGOV, OSCEPREF, OVIP (POWELL, COLIN)"
    p = parse_cable(f"UNCLAS STATE 000001\n\nE.O. 12958: N/A\nTAGS: {raw}\nSUBJECT: VISIT\n\n1. (U) Text.\n")
    assert p.tags.to_dict() == normalize(raw).to_dict()


def test_cli_parse_table_and_json(tmp_path):
    f = tmp_path / "cable.txt"
    f.write_text(HEADER.format(label="TAGS:"))
    p = run_cli("parse", str(f))
    assert p.returncode == 0 and "TURKEY AND IRAQ" in p.stdout and "PREL, PGOV, TU, IZ" in p.stdout
    d = json.loads(run_cli("parse", "--format", "json", str(f)).stdout)
    assert d["tags"]["codes"] == ["PREL", "PGOV", "TU", "IZ"] and len(d["paragraphs"]) == 3


def test_cli_parse_jsonl_contract(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join([json.dumps({"id": 1, "text": HEADER.format(label="TAGS:")}), "not json",
                              json.dumps({"id": 2, "text": "no header at all"}), json.dumps({"id": 3})]) + "\n")
    p = run_cli("parse", "--jsonl", "--field", "text", str(src))
    assert p.returncode == 0
    out = [json.loads(x) for x in p.stdout.splitlines()]
    assert [o["id"] for o in out] == [1, 2, 3]
    assert out[0]["parsed"]["tags"]["codes"] == ["PREL", "PGOV", "TU", "IZ"]
    assert out[1]["parsed"]["tags_raw"] is None and out[1]["parsed"]["tags"]["codes"] == []
    assert set(out[2]["parsed"]["tags"]) >= {"codes", "names", "unknown", "repairs"}
    assert "line 2" in p.stderr


@pytest.mark.parametrize("content,needle", [(b"", "empty"), (b"\x00\x01\x02binary", "binary")])
def test_cli_parse_bad_files(tmp_path, content, needle):
    f = tmp_path / "x"
    f.write_bytes(content)
    p = run_cli("parse", str(f))
    assert p.returncode == 3 and needle in p.stderr and "Traceback" not in p.stderr


def test_cli_parse_text_that_is_not_utf8_is_read_as_windows_1252(tmp_path):
    f = tmp_path / "x.txt"
    f.write_bytes(HEADER.format(label="TAGS:").split("\n1.")[0].encode() + b"\r\n\xb61. caf\xe9 \x93quoted\x94\xff\r\n")
    p = run_cli("parse", "--format", "json", str(f))
    d = json.loads(p.stdout)
    assert p.returncode == 0 and d["encoding"] == "cp1252" and "\ufffd" not in p.stdout
    assert [(q["number"], q["text"]) for q in d["paragraphs"]] == [(1, "café “quoted”ÿ")]


def test_reading_text_is_the_cable_without_its_tags_and_own_serial():
    from cabletags import parse_cable

    cable = ("R 121212Z JAN 09\nFM AMEMBASSY BAKU\nTO SECSTATE WASHDC 1234\n"
             "C O N F I D E N T I A L BAKU 000141\nSIPDIS\nE.O. 12958: DECL: 01/01/2019\n"
             "TAGS: KTIP, PHUM, AJ,\n     KCRM\nSUBJECT: AZERBAIJAN: TRAFFICKING REPORT\n\n"
             "REF: STATE 5678\n\nClassified by the ambassador.\n\n1. (SBU) Shelters for victims opened.\n")
    p = parse_cable(cable)
    text = p.reading_text
    assert "KTIP" not in text and "KCRM" not in text  # the TAGS field and its continuation line
    assert "BAKU 000141" not in text  # its own serial would read as a citation of itself
    assert "AZERBAIJAN: TRAFFICKING REPORT" in text and "REF: STATE 5678" in text
    assert "AMEMBASSY BAKU" in text and "Classified by the ambassador." in text and "Shelters for victims" in text


@pytest.mark.parametrize("first", ["\u00b61. (SBU) Ministers", "\u00b6 1. Ministers", "PARA 1. Ministers",
                                   "1. (C) Ministers", "1.(U) Ministers"])
def test_a_subject_over_two_lines_stops_at_paragraph_one_however_marked(first):
    # no blank line between the subject's second line and paragraph 1: the subject must not swallow it
    text = ("UNCLAS SECTION 01 OF 02 LIMA 000266\n\nE.O. 12958: N/A\nTAGS: EAID, PE\nSUBJECT: FLOODS IN THE NORTH: \n"
            f"RELIEF PLANS\n{first} met donors on relief.\n\n2. (U) A second point.\n")
    p = parse_cable(text)
    assert p.subject == "FLOODS IN THE NORTH: RELIEF PLANS"
    assert [q.number for q in p.paragraphs] == [1, 2]
    assert p.paragraphs[0].text.endswith("Ministers met donors on relief.")

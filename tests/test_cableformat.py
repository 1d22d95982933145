"""The one cable-format module: the paragraph splitter every reader uses, and boilerplate stripping.

Cable texts here are written for the tests."""
import json

from conftest import run_cli

from cabletags import parse_cable
from cabletags.cableformat import split_paragraphs, strip_boilerplate

BODY = """1. (C) Summary: the minister met the ambassador. End summary.

2. (SBU) The talks covered three points:
A. border crossings;
B. customs posts.

3.(SBU)PREVENTION: the government opened two shelters.
4. (U) The budget grew by 1.5 percent in 2008.

5. Comment: unmarked paragraph. End comment.

BAKU
"""


def test_numbered_paragraphs_as_the_drafter_wrote_them():
    paras = split_paragraphs(BODY)
    assert [(p.number, p.marking) for p in paras] == [(1, "C"), (2, "SBU"), (3, "SBU"), (4, "U"), (5, None)]
    # sub-items stay inside their paragraph; a glued marking is extracted and not left in the text
    assert "A. border crossings; B. customs posts." in paras[1].text
    assert paras[2].text.startswith("PREVENTION: the government")
    # numbers in prose ("1.5 percent") are text, not paragraph starts
    assert "1.5 percent in 2008." in paras[3].text


def test_flattened_text_needs_the_marking():
    flat = " ".join(BODY.split())
    paras = split_paragraphs(flat)
    assert [p.number for p in paras[:4]] == [1, 2, 3, 4]
    assert [p.marking for p in paras[:4]] == ["C", "SBU", "SBU", "U"]


def test_text_without_numbering_is_cut_at_blank_lines():
    text = "First block of prose\nstill the first.\n\n\nSecond block.\n\n  \n"
    assert [(p.number, p.text) for p in split_paragraphs(text)] == [
        (None, "First block of prose still the first."), (None, "Second block.")]
    assert split_paragraphs("") == [] and split_paragraphs("   \n\n ") == []


def test_parse_and_suggest_paragraphs_use_the_same_splitter(tiny, tmp_path):
    cable = "UNCLAS BAKU 000123\nSUBJECT: TEST CABLE\n\n" + BODY
    assert [p.number for p in parse_cable(cable).paragraphs] == [1, 2, 3, 4, 5]
    f = tmp_path / "body.txt"
    f.write_text(BODY)
    p = run_cli("suggest", str(f), "--paragraphs", "--model", str(tiny / "model"), "--format", "json", "--limit", "1")
    assert p.returncode == 0, p.stderr
    assert len(json.loads(p.stdout)["paragraphs"]) == len(split_paragraphs(BODY)) == 5


def test_strip_boilerplate_keeps_the_prose():
    text = "C O N F I D E N T I A L SECTION 01 OF 02 SIPDIS E.O. 12958: DECL: 01/01/2018 1. (C) Police arrested traffickers."
    out = " ".join(strip_boilerplate(text).split())
    assert out == "1. Police arrested traffickers."


def test_a_pages_footer_after_the_end_marker_is_not_the_last_paragraph():
    from cabletags.cableformat import signature, split_paragraphs

    body = ("1. (C) First paragraph about the elections.\n\n2. (C) Second paragraph. Comment: this matters.\n"
            "DERSE\n\nNNNN\nEnd Cable Text\nSite notice: browse more cables by tag.\n")
    paras = split_paragraphs(body)
    assert [p.text for p in paras] == ["First paragraph about the elections.", "Second paragraph. Comment: this matters."]
    assert signature(body) == "DERSE"


def test_sections_closed_by_nnnn_keep_every_paragraph():
    from cabletags.cableformat import split_paragraphs

    # a cable sent in sections: NNNN closes each one, the paragraphs go on after it
    body = "1. (C) Section one text.\nNNNN\nPAGE 01 BERLIN 03009 02 OF 06\n2. (C) Section two text.\nSMITH\n"
    assert [(p.number, p.text.split(".")[0]) for p in split_paragraphs(body)] == [(1, "Section one text"),
                                                                                  (2, "Section two text")]

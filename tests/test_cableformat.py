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


def test_a_number_lost_from_a_pilcrow_sequence_does_not_end_it():
    # a copy whose paragraph 3 lost its mark (garbled): 4, 5, 6 are still paragraphs, under their own numbers
    text = ("\u00b61. (U) Opening. End Summary.\n\n\u00b62. (U) The workshops. Hor#izontal co%\n\n"
            "\u00b64. (U) A director spoke.\n\u00b65. (U) Staff agreed.\n\n\u00b66. (SBU) On standards.\n")
    paras = split_paragraphs(text)
    assert [(p.number, p.marking) for p in paras] == [(1, "U"), (2, "U"), (4, "U"), (5, "U"), (6, "SBU")]
    assert paras[1].text == "The workshops. Hor#izontal co%"
    # a first paragraph lost too, and two numbers in a row
    assert [p.number for p in split_paragraphs("\u00b62. (C) a.\n\u00b65. (C) b.\n")] == [2, 5]
    # three lost numbers are more than a skip: the rest stays in the paragraph before it
    assert [p.number for p in split_paragraphs("\u00b61. a.\n\u00b65. b.\n")] == [1]


def test_only_a_pilcrow_mark_skips_a_number():
    # "PARA 3." is as often a pointer to paragraph 3, and "4. (U)" an item of a list inside paragraph 2: without a
    # pilcrow, a number out of sequence stays text, and the awaited number is still found after it
    text = "1. (U) Action request: see\n    PARA 3.\n\n2. (S) Reports say.\n\n3. (S) Denials.\n"
    assert [p.number for p in split_paragraphs(text)] == [1, 2, 3]
    listed = "1. (C) Points:\n\n3. (U) first item\n\n2. (C) Second paragraph.\n"
    assert [p.number for p in split_paragraphs(listed)] == [1, 2]
    # with pilcrows, the mark of the number awaited wins when it comes first
    assert [p.number for p in split_paragraphs("\u00b61. a 3. b\n\u00b62. c\n\u00b63. d\n")] == [1, 2, 3]


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


def test_the_lines_that_close_a_telegram_are_neither_text_nor_its_signature():
    from cabletags.cableformat import signature, split_paragraphs

    # a 1970s release: the name, the banner again, the declassification stamp, NNN; a printed page: its footer
    body = ("1. FIRST POINT.\n\n2. SECOND POINT. END COMMENT.\n \nSMITH \n \nLIMITED OFFICIAL USE\n \n"
            "Declassified/Released US Department of State EO \nSystematic Review 30 JUN 2005 \n\n\nNNN\n")
    assert [p.text for p in split_paragraphs(body)] == ["FIRST POINT.", "SECOND POINT. END COMMENT."]
    assert signature(body) == "SMITH"
    printed = "1. (C) A point.\n2. (C) End comment.\nJONES \n \n   CONFIDENTIAL \n \n> \n \n 2001ROME00123 - CONFIDENTIAL"
    assert split_paragraphs(printed)[-1].text == "End comment." and signature(printed) == "JONES"
    # PlusD's telegram: the name at the end of the last line, then the banner, a garbled routing line, its notices
    plusd = ("1.   FIRST POINT.\n\n2.   IF UNREACHABLE, AN APPOINTMENT WEDNESDAY.    DOE\n\n\nLIMITED OFFICIAL USE\n"
             "NMAFVVZCZ\n\n\n*** Current Handling Restrictions ***   n/a\n***  Current Classification ***   UNCLASSIFIED\n")
    assert split_paragraphs(plusd)[-1].text == "IF UNREACHABLE, AN APPOINTMENT WEDNESDAY." and signature(plusd) == "DOE"
    # a banner alone is no signature; an end marker alone still is, as before
    assert signature("Some prose.\n\nUNCLASSIFIED\n") is None
    assert signature("Some prose.\n\nNNNN\n") == "NNNN"


def test_sections_closed_by_nnnn_keep_every_paragraph():
    from cabletags.cableformat import split_paragraphs

    # a cable sent in sections: NNNN closes each one, the paragraphs go on after it
    body = "1. (C) Section one text.\nNNNN\nPAGE 01 BERLIN 03009 02 OF 06\n2. (C) Section two text.\nSMITH\n"
    assert [(p.number, p.text.split(".")[0]) for p in split_paragraphs(body)] == [(1, "Section one text"),
                                                                                  (2, "Section two text")]

"""scripts/tools/handbook_1974.py on small pages written here in the shape of the OCR (two columns interleaved
line by line, letter-spaced words, misread codes)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts" / "tools"))

import handbook_1974 as hb  # noqa: E402

VOCAB = hb.Vocabulary({w: 50 for w in (
    "use for matters concerning trade and investment international organizations the of labor manpower papers "
    "dealing with policies covers wages employment relations socialist nations east west").split()})


def test_columns_are_de_interleaved():
    left = ["Use for matters concerning", "trade and investment.", "", "ELXB      Labor and Manpower", "",
            "Use for papers dealing with", "labor policies and", "employment relations.", "", ""]
    right = ["Covers wages and", "employment.", "", "EEWT      East-West Trade", "", "Use for papers on", "trade",
             "with socialist nations.", "", ""]
    page = "\n".join(f"{a:<40}     {b}" if b else a for a, b in zip(left, right))
    cols = hb.columns(page)
    assert len(cols) == 2
    assert [c.strip() for c in cols[0] if c.strip()] == [x for x in left if x]
    assert [c.strip() for c in cols[1] if c.strip()] == [x for x in right if x]


def test_one_column_page_stays_whole():
    page = "Use for matters concerning trade.\n\nELXB     Labor and Manpower\nUse for papers.\n"
    assert len(hb.columns(page)) == 1


def test_letter_spaced_words_are_rejoined():
    assert hb.rejoin("U s e f o r m a t t e r s concerning T r a d e", VOCAB) == "Use for matters concerning Trade"
    assert hb.rejoin("T A G S and ( 1 ) w a g e s ,", VOCAB) == "TAGS and (1) wages,"
    # a word broken at a line end, letter-spaced on both sides
    assert hb.unwrap(["i n t e r n a t i o n -", "a l o r g a n i z a t i o n s"], VOCAB).replace(" ", "") == \
        "internationalorganizations"
    assert hb.rejoin(hb.unwrap(["i n t e r n a t i o n -", "a l o r g a n i z a t i o n s"], VOCAB), VOCAB) == \
        "international organizations"


def test_misread_code_is_matched_by_code_and_title():
    known = {"ELAB": ["Labor"], "ELEC": ["Electrical Equipment"], "EEWT": ["East-West Trade"]}
    assert hb.match_code("ELXB", "Labor and Manpower", known, "E")[:1] == ("ELAB",)
    assert hb.match_code("-4COi'd", "Departmental Communications", {"ACOM": ["Departmental Communications"]},
                         "A")[0] == "ACOM"
    # a clean reading of a code no source lists is kept, marked unconfirmed
    code, _, confirmed = hb.match_code("SEDU", "Education", {"SENV": ["Environment"]}, "S")
    assert (code, confirmed) == ("SEDU", False)


def test_nara_rows_with_titles_over_two_lines():
    text = ("Appendix I: Permanent Subject TAGS, 1973 - 1979\n"
            "AORG         Administration      International Organization\n"
            "                                 Administration\n"
            "                                    Commo & Records Unit\n"
            "AFAC           Administration\n"
            "Appendix II: Temporary Subject TAGS\n"
            "AART           Administration       Art-in-Embassies Program\n"
            "Appendix III: Summary\n")
    got = hb.read_nara(text)
    assert got["AORG"] == {"field": "Administration", "title": "International Organization Administration",
                           "disposition": "permanent"}
    assert got["AFAC"]["title"] == "Commo & Records Unit"
    assert got["AART"]["disposition"] == "temporary"


def test_geographic_readings_vote_and_one_misread_never_moves_a_country():
    text = ("List of Geographic TAGS Alphabetically\n"
            "Soviet Union ..................  UR\n"
            "Burma .........................  EM\n"
            "12. List of Geographic TAGS Alphabetically\n"
            "     UR      Soviet Union\n"
            "     EM      Burma\n"
            "13. Organization TAGS\n")
    entries = [{"code": "BM", "title": "Burma", "aliases": []}, {"code": "RS", "title": "Russia", "aliases": []}]
    got = hb.read_geographic(text, VOCAB, entries)
    assert got["UR"]["title"] == "Soviet Union" and got["UR"]["votes"] == 2 and not got["UR"]["same_place"]
    assert "EM" not in got  # Burma is BM: EM is B read as E, twice or not

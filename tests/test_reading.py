"""The reader stage (cabletags.reading): every layout, encoding and era a cable comes in, one rule a test.
Every cable, page and PDF here was written for the tests; the shared samples are read by path at the end."""
import json
from pathlib import Path

import pytest
from conftest import run_cli

from cabletags import read_cable
from cabletags.reading import Document, ReadError, normalize_id, read_document
from cabletags.reading.encoding import decode_bytes

# a made-up telegram of 2009 from Paris: no id line, its id follows from year + post + serial
TELEGRAM = """VZCZCXRO0001
OO RUEHDBU
DE RUEHFR #0077 2051555
ZNY CCCCC ZZH
O 241555Z JUL 09
FM AMEMBASSY PARIS
TO RUEHC/SECSTATE WASHDC IMMEDIATE 0001
CONFIDENTIAL PARIS 000077

SIPDIS

E.O. 12958: DECL: 07/24/2019
TAGS: PGOV PREL FR
SUBJECT: FRANCE: MINISTERS MEET ON HARBOUR TOLLS

REF: STATE 12345

\u00b61. (C) Summary: the ministers met on tolls. End Summary.

\u00b62. (C) They agreed:
A. a lower toll;
B. a review in \u00b62010.

\u00b63. (U) Comment: nothing else. End comment.
EXAMPLE
"""


def test_windows_1252_text_with_crlf_reads_without_replacement_and_pilcrow_paragraphs():
    data = TELEGRAM.replace("MINISTERS", "MINIST\u00c8RES \u201cBIG\u201d").replace("\n", "\r\n").encode("cp1252")
    c = read_cable(data)
    assert c.encoding == "cp1252" and "\ufffd" not in json.dumps(c.to_dict(), ensure_ascii=False)
    assert c.subject == "FRANCE: MINIST\u00c8RES \u201cBIG\u201d MEET ON HARBOUR TOLLS"
    assert [(p.number, p.marking) for p in c.paragraphs] == [(1, "C"), (2, "C"), (3, "U")]
    # lettered sub-paragraphs and a pilcrow before a year stay inside their paragraph
    assert "A. a lower toll; B. a review in" in c.paragraphs[1].text
    assert c.signature == "EXAMPLE" and c.tags.codes == ["PGOV", "PREL", "FR"]


def test_addressees_are_the_block_after_the_from_line_and_a_later_signature_in_mixed_case():
    # a distribution list above FM ("INFO LOG-00 ...") is no addressee; lines of the block without a TO or INFO are
    # addressees too; a line of the text that starts "TO" is prose; a signature may be written "Murray"
    text = ("INFO  LOG-00   AF-00    CIAE-00\n      DS-00    /000W\n\nR 251550Z AUG 09\nFM USEU BRUSSELS\n"
            "TO SECSTATE WASHDC\nUS CUSTOMS WASHINGTON DC\nINFO RUEHFR/AMEMBASSY PARIS PRIORITY\nRUCNMEM/EU MEMBER "
            "STATES COLLECTIVE\nUNCLAS USEU BRUSSELS 001177\n\nE.O. 12958: N/A\nTAGS: OTRA AORC\n\nSUBJECT: CUSTOMS "
            "GROUP FORMED\n\nA council approved a group.  The officials\nTO WHOM IT WAS SENT AGREED\n\nThe next "
            "meeting is in October.\n\nMurray\n")
    c = read_cable(text)
    assert c.to == ["SECSTATE WASHDC", "US CUSTOMS WASHINGTON DC", "RUEHFR/AMEMBASSY PARIS PRIORITY",
                    "RUCNMEM/EU MEMBER STATES COLLECTIVE"]
    assert c.reference_id == "09USEUBRUSSELS1177" and c.signature == "Murray"
    assert [p.text for p in c.paragraphs][-1] == "The next meeting is in October."
    # prose that ends in a capitalised word with no full stop is still prose when it starts in lower case
    assert read_cable(text.replace("Murray", "and more")).signature is None
    # a 1970s E.O. line with blanks after its colon is read whole
    assert read_cable(text.replace("E.O. 12958: N/A", "E. O. 11652:  N/ A")).eo_line == "E. O. 11652: N/ A"


def test_a_page_without_pre_blocks_takes_the_tags_and_id_of_the_cable_not_of_its_sidebar():
    # a site of its own layout: a sidebar with an index of tags, a "related" TAGS line and a link to another cable
    # above the cable, the cable's lines as <br>-separated text (no <pre>): its own TAGS (the field beside its E.O.
    # line and SUBJECT) and its own id (year + post + serial, not the link's), the link's id told as a doubt
    side = ("<div class='side'><h3>Browse by tag</h3><ul>" + "".join(f"<li><a href='/t/{t}'>{t}</a></li>" for t in
            ["PREL", "KTIP", "IZ", "AF"] * 8) + "</ul><p>TAGS: PTER, IZ, MOPS</p><a href='/c/09BAGHDAD123'>"
            "09BAGHDAD123</a></div>")
    lines = "<br>\n".join(TELEGRAM.splitlines())
    c = read_cable(f"<html><body>{side}<div class='content'><p>{lines}</p></div></body></html>".encode())
    assert c.tags.codes == ["PGOV", "PREL", "FR"] and c.reference_id == "09PARIS77"
    assert c.reference_id_source == "derived" and any("09BAGHDAD123" in d for d in c.doubts)
    assert [p.number for p in c.paragraphs] == [1, 2, 3]


@pytest.mark.parametrize("encode", [
    lambda t: t.encode("utf-8"), lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"), lambda t: t.encode("utf-16"),
    lambda t: t.encode("utf-16-le"), lambda t: t.encode("utf-16-be"), lambda t: t.encode("utf-32"),
    lambda t: t.replace("\n", "\r").encode("utf-8"), lambda t: t.replace("\n", "\r\n").encode("latin-1"),
], ids=["utf8", "utf8-bom", "utf16-bom", "utf16le-no-bom", "utf16be-no-bom", "utf32-bom", "cr", "latin1-crlf"])
def test_every_encoding_and_line_end_reads_the_same_cable(encode):
    want = read_cable(TELEGRAM)
    c = read_cable(encode(TELEGRAM))
    assert (c.reference_id, c.subject, c.tags.codes, [p.text for p in c.paragraphs]) == \
        (want.reference_id, want.subject, want.tags.codes, [p.text for p in want.paragraphs])


def test_cp1252_undefined_bytes_are_kept_as_latin1_never_replaced():
    d = decode_bytes(b"caf\xe9 \x81\x8d\x8f\x90\x9d \x80")
    assert d.encoding == "cp1252" and not d.replaced and d.text == "caf\u00e9 \x81\x8d\x8f\x90\x9d \u20ac"


def test_reference_id_derived_from_year_post_and_serial():
    c = read_cable(TELEGRAM)
    assert (c.reference_id, c.reference_id_source, c.year, c.era) == ("09PARIS77", "derived", 2009, "cablegate")
    assert c.date == "2009-07-24T15:55" and c.origin == "Embassy Paris" and c.origin_country == "FR"


def test_reference_id_on_a_header_line_is_normalized_and_the_original_kept():
    c = read_cable("2009PARIS00077 - CONFIDENTIAL\n" + TELEGRAM)
    assert (c.reference_id, c.reference_id_source, c.reference_id_original) == ("09PARIS77", "header",
                                                                                "2009PARIS00077")
    assert normalize_id("1974ATHENS02959_b") == "74ATHENS2959" and normalize_id("03APR2003x") is None


def test_an_id_that_disagrees_with_the_header_is_a_doubt_not_a_guess():
    c = read_cable("Reference ID: 09PARIS99\n\n" + TELEGRAM)
    assert c.reference_id == "09PARIS99" and c.reference_id_source == "header"
    assert any("09PARIS77" in d for d in c.doubts)


def test_a_quoted_or_cited_id_is_never_the_cables_own():
    text = TELEGRAM.replace("REF: STATE 12345", "REF: 08STATE12345\n08ROME555 said so")
    c = read_cable(text.replace("O 241555Z JUL 09\n", ""))  # no year: no derived id either
    assert c.reference_id is None and c.reference_id_source is None


def test_the_file_name_is_the_last_resort_for_an_id(tmp_path):
    f = tmp_path / "09PARIS77.txt"
    f.write_text(TELEGRAM.replace("O 241555Z JUL 09\n", ""))
    c = read_cable(f)
    assert (c.reference_id, c.reference_id_source, c.source) == ("09PARIS77", "filename", str(f))
    other = tmp_path / "notes.txt"
    other.write_text(TELEGRAM.replace("O 241555Z JUL 09\n", ""))
    assert read_cable(other).reference_id is None  # a name that is no id is never used


@pytest.mark.parametrize("mark,numbers", [
    ("{n}. (C) text", [1, 2, 3]), ("{n}.(SBU)TEXT", [1, 2, 3]), ("\u00b6{n}. text", [1, 2, 3]),
    ("\u00b6 {n}. text", [1, 2, 3]), ("\u00b6\n{n}. (U) text", [1, 2, 3]), ("PARA {n}. text", [1, 2, 3]),
    ("{n}. text", [1, 2, 3]),
])
def test_paragraph_marks(mark, numbers):
    body = "\n\n".join(mark.format(n=n) + f" number {n}" for n in (1, 2, 3))
    c = read_cable("UNCLAS ROME 000001\nTAGS: PREL\nSUBJECT: MARKS\n\n" + body)
    assert [p.number for p in c.paragraphs] == numbers
    assert [p.text.endswith(f"number {n}") for p, n in zip(c.paragraphs, numbers)] == [True] * 3


def test_numbers_in_prose_are_not_paragraphs():
    c = read_cable("UNCLAS ROME 000001\nTAGS: PREL\nSUBJECT: S\n\n1. In 2009. 3. things, see para 2. here\n"
                   "2. second")
    assert [p.number for p in c.paragraphs] == [1, 2] and "see para 2. here" in c.paragraphs[0].text


# --- 1970s telegrams ----------------------------------------------------------------------------------------------
TELEGRAM_1975 = """LIMITED OFFICIAL USE
PAGE 01  ROME 01234  171944Z
ACTION EUR-25
R 171600Z MAY 75
FM AMEMBASSY ROME
TO SECSTATE WASHDC 3410
LIMITED OFFICIAL USE ROME 01234
E. O. 11652: N/A
TAGS: PFOR IT UR
SUBJECT: A SOVIET VISIT

1. THE VISIT WENT AHEAD.
2. NO MORE NEWS.
VOLPE
"""


def test_a_1970s_telegram():
    c = read_cable(TELEGRAM_1975)
    assert (c.reference_id, c.year, c.era) == ("75ROME1234", 1975, "1970s")
    # UR is a code of the 1970s only (the Soviet Union): read in the cable's era, not "repaired"
    assert c.tags.codes[:2] == ["PFOR", "IT"] and "UR" in c.tags.codes + c.tags.unknown
    assert c.eo_line.startswith("E. O. 11652")
    assert "Soviet" in c.meanings["UR"] and [p.number for p in c.paragraphs] == [1, 2]


# --- saved pages ----------------------------------------------------------------------------------------------
MENU = "".join(f"<a href='/tag/{t}_0.html'>{t}</a>\n" for t in ["PREL", "PGOV", "KTIP", "PHUM", "ECON"] * 8)
SIDEBAR = "<div class='side'><a href='/cable/08ROME1.html'>08ROME1</a> <a href='/cable/07ROME9.html'>07ROME9</a></div>"


def cablegate_2011(text: str, rid="09PARIS77") -> str:
    body = text.replace("&", "&amp;").replace("<", "&lt;")
    for n in (1, 2, 3):  # the site's pilcrow links before each paragraph number
        body = body.replace(f"\u00b6{n}.", f"<a id='par{n}' href='#par{n}'>\u00b6</a>{n}.")
    head, rest = body.split("CONFIDENTIAL PARIS", 1)
    return ("<!DOCTYPE html><html><head><title>Cable</title></head><body><div class='pick'>"
            f"<h3>Browse by tag</h3>{MENU}</div>{SIDEBAR}<table class='cable'><tr><th>Reference ID</th>"
            "<th>Created</th><th>Released</th><th>Classification</th><th>Origin</th></tr><tr>"
            f"<td><a href='/cable/x.html'>{rid}</a></td><td><a href='/date/x'>2009-07-24 15:55</a></td>"
            "<td>2011-08-30 01:44</td><td>CONFIDENTIAL</td><td><a href='/origin/1'>Embassy Paris</a></td></tr>"
            f"</table><code><pre>{head.replace(chr(10), '&#x000A;')}</pre></code>"
            f"<code><pre>CONFIDENTIAL PARIS{rest.replace(chr(10), '&#x000A;')}</pre></code></body></html>")


def test_cablegate_2011_page_reads_metadata_and_never_the_menus():
    c = read_cable(cablegate_2011(TELEGRAM).encode())
    assert c.layout == "cablegate" and (c.reference_id, c.reference_id_source) == ("09PARIS77", "metadata")
    assert c.tags.codes == ["PGOV", "PREL", "FR"] and c.origin == "Embassy Paris" and c.date == "2009-07-24T15:55"
    assert [p.number for p in c.paragraphs] == [1, 2, 3] and c.subject == read_cable(TELEGRAM).subject
    assert not c.doubts


def test_a_page_whose_metadata_id_differs_from_the_header_says_so():
    c = read_cable(cablegate_2011(TELEGRAM, rid="09PARIS78").encode())
    assert c.reference_id == "09PARIS78" and any("derived id is 09PARIS77" in d for d in c.doubts)


def plusd(telegram: str, meta_tags="PINS, GR, (DOE, JOHN)", pairs="DOE, JOHN | GR - Greece | PINS - Internal "
          "Security", cut="1. THE") -> str:
    """A PlusD page of the telegram, its Content pane cut in two (hidden header, text) where `cut` starts."""
    esc = telegram.replace("&", "&amp;").replace("<", "&lt;")
    menu = "<div class='pick'><h3>Browse by TAGS</h3>" + " ".join(
        f"<a href='/plusd/?qftags={t}'>{t}</a>" for t in ["US", "PFOR", "PGOV", "UR", "KISSINGER, HENRY A"] * 15) + "</div>"
    return ("<!DOCTYPE html><html><head><title>Cable: 1975ROME01234_b</title></head><body><div id='leftmenu'>"
            f"{menu}</div><table><tr><td><div class='s_key'><a class='i'>Date:</a></div><div class='s_val'>"
            "1975 May 17, 16:00 (Saturday)</div></td><td><div class='s_key'><a class='i'>Canonical ID:</a></div>"
            "<div class='s_val'>1975ROME01234_b</div></td></tr><tr><td><div class='s_key'><a class='i'>TAGS:</a>"
            f"</div><div class='s_val'>{pairs}</div></td></tr></table>"
            "<div class='pane-tab'><div class='pane-header'>Content</div><div class='pane-content'>"
            f"<div class='text-header hidden'>{esc.split(cut)[0]}</div><div class='text-button'>Show&nbsp;Headers"
            f"</div><div class='text-content'><div id='tagged-text'>{cut}{esc.split(cut)[1]}</div></div></div></div>"
            "<div class='pane-tab'><div class='pane-header'>Raw content</div><div class='pane-content'>"
            f"<div class='text-content'>{esc}</div></div></div><div class='pane-tab'><div class='pane-header'>"
            f"Metadata</div><div class='pane-content'><div class='text-content'>---\nCopy: SINGLE\n"
            f"Document Number: 1975ROME01234\nTAGS: {meta_tags}\nSubject: A SOVIET VISIT\n</div></div></div>"
            "</body></html>")


def test_plusd_page_tags_come_from_its_metadata_never_the_navigation_list():
    c = read_cable(plusd(TELEGRAM_1975.replace("TAGS: PFOR IT UR", "TAGS: PINS, GR")).encode())
    assert c.layout == "plusd" and c.tags_source == "metadata"
    assert c.tags.codes == ["PINS", "GR"] and c.tags.names == ["DOE, JOHN"]
    assert (c.reference_id, c.reference_id_original, c.reference_id_source) == ("75ROME1234", "1975ROME01234_b",
                                                                                "metadata")
    assert [p.number for p in c.paragraphs] == [1, 2]  # the telegram once, though the page shows it twice
    assert (c.year, c.era, c.date) == (1975, "1970s", "1975-05-17T16:00") and not c.doubts


def test_plusd_content_cut_inside_the_ref_list_reads_as_one_telegram():
    # PlusD hides the header in its own block, which can end inside the REF list: the two are joined by one line
    # break, as the Raw content pane shows them, so the list stays whole
    telegram = TELEGRAM_1975.replace("\n\n1. THE", "\nREF: A. STATE 97844\nB. ROME 2959\n\n1. THE")
    c = read_cable(plusd(telegram, cut="B. ROME").encode())
    assert c.refs == ["A. STATE 97844 B. ROME 2959"] and [p.number for p in c.paragraphs] == [1, 2]
    assert c.subject == "A SOVIET VISIT"


def test_page_parts_are_found_in_linear_time_and_where_variants_put_them():
    # the readers no longer search all of an element for each of its parts (nested tabs, a page of keys, nested
    # tables and <pre> blocks took seconds): a pane's header one wrapper down, a key's value after a note, a table
    # nested in a metadata cell are read as before; pathological pages read (their time: bench_reader.py)
    page = plusd(TELEGRAM_1975.replace("TAGS: PFOR IT UR", "TAGS: PINS, GR"))
    wrapped = page.replace("<div class='pane-header'>Content</div>",
                           "<div class='wrap'><div class='pane-header'>Content</div></div>")
    noted = page.replace("<a class='i'>TAGS:</a></div>", "<a class='i'>TAGS:</a></div><div class='note'>n</div>")
    for variant in (wrapped, noted):
        c = read_cable(variant.encode())
        assert c.layout == "plusd" and c.tags.codes == ["PINS", "GR"] and [p.number for p in c.paragraphs] == [1, 2]
    nested = cablegate_2011(TELEGRAM).replace("<td>2011-08-30 01:44</td>",
                                             "<td>2011-08-30 01:44<table><tr><td>x</td><td>y</td></tr></table></td>")
    c = read_cable(nested.encode())
    assert c.layout == "cablegate" and c.reference_id == "09PARIS77" and c.origin == "Embassy Paris"
    layouts = []
    for bad in ("<div class='pane-tab'>" * 600, "<div class='s_key'>x</div>" * 600,
                "<table class='cable'><tr><th>Reference ID</th></tr><tr><td>x" * 200,
                "<table class='cable'><tr><th>Reference ID</th></tr></table>" + "<pre>x" * 600):
        c = read_cable(("<html><body>" + bad + "</body></html>").encode())
        layouts.append(c.layout)
        assert not c.tags.codes
    assert layouts == ["page", "page", "cablegate", "cablegate"]
    assert c.reading_text.count("x") == 600  # each nested <pre> read once (read each on its own: 180,300 times)


def test_plusd_disagreements_are_reported():
    c = read_cable(plusd(TELEGRAM_1975, pairs="GR - Greece | PINS - Human Rights").encode())
    assert any("telegram's TAGS line" in d for d in c.doubts)  # the telegram says PFOR IT UR
    assert any("PlusD glosses PINS as 'Human Rights'" in d and "PHUM" in d for d in c.doubts)


def test_a_generic_page_drops_menus_scripts_and_footers():
    html = (f"<html><body><nav>{MENU}</nav><script>var t='TAGS: PHUM';</script><p>Reference ID: 09PARIS77</p>"
            f"<pre>{TELEGRAM}</pre><footer>TAGS: KTIP</footer></body></html>")
    c = read_cable(html)
    assert c.layout == "page" and c.tags.codes == ["PGOV", "PREL", "FR"] and c.reference_id == "09PARIS77"


# --- PDFs -----------------------------------------------------------------------------------------------------
def tiny_pdf(lines: list[str]) -> bytes:
    """A one-page PDF whose text layer holds `lines` (Helvetica, one line each)."""
    def esc(s):
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    content = ("BT /F1 9 Tf 40 780 Td 11 TL " + " ".join(f"({esc(x)}) Tj T*" for x in lines) + " ET") if lines else ""
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            "/Resources << /Font << /F1 5 0 R >> >> >>",
            f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = b"%PDF-1.4\n", []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{o}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


PDF_LINES = ["P 111147Z DEC 00", "FM AMEMBASSY ROME", "TO SECSTATE WASHDC 0001",
             "C O N F I D E N T I A L SECTION 01 OF 02 ROME 008112", "E.O. 12958: DECL: 12/07/10", "TAGS: ",
             "PTER", " ", "IT", "SUBJECT: ITALY: A REPORT", "\u00b6", "1. (U) FIRST.", "\u00b6", "2. (C) SECOND.",
             "EXAMPLE"]


def test_a_pdf_text_layer_with_tags_one_a_line(tmp_path):
    pytest.importorskip("pypdf")
    c = read_cable(tiny_pdf(PDF_LINES))
    assert c.layout == "pdf" and c.tags.codes == ["PTER", "IT"] and c.tags.unknown == []
    assert (c.reference_id, c.reference_id_source, c.classification) == ("00ROME8112", "derived", "CONFIDENTIAL")
    assert [(p.number, p.marking) for p in c.paragraphs] == [(1, "U"), (2, "C")]


def test_a_pdf_without_a_text_layer_exits_3_saying_ocr(tmp_path):
    pytest.importorskip("pypdf")
    f = tmp_path / "scan.pdf"
    f.write_bytes(tiny_pdf([]))
    p = run_cli("parse", str(f))
    assert p.returncode == 3 and "no text layer" in p.stderr and "OCR" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


def test_a_pdf_without_the_extra_exits_2_naming_the_install(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pypdf", None)  # import pypdf now fails as it does without the extra
    f = tmp_path / "x.bin"
    f.write_bytes(tiny_pdf(PDF_LINES))
    p = run_cli("parse", str(f))
    assert p.returncode == 2 and "pip install 'cabletags[pdf]'" in p.stderr and len(p.stderr.splitlines()) == 1


def test_broken_pdf_is_an_input_error():
    with pytest.raises(ReadError) as e:
        read_document(b"%PDF-1.4\nnot really")
    assert e.value.exit_code in (2, 3)


# --- what is not one cable --------------------------------------------------------------------------------------
def test_json_lines_without_jsonl_exit_2(tmp_path):
    f = tmp_path / "cables.txt"
    f.write_text(json.dumps({"id": "a", "text": TELEGRAM}) + "\n" + json.dumps({"id": "b", "text": "x"}) + "\n")
    for cmd in (["parse"], ["suggest", "--cable"]):
        p = run_cli(*cmd, str(f))
        assert p.returncode == 2 and "--jsonl" in p.stderr and len(p.stderr.strip().splitlines()) == 1


def mhtml(page: str, transfer: str = "quoted-printable") -> bytes:
    """A page saved as one file, as browsers write it: a multipart/related MIME document whose first part is the page
    (quoted-printable or base64), then a style sheet."""
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"] = "<Saved by Blink>"
    msg["Snapshot-Content-Location"] = "https://example.org/cable/2009/07/09PARIS77.html"
    msg["Subject"] = "Cable 09PARIS77: a page saved by a browser"
    msg["MIME-Version"] = "1.0"
    msg.make_related()
    msg.add_related(page, subtype="html", cte=transfer)
    msg.get_payload()[0]["Content-Location"] = "https://example.org/cable/2009/07/09PARIS77.html"
    msg.add_related("body { color: red; } /* TAGS: PHUM, KTIP */", subtype="css")
    return msg.as_bytes()


@pytest.mark.parametrize("transfer", ["quoted-printable", "base64"])
def test_a_page_saved_as_one_file_reads_as_the_page(transfer, tmp_path):
    # MHTML: read as text, its "=3D"s, soft line breaks and its own Subject header would be taken for the cable's;
    # the page part is read instead (as bytes, as a path, as text), never the style sheet after it
    page = cablegate_2011(TELEGRAM)
    data = mhtml(page, transfer)
    assert b"=3D" in data or transfer == "base64"
    want = read_cable(page.encode()).to_dict()
    (tmp_path / "saved.mhtml").write_bytes(data)
    for source in (data, tmp_path / "saved.mhtml", data.decode("ascii")):
        got = read_cable(source)
        assert "MIME" in got.encoding and got.layout == "cablegate"
        assert {k: v for k, v in got.to_dict().items() if k not in ("encoding", "source")} == \
            {k: v for k, v in want.items() if k not in ("encoding", "source")}
    assert "KTIP" not in read_document(data).text


def test_a_mail_message_that_carries_a_cable_reads_as_the_cable():
    # an .eml: the cable in a base64 text part in Windows-1252 (its pilcrows as byte 0xB6); the message's own Subject
    # and From are not the cable's; a text that only mentions MIME headers in its body is a cable as before
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "archivist@example.org", "desk@example.org", "Fwd: the Paris cable"
    msg.set_content(TELEGRAM.encode("cp1252"), maintype="text", subtype="plain", cte="base64",
                    params={"charset": "windows-1252"})
    c, bare = read_cable(msg.as_bytes()), read_cable(TELEGRAM)
    assert c.encoding.startswith("windows-1252") and c.subject == bare.subject and c.from_ == bare.from_
    assert c.tags.codes == ["PGOV", "PREL", "FR"] and [p.number for p in c.paragraphs] == [1, 2, 3]
    looks = "TAGS: PREL, FR\nSUBJECT: HEADERS IN A CABLE\nMIME-Version: 1.0\n\n1. Content-Type: text/plain.\n"
    assert read_cable(looks.encode()).tags.codes == ["PREL", "FR"] and read_cable(looks).encoding is None
    with pytest.raises(ReadError) as e:  # a MIME document with no text in it
        read_cable(b"MIME-Version: 1.0\r\nContent-Type: image/png\r\n\r\n\x89PNG")
    assert e.value.exit_code == 3 and "\n" not in str(e.value)


def test_documents_of_other_formats_are_refused_in_one_line():
    # their markup would be read as a cable's words: JSON that is not JSON Lines (a usage problem, 2), RTF and ZIP
    # archives (word processors' files, 3); a text that only starts with a bracket is still a cable
    records = [{"id": "a", "text": TELEGRAM}, {"id": "b", "text": "x"}]
    cases = [(json.dumps(records).encode(), 2, "JSON array of 2"), (json.dumps(records[0], indent=2).encode(), 2,
                                                                   "JSON document"),
             (b"\xef\xbb\xbf  {\\rtf1\\ansi TAGS: PREL\\par}", 3, "RTF"), (b"PK\x03\x04" + b"\x00" * 40, 3, "ZIP")]
    for data, code, words in cases:
        with pytest.raises(ReadError) as e:
            read_document(data)
        assert e.value.exit_code == code and words in str(e.value) and "\n" not in str(e.value)
    assert read_cable(b"[SBU] TAGS: PREL, FR\nSUBJECT: X\n\n1. Text.\n").tags.codes == ["PREL", "FR"]
    assert read_cable(json.dumps(records)).layout == "text"  # a str handed over is taken as the cable it is


def test_read_cable_takes_paths_bytes_text_file_objects_and_documents(tmp_path):
    f = tmp_path / "c"
    f.write_bytes(TELEGRAM.encode("cp1252"))
    want = read_cable(TELEGRAM).to_dict()
    with f.open("rb") as fh:
        got = [read_cable(x).to_dict() for x in (f, f.read_bytes(), TELEGRAM, read_document(f))] + \
            [read_cable(fh).to_dict()]
    keys = ("reference_id", "subject", "tags", "paragraphs", "body", "date", "origin_country")
    assert all({k: g[k] for k in keys} == {k: want[k] for k in keys} for g in got)
    assert isinstance(read_document(f), Document)
    with pytest.raises(TypeError):
        read_cable(12)


# --- folders and globs ----------------------------------------------------------------------------------------
def test_parse_a_folder_one_record_per_file_bad_files_skipped(tmp_path):
    d = tmp_path / "in"
    (d / "sub").mkdir(parents=True)
    (d / "a.txt").write_bytes(TELEGRAM.encode("cp1252"))
    (d / "sub" / "b.html").write_text(cablegate_2011(TELEGRAM))
    (d / "c.bin").write_bytes(b"\x00\x01\x02 binary")
    (d / ".hidden").write_text("ignored")
    (d / "d.txt").write_text(" \n\n")  # nothing to read: reported, as one empty file is
    (d / "e.json").write_text(json.dumps([{"text": TELEGRAM}]))  # JSON, not a cable
    p = run_cli("parse", str(d))
    rows = [json.loads(x) for x in p.stdout.splitlines()]
    assert p.returncode == 0 and [Path(r["source"]).name for r in rows] == ["a.txt", "b.html"]
    assert [r["reference_id"] for r in rows] == ["09PARIS77", "09PARIS77"]
    assert "c.bin" in p.stderr and "d.txt: empty input" in p.stderr and "e.json: a JSON array" in p.stderr
    assert "2 out, 3 skipped" in p.stderr
    assert run_cli("parse", "--strict", str(d)).returncode == 5
    g = run_cli("parse", str(d / "**" / "*.html"))
    assert [Path(json.loads(x)["source"]).name for x in g.stdout.splitlines()] == ["b.html"]


def test_suggest_cable_over_a_folder(tiny, tmp_path):
    tiny_model = tiny / "model"
    d = tmp_path / "in"
    d.mkdir()
    (d / "a.txt").write_text(TELEGRAM)
    (d / "b.html").write_text(cablegate_2011(TELEGRAM))
    p = run_cli("suggest", "--cable", str(d), "--model", str(tiny_model), "--limit", "3")
    rows = [json.loads(x) for x in p.stdout.splitlines()]
    assert p.returncode == 0 and len(rows) == 2 and rows[0]["whole"] == rows[1]["whole"]
    assert all(r["own_tags"] == ["PGOV", "PREL", "FR"] and r["source"] for r in rows)


def test_plain_suggest_reads_only_the_cable_of_a_page(tiny, tmp_path):
    tiny_model = tiny / "model"
    from cabletags import Suggester

    page = tmp_path / "p.html"
    page.write_text(cablegate_2011(TELEGRAM))
    got = json.loads(run_cli("suggest", str(page), "--model", str(tiny_model), "--format", "json").stdout)
    s = Suggester.load(tiny_model)
    want = [x.to_dict() for x in s.suggest(read_cable(TELEGRAM).reading_text, 10)]
    assert [{k: t[k] for k in ("tag", "score", "selected")} for t in got["tags"]] == want  # menus change nothing


# --- the shared samples (read by path; skipped without ../shared) ---------------------------------------------
SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
EXPECTED = {  # id, own TAGS, year, era, paragraph numbers (1..n), layout
    "72TEHRAN1164.html": ("72TEHRAN1164", ["MASS", "MARR", "IR"], 1972, "1970s", 8, "cablegate"),
    "1974ATHENS02959_b.html": ("74ATHENS2959", ["PINS", "GR"], 1974, "1970s", 2, "plusd"),
    "09PARIS1007.txt": ("09PARIS1007", ["PGOV", "PREL", "FR"], 2009, "cablegate", 5, "text"),
    "07BOGOTA1165.txt": ("07BOGOTA1165", ["PGOV", "CO"], 2007, "cablegate", 4, "text"),
    "00ANKARA8112.pdf": ("00ANKARA8112", ["PTER", "TU"], 2000, "cablegate", 40, "pdf"),
    "00HANOI686.pdf": ("00HANOI686", ["PGOV", "PREL", "ECON", "ETRD", "PINR", "PHUM", "VM", "DPOL"], 2000, "cablegate",
                       27, "pdf"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_shared_samples(name):
    f = SAMPLES / name
    if not f.is_file():
        pytest.skip(f"{f} absent: the shared samples are read by path")
    if name.endswith(".pdf"):
        pytest.importorskip("pypdf")
    rid, tags, year, era, n, layout = EXPECTED[name]
    c = read_cable(f)
    assert (c.reference_id, c.tags.codes, c.year, c.era, c.layout) == (rid, tags, year, era, layout)
    assert [p.number for p in c.paragraphs] == list(range(1, n + 1)) and not c.doubts
    assert c.subject and "\ufffd" not in c.subject and "\ufffd" not in c.body
    assert not c.tags.unknown


def test_a_fm_line_names_the_kind_of_post():
    from cabletags.reading.posts import origin_of_from_line

    assert origin_of_from_line("AMEMBASSY PARIS IMMEDIATE") == ("PARIS", "Embassy Paris")
    assert origin_of_from_line("AMCONSUL CASABLANCA 0042") == ("CASABLANCA", "Consulate Casablanca")
    assert origin_of_from_line("USMISSION GENEVA")[1] == "Mission Geneva"  # a mission is no embassy
    assert origin_of_from_line("USINT HAVANA")[1] == "Interests Section Havana"
    assert origin_of_from_line("SECSTATE WASHDC 1234") == ("STATE", "Secretary of State")
    assert origin_of_from_line("SOMEWHERE ELSE") == ("SOMEWHERE ELSE", None)  # no prefix: no kind guessed


def test_a_mission_header_finds_its_post():
    # a mission to an organization: its site name from the posts table, no country, the id built from its header
    c = read_cable("O 171458Z JUN 09\nFM USMISSION UNVIE VIENNA\nTO SECSTATE WASHDC 9589\n"
                   "UNCLAS UNVIE VIENNA 000279\n\nE.O. 12958: N/A\nTAGS: AORC, IAEA\nSUBJECT: A BUDGET\n\n"
                   "1. (SBU) Text.\n")
    assert (c.origin, c.origin_country, c.reference_id) == ("UNVIE", None, "09UNVIEVIENNA279")
    c = read_cable("R 010101Z JAN 09\nFM AMCONSUL KARACHI\nUNCLAS KARACHI 000012\n\nTAGS: PGOV\nSUBJECT: X\n\n"
                   "1. Text.\n")
    assert (c.origin, c.origin_country) == ("Consulate Karachi", "PK")  # its host country, curated (not AF)


def test_a_ref_list_over_several_lines_is_kept_whole():
    # the list's later lines (B., (C), ¶D.) belong to it; a line that is no item of it, or a marking, ends it
    head = "UNCLAS PARIS 000123\n\nTAGS: PREL\nSUBJECT: X\n\n"
    c = read_cable(head + "REF: A. STATE 123\n     B. 08 PARIS 456\n     (C) ROME 7\n  \u00b6D. BERN 8\n\n1. Text.\n")
    assert c.refs == ["A. STATE 123 B. 08 PARIS 456 (C) ROME 7 \u00b6D. BERN 8"]
    for after in ("Classified By: someone", "(U) CLASSIFIED BY: someone", "(C) Summary: text", "AND MORE"):
        assert read_cable(head + f"REF: STATE 123\n{after}\n\n1. Text.\n").refs == ["STATE 123"], after


def test_a_cables_paragraphs_summary_and_signature_are_there_when_asked_for_and_can_be_set():
    # worked out from the body on first use (scoring reads none of them): the same values, and a value set by hand
    # stays what was set
    c = read_cable(TELEGRAM)
    d = read_cable(TELEGRAM).to_dict()
    assert [p.to_dict() for p in c.paragraphs] == d["paragraphs"] and c.summary == d["summary"]
    assert c.signature == d["signature"] and c.comment == d["comment"] and len(c.paragraphs) == 3
    e = read_cable(TELEGRAM)
    e.summary = "set by hand"  # before the body's parts were worked out
    assert e.summary == "set by hand" and e.to_dict()["summary"] == "set by hand" and len(e.paragraphs) == 3

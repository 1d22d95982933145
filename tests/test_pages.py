"""Cables as people hold them: saved pages with chrome (text and HTML), flattened cables, signatures, whole
cables in batches and audits. Every text here was written for the tests."""
import json

from conftest import run_cli

from cabletags import parse_cable

CABLE = """VZCZCXYZ0003
RR RUEHWEB

DE RUEHKB #0141 0411234
ZNR UUUUU ZZH
R 101234Z FEB 09
FM AMEMBASSY BAKU
TO RUEHC/SECSTATE WASHDC 0830
INFO RUEHAK/AMEMBASSY ANKARA 1234

UNCLAS BAKU 000141

SIPDIS

E.O. 12958: N/A
TAGS: KTIP, PHUM, PREF, KCRM, AJ
SUBJECT: AZERBAIJAN: SHELTERS FOR TRAFFICKING VICTIMS

REF: STATE 1234

1. (SBU) Summary: The government opened two shelters for victims of trafficking. End summary.

2. (SBU)PROSECUTION: Police arrested traffickers who forced women into labor abroad:
A. eleven cases went to court;
B. four were closed.

3.(U)PREVENTION: The ministry trained border guards.

DERSE
"""

CHROME = """Home | Browse by tag | Browse by origin | Search
Browse by tag: PHUM PREL PGOV KTIP ECON ETRD KDEM EFIN
Browse by classification: CONFIDENTIAL SECRET UNCLASSIFIED
Reference ID: 09BAKU141   Created: 2009-02-10 12:34   Origin: Embassy Baku
"""
FOOTER = "\nAbout this site | Contact | Privacy policy\n"


def _fields(p):
    d = p.to_dict()
    return {k: d[k] for k in ("post", "serial", "date_time_group", "from", "to", "classification", "caveats",
                              "eo_line", "tags_raw", "subject", "refs", "signature")} | {
        "paragraphs": [(q["number"], q["marking"], q["text"]) for q in d["paragraphs"]]}


def test_the_bare_cable():
    p = parse_cable(CABLE)
    assert (p.post, p.serial, p.from_, p.classification) == ("BAKU", "000141", "AMEMBASSY BAKU", "UNCLASSIFIED")
    assert p.tags.codes == ["KTIP", "PHUM", "PREF", "KCRM", "AJ"] and p.signature == "DERSE"
    assert [(q.number, q.marking) for q in p.paragraphs] == [(1, "SBU"), (2, "SBU"), (3, "U")]
    assert p.paragraphs[1].text.startswith("PROSECUTION:") and "B. four were closed." in p.paragraphs[1].text
    assert p.paragraphs[2].text == "PREVENTION: The ministry trained border guards."  # no signature in it


def test_a_page_with_chrome_reads_as_the_bare_cable():
    bare = parse_cable(CABLE)
    page = parse_cable(CHROME + CABLE)
    assert _fields(page) == _fields(bare)  # the tag index and menus above it are not its header
    assert page.reference_id == "09BAKU141"  # printed by the page, not in the cable
    # a footer after the signature is not recognised as chrome: it stays at the end of the last paragraph
    footed = parse_cable(CHROME + CABLE + FOOTER)
    assert [q.text for q in footed.paragraphs[:2]] == [q.text for q in bare.paragraphs[:2]]
    assert footed.paragraphs[2].text.startswith(bare.paragraphs[2].text)


def test_an_html_page_is_read_with_an_html_parser():
    html = ("<!doctype html><html><head><title>09BAKU141</title><style>p {color: red}</style>"
            "<script>var tags = 'TAGS: PREL';</script></head><body><nav><a href='/tag/PHUM'>PHUM</a> "
            "<a href='/tag/PREL'>PREL</a></nav><div class='meta'>Reference ID: 09BAKU141</div>"
            "<pre>" + CABLE.replace("&", "&amp;").replace("<", "&lt;") + "</pre><footer>About</footer></body></html>")
    page, bare = parse_cable(html), parse_cable(CABLE)
    assert _fields(page) == _fields(bare)
    assert page.reference_id == "09BAKU141" and page.tags.codes == bare.tags.codes


def test_nested_pre_blocks_are_read_once_each_and_a_cable_in_one_is_found():
    # a <pre> inside another is part of its text: read with it, not again (which took time quadratic in the depth);
    # one inside a dropped element (a nav) is not, and is still read on its own
    escaped = CABLE.replace("&", "&amp;").replace("<", "&lt;")
    bare = parse_cable(CABLE)
    deep = parse_cable("<html><body>" + "<pre>x " * 2000 + escaped + "</pre>" * 2000 + "</body></html>")
    assert deep.tags.codes == bare.tags.codes and deep.subject == bare.subject
    hidden = parse_cable("<html><body><pre>notes<nav><pre>" + escaped + "</pre></nav></pre></body></html>")
    assert hidden.tags.codes == bare.tags.codes and [q.number for q in hidden.paragraphs] == [1, 2, 3]


def test_a_flattened_cable_keeps_its_fields():
    p = parse_cable(" ".join(CABLE.split()))
    assert p.tags.codes == ["KTIP", "PHUM", "PREF", "KCRM", "AJ"]
    assert p.subject == "AZERBAIJAN: SHELTERS FOR TRAFFICKING VICTIMS"
    assert [q.number for q in p.paragraphs] == [1, 2, 3]


def test_paragraphs_of_a_cable_and_of_plain_text(tmp_path, tiny):
    f = tmp_path / "cable.txt"
    f.write_text(CABLE)
    p = run_cli("suggest", str(f), "--paragraphs", "--model", str(tiny / "model"), "--format", "json", "--limit", "1")
    assert [(d["number"], d["marking"]) for d in json.loads(p.stdout)["paragraphs"]] == [(1, "SBU"), (2, "SBU"),
                                                                                         (3, "U")]
    f.write_text("VZCZCXYZ0003\nRR RUEHWEB\n\nFirst block of prose.\n\nSecond block of prose.\n")
    docs = json.loads(run_cli("suggest", str(f), "--paragraphs", "--model", str(tiny / "model"), "--format", "json",
                              "--limit", "1").stdout)["paragraphs"]
    assert [d["text"] for d in docs] == ["First block of prose.", "Second block of prose."]  # no routing lines


def test_own_tags_below_the_list_are_reported_by_rank(tiny, tmp_path):
    from cabletags import Suggester

    d = Suggester.load(tiny / "model").suggest_cable(CABLE, limit=2)
    listed = {x["tag"] for x in d["whole"]}
    below = {x["tag"]: x["rank"] for x in d["own_below"]}
    assert set(below) == {t for t in d["own_tags"] if t in Suggester.load(tiny / "model").labels} - listed
    assert all(r > 2 for r in below.values())
    f = tmp_path / "cable.txt"
    f.write_text(CABLE)
    out = run_cli("suggest", "--cable", str(f), "--model", str(tiny / "model"), "--limit", "2").stdout
    line = next(x for x in out.splitlines() if x.startswith("own tags below the list: "))
    for tag, rank in below.items():  # each named with its rank as an ordinal: "KCRM 5th (0.12)"
        suffix = "th" if 10 <= rank % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(rank % 10, "th")
        assert f"{tag} {rank}{suffix} (" in line


def test_batch_whole_cables_and_audit_of_a_cable_file(tiny, tmp_path):
    src = tmp_path / "c.jsonl"
    src.write_text(json.dumps({"id": "x", "text": CHROME + CABLE}) + "\n" + json.dumps({"text": CABLE}) + "\n")
    p = run_cli("suggest", "--jsonl", str(src), "--cable", "--text-field", "text", "--model", str(tiny / "model"),
                "--limit", "3")
    rows = [json.loads(x) for x in p.stdout.splitlines()]
    # the record without an id gets the cable's own, derived from its header (year, post, serial)
    assert p.returncode == 0 and [r["id"] for r in rows] == ["x", "09BAKU141"] and all(len(r["tags"]) == 3 for r in rows)
    assert rows[0]["tags"] == rows[1]["tags"]  # the page's chrome changes nothing the model reads
    f = tmp_path / "cable.txt"
    f.write_text(CABLE)
    p = run_cli("audit", str(f), "--model", str(tiny / "model"))
    finding = json.loads(p.stdout)
    assert p.returncode == 0 and finding["codes"] == ["KTIP", "PHUM", "PREF", "KCRM", "AJ"]
    f.write_text("just a note, no cable here\n")
    p = run_cli("audit", str(f), "--model", str(tiny / "model"))
    assert p.returncode == 3 and "neither JSON Lines nor a cable" in p.stderr


def test_suggest_reads_a_page_as_its_text(tiny, tmp_path):
    text = "Inflation and the budget deficit worry the central bank."
    (tmp_path / "p.html").write_text(f"<html><body><nav>Home | Tags</nav><p>{text}</p>"
                                     "<script>var tags = 'MARR troops navy';</script></body></html>")
    (tmp_path / "p.txt").write_text(f"\n{text}\n")
    page = run_cli("suggest", str(tmp_path / "p.html"), "--model", str(tiny / "model"), "--format", "json")
    plain = run_cli("suggest", str(tmp_path / "p.txt"), "--model", str(tiny / "model"), "--format", "json")
    assert page.returncode == 0 and json.loads(page.stdout) == json.loads(plain.stdout)

import json

import pytest
from conftest import run_cli
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cabletags import load_taxonomy, normalize
from cabletags.vocabulary.normalizer import Normalizer, get_normalizer


def kinds(r):
    return [(x.kind, x.original, list(x.result)) for x in r.repairs]


def test_clean_line_is_untouched():
    r = normalize("PGOV, PHUM, KDEM, KCRM, AJ")
    assert r.codes == ["PGOV", "PHUM", "KDEM", "KCRM", "AJ"] and not r.repairs and not r.unknown


def test_duplicates_removed_order_kept():
    assert normalize("PREL PGOV PREL, PGOV; IZ").codes == ["PREL", "PGOV", "IZ"]


@pytest.mark.parametrize("raw,codes", [
    ("TAGS: PGOV, PREL, OSCEPREF", ["PGOV", "PREL", "OSCE", "PREF"]),
    ("PHUM, ITPHUM", ["PHUM", "IT"]),
    ("KPAO PTERKHLS", ["KPAO", "PTER", "KHLS"]),
    ("PREL, RUPREL", ["PREL", "RS"]),  # a split may use an alias form (RU -> RS)
])
def test_run_together_codes_are_split(raw, codes):
    r = normalize(raw)
    assert r.codes == codes
    assert any(k == "split" for k, _, _ in kinds(r))


@pytest.mark.parametrize("word", ["TERRORISM", "DETAINEES", "EARTHQUAKE", "SUNNI", "BASINS", "SPLASH"])
def test_ordinary_words_stay_whole(word):
    r = normalize(f"PTER, {word}")
    assert r.codes == ["PTER"] and r.unknown == [word]


@pytest.mark.parametrize("raw,code,note", [
    ("PGVO", "PGOV", "swap"), ("PRELL", "PREL", "doubled"), ("ECNO", "ECON", "swap"), ("KCRMM", "KCRM", "doubled"),
    ("PHM", "PHUM", "dropped"), ("UNESOC", "UNESCO", "swap in a long code"),
])
def test_typos_are_repaired_when_clear(raw, code, note):
    n = get_normalizer(load_taxonomy(typo_aliases=False))
    r = n.normalize(f"KTIP {raw}")
    assert r.codes == ["KTIP", code], note
    assert ("typo", raw, [code]) in kinds(r)


def test_ambiguous_typo_is_kept_and_flagged_with_candidates():
    n = get_normalizer(load_taxonomy(typo_aliases=False))
    r = n.normalize("KCI")  # KOCI, KCIP, KSCI are one dropped letter away, none clearly more used
    assert r.codes == [] and r.unknown == ["KCI"]
    assert {"KOCI", "KCIP"} <= set(r.candidates["KCI"])


def test_typo_alias_switch_does_not_change_rule_repairs():
    on = get_normalizer(load_taxonomy(typo_aliases=True)).normalize("ENGR")
    off = get_normalizer(load_taxonomy(typo_aliases=False)).normalize("ENGR")
    assert on.codes == off.codes == ["ENRG"]


def test_case_repair():
    r = normalize("prel")
    assert r.codes == ["PREL"] and ("case", "prel", ["PREL"]) in kinds(r)


def test_lower_case_words_in_phrases_are_not_codes():
    r = normalize("Smuggling (in ports)")
    assert r.codes == [] and r.unknown == ["Smuggling (in ports)"]  # not IN India
    r = normalize("Trafficking (in persons)")  # KTIP's title word for word: a phrase repair, still no IN
    assert r.codes == ["KTIP"] and [x.kind for x in r.repairs] == ["phrase"]


def test_free_phrase_kept_whole_and_codes_inside_taken():
    r = normalize("PREL, Defense Reform (Mil & NATO)")
    assert r.codes == ["PREL", "NATO"] and r.unknown == ["Defense Reform (Mil & NATO)"]


@pytest.mark.parametrize("raw,code", [("IRAQ", "IZ"), ("Iraq", "IZ"), ("INDIA", "IN"), ("RU", "RS"), ("PAK", "PK")])
def test_aliases(raw, code):
    r = normalize(raw)
    assert r.codes == [code] and r.repairs[0].kind == "alias"


@pytest.mark.parametrize("raw", ["OVIP (POWELL, COLIN)", "OVIP POWELL COLIN", "OVIP (Powell, Colin)".upper(),
                                 "OVIP POWELL COLIN PREL"])
def test_personal_names_get_one_canonical_form(raw):
    r = normalize(raw)
    assert r.codes[0] == "OVIP" and r.names == ["POWELL, COLIN"]
    # a repair is listed only when the written form was changed: "(POWELL, COLIN)" is already canonical
    assert any(x.kind == "name" for x in r.repairs) == ("POWELL, COLIN" not in raw)


def test_name_in_parentheses_after_any_code_and_et_al():
    r = normalize("CVIS, KVPR, SP (DOE, JOHN ET AL)")
    assert r.codes == ["CVIS", "KVPR", "SP"] and r.names == ["DOE, JOHN"]


def test_name_taking_tag_followed_by_codes_takes_no_name():
    r = normalize("OVIP PGOV PREL BA")
    assert r.codes == ["OVIP", "PGOV", "PREL", "BA"] and r.names == []


def test_junk_removed_and_recorded():
    raw = "TAGS: PREL, PGOV  SECRET  PAGE 02  LIMA 02475 01 OF 03 251228Z  PINR, SIPDIS"
    r = normalize(raw)
    assert r.codes == ["PREL", "PGOV", "PINR"] and not r.unknown
    assert [k for k, _, _ in kinds(r)].count("junk") >= 3


def test_repeated_label_words_and_punctuation():
    r = normalize("TAGS TAGS: PREL;PGOV;; ,ECON.")
    assert r.codes == ["PREL", "PGOV", "ECON"]


def test_unknown_tokens_kept_verbatim():
    r = normalize("PREL, XQZW, Press Summaries")
    assert r.codes == ["PREL"] and r.unknown == ["XQZW", "Press Summaries"]


def test_empty_and_none():
    assert not normalize("") and not normalize(None) and not normalize("   ")


def test_to_dict_shape():
    d = normalize("PREL OSCEPREF").to_dict()
    assert set(d) == {"codes", "names", "unknown", "repairs"}
    assert d["repairs"][0] == {"kind": "split", "original": "OSCEPREF", "result": ["OSCE", "PREF"],
                               "confidence": d["repairs"][0]["confidence"]}
    assert 0 < d["repairs"][0]["confidence"] <= 1


def test_non_str_rejected_clearly():
    with pytest.raises(TypeError):
        normalize(42)


def test_long_lines_are_read_to_the_bound_and_cut_with_a_note():
    from cabletags.vocabulary.normalizer import MAX_LINE_CHARS, MAX_TOKEN_CHARS

    within = "PREL " * ((MAX_LINE_CHARS - 10) // 5) + "XQZW"
    r = normalize(within)
    assert r.codes == ["PREL"] and r.unknown == ["XQZW"] and not r.repairs
    over = "PREL " * 200_000 + "XQZW"
    r = normalize(over)
    assert r.codes == ["PREL"] and r.unknown == []  # XQZW lies past the bound
    cut = r.repairs[-1]
    assert cut.kind == "cut" and f"the last {len(over) - MAX_LINE_CHARS + 1}" in cut.note  # cut at a space
    # a token over the bound is kept whole as unknown, never split or corrected
    token = "PRELPGOV" * (MAX_TOKEN_CHARS // 8 + 1)
    assert normalize(token).unknown == [token] and normalize("PRELPGOV").codes == ["PREL", "PGOV"]


tag_text = st.text(alphabet=st.sampled_from(list("PRELGOVHUMKTIAJZS ,;()-/:.\n\tabc") + ["É", "\x00", "é"]),
                   max_size=80)


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=120), tag_text))
def test_normalize_never_raises_and_outputs_only_codes_or_flags(raw):
    tax = load_taxonomy()
    r = normalize(raw)
    assert all(c in tax.entries for c in r.codes)
    assert len(set(r.codes)) == len(r.codes)
    from cabletags.vocabulary.normalizer import _clean_text

    cleaned = _clean_text(raw)
    for u in r.unknown:  # kept verbatim: every word of an unknown item is text of the input
        assert u.strip() and all(w in cleaned for w in u.split()), (u, raw)


_FRESH = Normalizer(load_taxonomy())


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=120), tag_text))
@example("(AAD .)")  # a lone full stop is no second word of a name: "(AAD)" reads the same
@example("(A .)")
def test_normalize_is_deterministic_and_idempotent(raw):
    first = normalize(raw)
    # a second normalizer with caches of its own computes the same result from scratch
    assert _FRESH.normalize(raw).to_dict() == first.to_dict()
    again = normalize(first.to_line())
    assert again.codes == first.codes
    assert again.names == first.names
    assert again.unknown == first.unknown


def test_clean_code_fast_path_gives_what_the_rules_give():
    import random

    n = get_normalizer()
    codes = sorted(n.codes)
    rng = random.Random(5)
    lines = ["PGOV, PREL, AJ", "PREL PREL", "OVIP POWELL", "TAGS PREL", "X Y Z W V", "PREL, G8", "prel, PGOV",
             " PREL ;PGOV ", ", PREL", "SIPDIS PREL", "C O N F I D E N T I A L PREL"]
    lines += [rng.choice([", ", " ", ",", "; "]).join(rng.choice(codes) for _ in range(rng.randint(1, 6)))
              for _ in range(3000)]
    taken = 0
    for raw in lines:
        assert n._normalize_uncached(raw).to_dict() == n._normalize_full(raw).to_dict(), raw
        taken += all(t in n.plain_codes for t in raw.replace(",", " ").replace(";", " ").split())
    assert taken > 1000  # the fast path is exercised, not only the rules


def test_a_substituted_letter_of_a_frequent_code_is_repaired_with_less_confidence():
    r = normalize("PTEF, KCRN, PGOB")
    assert r.codes == ["PTER", "KCRM", "PGOV"] and not r.unknown
    assert {x.confidence for x in r.repairs} == {0.7}  # below a dropped, doubled or swapped letter (0.85-0.95)
    assert normalize("PRELL").repairs[0].confidence > 0.7
    # never a word or a listed non-code word (DTRA is an agency, not a typo of OTRA)
    for word in ("TERRORISM", "DTRA"):
        assert normalize(word).codes == [], word
    n = get_normalizer()
    assert n._substitution("PTF") == (None, [])  # 3 letters: too short to trust a substitution
    assert n._substitution("EXXX")[0] is None  # no frequent code one letter away: left alone


def test_a_phrase_that_is_a_codes_title_is_repaired_as_phrase():
    from cabletags import normalize

    r = normalize("PREL, Human Rights")  # PHUM's title, word for word (the handbook's)
    assert r.codes == ["PREL", "PHUM"] and r.unknown == []
    rep = r.repairs[-1]
    assert (rep.kind, rep.original, rep.result, rep.confidence) == ("phrase", "Human Rights", ("PHUM",), 0.6)
    # a lone word is never a phrase, a phrase unlike any verified title stays a phrase
    assert normalize("PREL, Security").unknown == ["Security"]
    assert normalize("PREL, War Crimes").unknown == ["War Crimes"]  # KWAC's title is read from corpus use only
    assert normalize("PREL, COUNTER TERRORISM").unknown == ["COUNTER TERRORISM"]


def test_precision_first_words_beside_upper_case_codes_stay_words():
    from cabletags import normalize

    n = normalize("PHUM, in")
    assert n.codes == ["PHUM"] and n.unknown == ["in"] and n.candidates == {"in": ["IN"]}
    n = normalize("PREL, as, is")
    assert n.codes == ["PREL"] and n.unknown == ["as", "is"] and n.candidates["is"] == ["IS"]
    n = normalize("PHUM KTIP in AJ")  # inside one item too
    assert n.codes == ["PHUM", "KTIP", "AJ"] and n.unknown == ["in"]
    # a line wholly in lower case is codes; a lone lower-case non-word is its code, less confidently
    assert normalize("prel, pgov, pins, tu").codes == ["PREL", "PGOV", "PINS", "TU"]
    assert normalize("parm, mtcre, gm, sy").codes == ["PARM", "MTCRE", "GM", "SY"]
    n = normalize("PREL, pgov")
    assert n.codes == ["PREL", "PGOV"] and n.repairs[0].confidence < 0.7
    assert normalize("PREL, Human Rights").codes == ["PREL", "PHUM"]  # phrases still work


def test_defined_acronyms_and_unattested_codes_are_never_confident_repairs():
    from cabletags import normalize

    for acronym in ("AIHRC", "APRM"):  # each defined as an acronym in some corpus cable
        n = normalize(acronym)
        assert n.codes == [] and n.unknown == [acronym] and n.candidates[acronym]
    # three letters are too short to tell an acronym from a dropped letter: a repair, never a confident one
    assert [r.confidence <= 0.5 for r in normalize("ASA").repairs] == [True]
    assert all(r.confidence >= 0.7 for r in normalize("PGOB").repairs)  # a typo nobody defines: still repaired
    from cabletags.vocabulary.normalizer import UNATTESTED_CONFIDENCE, get_normalizer

    norm = get_normalizer()
    unattested = next(c for c, e in norm.codes.items() if len(c) == 5 and c.isalpha() and norm.count.get(c, 0) == 0
                      and c[:2] + c[3:] not in norm.codes and (c[:2] + c[3:]).upper() not in norm.acronyms
                      and not norm.is_plain_word(c[:2] + c[3:]))
    typo = unattested[:2] + unattested[3:]  # a dropped letter
    for r in normalize(typo).repairs:
        if unattested in r.result:
            assert r.confidence <= UNATTESTED_CONFIDENCE


def test_a_run_on_with_one_unknown_piece_keeps_its_known_codes():
    from cabletags import normalize

    n = normalize("KWMNPHUMPRELKPAOZW")
    assert n.codes == ["KWMN", "PHUM", "PREL", "KPAO", "ZI"]
    assert [(r.kind, r.original, r.result) for r in n.repairs] == [
        ("split", "KWMNPHUMPRELKPAOZW", ("KWMN", "PHUM", "PREL", "KPAO")), ("alias", "ZW", ("ZI",))]
    n = normalize("PRELPGOVQX")  # a piece that is nothing known: kept and flagged
    assert n.codes == ["PREL", "PGOV"] and n.unknown == ["QX"]


def test_min_confidence_keeps_only_trusted_repairs(tmp_path):
    from cabletags import normalize

    n = normalize("PGOV, PGOB, OSCEPREF", min_confidence=0.9)
    assert n.codes == ["PGOV", "OSCE", "PREF"] and n.unknown == ["PGOB"] and n.candidates == {"PGOB": ["PGOV"]}
    assert [r.kind for r in n.repairs] == ["split"]
    assert normalize("PGOB", min_confidence=0.5).codes == ["PGOV"]
    p = run_cli("normalize", "--min-confidence", "0.9", "--format", "jsonl", "PGOB, PREL")
    d = json.loads(p.stdout)
    assert d["codes"] == ["PREL"] and d["candidates"] == {"PGOB": ["PGOV"]}


def test_lower_case_names_beside_codes_are_never_confident():
    from cabletags import normalize

    for line in ("PREL, china, PGOV", "PHUM tip KTIP", "PREL, turkey"):
        assert all(r.confidence < 0.7 for r in normalize(line).repairs), line
    n = normalize("PREL, Iraq")  # a name written as a name is read as before
    assert n.codes == ["PREL", "IZ"] and n.repairs[0].confidence == 1.0

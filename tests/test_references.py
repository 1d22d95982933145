"""The reference index: references read from text, resolved against training cables, used by the model."""
import json
import random

import numpy as np
import pytest
from conftest import craft_model_json, run_cli

from cabletags.scoring.calibration import f1_thresholds
from cabletags.scoring.evaluation import f1_at_5
from cabletags.scoring.model import ModelError, ModelSettings, TagModel
from cabletags.scoring.references import ReferenceIndex, cited_references, parse_cable_id

POSTS = {"BAKU", "STATE", "USUNNEWYORK", "SANAA"}


def test_parse_cable_id():
    assert parse_cable_id("06BAKU1835") == (6, "BAKU", 1835)
    assert parse_cable_id("09USUNNEWYORK12") == (9, "USUNNEWYORK", 12)
    assert parse_cable_id("T0001") is None
    assert parse_cable_id("") is None


def test_cited_references_reads_years_posts_and_aliases():
    text = ("REF: A. 06 BAKU 01835 B. SECSTATE 96625\n C. USUN NEW YORK 123 D. PARIS 44\n\n"
            "1. (C) Summary: the minister met on 12 MARCH 2006.")
    assert cited_references(text, POSTS) == [(6, "BAKU", 1835), (None, "STATE", 96625), (None, "USUNNEWYORK", 123)]
    # a training cable reads a reference without a year as its own year
    assert cited_references("REF: STATE 5", POSTS, default_year=7) == [(7, "STATE", 5)]
    # words before the post are tried off one at a time; repeats are dropped
    assert cited_references("REF A SANAA 02498 and REF A SANAA 2498", POSTS) == [(None, "SANAA", 2498)]
    assert cited_references("no references here, just Baku 2006", POSTS) == []
    assert cited_references("", POSTS) == []


def _index():
    # four training cables over labels [PREL, KTIP, SMIG, AJ]
    ids = ["06BAKU10", "06BAKU11", "07BAKU10", "06SANAA3"]
    texts = ["nothing cited", "REF: STATE 500", "REF: 06 STATE 500", "REF: BAKU 11"]
    Y = np.array([[1, 1, 0, 1], [0, 0, 1, 1], [1, 0, 1, 0], [1, 0, 0, 0]], dtype=np.int8)
    return ReferenceIndex.build(ids, texts, Y)


def test_index_resolves_cited_and_cociting_cables():
    ix = _index()
    assert len(ix) == 4 and ix.posts == ["BAKU", "SANAA"]  # STATE is cited but no STATE cable was indexed
    # a cited training cable, by year when the reference has one, by any year when not
    assert ix.resolve("REF: 06 BAKU 10") == ([0], [])
    assert ix.resolve("REF: BAKU 10") == ([0, 2], [])
    # co-citing: cables that cite the same reference (BAKU 11 is cited by the SANAA cable)
    assert ix.resolve("REF: 06 BAKU 11") == ([1], [3])
    assert ix.reference_id(1) == "06BAKU11"


def test_a_training_cable_does_not_find_itself():
    ix = _index()
    assert ix.resolve("REF: BAKU 11") == ([1], [3])               # the SANAA cable cites BAKU 11 too
    assert ix.resolve("REF: BAKU 11", cable_id="06SANAA3") == ([1], [])
    assert ix.resolve("REF: BAKU 11", cable_id="07SANAA3") == ([1], [3])  # another cable: kept
    assert ix.resolve("REF: 06 BAKU 10", cable_id="06BAKU10") == ([], [])
    assert ix.row_of("06SANAA3") == 3 and ix.row_of("nonsense") is None and ix.row_of(None) is None
    A, B = ix.features(["REF: BAKU 11", "REF: BAKU 11"], ids=[None, "06SANAA3"])
    assert B[0].any() and not B[1].any()


def test_cociting_needs_the_post_to_be_known():
    # STATE is not among the indexed posts, so "STATE 500" cannot be read; a STATE cable in the index fixes it
    ix = _index()
    assert ix.resolve("REF: STATE 500") == ([], [])
    ids = ["06BAKU10", "06BAKU11", "07BAKU10", "06STATE1"]
    Y = np.eye(4, dtype=np.int8)
    ix = ReferenceIndex.build(ids, ["", "REF: STATE 500", "REF: 06 STATE 500", ""], Y)
    assert ix.resolve("REF: STATE 500") == ([], [1, 2])      # any year
    assert ix.resolve("REF: 07 STATE 500") == ([], [])       # cable 1 read STATE 500 as its own year, 06
    assert ix.resolve("REF: 06 STATE 500") == ([], [1, 2])


def test_features_are_tag_shares():
    ix = _index()
    A, B = ix.features(["REF: 06 BAKU 11", "REF: BAKU 10", "", "plain text"])
    np.testing.assert_allclose(A[0], [0, 0, 1, 1])
    np.testing.assert_allclose(B[0], [1, 0, 0, 0])
    np.testing.assert_allclose(A[1], [1, 0.5, 0.5, 0.5])  # two cited cables: shares
    assert not A[2:].any() and not B[1:].any()
    assert A.dtype == np.float32 and A.shape == (4, 4)


def test_tag_counts_of_many_cables_at_once_equal_one_cable_at_a_time():
    rng = np.random.default_rng(5)
    Y = (rng.random((60, 9)) < 0.3).astype(np.int8)
    ix = ReferenceIndex.build([f"06BAKU{i}" for i in range(60)], [""] * 60, Y)
    for rows in ([0], [59], [3, 7], list(range(60)), rng.choice(60, 25, replace=False).tolist()):
        want = np.zeros(9, dtype=np.float32)
        for r in rows:
            want[ix.tags_of(r)] += 1.0
        got = ix._tag_counts(rows)
        assert got.dtype == np.float32 and np.array_equal(got, want)


def test_index_round_trips_through_plain_arrays():
    ix = _index()
    back = ReferenceIndex.from_arrays(ix.posts, ix.to_arrays(), 4)
    for text in ("REF: 06 BAKU 11", "REF: BAKU 10"):
        assert back.resolve(text) == ix.resolve(text)
    bad = ix.to_arrays()
    bad["ref_tags"] = bad["ref_tags"] + 10  # tag indices beyond the label space
    with pytest.raises(ValueError):
        ReferenceIndex.from_arrays(ix.posts, bad, 4)


WORDS = {"MARR": "military troops defense navy army exercises",
         "ECON": "economy budget inflation markets growth investment",
         "PHUM": "rights activists prisoners torture freedom journalists",
         "ENRG": "energy oil gas pipeline electricity power",
         "PTER": "terrorism attacks bombing militants extremists security"}
# frequent tags a drafter adds at random (no word tells them): they outrank a rare tag the text cannot show
NOISE = {"PREL": 0.6, "PGOV": 0.5, "KDEM": 0.4}
LABELS = ["AJ", "ECON", "ENRG", "KDEM", "MARR", "PGOV", "PHUM", "PREL", "PTER", "SMIG"]


def _ref_corpus(n, seed, start=0):
    """Cables whose SMIG tag is visible only through what they cite: one in eight answers STATE 100 (and carries
    SMIG, rarer than any topic, so it ranks under them without the index), the others STATE 200; the REF line is
    boilerplate the vectorizer never sees."""
    rng = random.Random(seed)
    ids, texts, tags = [], [], []
    for i in range(start, start + n):
        topic = rng.choice(sorted(WORDS))
        ref = 100 if rng.random() < 0.125 else 200
        words = WORDS[topic].split() * 3 + "the officials met and said".split()
        rng.shuffle(words)
        ids.append(f"08BAKU{i}")
        texts.append(f"REF: STATE {ref}\n\n1. (C) " + " ".join(words) + ".")
        noise = [t for t, p in NOISE.items() if rng.random() < p]
        tags.append([topic, "AJ"] + noise + (["SMIG"] if ref == 100 else []))
    ids.append("08STATE1")  # one STATE cable, so that STATE is a known post
    texts.append("1. (U) " + " ".join(WORDS["ECON"].split() * 2))
    tags.append(["ECON"])
    return ids, texts, tags


def test_model_learns_reference_weights_and_round_trips(tmp_path):
    ids, texts, tags = _ref_corpus(160, 1)
    labels = LABELS
    m = TagModel(settings=ModelSettings(min_df=5)).fit(texts, tags, labels, n_jobs=1, ids=ids)
    assert m.references is not None and len(m.references) == 161
    _, vtexts, vtags = _ref_corpus(80, 2, start=500)
    base = m.decision_function(vtexts)
    Yv = m.label_matrix(vtags)
    out = m.tune(vtexts, vtags)
    assert out["ref_weights"] == list(m.calibration.ref_weights) and m.calibration.ref_weights[1] > 0  # co-citing carries SMIG
    # the chosen weights beat no weights on the validation texts (offsets tuned the same way)
    A, B = m.reference_features(vtexts)
    withw = base + m.calibration.ref_weights[0] * A + m.calibration.ref_weights[1] * B
    assert f1_at_5(withw - 0.5 * f1_thresholds(withw, Yv), Yv) > f1_at_5(base - 0.5 * f1_thresholds(base, Yv), Yv)
    P, S = m.predict(["REF: STATE 100\n\n1. (C) military troops navy", "REF: STATE 200\n\n1. (C) military troops navy"])
    smig = labels.index("SMIG")
    assert P[0, smig] > P[1, smig] + 0.2 and S[0, smig] and not S[1, smig]
    m.save(tmp_path / "m")
    back = TagModel.load(tmp_path / "m")
    assert back.calibration.ref_weights == m.calibration.ref_weights and len(back.references) == 161
    # a training cable's own id keeps it out of its co-citing cables; an unknown id changes nothing
    i = tags.index(next(t for t in tags if "SMIG" in t))
    with_self, without = m.references.resolve(texts[i])[1], m.references.resolve(texts[i], ids[i])[1]
    assert i in with_self and sorted(without + [i]) == sorted(with_self)
    np.testing.assert_allclose(m.predict([texts[i]], ids=["99BAKU1"])[0], m.predict([texts[i]])[0])
    with pytest.raises(ValueError):
        m.predict(texts[:2], ids=ids[:1])
    P2, S2 = back.predict(["REF: STATE 100\n\n1. (C) military troops navy"])
    np.testing.assert_allclose(P2[0], P[0], atol=2e-3)  # weights are stored as float16
    assert (S2[0] == S[0]).all()


def test_model_without_ids_has_no_index_and_old_models_load(tmp_path):
    ids, texts, tags = _ref_corpus(40, 3)
    m = TagModel(settings=ModelSettings(min_df=5)).fit(texts, tags, LABELS, n_jobs=1)
    assert m.references is None and m.reference_term(texts) == 0.0
    assert m.tune(texts, tags)["ref_weights"] == [0.0, 0.0]
    m.save(tmp_path / "m")
    doc = json.loads((tmp_path / "m" / "model.json").read_text())
    assert doc["reference_posts"] is None

    def before_the_index(doc):
        del doc["reference_posts"], doc["ref_weights"]

    assert TagModel.load(craft_model_json(tmp_path / "m", before_the_index)).references is None
    # no index kept when the settings say so
    off = TagModel(settings=ModelSettings(min_df=5, references=False)).fit(texts, tags, ["AJ", "SMIG"], n_jobs=1,
                                                                         ids=ids)
    assert off.references is None
    with pytest.raises(ValueError):
        TagModel(settings=ModelSettings(min_df=5)).fit(texts, tags, ["AJ"], n_jobs=1, ids=ids[:3])


def test_corrupt_reference_arrays_are_refused(tmp_path):
    ids, texts, tags = _ref_corpus(40, 4)
    m = TagModel(settings=ModelSettings(min_df=5)).fit(texts, tags, LABELS, n_jobs=1, ids=ids)
    m.save(tmp_path / "m")
    # cited post indices now point past the list
    craft_model_json(tmp_path / "m", lambda doc: doc.update(reference_posts=doc["reference_posts"][:1]))
    with pytest.raises(ModelError, match="corrupt model"):
        TagModel.load(tmp_path / "m")


def test_explain_names_the_cables_behind_a_tag(tmp_path):
    from cabletags.scoring.suggester import Suggester

    ids, texts, tags = _ref_corpus(160, 1)
    m = TagModel(settings=ModelSettings(min_df=5)).fit(texts, tags, LABELS, n_jobs=1, ids=ids)
    m.calibration.ref_weights = (0.5, 0.5)
    s = Suggester(m)
    why = s.explain("REF: STATE 100\n\n1. (C) military troops navy", "SMIG")
    assert why and why[0][0].startswith("shares references with 08BAKU") and why[0][1] > 0
    assert not [w for w, _ in s.explain("REF: STATE 200\n\n1. (C) military troops navy", "SMIG") if "references" in w]


def test_f1_at_5_by_hand_and_as_evaluate_rankings_computes_it():
    from cabletags.scoring.evaluation import evaluate_rankings

    S = np.array([[0.9, 0.8, 0.1, 0.0, 0.0, 0.0, 0.7], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]])
    Y = np.array([[1, 0, 0, 0, 0, 0, 1], [1, 0, 0, 0, 0, 0, 0]], dtype=np.int8)
    # first text: both gold tags in its top 5 -> 2*2/(5+2); second: its one gold tag ranks 7th -> 0
    assert f1_at_5(S, Y) == pytest.approx((4 / 7 + 0) / 2)
    assert f1_at_5(S, np.zeros_like(Y)) == 0.0
    rng = np.random.RandomState(0)
    S, Y = rng.rand(50, 12), (rng.rand(50, 12) < 0.3).astype(np.int8)
    labels = [f"T{j}" for j in range(12)]
    ranked = [[labels[j] for j in np.argsort(-row)] for row in S]
    gold = [{labels[j] for j in np.flatnonzero(y)} for y in Y]
    assert f1_at_5(S, Y) == pytest.approx(evaluate_rankings(gold, ranked, [set()] * 50)["F1@5"])


def test_cli_train_keeps_an_index_unless_told_not_to(tmp_path):
    from tiny_corpus import write_jsonl

    ids, texts, tags = _ref_corpus(160, 5)
    recs = [{"id": i, "body": t, "tags": ", ".join(g)} for i, t, g in zip(ids, texts, tags)]
    corpus = write_jsonl(tmp_path / "c.jsonl", recs)
    for flags, indexed in (([], True), (["--no-references"], False)):
        out = tmp_path / f"m{len(flags)}"
        p = run_cli("train", "--jobs", "1", "--corpus", str(corpus), "--out", str(out), "--min-label-count", "5", *flags)
        assert p.returncode == 0, p.stderr
        card = json.loads((out / "card.json").read_text())
        if indexed:
            assert card["references"]["training_cables_indexed"] == 161
            assert "## Reference index" in (out / "MODEL_CARD.md").read_text()
            assert "reference weights" in p.stderr
        else:
            assert card["references"] is None and card["settings"]["references"] is False
        assert TagModel.load(out).references is not None if indexed else TagModel.load(out).references is None


def test_suggest_cable_reads_the_ref_line_but_not_the_header(tmp_path):

    ids, texts, tags = _ref_corpus(160, 1)
    m = TagModel(settings=ModelSettings(min_df=5)).fit(texts, tags, LABELS, n_jobs=1, ids=ids)
    m.calibration.ref_weights = (0.5, 1.0)
    m.save(tmp_path / "m")
    smig = {}
    for ref in (100, 200):
        f = tmp_path / f"cable{ref}.txt"
        f.write_text(f"UNCLAS SECTION 01 OF 02 BAKU 000123\n\nSIPDIS\nTAGS: MARR, AJ\nSUBJECT: EXERCISES\n\n"
                     f"REF: STATE {ref}\n\n1. (U) Military troops and the navy held exercises.\n")
        p = run_cli("suggest", "--cable", str(f), "--model", str(tmp_path / "m"), "--format", "json", "--limit", "10")
        assert p.returncode == 0, p.stderr
        smig[ref] = next(t["score"] for t in json.loads(p.stdout)["whole"] if t["tag"] == "SMIG")
    assert smig[100] > smig[200] + 0.2

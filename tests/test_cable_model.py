"""The whole-cable model: trained on whole cables (`train --reading cable`), used by `suggest --cable`."""
import json

import numpy as np
import pytest
from conftest import run_cli
from tiny_corpus import make_cables

from cabletags import Suggester, parse_cable
from cabletags.reading.parser import HEADER_REPEATS, cable_reading
from cabletags.scoring.model import ModelError, ModelSettings, TagModel

CABLE = ("UNCLAS SECTION 01 OF 02 POSTA 000777\n\nSIPDIS\n\nE.O. 12958: N/A\nTAGS: PREL, GM, MARR\n"
         "SUBJECT: TRAFFICKING IN PERSONS UPDATE\n\n"
         "1. (U) Officials met in Berlin; the embassy said that officials met.\n\n"
         "2. (U) Germany and Berlin officials met again.\n")


def test_cable_reading_leaves_the_tags_field_out_and_weights_the_header():
    p = parse_cable(CABLE)
    text = cable_reading(p)
    assert "TAGS" not in text and "MARR" not in text  # the TAGS field is what is checked, never evidence
    assert text.count("TRAFFICKING IN PERSONS UPDATE") == 3 + HEADER_REPEATS  # twice, in each header copy, in the cable
    assert p.header_text.rstrip().endswith("TRAFFICKING IN PERSONS UPDATE") and "Berlin" not in p.header_text
    assert "000777" not in text  # its own serial would read as a reference to itself
    assert text.endswith(p.reading_text)


def test_cable_reading_of_a_text_without_header_is_the_text():
    p = parse_cable("Officials met in Berlin to talk about trafficking.")
    assert cable_reading(p) == p.reading_text


def test_reading_setting_is_validated():
    assert ModelSettings(reading="cable").reading == "cable"
    with pytest.raises(ValueError, match="reading"):
        ModelSettings(reading="pages")
    with pytest.raises(ValueError, match="header_weight needs reading 'cable'"):
        ModelSettings(header_weight=1.0)


def test_train_reading_cable_writes_a_whole_cable_model(tiny_cable):
    m = TagModel.load(tiny_cable / "cable_model")
    assert m.settings.reading == "cable"
    assert TagModel.load(tiny_cable / "model").settings.reading == "text"
    card = (tiny_cable / "cable_model" / "MODEL_CARD.md").read_text()
    assert "read as whole cables" in card
    # the subject's words were learned from the header: the body never says "trafficking" for MARR cables
    assert "update" in m.vocabulary and "trafficking" in m.vocabulary


def test_suggest_cable_reads_the_cable_with_the_whole_cable_model(tiny_cable):
    s = Suggester.load(tiny_cable / "model", cable_path=tiny_cable / "cable_model")
    d = s.suggest_cable(CABLE, limit=10)
    whole = {x["tag"]: x["score"] for x in d["whole"]}
    cm = TagModel.load(tiny_cable / "cable_model")
    want, _ = cm.predict([cable_reading(parse_cable(CABLE))], ids=["POSTA777"])
    assert whole == pytest.approx({t: round(float(want[0][j]), 4) for j, t in enumerate(cm.labels)
                                   if t in whole}, abs=1e-4)
    # the header's subject speaks for KTIP although the body is about Germany only: the whole-cable model,
    # trained with headers, ranks it higher than the text model reading the same cable
    text_only = Suggester.load(tiny_cable / "model").suggest_cable(CABLE, 10)["whole"]
    assert [x["tag"] for x in d["whole"]].index("KTIP") < [x["tag"] for x in text_only].index("KTIP")
    # paragraphs are still read by the text model
    per = s.suggest_batch([q.text for q in parse_cable(CABLE).paragraphs], 5)
    assert [[t["tag"] for t in q["tags"]] for q in d["paragraphs"]] == [[x.tag for x in row] for row in per]


def test_without_a_whole_cable_model_the_text_model_reads_whole_cables(tiny_cable):
    s = Suggester.load(tiny_cable / "model")
    p, text = s.cable_text(CABLE)
    assert text == p.reading_text  # no header weighting: the text model was not trained so
    assert s.cable_model is s.model


def test_whole_cable_model_with_other_labels_is_refused(tiny_cable, tmp_path):
    import shutil

    from conftest import craft_model_json

    d = tmp_path / "other"
    shutil.copytree(tiny_cable / "cable_model", d)
    craft_model_json(d, lambda doc: doc["labels"].reverse())
    s = Suggester.load(tiny_cable / "model", cable_path=d)
    with pytest.raises(ModelError, match="labels differ"):
        s.suggest_cable(CABLE)


def test_batch_cable_records_use_the_whole_cable_model(tiny_cable):
    from cabletags.surfaces.batch import suggest_records

    s = Suggester.load(tiny_cable / "model", cable_path=tiny_cable / "cable_model")
    rows = list(suggest_records([{"id": "X1", "text": CABLE}], s, text_field="text", limit=5, cable=True))
    assert rows[0]["tags"] == [{k: x[k] for k in ("tag", "score", "selected")}
                               for x in s.suggest_cable(CABLE, limit=5)["whole"]]


def test_cli_suggest_and_evaluate_with_a_whole_cable_model(tiny_cable, tmp_path):
    f = tmp_path / "cable.txt"
    f.write_text(CABLE)
    p = run_cli("suggest", "--cable", f, "--model", tiny_cable / "model", "--cable-model", tiny_cable / "cable_model",
                "--format", "json")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert "KTIP" in [x["tag"] for x in d["whole"][:3]] and d["own_tags"] == ["PREL", "GM", "MARR"]
    jl = tmp_path / "cables.jsonl"
    jl.write_text(json.dumps({"id": "C1", "text": CABLE}) + "\n")
    p = run_cli("suggest", "--jsonl", jl, "--cable", "--text-field", "text", "--model", tiny_cable / "model",
                "--cable-model", tiny_cable / "cable_model", "--limit", "3")
    assert p.returncode == 0, p.stderr
    assert [t["tag"] for t in json.loads(p.stdout)["tags"]] == [x["tag"] for x in d["whole"][:3]]
    # evaluate --cable reads preamble + body as whole cables with the whole-cable model
    held = tmp_path / "held.jsonl"
    held.write_text("".join(json.dumps(r) + "\n" for r in make_cables(n=30, seed=7)))
    p = run_cli("evaluate", "--corpus", held, "--model", tiny_cable / "model", "--cable-model",
                tiny_cable / "cable_model", "--cable", "--format", "json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["read_as"] == "whole cables"
    assert any(r["slice"] == "all" and r["documents"] == 30 for r in out["results"])


def test_evaluate_cable_scores_what_suggest_cable_ranks(tiny_cable, tmp_path):
    from cabletags.scoring.evaluation import evaluate_model

    held = tmp_path / "held.jsonl"
    recs = make_cables(n=12, seed=3)
    held.write_text("".join(json.dumps(r) + "\n" for r in recs))
    s = Suggester.load(tiny_cable / "model", cable_path=tiny_cable / "cable_model")
    ev = evaluate_model(s, held, cable=True)
    for r, row in zip(recs, ev.P):
        d = s.suggest_cable(r["preamble"] + "\n" + r["body"], limit=3)
        top = [s.labels[j] for j in np.lexsort((np.arange(len(row)), -row))[:3]]
        assert top == [x["tag"] for x in d["whole"]]


def _shipped_cable():
    from cabletags.scoring.suggester import CABLE_MODEL, shipped_model_dir

    return (shipped_model_dir(CABLE_MODEL) / "model.json").is_file()


@pytest.mark.skipif(not _shipped_cable(), reason="no shipped whole-cable model")
def test_shipped_whole_cable_model_is_loaded_when_a_cable_is_read():
    s = Suggester.load()
    assert callable(s._cable)  # not loaded for texts: `suggest` stays as light as before
    s.suggest("Officials met to discuss trafficking.")
    assert callable(s._cable)
    from cabletags.surfaces.batch import suggest_records  # `suggest --jsonl` of texts: no origin, no cable model

    assert len(list(suggest_records([{"id": 1, "body": "Officials met to discuss trafficking."}], s))) == 1
    assert callable(s._cable)
    d = s.suggest_cable(CABLE, limit=5)
    assert s.cable_model.settings.reading == "cable" and s.cable_model is not s.model
    assert len(d["whole"]) == 5 and d["own_tags"] == ["PREL", "GM", "MARR"]


@pytest.mark.skipif(not _shipped_cable(), reason="no shipped whole-cable model")
def test_shipped_whole_cable_model_is_pinned(tmp_path, monkeypatch):
    import shutil

    from conftest import craft_model_json

    from cabletags.scoring import suggester

    models = tmp_path / "models"
    for name in (suggester.DEFAULT_MODEL, suggester.CABLE_MODEL):
        shutil.copytree(suggester.shipped_model_dir(name), models / name)
    shutil.copy(suggester.shipped_model_dir().parent / "MANIFEST.json", models / "MANIFEST.json")
    craft_model_json(models / suggester.CABLE_MODEL, lambda doc: doc["labels"].reverse())
    monkeypatch.setattr(suggester, "shipped_model_dir", lambda name=suggester.DEFAULT_MODEL: models / name)
    s = suggester.Suggester.load()  # the text model is intact
    with pytest.raises(ModelError, match="MANIFEST.json"):
        s.suggest_cable(CABLE)


def test_block_normalize_gives_each_block_unit_length_and_the_header_its_weight():
    import scipy.sparse as sp

    from cabletags.scoring.vectorizer import block_normalize

    X = sp.csr_matrix(np.array([[3.0, 4.0, 1.0, 0.0], [0.0, 2.0, 0.0, 0.0], [0.0, 0.0, 0.0, 5.0]]))
    block = np.array([False, False, True, True])
    Z = block_normalize(X, block, 0.5).toarray()
    assert Z[0] == pytest.approx([0.6, 0.8, 0.5, 0.0])  # body (3, 4) unit, header (1) unit x 0.5
    assert Z[1] == pytest.approx([0.0, 1.0, 0.0, 0.0])  # no header: the body alone, unit
    assert Z[2] == pytest.approx([0.0, 0.0, 0.0, 0.5])  # header only


def _fit(texts, recs, settings):
    m = TagModel(settings=settings)
    return m.fit(texts, [r["tags"].split(", ")[1:] for r in recs], ["KTIP", "PHUM", "ECON", "MARR", "AJ", "GM"],
                 n_jobs=1)


def test_join_header_adds_the_header_models_margins():
    from cabletags.reading.parser import header_words

    recs = make_cables(n=60, seed=11)
    parsed = [parse_cable(r["preamble"] + "\n" + r["body"]) for r in recs]
    main = _fit([cable_reading(p) for p in parsed], recs, ModelSettings(reading="cable"))
    head = _fit([header_words(p) for p in parsed], recs, ModelSettings(reading="cable", references=False))
    joined = main.join_header(head, 0.4)
    assert joined.settings.header_weight == 1.0 and len(joined.vocabulary) == len(main.vocabulary) + len(head.vocabulary)
    new = [parse_cable(CABLE), parse_cable(make_cables(n=3, seed=99)[2]["preamble"] + "\n" + "Berlin talks.")]
    want = main.decision_function([cable_reading(p) for p in new]) + 0.4 * head.decision_function(
        [header_words(p) for p in new])
    assert joined.decision_function([cable_reading(p, header_block=True) for p in new]) == pytest.approx(want, abs=1e-5)
    with pytest.raises(ValueError, match="must start with"):
        main.join_header(main, 0.4)
    small = main.join_header(head, 0.4, keep=2)  # the header model's 2 largest weights per tag
    block = np.array([t.startswith("hdr_") for t in small.vocabulary])
    W, H = small.weights.tocsr(), head.weights.tocsr()
    for j in range(W.shape[0]):
        row = W.getrow(j)
        kept = row.data[block[row.indices]]
        assert len(kept) == min(2, H.getrow(j).nnz)
        assert sorted(np.abs(kept)) == pytest.approx(sorted(0.4 * np.abs(H.getrow(j).data))[-len(kept):] if len(kept) else [])


def test_a_joined_whole_cable_model_is_trained_saved_and_read_whole(tmp_path, monkeypatch):
    from tiny_corpus import write_jsonl

    from cabletags.reading.parser import header_words
    from cabletags.scoring import training

    monkeypatch.setattr(training, "HEADER_JOIN_WEIGHTS", (0.3,))  # force the join the tiny corpus does not need
    corpus = write_jsonl(tmp_path / "c.jsonl", make_cables(n=80, seed=4))
    training.train_model(corpus, tmp_path / "m", settings=ModelSettings(reading="cable", header_weight=1.0),
                         min_label_count=5, validation_share=0.3, progress=lambda m: None, n_jobs=1)
    m = TagModel.load(tmp_path / "m")  # the storage accepts the weights of the two fits
    assert m.settings.header_weight == 1.0 and m.info["header_join"] > 0
    assert any(t.startswith("hdr_") for t in m.vocabulary)
    assert "joined with a model of the header block" in (tmp_path / "m" / "MODEL_CARD.md").read_text()
    s = Suggester.load(tmp_path / "m")
    p, text = s.cable_text(CABLE)
    assert text.endswith(header_words(p)) and "hdr_trafficking" in text
    got = {x["tag"]: x["score"] for x in s.suggest_cable(CABLE, limit=20)["whole"]}
    want = m.predict([text], ids=[p.reference_id])[0][0]
    assert got == pytest.approx({t: round(float(want[j]), 4) for j, t in enumerate(m.labels) if t in got}, abs=1e-4)


def test_a_suggester_for_cables_only_holds_the_whole_cable_model_alone(tiny_cable):
    both = Suggester.load(tiny_cable / "model", cable_path=tiny_cable / "cable_model")
    only = Suggester.load(tiny_cable / "model", cable_path=tiny_cable / "cable_model", cables_only=True)
    assert only.model.settings.reading == "cable" and only.cable_model is only.model
    assert only.cable_text(CABLE)[1] == both.cable_text(CABLE)[1]
    assert only.suggest_cable(CABLE, 5)["whole"] == both.suggest_cable(CABLE, 5)["whole"]
    # without a whole-cable model, the text model reads the cables, as before
    assert Suggester.load(tiny_cable / "model", cables_only=True).model.settings.reading == "text"


def test_training_reads_cables_as_the_suggester_does():
    from cabletags.scoring.trainingdata import read_as_cables

    texts = [r["preamble"] + "\n" + r["body"] for r in make_cables(n=10, seed=2)] + [CABLE, "no header at all"]
    for block in (False, True):
        assert read_as_cables(texts, header_block=block) == [cable_reading(parse_cable(t), block) for t in texts]


def test_without_refit_the_header_join_is_tuned_without_the_validation_cables_in_the_indexes(tmp_path, monkeypatch):
    # was a leak: with --no-refit the indexes were rebuilt over every cable before the header model was joined, so
    # the joined model was tuned on validation cables that found themselves among the references and neighbours
    from tiny_corpus import write_jsonl

    from cabletags.scoring import training

    seen = []
    tune = TagModel.tune

    def spy(self, texts, label_sets, margins=None):
        if self.references is not None:
            seen.append((len(self.references), len(self.neighbours)))
        return tune(self, texts, label_sets, margins)

    monkeypatch.setattr(TagModel, "tune", spy)
    monkeypatch.setattr(training, "HEADER_JOIN_WEIGHTS", (0.3,))
    corpus = write_jsonl(tmp_path / "c.jsonl", make_cables(n=80, seed=4))
    training.train_model(corpus, tmp_path / "m", settings=ModelSettings(reading="cable", header_weight=1.0),
                         min_label_count=5, validation_share=0.3, progress=lambda m: None, n_jobs=1, refit=False)
    assert len(seen) == 2 and len(set(seen)) == 1 and seen[0][0] == seen[0][1] < 80  # fit's tune, the join's
    m = TagModel.load(tmp_path / "m")
    assert m.info["header_join"] > 0 and len(m.references) == len(m.neighbours) == 80  # the final model: every cable


def test_cables_scored_as_one_batch_give_each_cable_its_own_result(tiny_cable):
    # suggest --cable over a folder scores its files' cables in batches (Suggester.suggest_cables): each result is the
    # one suggest_cable gives that cable alone, in order, with its paragraphs and its own tags
    s = Suggester.load(tiny_cable / "model", cable_path=tiny_cable / "cable_model")
    other = CABLE.replace("TRAFFICKING IN PERSONS UPDATE", "DEFENSE COOPERATION TALKS")
    cables = [CABLE, other, "", "no header at all"]
    assert s.suggest_cables(cables, 5) == [s.suggest_cable(c, 5) for c in cables]
    subject = ["subject"]
    assert s.suggest_cables(cables, 3, kinds=subject) == [s.suggest_cable(c, 3, kinds=subject) for c in cables]
    assert s.suggest_cables([]) == []


def test_training_reads_a_joined_model_s_cables_as_prediction_does():
    # the combiner (and the header join) are fitted on cables read as training writes them; prediction reads them
    # through cable_reading(header_block=True): the two must be the same text
    from cabletags.reading import parse_cable
    from cabletags.reading.parser import cable_reading, header_words
    from cabletags.scoring.training import with_header

    p = parse_cable(CABLE)
    assert header_words(p)
    assert with_header([cable_reading(p)], [header_words(p)]) == [cable_reading(p, header_block=True)]

"""Suggestion on a tiny model trained in the test, and the shipped model on a paragraph we wrote."""
import json

import numpy as np
import pytest
from conftest import copy_model, run_cli
from tiny_corpus import make_records, write_jsonl

from cabletags.scoring.calibration import micro_f1_threshold
from cabletags.scoring.fitting import nb_scale
from cabletags.scoring.model import ModelError, ModelSettings, TagModel
from cabletags.scoring.suggester import Suggester, shipped_model_dir


def test_train_writes_model_and_card(tiny):
    m = tiny / "model"
    assert {"model.json", "arrays.npz", "MODEL_CARD.md", "card.json"} <= {f.name for f in m.iterdir()}
    card = json.loads((m / "card.json").read_text())
    assert card["labels"]["count"] == 8  # PREL, 4 topics, 3 places
    assert card["arrays_sha256"] and card["versions"]["scikit-learn"]
    assert "F1@5" in card["validation"]["metrics"]["all"]


def test_card_renders_a_benchmark_section(tiny, tmp_path):
    from cabletags.scoring.modelcard import write_card

    d = copy_model(tiny, tmp_path, "carded")
    card = json.loads((d / "card.json").read_text())
    assert "Held-out benchmark" not in (d / "MODEL_CARD.md").read_text()
    card["benchmark"] = {"command": "python scripts/bench_quality.py", "date": "2026-01-01", "held_out": "a split",
                         "report": ["| system | F1@5 |", "|---|---|", "| cabletags | 0.5 |"]}
    write_card(d, card)
    md = (d / "MODEL_CARD.md").read_text()
    assert md.startswith("# Model card: carded")
    assert "## Held-out benchmark" in md and "| cabletags | 0.5 |" in md
    assert json.loads((d / "card.json").read_text())["benchmark"]["date"] == "2026-01-01"


@pytest.mark.slow
def test_training_is_deterministic(tiny, tmp_path):  # the tiny model was fitted with one job, this with two
    p = run_cli("train", "--jobs", "2", "--corpus", str(tiny / "corpus.jsonl"), "--out", str(tmp_path / "again"),
                "--min-label-count", "5", "--validation-share", "0.3")
    assert p.returncode == 0
    a = json.loads((tiny / "model" / "model.json").read_text())["arrays_sha256"]
    b = json.loads((tmp_path / "again" / "model.json").read_text())["arrays_sha256"]
    assert a == b


def test_suggest_ranks_the_right_tags(tiny):
    s = Suggester.load(tiny / "model")
    out = s.suggest("the traffickers forced victims into labor; shelters for trafficking persons in baku", limit=4)
    tags = [x.tag for x in out]
    assert "KTIP" in tags[:2] and "AJ" in tags[:3]
    scores = [x.score for x in out]
    assert scores == sorted(scores, reverse=True) and all(0 <= x <= 1 for x in scores)
    assert any(x.selected for x in out)


def test_selected_set_is_one_threshold_on_the_scores_for_every_length(tiny):
    s = Suggester.load(tiny / "model")
    t = s.model.calibration.select_score
    assert 0 < t < 1
    texts = ["inflation and budget deficit in germany, troops in iraq", "shelters for trafficking victims",
             "human rights activists detained in baku " * 40, ""]
    assert len(texts[0]) < s.model.settings.short_text_chars < len(texts[2])
    for text, out in zip(texts, s.suggest_batch(texts, limit=8)):
        flags = [x.selected for x in out]
        if not text:  # no evidence: nothing selected, not even the best tag
            assert not any(flags)
            continue
        assert flags[0] and flags == sorted(flags, reverse=True)  # True..., False...: the top of the ranking
        # short texts and whole cables alike: exactly the scores >= threshold (the best tag always)
        assert all(x.selected == (x.score >= t) for x in out[1:])


def test_micro_f1_threshold_picks_the_best_cut():
    P = np.array([[0.9, 0.6, 0.2], [0.8, 0.3, 0.1], [0.7, 0.65, 0.5]])
    Y = np.array([[1, 1, 0], [1, 0, 0], [1, 1, 0]])
    t = micro_f1_threshold(P, Y)
    assert 0.5 < t <= 0.6  # the only cuts with every gold tag and no other: (0.5, 0.6]
    # with no positives anywhere only the forced best tag is selected; the lowest threshold wins the tie
    assert micro_f1_threshold(P, np.zeros_like(Y)) == 0.05


def test_model_of_the_retired_per_tag_rule_is_refused(tiny, tmp_path):
    def old(doc):
        doc["settings"]["selection"] = "per_tag"

    with pytest.raises(ModelError, match="retrain"):
        TagModel.load(copy_model(tiny, tmp_path, "old", old))
    # a model saved before naive Bayes scaling loads as the plain SVM it was fitted as
    m = TagModel.load(copy_model(tiny, tmp_path, "older", lambda doc: doc["settings"].pop("nb_scaling")))
    assert m.settings.nb_scaling == 0.0


def test_model_with_a_bad_threshold_is_refused(tiny, tmp_path):
    d = copy_model(tiny, tmp_path, "bad", lambda doc: doc.update(select_score="high"))
    with pytest.raises(ModelError, match="corrupt model"):
        TagModel.load(d)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="nb_scaling"):
        ModelSettings(nb_scaling=-1)


def test_nb_scale_favours_terms_that_tell_the_tag_apart():
    import scipy.sparse as sp

    # term 0: only in texts with the tag; term 1: in every text; term 2: only in texts without it
    present = sp.csr_matrix(np.array([[1, 1, 0], [1, 1, 0], [0, 1, 1], [0, 1, 1], [0, 1, 1], [0, 1, 0]],
                                     dtype=np.float32))
    df = np.asarray(present.sum(axis=0)).ravel()
    y = np.array([1, 1, 0, 0, 0, 0])
    s1 = nb_scale(present, df, y, 1.0)
    assert s1[0] > s1[1] and s1[2] > s1[1]  # both telling terms outweigh the term in every text
    assert np.allclose(nb_scale(present, df, y, 0.5), np.sqrt(s1))
    assert nb_scale(present, df, y, 0.0) is None


def test_nb_scaling_silences_terms_every_text_has():
    from tiny_corpus import make_records

    recs = make_records()
    texts = [r["body"] for r in recs]
    tags = [r["tags"].removeprefix("TAGS: ").split(", ") for r in recs]
    labels = ["AJ", "ECON", "IZ", "KTIP", "MARR"]
    fit = {nb: TagModel(settings=ModelSettings(nb_scaling=nb, keep_weights=10**6)).fit(texts, tags, labels, n_jobs=1)
           for nb in (0.0, 1.0)}

    def weight(m, term):  # (L,) weights of one term, 0 where pruned away
        return m.weights[:, m.vocabulary.index(term)].toarray().ravel() if term in m.vocabulary else np.zeros(5)

    # "embassy" is in every text: it tells no tag apart, and naive Bayes scaling takes its weight away
    assert np.abs(weight(fit[1.0], "embassy")).max() < 0.2 * np.abs(weight(fit[0.0], "embassy")).max()
    nb = fit[1.0]
    P, _ = nb.predict(["military troops exercises with the navy in baghdad iraq"])
    top2 = {nb.labels[j] for j in np.argsort(-P[0])[:2]}
    assert top2 == {"MARR", "IZ"}


def test_suggest_batch_matches_single(tiny):
    s = Suggester.load(tiny / "model")
    texts = ["inflation and budget deficit in germany", "", "troops exercises iraq"]
    batch = s.suggest_batch(texts, limit=3)
    assert len(batch) == 3
    for text, row in zip(texts, batch):  # the empty text too: a ranking, never an error
        single = s.suggest(text, limit=3)
        assert [(x.tag, x.score, x.selected) for x in row] == [(x.tag, x.score, x.selected) for x in single]


def test_rank_orders_a_score_row_and_breaks_ties_by_label_order(tiny):
    s = Suggester.load(tiny / "model")
    L = len(s.labels)
    p = np.zeros(L, dtype=np.float32)
    p[L - 1] = 0.9
    p[[2, 0]] = 0.5  # a tie: label order decides, whatever the order of the indices
    sel = np.zeros(L, dtype=bool)
    sel[L - 1] = True
    out = s.rank(p, 3, sel)
    assert [x.tag for x in out] == [s.labels[L - 1], s.labels[0], s.labels[2]]
    assert [x.selected for x in out] == [True, False, False]
    assert s.rank(p, 0) == [] and len(s.rank(p, L + 5)) == L
    # without flags, the model's own selection rule decides: the best tag is always selected
    assert s.rank(p, 2)[0].selected
    P, S = s.predict(["inflation and budget deficit in germany"])
    assert s.rank(P[0], 3, S[0]) == s.suggest("inflation and budget deficit in germany", limit=3)


def test_a_batch_ranked_at_once_equals_each_row_ranked(tiny):
    # suggest --jsonl ranks a batch's rows at once (ranked_rows): the same lists as rank() row by row, with ties,
    # limits beyond the labels, kinds (one with no label) and an origin country outside the labels put among them
    from cabletags.scoring.suggester import Suggestion

    s = Suggester.load(tiny / "model")
    rng = np.random.default_rng(4)
    L = len(s.labels)
    for trial in range(60):
        n = int(rng.integers(0, 6))
        P = rng.choice([0.0, 0.25, 0.5, 0.75, 0.9], size=(n, L)).astype(np.float32)  # many ties
        if trial % 2:
            P = P + rng.random((n, L)).astype(np.float32) * 0.01
        S = P >= 0.5
        limit = int(rng.choice([0, 1, 3, L, L + 4]))
        kinds = [None, ["program"], ["geographic", "subject"], ["organization"]][trial % 4]
        extras = [None if rng.random() < 0.4 else Suggestion("MY", float(rng.choice([0.25, 0.6, 0.95])),
                                                               bool(rng.random() < 0.5), "geographic", "Malaysia")
                  for _ in range(n)]
        want = [[x.to_dict() for x in s.rank(p, limit, sel, kinds, e)] for p, sel, e in zip(P, S, extras)]
        assert s.ranked_rows(P, S, limit, kinds, extras) == want
        assert s.ranked_rows(P, S, limit, kinds) == [[x.to_dict() for x in s.rank(p, limit, sel, kinds)]
                                                     for p, sel in zip(P, S)]


@pytest.mark.parametrize("text", ["", "   ", "x", "中文文本 русский текст", "\x00\x01", "word " * 200_000],
                         ids=["empty", "blank", "one-letter", "non-latin", "control", "200k-words"])
def test_suggest_never_raises(tiny, text):
    out = Suggester.load(tiny / "model").suggest(text, limit=5)
    assert len(out) <= 5 and all(0 <= x.score <= 1 for x in out)


def test_explain_gives_terms_of_the_text(tiny):
    s = Suggester.load(tiny / "model")
    terms = [t for t, _ in s.explain("trafficking victims in baku", "KTIP")]
    assert terms and set(terms) <= {"trafficking", "victims", "in", "baku", "trafficking victims", "victims in"}


def test_privacy_min_df_enforced():
    with pytest.raises(ValueError):
        ModelSettings(min_df=2)


def test_vocabulary_terms_all_seen_in_five_training_texts(tiny):
    from sklearn.feature_extraction.text import CountVectorizer

    m = TagModel.load(tiny / "model")
    texts = [r["body"] for r in make_records()]
    cv = CountVectorizer(vocabulary=m.vocabulary, ngram_range=(1, 2), token_pattern=r"(?u)\b\w\w+\b", binary=True)
    df = np.asarray(cv.fit_transform(texts).sum(axis=0)).ravel()
    assert df.min() >= 5


def test_tampered_model_is_refused(tiny, tmp_path):
    d = copy_model(tiny, tmp_path, "m")
    data = bytearray((d / "arrays.npz").read_bytes())
    data[-10] ^= 0xFF
    (d / "arrays.npz").write_bytes(bytes(data))
    with pytest.raises(ModelError, match="sha256"):
        TagModel.load(d)


def test_other_format_and_missing_model(tiny, tmp_path):
    d = copy_model(tiny, tmp_path, "m", lambda doc: doc.update(format="something-else/9"))
    with pytest.raises(ModelError, match="format"):
        TagModel.load(d)
    with pytest.raises(ModelError, match="not found"):
        TagModel.load(tmp_path / "nope")


def test_cli_suggest_text_table_json_and_paragraphs(tiny, tmp_path):
    f = tmp_path / "p.txt"
    f.write_text("Military cooperation: the defense minister reviewed navy exercises with troops.\n\n"
                 "Human rights activists and journalists were detained; prisoners reported torture.\n")
    p = run_cli("suggest", str(f), "--model", str(tiny / "model"), "--limit", "3")
    assert p.returncode == 0 and p.stdout.splitlines()[0].split()[:3] == ["rank", "tag", "score"]
    p = run_cli("suggest", str(f), "--model", str(tiny / "model"), "--paragraphs", "--format", "json", "--explain")
    docs = json.loads(p.stdout)["paragraphs"]
    assert [d["text"][:8] for d in docs] == ["Military", "Human ri"]
    assert docs[0]["tags"][0]["tag"] == "MARR" and docs[1]["tags"][0]["tag"] == "PHUM"
    assert docs[0]["tags"][0]["because"]
    p = run_cli("suggest", "-", "--model", str(tiny / "model"), "--format", "jsonl", input="inflation budget banks")
    rows = [json.loads(x) for x in p.stdout.splitlines()]
    assert "ECON" in [r["tag"] for r in rows[:2]]  # PREL is on every tiny cable, so it may rank first


def test_cli_suggest_jsonl_batch_contract(tiny, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join([json.dumps({"id": "a", "body": "trafficking victims shelters"}),
                              "{broken json",
                              json.dumps({"id": "b", "body": ""}),
                              json.dumps({"id": "c"}),
                              json.dumps({"id": "d", "body": "gdp growth inflation berlin"})]) + "\n")
    for jobs in ("1", "2"):
        p = run_cli("suggest", "--jsonl", str(src), "--text-field", "body", "--id-field", "id",
                    "--model", str(tiny / "model"), "--limit", "3", "--jobs", jobs)
        assert p.returncode == 0, p.stderr
        out = [json.loads(x) for x in p.stdout.splitlines()]
        assert [o["id"] for o in out] == ["a", "b", "c", "d"]
        assert "KTIP" in [t["tag"] for t in out[0]["tags"][:2]] and len(out[0]["tags"]) == 3
        assert set(out[0]["tags"][0]) == {"tag", "score", "selected"}
        assert out[1]["tags"] == [] and out[2]["tags"] == []
        assert "line 2" in p.stderr


def test_cli_evaluate_and_per_tag(tiny, tmp_path):
    per = tmp_path / "per.tsv"
    p = run_cli("evaluate", "--corpus", str(tiny / "corpus.jsonl"), "--model", str(tiny / "model"),
                "--per-tag", str(per), "--format", "json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    rows = {r["slice"]: r for r in doc["results"]}
    assert rows["all"]["P@1"] > 0.9 and {"subject", "program", "geographic"} <= set(rows)
    lines = per.read_text().splitlines()
    assert lines[0] == "tag\tprecision\trecall\tf1\tsupport" and len(lines) == 9


def test_cli_bad_model_and_bad_input(tiny, tmp_path):
    p = run_cli("suggest", "-", "--model", str(tmp_path / "none"), input="text")
    assert p.returncode == 4 and p.stderr.startswith("error: model:") and "Traceback" not in p.stderr
    empty = tmp_path / "e.txt"
    empty.write_text("")
    p = run_cli("suggest", str(empty), "--model", str(tiny / "model"))
    assert p.returncode == 3 and "empty" in p.stderr
    p = run_cli("suggest", str(tmp_path / "missing.txt"), "--model", str(tiny / "model"))
    assert p.returncode == 3 and "no such file" in p.stderr
    binf = tmp_path / "b.bin"
    binf.write_bytes(b"\x00\x01\x02\xff" * 100)
    p = run_cli("suggest", str(binf), "--model", str(tiny / "model"))
    assert p.returncode == 3 and "binary" in p.stderr


shipped = pytest.mark.skipif(not (shipped_model_dir() / "model.json").is_file(), reason="no shipped model yet")


@shipped
def test_shipped_model_loads_and_suggests_trafficking_tags():
    s = Suggester.load()
    text = ("The government opened two new shelters for victims of human trafficking this year, and police "
            "arrested a ring of traffickers who lured young women abroad with false promises of jobs and then "
            "forced them into prostitution. NGOs say prosecutions of trafficking offenders remain rare and that "
            "victims of forced labor on construction sites are seldom identified.")
    other = ("The central bank raised interest rates again to fight inflation, and the finance minister said the "
             "budget deficit would narrow as oil revenues grow and the economy recovers.")
    suggested = s.suggest(text, limit=10)
    ranked = [x.tag for x in suggested]
    # the corpus tags such text PHUM, KCRM, ELAB, KWMN ... and KTIP (only 79 of 17,730 cables carry KTIP);
    # the plain-SVM model ranked KTIP 7th, the naive-Bayes-scaled one 5th; with the nearest-cables vote (whose
    # neighbours carry KWMN, SMIG, PREF and KFRD more often than the rare KTIP) 9th, and still selected. On the
    # held-out cables that carry KTIP the vote ranks it in the top 5 twice as often (docs/research.md)
    assert {"PHUM", "KCRM"} <= set(ranked[:5])
    assert "KTIP" in {x.tag for x in suggested if x.selected}
    assert [x.tag for x in s.suggest(other, limit=3)][0] in {"ECON", "EFIN"}
    ktip = s.labels.index("KTIP")
    assert s.scores([text])[0][ktip] > 5 * s.scores([other])[0][ktip]


def test_audit_reports_missing_tag_and_malformed_line(tiny, tmp_path):
    recs = [
        # the text is plainly about trafficking in Azerbaijan, but KTIP was removed from its TAGS line
        {"id": "A1", "body": "trafficking victims smuggling forced labor shelters traffickers prosecution persons "
                             "trafficking victims shelters traffickers azerbaijan baku", "tags": "TAGS: PREL, AJ"},
        # a malformed line: run-together codes, a typo and an unknown word
        {"id": "A2", "body": "economy growth inflation budget deficit gdp markets germany berlin",
         "tags": "PRELECON, GMM, BLAHWORD"},
        {"id": "A3", "body": "military cooperation defense minister troops exercises iraq baghdad",
         "tags": "PREL, MARR, IZ"},
    ]
    src = write_jsonl(tmp_path / "audit.jsonl", recs)
    p = run_cli("audit", str(src), "--model", str(tiny / "model"), "--min-score", "0.5")
    assert p.returncode == 0, p.stderr
    out = {o["id"]: o for o in map(json.loads, p.stdout.splitlines())}
    assert "KTIP" in [m["tag"] for m in out["A1"]["missing"]]
    assert out["A2"]["malformed"] and {r["kind"] for r in out["A2"]["repairs"]} >= {"split"}
    assert "BLAHWORD" in out["A2"]["unknown"]
    assert not out["A3"]["malformed"]
    assert "repairs by kind" in p.stderr and "missing tags: " in p.stderr and "KTIP" in p.stderr


def test_suggest_cable_marks_absent_and_own_tags(tiny, tmp_path):
    f = tmp_path / "cable.txt"
    f.write_text("UNCLAS BAKU 000123\n\nSIPDIS\n\nE.O. 12958: N/A\nTAGS: PREL, AJ, MARR\nSUBJECT: TRAFFICKING\n\n"
                 "1. (U) Trafficking victims were found in shelters; traffickers face prosecution in Baku.\n\n"
                 "2. (U) Forced labor and smuggling of persons remain common, victims say.\n")
    p = run_cli("suggest", "--cable", str(f), "--model", str(tiny / "model"), "--format", "json")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["own_tags"] == ["PREL", "AJ", "MARR"]
    assert "KTIP" in d["suggested_but_absent"]
    assert "MARR" in d["present_but_unsupported"]
    assert [q["number"] for q in d["paragraphs"]] == [1, 2]


def test_label_space_counts_every_cable_not_only_the_training_split(tmp_path):
    from cabletags.scoring.corpus import is_validation
    from cabletags.scoring.training import train_model

    recs = make_records(n=60)
    marked = [r for r in recs if "KTIP" not in r["tags"]][:8]
    for r in marked:  # KWMN on exactly 8 cables, some of them in the validation split
        r["tags"] += ", KWMN"
    in_validation = sum(is_validation(r["id"], 0.3, 0) for r in marked)
    assert 0 < in_validation < 8  # so the training split alone has fewer than 8
    model, card = train_model(write_jsonl(tmp_path / "c.jsonl", recs), None, min_label_count=8,
                              validation_share=0.3, n_jobs=1, progress=lambda m: None)
    assert "KWMN" in model.labels and card["labels"]["count"] == len(model.labels)


def test_no_evidence_selects_nothing_and_a_threshold_overrides_the_cut(tiny):
    from cabletags import Suggester

    s = Suggester.load(tiny / "model")
    assert not any(x.selected for x in s.suggest("zzqx wvvk"))  # no term the model knows
    out = s.suggest("shelters for trafficking victims", threshold=0.0)
    assert all(x.selected for x in out)  # every tag scores >= 0
    out = s.suggest("shelters for trafficking victims", threshold=1.0)
    assert not any(x.selected for x in out if x.score < 1.0)
    p = run_cli("suggest", "-", "--model", str(tiny / "model"), "--format", "json", input="zzqx wvvk\n")
    d = json.loads(p.stdout)
    assert p.returncode == 0 and d["no_evidence"] is True and not any(t["selected"] for t in d["tags"])
    p = run_cli("suggest", "-", "--model", str(tiny / "model"), input="zzqx wvvk\n")
    assert "no evidence" in p.stdout + p.stderr


def test_suggest_many_streams_in_order_and_keeps_missing_items(tiny):
    from cabletags import Suggester

    s = Suggester.load(tiny / "model")
    texts = ["shelters for trafficking victims", None, float("nan"), "", "inflation and the budget deficit"] * 3
    got = list(s.suggest_many(iter(texts), limit=3, batch_size=4))
    assert len(got) == len(texts)
    assert [[x.tag for x in g] for g in got] == [[x.tag for x in s.suggest(t if isinstance(t, str) else "", 3)]
                                                 for t in texts]
    assert all(not any(x.selected for x in got[i]) for i in (1, 2, 3))


def test_explain_many_is_the_products_of_the_text_and_the_weights(tiny):
    from cabletags import Suggester

    s = Suggester.load(tiny / "model")
    text = "Traffickers forced women into prostitution; police arrested the ring near the border."
    tags = [x.tag for x in s.suggest(text, 4)]
    got = s.explain_many(text, tags, k=5)
    m = s.model
    x = m.transform([text]).toarray()[0]
    for t in tags:
        w = m.weights.getrow(s.labels.index(t)).toarray()[0]
        products = {m.vocabulary[i]: float(x[i] * w[i]) for i in np.flatnonzero(x * w > 0)}
        want = sorted(products.items(), key=lambda c: -c[1])[:5]
        assert [r for r, _ in got[t]] == [r for r, _ in want]  # no cited cable in this text: words only
        assert np.allclose([v for _, v in got[t]], [v for _, v in want], rtol=1e-5)
        assert s.explain(text, t, 5) == got[t]


def test_whole_cable_reasons_are_words_not_feature_names(tiny_cable):
    from tiny_corpus import make_cables

    from cabletags import Suggester

    s = Suggester.load(tiny_cable / "model", cable_path=tiny_cable / "cable_model")
    r = make_cables(n=1, seed=5)[0]
    d = s.suggest_cable(r["preamble"] + "\n" + r["body"], limit=5, explain=True)
    reasons = [w for x in d["whole"] for w in x["because"]]
    assert reasons and not any(w.startswith("hdr_") for w in reasons)

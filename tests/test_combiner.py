"""The learned combiner (cabletags.scoring.combiner): candidate features, trees kept as arrays that score as
scikit-learn's, re-ranking and selection, fitting kept only when it helps, and storage. Data made up here."""
import json
import shutil

import numpy as np
import pytest
from conftest import craft_model_json

import cabletags.scoring.combiner as cb
from cabletags.scoring.combiner import FEATURES, KINDS, Combiner, candidate_features, fit_combiner
from cabletags.scoring.model import TagModel
from cabletags.scoring.storage import ModelError, write_manifest


def _outputs(n=300, L=20, seed=0):
    """Calibrated outputs of n texts over L labels whose true tags the vote knows better than the scores: the
    scores are noisy, the vote's share is high exactly on the true tags."""
    rng = np.random.default_rng(seed)
    Y = rng.random((n, L)) < 0.15
    Y[np.arange(n), rng.integers(0, L, n)] = True
    P = np.clip(0.45 * Y + rng.random((n, L)) * 0.6, 0, 1)
    V = np.where(Y, 0.6, 0.02) + rng.random((n, L)) * 0.05
    F = P - 0.3
    Lin = P * 2 - 1
    S = P >= 0.6
    S[np.arange(n), P.argmax(axis=1)] = True
    kinds = np.arange(L) % (len(KINDS) + 1) - 1
    prior = Y.mean(axis=0)
    return P, S, F, V, Lin, np.zeros((n, L), bool), rng.integers(100, 5000, n), Y, kinds, prior


def test_candidate_features_describe_each_texts_first_candidates():
    P = np.array([[0.1, 0.9, 0.5, 0.3], [0.8, 0.2, 0.6, 0.7]])
    V = np.array([[0.0, 1.0, 0.5, 0.0], [0.3, 0.0, 0.0, 0.2]])
    origin = np.array([[False, False, True, False], [False] * 4])
    X, cols = candidate_features(P, P - 0.5, V, P, origin, [10, 20], [0, 0, 1, 0], [0.1, 0.2, 0.3, 0.4], k=3)
    assert cols.tolist() == [[1, 2, 3], [0, 3, 2]]
    assert X.shape == (6, len(cb._feature_names(3))) and X.dtype == np.float32
    f = {name: X[:, i] for i, name in enumerate(cb._feature_names(3))}
    assert f["score"].tolist() == pytest.approx([0.9, 0.5, 0.3, 0.8, 0.7, 0.6])
    assert f["rank_1"].tolist() == [1, 0, 0, 1, 0, 0] and f["rank_3"].tolist() == [0, 0, 1, 0, 0, 1]
    assert f["vote_count"].tolist() == pytest.approx([1.5] * 3 + [0.5] * 3)
    assert f["within_vote_count"].tolist() == [1, 1, 0, 0, 0, 0]  # 1.5 rounds to 2; 0.5 to 0
    assert f["origin"].tolist() == [0, 1, 0, 0, 0, 0]
    assert f["kind_geographic"].tolist() == [1, 0, 1, 1, 1, 0] and f["kind_subject"].tolist() == [0, 1, 0, 0, 0, 1]
    assert f["rank_in_kind"].tolist() == [1, 1, 2, 1, 2, 1]
    assert f["logit_minus_best"][0] == 0 and f["logit_minus_best"][1] < 0
    assert len(FEATURES) == len(cb._feature_names(cb.DEFAULT_K))
    # no vote and no origin: zeros, not an error
    X2, _ = candidate_features(P, P, None, P, None, [1, 2], [0] * 4, [0.1] * 4, k=3)
    assert not X2[:, 5].any() and not X2[:, 11].any()


@pytest.mark.parametrize("depth", [1, 3, 5])
def test_the_trees_as_arrays_score_as_scikit_learn_does(depth):
    from sklearn.ensemble import GradientBoostingClassifier

    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, len(FEATURES))).astype(np.float32)
    y = (X[:, 0] + X[:, 3] * X[:, 5] > 0.3).astype(int)
    # leaves above the last level (min_samples_leaf) are copied down: the trees must still score the same
    est = GradientBoostingClassifier(n_estimators=12, max_depth=depth, min_samples_leaf=40, random_state=0).fit(X, y)
    c = Combiner.from_sklearn(est, cb.DEFAULT_K, [0] * 4, [0.1] * 4)
    assert c.feature.shape == (12, 2 ** depth - 1) and c.value.shape == (12, 2 ** depth)
    Xt = rng.normal(size=(2000, len(FEATURES))).astype(np.float32)
    Xt[:50, 0] = est.estimators_[0, 0].tree_.threshold[0]  # exactly on a threshold: goes left, as there
    assert np.allclose(c.decision(Xt), est.decision_function(Xt), atol=1e-9)
    assert np.allclose(c.proba(Xt), est.predict_proba(Xt)[:, 1], atol=1e-9)


@pytest.mark.parametrize("depth", [0, 1, 2, 3, 5, 9])
def test_the_trees_score_as_a_walk_from_node_to_node_bit_for_bit(depth):
    # every node compared at once, each level's leaf picked by arithmetic (uint8 leaf numbers; int64 past depth 8):
    # the leaf a walk from the root reaches (left when the float32 feature <= the float32 threshold; a NaN goes
    # right), the trees' values added one after another, over chunks of candidates
    rng = np.random.default_rng(depth)
    T, d, nodes = 9, 6, (1 << depth) - 1
    c = Combiner(k=1, init=0.25, learning_rate=0.1, depth=depth, feature=rng.integers(0, d, size=(T, nodes)),
                 threshold=rng.normal(size=(T, nodes)), value=rng.normal(size=(T, 1 << depth)),
                 kinds=np.zeros(1, dtype=np.int64), prior=np.ones(1, dtype=np.float32))
    c.CHUNK = 64
    X = rng.normal(size=(300, d)).astype(np.float32)
    X[::11, 2] = np.nan
    if nodes:
        X[::13, c.feature[0, 0]] = c._thresholds32()[0]  # exactly on the root's threshold: left
    t32 = c._thresholds32().reshape(T, max(nodes, 1)) if nodes else None
    want = np.empty(len(X))
    for i, x in enumerate(X):
        total = 0.0
        for t in range(T):
            node = 0
            for _ in range(depth):
                node = 2 * node + (1 if x[c.feature[t, node]] <= t32[t, node] else 2)
            total += c.value[t, node - nodes]
        want[i] = c.init + c.learning_rate * total
    assert np.array_equal(c.decision(X), want)


def test_thresholds_rounded_down_to_float32_split_float32_features_as_the_float64_ones():
    # a float32 feature is <= a float64 threshold exactly when it is <= the largest float32 not above it
    rng = np.random.default_rng(3)
    t = np.concatenate([rng.normal(size=200), np.float32(rng.normal(size=50)).astype(np.float64), [0.1, -0.1, 1e-40]])
    c = Combiner(k=1, init=0.0, learning_rate=1.0, depth=1, feature=np.zeros((len(t), 1), dtype=np.int64),
                 threshold=t[:, None], value=np.zeros((len(t), 2)), kinds=np.zeros(1, dtype=np.int64),
                 prior=np.ones(1, dtype=np.float32))
    t32 = c._thresholds32()
    assert t32.dtype == np.float32 and np.all(t32.astype(np.float64) <= t)
    for x in (t32, np.nextafter(t32, np.float32(np.inf)), np.nextafter(t32, np.float32(-np.inf)), t.astype(np.float32)):
        assert np.array_equal(x <= t32, x.astype(np.float64) <= t)


def test_rerank_ranks_candidates_by_probability_and_selects_by_its_threshold():
    P, S, F, V, Lin, Om, lengths, Y, kinds, prior = _outputs(240)
    r = fit_combiner(P, S, F, V, Lin, Om, lengths, Y, kinds, prior, n_trees=6, n_jobs=1)
    assert r is not None and r.validation["micro_f1"] > r.validation["micro_f1_before"] and r.ranks
    S[:5] = False  # texts with no evidence
    P2, S2 = r.rerank(P, S, F, V, Lin, Om, lengths)
    assert not S2[:5].any()
    for i in range(5, 40):
        order = np.argsort(-P2[i], kind="stable")
        top, rest = order[:r.k], order[r.k:]
        assert P2[i, rest].max() < P2[i, top].min()  # the others stay below the candidates, in their order
        assert (np.argsort(-P2[i, rest], kind="stable") == np.argsort(-P[i, rest], kind="stable")).all()
        assert S2[i, order[0]]  # the best is selected where the text selected anything
        assert (S2[i] == (P2[i] >= r.select_score) | (np.arange(P.shape[1]) == order[0])).all()
    _, S3 = r.rerank(P, S, F, V, Lin, Om, lengths, threshold=0.99)
    assert S3.sum() < S2.sum()
    # a combiner that only selects: the scores stay, the selected set is the first m of their ranking
    from dataclasses import replace

    only = replace(r, ranks=False)
    P4, S4 = only.rerank(P, S, F, V, Lin, Om, lengths)
    assert P4 is P and not S4[:5].any()
    X, cols = candidate_features(P, F, V, Lin, Om, lengths, kinds, prior, r.k)
    m = (r.proba(X).reshape(cols.shape) >= r.select_score).sum(axis=1)
    for i in range(5, 60):
        order = np.argsort(-P[i], kind="stable")
        assert S4[i, order[:max(m[i], 1)]].all() and not S4[i, order[max(m[i], 1):]].any()
    P5, S5 = only.rerank(P, S, F, V, Lin, Om, lengths, threshold=0.5)
    assert P5 is P and S5 is S  # the threshold given decides, on the calibrated output


def test_the_combiner_is_kept_only_when_it_beats_the_calibrated_rule():
    P, S, F, V, Lin, Om, lengths, Y, kinds, prior = _outputs(240)
    said = []
    assert fit_combiner(P, S, F, V, Lin, Om, lengths, Y, kinds, prior, n_trees=6, n_jobs=1,
                        progress=said.append) is not None
    # scores that already say everything: the trees cannot beat them
    P_true = np.where(Y, 0.9, 0.05)
    S_true = P_true >= 0.5
    said.clear()
    assert fit_combiner(P_true, S_true, F, V * 0, Lin, Om, lengths, Y, kinds, prior, n_trees=6, n_jobs=1,
                        progress=said.append) is None
    assert "not kept" in said[-1]
    # too few validation texts: not fitted
    said.clear()
    assert fit_combiner(P[:50], S[:50], F[:50], V[:50], Lin[:50], Om[:50], lengths[:50], Y[:50], kinds, prior,
                        progress=said.append) is None
    assert "needs" in said[-1]


@pytest.fixture(scope="module")
def combined(tiny, tmp_path_factory):
    """The tiny model with a combiner fitted on its own output for made-up texts (saved and loaded)."""
    m = TagModel.load(tiny / "model")
    rng = np.random.default_rng(2)
    words = " ".join(m.vocabulary[:400]).split()
    texts = [" ".join(rng.choice(words, 300)) for _ in range(200)]  # whole texts: past short_text_chars
    c = m.calibrated_output(texts)
    Y = c.scores + rng.random(c.scores.shape) * 0.5 > 0.8
    Y[np.arange(len(texts)), c.scores.argmax(axis=1)] = True
    r = fit_combiner(c.scores, c.selected, c.evidence, c.votes, c.linear, c.origin_mask, c.lengths, Y,
                     [0] * len(m.labels), Y.mean(axis=0), n_trees=5, n_jobs=1, keep_always=True)
    m.combiner = r
    d = tmp_path_factory.mktemp("combined") / "model"
    m.save(d)
    return d, texts, r


def test_a_model_with_a_combiner_saves_loads_and_predicts_through_it(tiny, combined):
    d, texts, r = combined
    m = TagModel.load(d)
    assert m.combiner is not None and m.select_score == r.select_score
    assert np.array_equal(m.combiner.threshold, r.threshold) and m.combiner.validation == r.validation
    c = m.calibrated_output(texts[:30])
    want = r.rerank(c.scores, c.selected, c.evidence, c.votes, c.linear, c.origin_mask, c.lengths)
    got = m.predict(texts[:30])
    assert min(c.lengths) >= m.settings.short_text_chars
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    # a paragraph (under short_text_chars) keeps the calibrated scores and rule, also in a batch with whole texts
    short = texts[0][:600]
    mixed = m.predict([short, texts[1]])
    alone = m.calibrated_output([short])
    assert np.allclose(mixed[0][0], alone.scores[0]) and np.array_equal(mixed[1][0], alone.selected[0])
    assert np.array_equal(mixed[0][1], got[0][1])
    # a whole-cable model reads whole cables only: its combiner scores short ones too
    from dataclasses import replace

    cable = replace(m, settings=replace(m.settings, reading="cable"))
    want = r.rerank(alone.scores, alone.selected, alone.evidence, alone.votes, alone.linear, alone.origin_mask,
                    alone.lengths)
    assert np.array_equal(cable.predict([short])[0], want[0])
    # a model without one predicts as it always did
    plain = TagModel.load(tiny / "model")
    assert plain.combiner is None and "combiner" not in json.loads((tiny / "model" / "model.json").read_text())
    assert np.array_equal(plain.predict(texts[:30])[0], c.scores)


def test_a_crafted_combiner_is_refused_with_one_line(combined, tmp_path):
    d, _, _ = combined

    def crafted(name, edit_doc=None, edit_arrays=None):
        out = tmp_path / name
        shutil.copytree(d, out)
        if edit_arrays:
            with np.load(out / "arrays.npz") as z:
                a = dict(z)
            edit_arrays(a)
            np.savez(out / "arrays.npz", **a)
            write_manifest(out)
        if edit_doc:
            craft_model_json(out, edit_doc)
        with pytest.raises(ModelError) as e:
            TagModel.load(out)
        assert "\n" not in str(e.value)
        return str(e.value)

    assert "features out of bounds" in crafted("f", edit_arrays=lambda a: a["cb_feature"].__setitem__((0, 0), 999))
    assert "not finite" in crafted("v", edit_arrays=lambda a: a["cb_value"].__setitem__((0, 0), np.nan))
    assert "disagree" in crafted("gone", edit_doc=lambda doc: doc.pop("combiner"))
    crafted("depth", edit_doc=lambda doc: doc["combiner"].update(depth=40))
    assert "features" in crafted("n", edit_doc=lambda doc: doc["combiner"].update(features=3))


def test_train_fits_the_combiner_on_the_validation_split_and_the_card_says_so(tmp_path, monkeypatch):
    # the training glue: the training part's model scores the validation texts, labels' kinds come from the taxonomy
    # and their shares from the training part; kept here whatever validation says (the tiny corpus is too easy for
    # the trees to beat the calibrated rule), then saved, described and applied
    from conftest import run_cli
    from tiny_corpus import make_records, write_jsonl

    seen = {}

    def keep(*args, **kw):
        seen["texts"], seen["kinds"] = args[0].shape[0], list(args[8])
        return fit_combiner(*args, **dict(kw, n_trees=5, keep_always=True))

    monkeypatch.setattr(cb, "MIN_TEXTS", 10)
    monkeypatch.setattr(cb, "fit_combiner", keep)
    corpus = write_jsonl(tmp_path / "c.jsonl", make_records(60, seed=5))
    p = run_cli("train", "--jobs", "1", "--corpus", corpus, "--out", tmp_path / "m", "--min-label-count", "5",
                "--validation-share", "0.3")
    assert p.returncode == 0, p.stderr
    m = TagModel.load(tmp_path / "m")
    assert m.combiner is not None and seen["texts"] == m.combiner.validation["texts"] > 10
    kinds = dict(zip(m.labels, seen["kinds"]))
    assert kinds["AJ"] == KINDS.index("geographic") and kinds["KTIP"] == KINDS.index("program")
    assert kinds["PHUM"] == KINDS.index("subject")
    assert "## Combiner" in (tmp_path / "m" / "MODEL_CARD.md").read_text()
    assert json.loads((tmp_path / "m" / "card.json").read_text())["combiner"]["trees"] == 5
    P, S = m.predict(["trafficking victims shelters azerbaijan baku"])
    assert S.any() and P.shape == (1, len(m.labels))
    # --no-combiner: the plan fits none
    p = run_cli("train", "--corpus", corpus, "--out", tmp_path / "n", "--min-label-count", "5", "--no-combiner",
                "--dry-run", "--format", "json")
    assert p.returncode == 0 and json.loads(p.stdout)["settings"]["combiner"] is False


def test_each_rows_first_candidates_are_those_of_a_stable_sort():
    # the candidates are found by a partition of each row and a sort of its first k: the labels a stable sort of the
    # whole row puts first, in its order, with ties (many, at the k-th score too), k beyond the labels and NaN
    from cabletags.scoring.calibration import first_k as _first_k

    rng = np.random.default_rng(0)
    for t in range(1500):
        n, L, k = int(rng.integers(0, 8)), int(rng.integers(1, 40)), int(rng.integers(1, 20))
        P = rng.choice([0.0, 0.1, 0.5, 0.5, 0.9, 1.0], size=(n, L)) if t % 2 else rng.random((n, L))
        if t % 7 == 0 and n:
            P[0, int(rng.integers(0, L))] = np.nan
        assert np.array_equal(_first_k(P, k), np.argsort(-P, axis=1, kind="stable")[:, :k]), (P, k)

"""The nearest-cables vote (cabletags.scoring.neighbours) and how the model uses it."""
import functools
import json

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import craft_model_json

from cabletags.scoring.calibration import tune
from cabletags.scoring.model import ModelError, ModelSettings, TagModel
from cabletags.scoring.neighbours import LEVELS, NeighbourIndex

VOCAB = ["visa", "fraud", "visa fraud", "oil", "pipeline", "election", "vote"]


def _rows(*rows):
    """TF-IDF-like rows over VOCAB from {term: weight} dicts."""
    X = np.zeros((len(rows), len(VOCAB)), dtype=np.float32)
    for i, r in enumerate(rows):
        for t, w in r.items():
            X[i, VOCAB.index(t)] = w
    return sp.csr_matrix(X)


# three training cables over labels [CVIS, EPET, PGOV]
TRAIN = _rows({"visa": 1, "fraud": 1, "visa fraud": 3}, {"oil": 1, "pipeline": 2}, {"election": 1, "vote": 1})
Y = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.int8)


def test_vote_is_the_nearest_cables_tags_weighted_by_similarity():
    idx = NeighbourIndex.build(TRAIN, Y, VOCAB, keep=50, k=2, power=1.0, min_df=1)
    # bigrams are left out of the index: it holds single words only
    assert "visa fraud" not in [VOCAB[c] for c in idx.columns]
    V = idx.features(_rows({"visa": 1}, {"oil": 1, "visa": 1}, {}))
    assert V.shape == (3, 3) and V.dtype == np.float32
    assert V[0].tolist() == pytest.approx([1, 0, 0])            # only the visa cable is similar
    assert V[1, 0] > 0 and V[1, 1] > 0 and V[1, 2] == 0         # two neighbours share the vote
    assert V[1].sum() == pytest.approx(1.0)
    assert V[2].tolist() == [0, 0, 0]                           # no word in the index: no vote
    # the power sharpens the vote toward the most similar cable
    sharp = NeighbourIndex.build(TRAIN, Y, VOCAB, k=2, power=8.0, min_df=1).features(_rows({"oil": 2, "visa": 1}))
    soft = NeighbourIndex.build(TRAIN, Y, VOCAB, k=2, power=1.0, min_df=1).features(_rows({"oil": 2, "visa": 1}))
    assert sharp[0, 1] > soft[0, 1] > 0.5


def test_a_training_cable_left_out_of_its_own_neighbours():
    idx = NeighbourIndex.build(TRAIN, Y, VOCAB, k=1, power=1.0, min_df=1)
    q = _rows({"oil": 1, "pipeline": 2})
    assert idx.features(q)[0].tolist() == pytest.approx([0, 1, 0])
    assert idx.features(q, exclude=[1])[0, 1] == 0


def test_keep_prunes_each_cable_to_its_heaviest_words_and_quantises_to_a_byte():
    X = _rows({"visa": 0.1, "fraud": 0.2, "oil": 0.9, "pipeline": 0.5})
    idx = NeighbourIndex.build(X, Y[:1], VOCAB, keep=2, min_df=1)
    assert sorted(VOCAB[idx.columns[i]] for i in idx.indices) == ["oil", "pipeline"]
    assert idx.values.dtype == np.uint8 and idx.values.max() == LEVELS
    arrays = idx.to_arrays()
    back = NeighbourIndex.from_arrays(arrays, 3, len(VOCAB), idx.k, idx.power)
    q = _rows({"oil": 1})
    assert np.array_equal(back.features(q), idx.features(q))
    bad = dict(arrays, nn_indices=arrays["nn_indices"] + 7)
    with pytest.raises(ValueError):
        NeighbourIndex.from_arrays(bad, 3, len(VOCAB), idx.k, idx.power)
    with pytest.raises(ValueError):
        NeighbourIndex.from_arrays(arrays, 3, 2, idx.k, idx.power)  # columns beyond a smaller vocabulary


def test_tune_weighs_the_vote_only_when_it_ranks_better():
    rng = np.random.default_rng(0)
    n, L = 200, 6
    Yv = (rng.random((n, L)) < 0.3).astype(np.int8)
    Yv[np.arange(n), rng.integers(0, L, n)] = 1
    M = rng.normal(size=(n, L)).astype(np.float32)        # margins that know nothing
    useful = Yv / Yv.sum(axis=1, keepdims=True)             # a vote that knows the answer
    assert tune(M, Yv, 0.5, votes=useful.astype(np.float32)).nn_weight > 0
    noise = rng.random((n, L)).astype(np.float32)
    assert tune(M + 3 * Yv, Yv, 0.5, votes=noise).nn_weight == 0.0


def _fit(neighbours):
    """A tiny model with (or without) the vote and its texts: fitted once a test run, a copy for each test."""
    import copy

    m, texts = _fitted(neighbours)
    return copy.deepcopy(m), texts


@functools.lru_cache(maxsize=None)
def _fitted(neighbours):
    texts = ["visa fraud ring at the consulate"] * 6 + ["oil pipeline tender"] * 6 + ["election vote count"] * 6
    tags = [["CVIS"]] * 6 + [["EPET"]] * 6 + [["PGOV"]] * 6
    s = ModelSettings(min_df=5, neighbours=neighbours, references=False)
    m = TagModel(settings=s).fit(texts, tags, ["CVIS", "EPET", "PGOV"], n_jobs=1)
    m.tune(texts, tags)
    return m, texts


def test_model_keeps_the_index_saves_and_loads_it(tmp_path):
    m, texts = _fit(50)
    assert m.neighbours is not None and len(m.neighbours) == len(texts)
    m.calibration.nn_weight = 2.0
    d = tmp_path / "m"
    m.save(d)
    doc = json.loads((d / "model.json").read_text())
    assert doc["neighbours"] == {"k": m.neighbours.k, "power": m.neighbours.power, "weight": 2.0}
    back = TagModel.load(d)
    assert back.calibration.nn_weight == 2.0
    q = ["visa fraud oil pipeline election"]
    assert np.allclose(back.logits(q), m.logits(q), rtol=1e-2, atol=1e-2)  # weights are kept in float16
    # the vote moves the ranking: without its weight the logits differ
    back.calibration.nn_weight = 0.0
    assert not np.allclose(back.logits(q), m.logits(q), rtol=1e-2, atol=1e-2)
    # a model without the index (settings neighbours 0, or saved before it existed) loads and scores as before
    plain, _ = _fit(0)
    assert plain.neighbours is None
    plain.save(tmp_path / "plain")
    assert "neighbours" not in json.loads((tmp_path / "plain" / "model.json").read_text())
    assert TagModel.load(tmp_path / "plain").neighbours is None
    # the entry and the arrays must agree
    craft_model_json(d, lambda doc: doc.pop("neighbours"))
    with pytest.raises(ModelError, match="neighbour"):
        TagModel.load(d)


def test_the_vote_is_no_evidence_of_its_own():
    m, _ = _fit(50)
    m.calibration.nn_weight = 6.0
    _, S = m.predict(["hello"])
    assert not S.any()


def test_explain_names_the_nearest_cables_that_carry_the_tag(tmp_path):
    from cabletags.scoring.suggester import Suggester

    m, _ = _fit(50)
    m.calibration.nn_weight = 2.0
    m.save(tmp_path / "m")
    s = Suggester.load(tmp_path / "m")
    reasons = dict(s.explain("visa fraud ring", "CVIS"))
    like = [r for r in reasons if r.startswith("like ")]
    # six training cables carry CVIS (the first six; no ids: named by row), equally near: one named, five more
    assert len(like) == 1 and like[0].endswith(" +5") and int(like[0].split()[1][1:]) in range(6)
    assert reasons[like[0]] == pytest.approx(2.0, rel=1e-3)  # the whole vote, times the weight
    assert not [r for r in dict(s.explain("visa fraud ring", "EPET")) if r.startswith("like ")]


def test_words_of_few_cables_stay_out_of_the_index():
    # 1,001 cables: "fraud" in one of them, "visa" and "oil" in all the others; a floor of 2 cables keeps only those
    X = sp.vstack([_rows({"visa": 1, "fraud": 3})] + [_rows({"visa": 1, "oil": 1})] * 1000)
    Yb = np.zeros((1001, 3), dtype=np.int8)
    Yb[0, 0] = Yb[1:, 1] = 1
    idx = NeighbourIndex.build(X, Yb, VOCAB, min_df=2)
    assert sorted(VOCAB[c] for c in idx.columns) == ["oil", "visa"]
    assert idx.features(_rows({"fraud": 1}))[0].tolist() == [0, 0, 0]   # the rare word finds nothing
    # a small corpus (under 500 x the floor) keeps its words: the vocabulary's own floor still holds
    small = NeighbourIndex.build(X[:3], Yb[:3], VOCAB, min_df=2)
    assert "fraud" in [VOCAB[c] for c in small.columns]


def test_tags_kept_once_when_the_reference_index_holds_them(tmp_path):
    import zipfile

    texts = ["visa fraud ring at the consulate"] * 6 + ["oil pipeline tender"] * 6 + ["election vote count"] * 6
    tags = [["CVIS"]] * 6 + [["EPET"]] * 6 + [["PGOV"]] * 6
    ids = [f"06BAKU{i}" for i in range(18)]
    m = TagModel(settings=ModelSettings(min_df=5)).fit(texts, tags, ["CVIS", "EPET", "PGOV"], n_jobs=1, ids=ids)
    m.calibration.nn_weight = 1.0
    m.save(tmp_path / "m")
    names = zipfile.ZipFile(tmp_path / "m" / "arrays.npz").namelist()
    assert "nn_indices.npy" in names and "nn_tags.npy" not in names and "ref_tags.npy" in names
    back = TagModel.load(tmp_path / "m")
    q = ["visa fraud oil"]
    assert np.array_equal(back.neighbour_features(q), m.neighbour_features(q))
    # a text that is itself an indexed cable is left out of its own neighbours (with one neighbour, cable 0 finds
    # a twin, never itself), and the model finds its row by its id through the reference index
    back.neighbours.k = 1
    X = back.transform([texts[0]])
    for r in range(6):
        assert back.neighbours.nearest(X, exclude=[r])[0][0][0] != r
    assert back.neighbour_features([texts[0]], ids=[ids[0]])[0, 0] == pytest.approx(1.0)
    assert back.neighbours.rows_of(ids[3]) == 3


def test_train_keeps_the_vote_unless_told_not_to(tiny, tmp_path):
    from conftest import run_cli

    assert "neighbours" in json.loads((tiny / "model" / "model.json").read_text())
    p = run_cli("train", "--jobs", "1", "--corpus", str(tiny / "corpus.jsonl"), "--out", str(tmp_path / "m"),
                "--min-label-count", "5", "--validation-share", "0.3", "--no-neighbours")
    assert p.returncode == 0, p.stderr
    assert "neighbours" not in json.loads((tmp_path / "m" / "model.json").read_text())
    assert "## Nearest-cables index" not in (tmp_path / "m" / "MODEL_CARD.md").read_text()
    assert "## Nearest-cables index" in (tiny / "model" / "MODEL_CARD.md").read_text()


@pytest.mark.parametrize("edit", [
    lambda a: a["nn_indices"].__setitem__(0, 65535),                 # a word number beyond the index's words
    lambda a: a["nn_columns"].__setitem__(0, 10**8),                 # a word beyond the vocabulary
    lambda a: a["nn_indptr"].__setitem__(1, -3),                     # row pointers not monotone
], ids=["word-number", "vocabulary-column", "row-pointer"])
def test_a_crafted_index_is_refused_with_one_line(tiny, tmp_path, edit):
    from conftest import copy_model, run_cli
    from test_safety import _rewrite_arrays

    d = _rewrite_arrays(copy_model(tiny, tmp_path, "m"), edit)
    with pytest.raises(ModelError, match="corrupt model"):
        TagModel.load(d)
    p = run_cli("suggest", "-", "--model", str(d), input="budget")
    assert p.returncode == 4 and len(p.stderr.splitlines()) == 1


def test_a_crafted_vote_weight_is_refused(tiny, tmp_path):
    from conftest import copy_model

    d = copy_model(tiny, tmp_path, "m", edit=lambda doc: doc["neighbours"].update(weight=float("nan")))
    with pytest.raises(ModelError, match="corrupt model"):
        TagModel.load(d)


# --- the count rule: as many tags as the nearest cables carry ----------------------------------------------
def test_top_by_count_marks_the_first_tags_of_a_stable_sort_of_each_row():
    # found by a partition (first_k), not a sort of every row: the same marks as ranking each row by a stable sort,
    # with ties at the cut, counts of 0, past the labels, fractional and NaN scores
    from cabletags.scoring.calibration import top_by_count

    rng = np.random.default_rng(5)
    for t in range(800):
        n, L = int(rng.integers(0, 9)), int(rng.integers(1, 30))
        P = rng.choice([0.0, 0.2, 0.5, 0.5, 0.9], size=(n, L)) if t % 2 else rng.random((n, L)).astype(np.float32)
        if t % 5 == 0 and n:
            P[0, int(rng.integers(0, L))] = np.nan
        counts = rng.uniform(0, L + 3, size=n) * (rng.random(n) > 0.2)
        k = np.clip(np.rint(counts), 0, L).astype(int)
        ranks = np.argsort(np.argsort(-P, axis=1, kind="stable"), axis=1)
        assert np.array_equal(top_by_count(P, counts), ranks < k[:, None]), (P, counts)


def test_select_with_counts_adds_each_texts_first_tags_above_the_floor():
    from cabletags.scoring.calibration import select, top_by_count

    P = np.array([[0.9, 0.35, 0.30, 0.1], [0.2, 0.2, 0.6, 0.05], [0.5, 0.4, 0.3, 0.2]], dtype=np.float32)
    counts = np.array([2.6, 2.0, 0.2])  # rounded: 3, 2, 0
    assert top_by_count(P, counts).tolist() == [[1, 1, 1, 0], [1, 0, 1, 0], [0, 0, 0, 0]]  # ties: label order
    S = select(P, 0.8, counts, 0.32)
    assert S.tolist() == [[1, 1, 0, 0],  # 0.30 is among its first 3 but under the floor
                          [0, 0, 1, 0],  # its second (0.2, first in label order of the tie) is under the floor
                          [1, 0, 0, 0]]  # no count: the threshold and the best tag, as without the rule
    assert select(P, 0.8).tolist() == [[1, 0, 0, 0], [0, 0, 1, 0], [1, 0, 0, 0]]


def test_count_rule_is_kept_only_where_it_selects_better():
    from cabletags.scoring.calibration import count_rule, micro_f1_threshold, select

    rng = np.random.default_rng(3)
    n, L = 300, 8
    k = rng.integers(1, 5, n)
    P = rng.uniform(0.05, 0.9, (n, L)).astype(np.float32)
    Y = np.zeros((n, L), dtype=np.int8)
    order = np.argsort(-P, axis=1)
    for i in range(n):  # each text's tags are its first k, whatever their scores: a threshold cannot find them
        Y[i, order[i, :k[i]]] = 1
    pos = Y > 0

    def micro(S):
        return 2 * (S & pos).sum() / (S.sum() + pos.sum())

    plain = micro(select(P, micro_f1_threshold(P, Y)))
    t, f = count_rule(P, k.astype(float), Y, plain)  # counts that know how many: the rule is chosen
    assert micro(select(P, t, k.astype(float), f)) > plain + 0.05
    assert count_rule(P, np.zeros(n), Y, plain) is None  # counts that say nothing: the threshold alone


def test_a_model_keeps_its_count_rule_and_predict_applies_it(tmp_path):
    texts = ["visa fraud ring at the consulate"] * 6 + ["oil pipeline tender"] * 6 + ["election vote count"] * 6
    tags = [["CVIS", "KFRD", "ASEC"]] * 6 + [["EPET"]] * 6 + [["PGOV", "KDEM"]] * 6
    m = TagModel(settings=ModelSettings(min_df=5, neighbours=50, references=False)).fit(
        texts, tags, ["ASEC", "CVIS", "EPET", "KDEM", "KFRD", "PGOV"], n_jobs=1)
    m.calibration.nn_weight, m.calibration.select_score, m.calibration.count_floor = 0.5, 1.0, 0.0
    q = ["visa fraud ring at the consulate", "election vote count", "oil pipeline tender", "hello"]
    P, S = m.predict(q)
    counts = m.neighbour_features(q).sum(axis=1)
    assert np.rint(counts[:3]).tolist() == [3, 2, 1]
    # nothing passes the threshold: each text with evidence selects as many tags as its neighbours carry, its best
    assert S[:3].sum(axis=1).tolist() == [3, 2, 1]
    assert all(set(np.flatnonzero(S[i])) == set(np.argsort(-P[i], kind="stable")[:k]) for i, k in enumerate([3, 2, 1]))
    assert not S[3].any()  # the vote is no evidence: a text without any selects nothing, rule or not
    m.save(tmp_path / "m")
    assert json.loads((tmp_path / "m" / "model.json").read_text())["neighbours"]["count_floor"] == 0.0
    back = TagModel.load(tmp_path / "m")
    assert back.calibration.count_floor == 0.0 and np.array_equal(back.predict(q)[1], S)
    m.calibration.count_floor = None  # without the rule (models saved before it): the threshold and the best tag
    m.save(tmp_path / "old")
    assert "count_floor" not in json.loads((tmp_path / "old" / "model.json").read_text())["neighbours"]
    assert TagModel.load(tmp_path / "old").predict(q)[1][:3].sum(axis=1).tolist() == [1, 1, 1]


def test_the_vote_on_two_kernel_threads_is_the_vote_on_one(monkeypatch):
    # cabletags.scoring.kernels: the top-k products of a batch run on two threads; the same numbers, in order, with
    # the texts that are training cables left out of their own neighbours; and they are the plain computation's
    # (every similarity, each row's k largest), ties aside (random weights have none)
    from cabletags.scoring import kernels

    rng = np.random.default_rng(0)
    train = sp.csr_matrix(rng.random((300, len(VOCAB)), dtype=np.float32) * (rng.random((300, len(VOCAB))) < 0.4))
    labels = (rng.random((300, 3)) < 0.3).astype(np.int8)
    idx = NeighbourIndex.build(train, labels, VOCAB, k=5, power=2.0, min_df=1)
    queries = sp.csr_matrix(rng.random((450, len(VOCAB)), dtype=np.float32) * (rng.random((450, len(VOCAB))) < 0.5))
    exclude = [i % 300 if i % 7 == 0 else None for i in range(450)]
    monkeypatch.setenv("CABLETAGS_KERNEL_THREADS", "1")
    one = idx.features(queries, exclude)
    monkeypatch.setenv("CABLETAGS_KERNEL_THREADS", "2")
    assert kernels.kernel_threads() == 2
    assert np.array_equal(idx.features(queries, exclude), one)
    sims = (idx._query_rows(queries) @ idx.matrix).toarray()
    for i, own in enumerate(exclude):
        if own is not None:
            sims[i, own] = 0
    checked = 0
    for i in range(450):
        top = np.argsort(-sims[i], kind="stable")[:6]
        if not sims[i, top[4]] > max(sims[i, top[5]], 0):  # a tie at the 5th (quantised weights tie often)
            continue
        w = sims[i, top[:5]] ** 2.0
        assert one[i] == pytest.approx(w @ labels[top[:5]] / w.sum(), abs=1e-5)
        checked += exclude[i] is not None
    assert checked > 10
    monkeypatch.setenv("CABLETAGS_KERNEL_THREADS", "many")  # not a number from 1 to 8: the default
    assert 1 <= kernels.kernel_threads() <= kernels.DEFAULT_MAX


def test_query_rows_built_without_checks_equal_the_checked_ones():
    # the rows over the index's words are assembled without scipy's checks when they are canonical by construction
    # (canonical TF-IDF rows, index columns rising); rows that are not (indices out of order within a row) and an
    # index whose columns do not rise (a model file written otherwise) take the checked path: the same rows each way
    rng = np.random.default_rng(2)
    train = sp.csr_matrix(rng.random((60, len(VOCAB)), dtype=np.float32) * (rng.random((60, len(VOCAB))) < 0.5))
    labels = (rng.random((60, 3)) < 0.4).astype(np.int8)
    idx = NeighbourIndex.build(train, labels, VOCAB, k=4, power=2.0, min_df=1)
    queries = sp.csr_matrix(rng.random((30, len(VOCAB)), dtype=np.float32) * (rng.random((30, len(VOCAB))) < 0.6))
    fast = idx._query_rows(queries)
    assert idx._columns_rise
    checked = sp.csr_matrix(queries[:, idx.columns])  # the plain selection of the index's words, scipy's checks run
    norms = np.sqrt(np.asarray(checked.multiply(checked).sum(axis=1), dtype=np.float64))
    norms[norms == 0] = 1
    assert np.array_equal(fast.indptr, checked.indptr) and np.array_equal(fast.indices, checked.indices)
    assert np.allclose(fast.toarray(), checked.toarray() / norms, rtol=1e-6)
    shuffled = queries.copy()
    for i in range(shuffled.shape[0]):  # each row's entries reversed: the same matrix, indices out of order
        a, b = shuffled.indptr[i], shuffled.indptr[i + 1]
        shuffled.indices[a:b], shuffled.data[a:b] = shuffled.indices[a:b][::-1].copy(), shuffled.data[a:b][::-1].copy()
    shuffled.has_sorted_indices = False
    assert np.allclose(idx._query_rows(shuffled).toarray(), fast.toarray(), rtol=1e-6)  # sums in another order
    # the index's columns in another order (each stored word renumbered with them): the same rows, renumbered
    order = np.arange(len(idx.columns))[::-1]
    swapped = NeighbourIndex(idx.columns[order], idx.indptr, np.argsort(order)[idx.indices], idx.values,
                             idx.tags_indptr, idx.tags, 3, idx.k, idx.power)
    assert np.allclose(swapped._query_rows(queries).toarray()[:, np.argsort(order)], fast.toarray(), rtol=1e-6)
    assert not swapped._columns_rise


def test_unit_rows_worked_out_on_the_arrays_are_scipys():
    # the rows' norms summed by np.add.reduceat on the arrays, as scipy's X.multiply(X).sum(axis=1) sums them; a matrix
    # with an entry whose square is 0 (underflow, an explicit zero) takes scipy's path: the same rows, bit for bit
    from cabletags.scoring.neighbours import _unit_rows

    def scipys(X):
        norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1), dtype=np.float64).ravel())
        norms[norms == 0] = 1.0
        return (X.data / np.repeat(norms, np.diff(X.indptr))).astype(np.float32)

    rng = np.random.default_rng(0)
    for t in range(300):
        m, n = int(rng.integers(0, 20)), int(rng.integers(1, 60))
        D = (rng.random((m, n)) * (rng.random((m, n)) < 0.3)).astype(np.float32)
        if t % 5 == 0 and D.size:
            D.flat[int(rng.integers(0, D.size))] = 1e-30  # its square is 0 in float32
        X = sp.csr_matrix(D)
        if t % 7 == 0 and X.nnz:
            X.data[0] = 0.0  # an explicit zero
        U = _unit_rows(X)
        assert np.array_equal(U.data, scipys(X)) and np.array_equal(U.indices, X.indices)
        assert np.array_equal(U.indptr, X.indptr) and U.dtype == np.float32

"""The fast paths give the same results as the plain ones: TF-IDF without scikit-learn, the anchored
patterns, and the transposed weights converted once (speed itself is measured in scripts/benchmarks/)."""
import re

import numpy as np

from tiny_corpus import make_records

from cabletags import Suggester
from cabletags.cableformat import BOILERPLATE, BOILERPLATE_PARTS, REFERENCE, REFERENCE_BODY
from cabletags.fitting import make_vectorizer

TEXTS = ["C O N F I D E N T I A L SECTION 01 OF 02 REF: A. 06 BAKU 1835 B. STATE 96625\n\n"
         "1. (C) Police arrested traffickers; the budget deficit grew. Classified By: Ambassador for reasons "
         "1.4 (b) and (d).", "", "   ", "x", "Émigrés café NAÏVE über 2008-09 (SBU) E.O. 12958: DECL: 01/01/2018",
         "military troops exercises iraq " * 400]


def test_tfidf_without_scikit_learn_is_bit_identical(tiny):
    m = Suggester.load(tiny / "model").model
    texts = TEXTS + [r["body"] for r in make_records(n=40, seed=7)]
    vec = make_vectorizer(m.settings, {t: i for i, t in enumerate(m.vocabulary)})
    vec.idf_ = m.idf
    want = vec.transform(m._prepare(texts)).tocsr()
    want.sort_indices()
    got = m.transform(texts)
    assert got.shape == want.shape and got.dtype == np.float32
    assert np.array_equal(got.indptr, want.indptr) and np.array_equal(got.indices, want.indices)
    assert np.array_equal(got.data, want.data)  # bit for bit, not approximately


def test_suggestions_are_the_same_with_either_transform(tiny):
    s = Suggester.load(tiny / "model")
    texts = TEXTS + [r["body"] for r in make_records(n=40, seed=8)]
    fast = [[x.to_dict() for x in row] for row in s.suggest_batch(texts, 8)]
    vec = make_vectorizer(s.model.settings, {t: i for i, t in enumerate(s.model.vocabulary)})
    vec.idf_ = s.model.idf
    s.model.transform = lambda ts: vec.transform(s.model._prepare(ts))
    s.model.decision_function = lambda ts: np.asarray((s.model.transform(ts) @ s.model.weights.T).toarray(),
                                                      dtype=np.float32) + s.model.intercept
    assert [[x.to_dict() for x in row] for row in s.suggest_batch(texts, 8)] == fast


def test_anchored_patterns_match_what_the_plain_ones_match():
    plain_boiler = re.compile("|".join(BOILERPLATE_PARTS), re.S)
    plain_ref = re.compile(REFERENCE_BODY)
    for text in TEXTS + ["REF: STATE 123 and 09 USUN NEW YORK 0042; refs: 07 ROME 5", "(U) (S/NF) (S/REL TO UK)"]:
        assert BOILERPLATE.sub(" ", text) == plain_boiler.sub(" ", text)
        assert REFERENCE.findall(text) == plain_ref.findall(text)

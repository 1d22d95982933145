"""cabletags.sklearn.TagSuggester inside scikit-learn (issue 26): its own checks, a Pipeline, cross-validation and
a grid search, on a tiny synthetic corpus written for the tests."""
import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import parametrize_with_checks
from tiny_corpus import make_records

from cabletags.sklearn import TagSuggester

RECS = make_records(120, seed=3)
TEXTS = [r["body"] for r in RECS]
TAGS = [[t.strip() for t in r["tags"].removeprefix("TAGS:").split(",")] for r in RECS]

# scikit-learn's checks build their data as numeric matrices; TagSuggester reads text (1-D, one text a sample) and
# refuses anything else at its boundary. Every check that cannot apply to text input, with its reason; the API
# checks (repr, params, clone, tags, unfitted errors, y required, ...) run and pass.
NUMERIC = "fits numeric X: TagSuggester reads texts and refuses numbers with a ValueError"
TWO_D = "indexes X as a 2-D matrix (X[:, j]); TagSuggester's X is 1-D, one text a sample"
MESSAGE = ("expects the error message of a numeric-matrix problem (NaN, complex, empty, negative, one class, "
           "continuous y); TagSuggester refuses the numeric X first, saying it wants texts")
SPARSE = "cannot build its 1-D sparse input (scipy refuses); texts are never sparse"
EXPECTED_FAILED = {
    **dict.fromkeys(["check_fit_score_takes_y", "check_estimators_overwrite_params", "check_estimators_fit_returns_self",
                     "check_readonly_memmap_input", "check_n_features_in_after_fitting", "check_estimators_dtypes",
                     "check_dtype_object", "check_pipeline_consistency", "check_estimators_pickle",
                     "check_estimators_pickle(readonly_memmap=True)", "check_classifier_data_not_an_array",
                     "check_classifiers_classes", "check_classifier_multioutput", "check_classifiers_train",
                     "check_classifiers_train(readonly_memmap=True)",
                     "check_classifiers_train(readonly_memmap=True,X_dtype=float32)",
                     "check_classifiers_multilabel_representation_invariance",
                     "check_classifiers_multilabel_output_format_predict",
                     "check_classifiers_multilabel_output_format_predict_proba",
                     "check_classifiers_multilabel_output_format_decision_function", "check_supervised_y_2d",
                     "check_decision_proba_consistency", "check_fit_idempotent", "check_fit_check_is_fitted",
                     "check_n_features_in"], NUMERIC),
    **dict.fromkeys(["check_dont_overwrite_parameters", "check_f_contiguous_array_estimator",
                     "check_methods_sample_order_invariance", "check_methods_subset_invariance", "check_fit2d_1sample",
                     "check_fit2d_1feature", "check_dict_unchanged", "check_fit2d_predict1d"], TWO_D),
    **dict.fromkeys(["check_positive_only_tag_during_fit", "check_complex_data", "check_estimators_empty_data_messages",
                     "check_estimators_nan_inf", "check_classifiers_one_label",
                     "check_classifiers_regression_target"], MESSAGE),
    "check_estimator_sparse_array": SPARSE,
}


def _expected(estimator):
    return EXPECTED_FAILED


@parametrize_with_checks([TagSuggester()], expected_failed_checks=_expected, xfail_strict=True)
def test_scikit_learn_checks(estimator, check):
    check(estimator)


def test_fit_predict_shapes_and_classes():
    est = TagSuggester().fit(TEXTS[:100], TAGS[:100])
    assert list(est.classes_) == sorted({t for tags in TAGS[:100] for t in tags})
    P, S, D = est.predict_proba(TEXTS[100:]), est.predict(TEXTS[100:]), est.decision_function(TEXTS[100:])
    assert P.shape == S.shape == D.shape == (20, len(est.classes_))
    assert set(np.unique(S)) <= {0, 1} and ((P >= 0) & (P <= 1)).all()
    assert ((D > 0) == (P > 0.5)).all()  # the scores are the calibrated margins' sigmoid
    got = [set(est.classes_[np.flatnonzero(row)]) for row in S]
    assert np.mean([len(g & set(t)) / len(t) for g, t in zip(got, TAGS[100:])]) > 0.8  # the topics are learnable
    assert est.score(TEXTS[100:], TAGS[100:]) > 0.8


def test_multiclass_labels_and_text_only_input():
    y = [tags[1] for tags in TAGS]  # the topic: one label a text
    est = TagSuggester().fit(np.array(TEXTS[:100], dtype=object), y[:100])
    pred = est.predict(TEXTS[100:])
    assert pred.shape == (20,) and set(pred) <= set(est.classes_)
    assert (est.predict_proba(TEXTS[100:]).sum(axis=1).round(6) == 1).all()
    assert est.score(TEXTS[100:], y[100:]) > 0.8
    with pytest.raises(ValueError, match="texts"):
        est.predict(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="item 0 is float"):
        TagSuggester().fit([1.5, 2.5], ["a", "b"])


def test_clone_pickle_and_refit_are_deterministic():
    est = TagSuggester(C=0.3).fit(TEXTS, TAGS)
    again = clone(est).fit(TEXTS, TAGS)
    back = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(est.predict_proba(TEXTS[:10]), again.predict_proba(TEXTS[:10]))
    np.testing.assert_array_equal(est.predict(TEXTS[:10]), back.predict(TEXTS[:10]))
    assert clone(est).get_params() == {**TagSuggester().get_params(), "C": 0.3}


def test_in_a_pipeline_cross_validation_and_a_grid_search():
    pipe = Pipeline([("lower", FunctionTransformer(lambda xs: [x.lower() for x in xs])), ("tags", TagSuggester())])
    scores = cross_val_score(pipe, TEXTS, TAGS, cv=KFold(3, shuffle=True, random_state=0))
    assert scores.shape == (3,) and (scores > 0.7).all()
    grid = GridSearchCV(TagSuggester(), {"C": [0.1, 1.0]}, cv=3).fit(TEXTS, TAGS)
    assert grid.best_params_["C"] in (0.1, 1.0) and grid.best_estimator_.predict(TEXTS[:2]).shape[0] == 2


def test_shares_the_training_code_of_cabletags_train():
    import inspect

    from cabletags import sklearn as module
    from cabletags.scoring import training

    assert "fit_and_tune(" in inspect.getsource(module.TagSuggester.fit)
    assert "fit_and_tune(" in inspect.getsource(training.run_plan)

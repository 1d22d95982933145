"""cabletags as a scikit-learn estimator: ``TagSuggester`` in a Pipeline, cross_val_score or GridSearchCV.

    >>> from cabletags.sklearn import TagSuggester
    >>> est = TagSuggester(C=0.5).fit(texts, [["PHUM", "KTIP"], ["ECON"], ...])   # texts: a sequence of str
    >>> est.classes_                    # the tags, (L,)
    >>> est.predict_proba(new_texts)    # (n, L) scores in [0, 1]
    >>> est.predict(new_texts)          # (n, L) 0/1: the selected set (cabletags' selection rule)

It fits exactly as `cabletags train` does (cabletags.scoring.training.fit_and_tune: TF-IDF n-grams, one linear SVM per
tag, per-tag offsets and one threshold tuned on a validation part of the data, then a refit on all of it), without
the reference index (it needs cable ids). ``y`` is either a sequence of tag lists (multi-label: ``predict``
returns an (n, L) indicator matrix) or one label per text (multi-class: ``predict`` returns (n,) labels, the best
of ``classes_``), as scikit-learn's own classifiers take them.

``X`` is text: a sequence (or 1-D array, or pandas Series) of str; anything else is refused with a ValueError, so
the parts of scikit-learn's estimator checks that feed numeric matrices cannot apply (tests/test_sklearn.py names
each with its reason). Needs scikit-learn, a core dependency.
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

__all__ = ["TagSuggester"]


def _texts(X) -> list[str]:
    """X as a list of str: a sequence, 1-D array or Series of str; a 2-D array of one column is read as its
    column. Missing cells (None, NaN) are empty texts."""
    from .vocabulary.normalizer import _missing

    if isinstance(X, str):
        raise ValueError("X must be a sequence of texts, not one str")
    if hasattr(X, "tocsr") or type(X).__module__.startswith("scipy.sparse"):
        raise ValueError("X must be a sequence of texts: sparse matrices are not supported")
    if hasattr(X, "ndim") and getattr(X, "ndim", 1) == 2:
        if X.shape[1] != 1:
            raise ValueError(f"X must be a sequence of texts (1-D); got a 2-D array of shape {X.shape}")
        X = X[:, 0] if not hasattr(X, "iloc") else X.iloc[:, 0]
    try:
        items = list(X)
    except TypeError:
        raise ValueError(f"X must be a sequence of texts, not {type(X).__name__}") from None
    out = []
    for i, t in enumerate(items):
        if t is None or _missing(t):
            out.append("")
        elif isinstance(t, str):
            out.append(t)
        else:
            raise ValueError(f"X must hold texts (str): item {i} is {type(t).__name__} ({t!r:.40})")
    return out


def _is_tag_lists(y) -> bool:
    """Whether y gives each text a list of tags (multi-label) rather than one label (multi-class)."""
    first = next(iter(y), None)
    return isinstance(first, (list, tuple, set, frozenset))


class TagSuggester(ClassifierMixin, BaseEstimator):
    """TF-IDF + one linear SVM per tag, calibrated, with cabletags' selection rule.

    Parameters
    ----------
    C : float, default 0.5
        SVM regularisation (larger: closer to the training tags).
    ngram_max : int, default 2
        Word n-grams 1..ngram_max (1-3).
    min_df : int, default 5
        A term must occur in at least this many training texts (5 at least: the project's privacy floor).
    max_features : int, default 300_000
        Vocabulary cap before pruning.
    nb_scaling : float, default 0.5
        Naive-Bayes feature scaling exponent (0: a plain SVM).
    threshold_shrink : float, default 0.5
        Per-tag offsets: this share of each tag's F1-optimal margin on the validation part.
    min_label_count : int, default 1
        A tag becomes a class when at least this many training texts carry it.
    validation_share : float, default 0.2
        The share of texts (by a stable hash of their position) the calibration is tuned on.
    refit : bool, default True
        Fit again on all texts once calibrated (as `cabletags train` does).
    n_jobs : int, default 1
        Processes for fitting.
    neighbours : int, default 40
        Words of each training text kept for the nearest-texts vote (cabletags.scoring.neighbours), whose weight is
        tuned with the calibration; 0: no vote (the model holds no per-text vectors).

    Attributes
    ----------
    classes_ : ndarray of shape (L,)
        The tags (multi-label) or labels (multi-class), in column order.
    model_ : cabletags.scoring.model.TagModel
        The fitted model (save it with its `save(folder)` to use it with `cabletags suggest`).
    multilabel_ : bool
        Whether y gave tag lists.
    """

    def __init__(self, C=0.5, ngram_max=2, min_df=5, max_features=300_000, nb_scaling=0.5, threshold_shrink=0.5,
                 min_label_count=1, validation_share=0.2, refit=True, n_jobs=1, neighbours=40):
        self.C = C
        self.ngram_max = ngram_max
        self.min_df = min_df
        self.max_features = max_features
        self.nb_scaling = nb_scaling
        self.threshold_shrink = threshold_shrink
        self.min_label_count = min_label_count
        self.validation_share = validation_share
        self.refit = refit
        self.n_jobs = n_jobs
        self.neighbours = neighbours

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.one_d_array = True
        tags.target_tags.multi_output = True
        tags.classifier_tags.multi_label = True
        return tags

    def fit(self, X, y):
        """Fit on texts X (n,) and their tags y: (n,) tag lists, or (n,) labels.

        Returns
        -------
        self
        """
        from .scoring.corpus import is_validation
        from .scoring.model import ModelSettings
        from .scoring.training import fit_and_tune

        if y is None:
            raise ValueError("TagSuggester requires y to be passed, but the target y is None")
        texts = _texts(X)
        y = list(y) if not hasattr(y, "tolist") or _is_tag_lists(y) else y.tolist()
        if len(y) != len(texts):
            raise ValueError(f"X has {len(texts)} texts but y has {len(y)} entries")
        if not texts:
            raise ValueError("no texts to fit on (0 samples)")
        self.multilabel_ = _is_tag_lists(y)
        if self.multilabel_:
            label_sets = [[str(t) for t in tags] for tags in y]
            counts: dict = {}
            for tags in label_sets:
                for t in set(tags):
                    counts[t] = counts.get(t, 0) + 1
            classes = sorted(t for t, k in counts.items() if k >= self.min_label_count)
            self.classes_ = np.array(classes, dtype=object)
            labels = classes
        else:
            self.classes_ = np.unique(np.asarray(y))
            labels = [str(c) for c in self.classes_]
            label_sets = [[str(v)] for v in y]
            if len(labels) < 2:
                raise ValueError(f"y has {len(labels)} class(es): a classifier needs 2 or more")
        if not labels:
            raise ValueError(f"no tag is carried by {self.min_label_count} or more texts")
        settings = ModelSettings(C=self.C, ngram_max=self.ngram_max, min_df=self.min_df,
                                 max_features=self.max_features, nb_scaling=self.nb_scaling,
                                 threshold_shrink=self.threshold_shrink, references=False,
                                 neighbours=self.neighbours)
        val = [is_validation(str(i), self.validation_share) for i in range(len(texts))]
        fitted = fit_and_tune(texts, label_sets, labels, settings, val, refit=self.refit, n_jobs=self.n_jobs)
        self.model_ = fitted.final
        return self

    def decision_function(self, X) -> np.ndarray:
        """(n, L) calibrated margins (their sigmoid is predict_proba's multi-label scores); (n,) for two classes,
        the second's margin less the first's."""
        check_is_fitted(self, "model_")
        Z = self.model_.logits(_texts(X))
        if not self.multilabel_ and Z.shape[1] == 2:
            return Z[:, 1] - Z[:, 0]
        return Z

    def predict_proba(self, X) -> np.ndarray:
        """(n, L) scores: each tag's calibrated score in [0, 1] (multi-label); each class's share of the row's
        scores, summing to 1 (multi-class)."""
        check_is_fitted(self, "model_")
        P = self.model_.predict(_texts(X))[0].astype(np.float64)
        if self.multilabel_:
            return P
        total = P.sum(axis=1, keepdims=True)
        return np.divide(P, total, out=np.full_like(P, 1.0 / P.shape[1]), where=total > 0)

    def predict(self, X) -> np.ndarray:
        """(n, L) 0/1 of the selected tags (multi-label: cabletags' selection rule, nothing for a text without
        evidence); (n,) the best class (multi-class)."""
        check_is_fitted(self, "model_")
        texts = _texts(X)
        if self.multilabel_:
            return self.model_.predict(texts)[1].astype(np.int64)
        return self.classes_[np.argmax(self.model_.logits(texts), axis=1)]

    def score(self, X, y, sample_weight=None) -> float:
        """Micro-averaged F1 of the selected tags (multi-label; tags outside classes_ count as missed); accuracy
        (multi-class)."""
        if not getattr(self, "multilabel_", False):
            return super().score(X, y, sample_weight)
        from sklearn.metrics import f1_score

        index = {t: j for j, t in enumerate(self.classes_)}
        Y = np.zeros((len(y), len(self.classes_)), dtype=np.int64)
        missed = 0
        for i, tags in enumerate(y):
            for t in set(map(str, tags)):
                if t in index:
                    Y[i, index[t]] = 1
                else:
                    missed += 1
        pred = self.predict(X)
        tp = int((pred & Y).sum())
        if missed:  # micro-F1 with the gold tags the model cannot know counted as false negatives
            fp, fn = int(pred.sum()) - tp, int(Y.sum()) - tp + missed
            return 2 * tp / max(2 * tp + fp + fn, 1)
        return float(f1_score(Y, pred, average="micro", sample_weight=sample_weight, zero_division=0))

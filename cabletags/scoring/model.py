"""TagModel: TF-IDF + one-vs-rest linear SVMs, calibrated scores, and a reference index.

The model is three parts, each in its own module: the linear part (cabletags.scoring.fitting: TF-IDF and one
naive-Bayes-scaled SVM per tag), the calibration (cabletags.scoring.calibration: margins -> scores, and the one
selection rule), and the reference index (cabletags.scoring.references: the tags of the training cables a text
cites). Storage is cabletags.scoring.storage (JSON and plain arrays, never pickle).

Scores: for tag j, m_j(x) = w_j . tfidf(x) + b_j + the reference term; score_j = sigmoid(scale *
(m_j - t_j)). Texts shorter than ``short_text_chars`` have their biases b_j scaled by
``short_intercept_scale`` (the biases were fitted on whole cables and outweigh a paragraph's few terms).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ..cableformat import strip_boilerplate
from ..errors import TrainingError
from .calibration import Calibration, tune
from .fitting import fit_linear
from .references import ReferenceIndex
from .storage import MODEL_FORMAT, ModelError, load_model, save_model
from .vectorizer import TfidfTransform

__all__ = ["TagModel", "ModelSettings", "ModelError", "MODEL_FORMAT", "READINGS"]

# how a model reads its texts (ModelSettings.reading): "text" as given; "cable" as whole cables
# (cabletags.reading.parser.cable_reading)
READINGS = ("text", "cable")


# a text's best label is selected even under the calibrated threshold (the selection rule), but only when its score
# reaches this floor: below it the text gives no evidence for any tag (issue 26: "hello" selected PREL and PGOV)
EVIDENCE_FLOOR = 0.2
# a text is evidence for nothing unless its own words (or cited cables) raise some label's margin by at least this:
# "hello" raises a few labels by 0.04-0.08 (words the model barely weighs), a one-line report on a topic by 0.5+
EVIDENCE_MARGIN = 0.1

@dataclass
class ModelSettings:
    """Hyperparameters (the defaults were chosen by searches recorded in docs/research.md)."""

    C: float = 0.5                 # SVM regularisation (larger: fits the training tags more closely)
    ngram_max: int = 2             # word n-grams 1..ngram_max
    min_df: int = 5                # a term must occur in >= min_df training cables (privacy floor: 5)
    max_features: int = 300_000    # vocabulary cap before pruning
    max_chars: int = 0             # 0: whole text; else only the first max_chars characters
    keep_weights: int = 20_000     # non-zero weights kept per tag
    threshold_shrink: float = 0.5  # offset t_j = shrink * F1-optimal margin threshold on validation
    class_weight: str | None = None
    # per-tag feature scaling |r|^nb_scaling by the naive Bayes log-count ratio r (0: plain SVM); 0.5 was
    # best of {0, 0.5, 1}
    nb_scaling: float = 0.5
    # ranking of short texts (paragraphs): below short_text_chars the SVM biases are scaled by
    # short_intercept_scale
    short_text_chars: int = 1500
    short_intercept_scale: float = 0.7
    # keep the reference index (tags of cited and co-citing training cables) when fit() is given ids
    references: bool = True
    # how texts are read: "text" as given (bodies, paragraphs); "cable" as whole cables, through
    # cabletags.reading.parser.cable_reading (the reader of the model, Suggester, does it; the model sees the result)
    reading: str = "text"
    # > 0: the header terms (cabletags.scoring.vectorizer.HEADER_PREFIX, written by cable_reading) are normalized as a
    # block of their own, times this weight; 0: one block. A whole-cable model joined with a model of its header
    # (TagModel.join_header) has 1.0: the header model's weights, scaled, are the block's weights
    header_weight: float = 0.0

    def __post_init__(self):
        def number(name, lo, hi, integer=False):
            v = getattr(self, name)
            ok = not isinstance(v, bool) and (isinstance(v, int) if integer else isinstance(v, (int, float)))
            if not ok or not (lo <= v <= hi):  # NaN fails the comparison too
                raise TrainingError(f"{name} must be {'an integer' if integer else 'a number'} in [{lo}, {hi}], not {v!r}")

        number("C", 1e-6, 1e6)
        number("ngram_max", 1, 3, integer=True)
        number("min_df", 5, 10**9, integer=True)
        number("max_features", 1, 10**8, integer=True)
        number("max_chars", 0, 10**9, integer=True)
        number("keep_weights", 1, 10**8, integer=True)
        number("threshold_shrink", 0.0, 1.0)
        number("nb_scaling", 0.0, 2.0)
        number("short_text_chars", 0, 10**9, integer=True)
        number("short_intercept_scale", 0.0, 2.0)
        number("header_weight", 0.0, 10.0)
        if self.header_weight and self.reading != "cable":
            raise TrainingError("header_weight needs reading 'cable' (a header is a whole cable's)")
        if self.class_weight not in (None, "balanced"):
            raise TrainingError(f"class_weight must be null or 'balanced', not {self.class_weight!r}")
        if self.reading not in READINGS:
            raise TrainingError(f"reading must be one of {', '.join(map(repr, READINGS))}, not {self.reading!r}")
        if not isinstance(self.references, bool):
            raise TrainingError(f"references must be true or false, not {self.references!r}")


@dataclass
class TagModel:
    """Multi-label tag classifier over L labels and V terms.

    ``fit(texts, label_sets, labels)``: n texts, n iterables of tags, the L tags to learn.
    ``tune(texts, label_sets)``: calibrate on validation texts. ``decision_function(texts)`` -> (n, L)
    SVM margins; ``predict(texts)`` -> ((n, L) scores in [0, 1], (n, L) selected booleans).
    """

    settings: ModelSettings = field(default_factory=ModelSettings)
    labels: list[str] = field(default_factory=list)
    vocabulary: list[str] = field(default_factory=list)
    idf: np.ndarray | None = None              # (V,)
    weights: sp.csr_matrix | None = None       # (L, V)
    intercept: np.ndarray | None = None        # (L,)
    calibration: Calibration = field(default_factory=Calibration)
    references: ReferenceIndex | None = None
    info: dict = field(default_factory=dict)
    _vectorizer: object = field(default=None, repr=False)
    _weights_t: object = field(default=None, repr=False)

    # --- fitting ---------------------------------------------------------------------------------
    def prepare(self, texts) -> list[str]:
        """The texts as the features see them (cut at settings.max_chars, boilerplate stripped)."""
        n = self.settings.max_chars
        return [strip_boilerplate(t[:n] if n else t) if t else "" for t in texts]

    def fit(self, texts, label_sets, labels, n_jobs: int = 2, progress=None, ids=None, on_tag=None,
            counts=None, rows=None) -> "TagModel":
        """Fit the TF-IDF features, one SVM per label and (with ids) the reference index.

        Parameters
        ----------
        texts : list of str, length n
            Training texts (boilerplate is stripped here).
        label_sets : list of iterables of str, length n
            Each text's tags; tags outside `labels` are ignored.
        labels : list of str, length L
            The label space, in the order of every (n, L) output.
        n_jobs : int, default 2
            Processes for the per-label fits.
        progress : callable(str) or None, default None
            Hears of the phases.
        ids : list of str, length n, or None, default None
            Cable ids; with them (and settings.references) the reference index is built.
        on_tag : callable() or None, default None
            Called once per label fitted.
        counts, rows : TermCounts and array of int, or None, default None
            Term counts of a larger set of texts (``count_terms(model.prepare(all_texts), settings)``) and which of
            them `texts` are, in order: a training run counts its texts once for both of its fits.

        Returns
        -------
        self
            The calibration is reset (offsets 0, scale 1, threshold 0.5) until tune().
        """
        if len(texts) != len(label_sets):
            raise ValueError(f"{len(texts)} texts but {len(label_sets)} label sets")
        if ids is not None and len(ids) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(ids)} ids")
        if not labels:
            raise TrainingError("empty label space (no tag is carried by enough texts)")
        t0 = time.perf_counter()
        self.labels = list(labels)
        Y = self.label_matrix(label_sets)
        lin = fit_linear(None if counts is not None else self.prepare(texts), Y, self.settings, n_jobs=n_jobs,
                         progress=progress, on_tag=on_tag, counts=counts, rows=rows)
        self.vocabulary, self.idf, self.weights, self.intercept = lin.vocabulary, lin.idf, lin.weights, lin.intercept
        self.calibration = Calibration()
        self.references = (ReferenceIndex.build(ids, texts, Y)
                           if ids is not None and self.settings.references else None)
        self._vectorizer = self._weights_t = None
        self.info.update(train_texts=len(texts), fit_seconds=round(time.perf_counter() - t0, 1),
                         terms_before_pruning=lin.terms_before_pruning)
        return self

    def tune(self, texts, label_sets, margins: np.ndarray | None = None) -> dict:
        """Calibrate on validation texts (cabletags.scoring.calibration.tune).

        Parameters
        ----------
        texts : list of str, length n
            Validation texts.
        label_sets : list of iterables of str, length n
            Their tags.
        margins : ndarray of shape (n, L) or None, default None
            decision_function(texts), when already computed.

        Returns
        -------
        dict
            The tuned values: offsets_mean, scale, select_score, ref_weights (the reference index's two
            weights, 0 without an index).
        """
        M = self.decision_function(texts) if margins is None else margins
        refs = self.reference_features(texts) if self.references is not None else None
        self.calibration = tune(M, self.label_matrix(label_sets), self.settings.threshold_shrink, refs,
                                rank_shift=self._bias_shift(texts))
        c = self.calibration
        return {"offsets_mean": float(c.offsets.mean()), "scale": c.scale, "select_score": c.select_score,
                "ref_weights": list(c.ref_weights)}

    def label_matrix(self, label_sets) -> np.ndarray:
        """(n, L) int8 0/1 matrix of n label sets over the model's labels (other tags ignored)."""
        index = {t: j for j, t in enumerate(self.labels)}
        Y = np.zeros((len(label_sets), len(self.labels)), dtype=np.int8)
        for i, tags in enumerate(label_sets):
            for t in tags:
                if t in index:
                    Y[i, index[t]] = 1
        return Y

    def index_references(self, ids, texts, label_sets) -> "TagModel":
        """(Re)build the reference index over n cables (ids, texts, label sets); the tuned weights stay."""
        if not (len(ids) == len(texts) == len(label_sets)):
            raise ValueError("ids, texts and label sets differ in length")
        self.references = ReferenceIndex.build(ids, texts, self.label_matrix(label_sets))
        return self

    # --- scoring ---------------------------------------------------------------------------------
    @property
    def vectorizer(self) -> TfidfTransform:
        """The prediction-time TF-IDF transform over the model's vocabulary (built on first use)."""
        if self._vectorizer is None:
            if self.idf is None:
                raise ModelError("model is not fitted")
            self._vectorizer = TfidfTransform(self.vocabulary, self.idf, self.settings.ngram_max,
                                              self.settings.header_weight)
        return self._vectorizer

    def transform(self, texts) -> sp.csr_matrix:
        """TF-IDF features of texts (boilerplate stripped).

        Parameters
        ----------
        texts : list of str, length n

        Returns
        -------
        scipy.sparse.csr_matrix of shape (n, V), float32
            Unit-length rows over the model's V vocabulary terms.
        """
        return self.vectorizer.transform(self.prepare(texts))

    @property
    def weights_t(self) -> sp.csr_matrix:
        """(V, L) the weights transposed, for the products with TF-IDF rows: converted once, on first use
        (a product with weights.T would convert all the weights for every batch). From then on `weights`
        is a view of the same numbers, so they are held once."""
        if self._weights_t is None:
            self._weights_t = self.weights.T.tocsr()
            self.weights = self._weights_t.T
        return self._weights_t

    def decision_function(self, texts) -> np.ndarray:
        """SVM margins.

        Parameters
        ----------
        texts : list of str, length n

        Returns
        -------
        ndarray of shape (n, L), float32
            w_j . tfidf(x) + b_j for every text and label (no calibration, no reference term).
        """
        return self._margins(self.transform(texts))

    def _margins(self, X) -> np.ndarray:
        return np.asarray((X @ self.weights_t).toarray(), dtype=np.float32) + self.intercept

    def reference_features(self, texts, ids=None) -> tuple[np.ndarray, np.ndarray] | None:
        """(cited, cociting) tag shares from the reference index, each (n, L); None without an index.
        `ids` (optional, one per text) leave a text's own cable out of the index."""
        return None if self.references is None else self.references.features(list(texts), ids)

    def reference_term(self, texts, ids=None) -> np.ndarray | float:
        """(n, L) what the reference index adds to the margins (0.0 without an index or weights)."""
        wa, wb = self.calibration.ref_weights
        if self.references is None or not (wa or wb):
            return 0.0
        A, B = self.reference_features(texts, ids)
        return wa * A + wb * B

    def predict(self, texts, ids=None, threshold: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Scores and the selected set.

        Parameters
        ----------
        texts : list of str, length n
        ids : list of str or None, length n, default None
            Cable ids; they only keep a text that is itself an indexed cable out of the reference index.

        Returns
        -------
        scores : ndarray of shape (n, L), float
            In [0, 1]; ranking by score is ranking by the calibrated margin.
        selected : ndarray of shape (n, L), bool
            score >= the one threshold, and each text's best label (cabletags.scoring.calibration) when its score reaches
            EVIDENCE_FLOOR and the text's own words (or cited cables) push it up. A text that pushes no label up by
            EVIDENCE_MARGIN (no term the model weighs: "hello") has no evidence and selects nothing. With `threshold` (0-1):
            score >= threshold alone, the calibrated rule set aside (never for a text without evidence).
        """
        Z, F = self._calibrated(texts, ids, evidence=True)
        P = 1.0 / (1.0 + np.exp(-Z))
        if threshold is not None:
            S = P >= threshold
        else:
            S = P >= self.calibration.select_score
            if P.shape[1]:  # the best label is forced in only when the text itself supports it
                rows = np.arange(P.shape[0])
                best = P.argmax(axis=1)
                forced = (P[rows, best] >= EVIDENCE_FLOOR) & (F[rows, best] > 0)
                S[rows[forced], best[forced]] = True
        # nothing in the text pushes any label up by EVIDENCE_MARGIN: no evidence, nothing selected
        S[~(F > EVIDENCE_MARGIN).any(axis=1)] = False
        return P, S

    def logits(self, texts, ids=None) -> np.ndarray:
        """(n, L) calibrated margins (cabletags.scoring.calibration.Calibration.logits): the scores of predict() are their
        sigmoid."""
        return self._calibrated(texts, ids)[0]

    def _calibrated(self, texts, ids=None, evidence: bool = False):
        """(calibrated margins (n, L) with the reference term and the short-text shift, and with evidence=True what
        the text itself adds to each margin (n, L): its terms' weights and its cited cables, without the bias)."""
        texts = list(texts)
        if ids is not None and len(ids) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(ids)} ids")
        X = self.transform(texts)
        F = np.asarray((X @ self.weights_t).toarray(), dtype=np.float32) + self.reference_term(texts, ids=ids)
        M = F + self.intercept
        shift = self._bias_shift(texts)
        return self.calibration.logits(M if shift is None else M + shift), (F if evidence else None)

    def _bias_shift(self, texts) -> np.ndarray | None:
        """(n, L) what predict() adds to the plain margins of short texts (their biases scaled), or None."""
        s = self.settings
        short = np.array([len(t or "") < s.short_text_chars for t in texts])
        if not short.any():
            return None
        return np.where(short, np.float32(s.short_intercept_scale - 1), np.float32(0))[:, None] * self.intercept

    def join_header(self, header: "TagModel", c: float, keep: int | None = None) -> "TagModel":
        """This model and a model of the header block (its terms all HEADER_PREFIX words, the same labels) as one
        linear model over two blocks of features, each normalized on its own: margins m = m_self + c * m_header.
        keep: the header model's largest weights kept per tag (None: all). The calibration and reference index
        are this model's (tune() the result again for its own)."""
        from dataclasses import replace

        from .vectorizer import HEADER_PREFIX

        if header.labels != self.labels:
            raise ValueError("the header model's labels differ")
        if not all(t.startswith(HEADER_PREFIX) for t in header.vocabulary) or \
                any(t.startswith(HEADER_PREFIX) for t in self.vocabulary):
            raise ValueError(f"the header model's terms, and only they, must start with {HEADER_PREFIX!r}")
        H = sp.csr_matrix(header.weights, dtype=np.float32, copy=True)
        if keep is not None:  # a header's few words: most of its weights are tiny (docs/research.md)
            for j in range(H.shape[0]):
                a, b = H.indptr[j], H.indptr[j + 1]
                if b - a > keep:
                    row = H.data[a:b]
                    row[np.argsort(-np.abs(row), kind="stable")[keep:]] = 0
            H.eliminate_zeros()
        W = sp.hstack([self.weights, H * np.float32(c)], format="csr", dtype=np.float32)
        W.eliminate_zeros()
        return TagModel(settings=replace(self.settings, header_weight=1.0), labels=list(self.labels),
                        vocabulary=list(self.vocabulary) + list(header.vocabulary),
                        idf=np.concatenate([self.idf, header.idf]).astype(np.float32), weights=W,
                        intercept=(self.intercept + np.float32(c) * header.intercept).astype(np.float32),
                        calibration=self.calibration, references=self.references,
                        info=dict(self.info, header_join=round(float(c), 6)))

    # --- persistence -----------------------------------------------------------------------------
    def save(self, directory: str | Path, force: bool = True) -> dict:
        """Write the model folder (cabletags.scoring.storage: built beside it and swapped in whole); returns the
        model.json document. force=False refuses to replace an existing model."""
        return save_model(self, directory, force=force)

    @classmethod
    def load(cls, directory: str | Path, verify: bool = True) -> "TagModel":
        """Load a saved model (cabletags.scoring.storage). Only JSON and plain arrays are read (never pickle)."""
        return load_model(directory, verify=verify)

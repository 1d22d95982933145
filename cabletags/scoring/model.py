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
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ..cableformat import strip_boilerplate_all
from ..errors import TrainingError
from .calibration import Calibration, top_by_count, tune
from .combiner import Combiner
from .csr import stack_rows
from .kernels import kernel_threads, run_parts
from .neighbours import DEFAULT_K, DEFAULT_POWER, NeighbourIndex
from .products import dense_product
from .references import ReferenceIndex
from .scorers import weighted_sum
from .storage import ArrayLayout, ModelError, load_folder, number, save_folder, strings
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
# a batch of at least this many characters has its TF-IDF rows and linear margins computed in parts, at most one a
# kernel thread and each of SPLIT_ROWS texts or more (_terms_and_margins): below it, the threads' hand-over costs
# about what it saves (a part takes some 0.1 ms per 1,000 characters; a hand-over some 0.05-0.1 ms)
SPLIT_CHARS = 100_000
SPLIT_ROWS = 16


@dataclass
class Calibrated:
    """What TagModel.predict() computes before its combiner (cabletags.scoring.combiner), for n texts over L labels:
    scores (n, L) in [0, 1], the origin country raised; selected (n, L) bool, the calibrated rule's set; evidence
    (n, L), what each text's own words and cited cables add to each margin; votes (n, L), the nearest-cables vote's
    shares (None without the index); linear (n, L), the linear margins with their biases; origin_mask (n, L) bool,
    each cable's origin country (None when no origins were given); lengths (n,), each text's characters."""

    scores: np.ndarray
    selected: np.ndarray
    evidence: np.ndarray
    votes: np.ndarray | None
    linear: np.ndarray
    origin_mask: np.ndarray | None
    lengths: np.ndarray


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
    # keep the nearest-cables index (cabletags.scoring.neighbours) with this many words of each training cable;
    # 0: none. Its vote joins the margins with a weight tuned on the validation split
    neighbours: int = 40
    # how texts are read: "text" as given (bodies, paragraphs); "cable" as whole cables, through
    # cabletags.reading.parser.cable_reading (the reader of the model, Suggester, does it; the model sees the result)
    reading: str = "text"
    # > 0: the header terms (cabletags.scoring.vectorizer.HEADER_PREFIX, written by cable_reading) are normalized as a
    # block of their own, times this weight; 0: one block. A whole-cable model joined with a model of its header
    # (TagModel.join_header) has 1.0: the header model's weights, scaled, are the block's weights
    header_weight: float = 0.0
    # fit the learned combiner (cabletags.scoring.combiner) on the validation part; the model keeps it only when it
    # beats the calibrated rule there
    combiner: bool = True

    def __post_init__(self):
        def number(name, lo, hi, integer=False):
            v = getattr(self, name)
            ok = not isinstance(v, bool) and (isinstance(v, int) if integer else isinstance(v, (int, float)))
            if not ok or not (lo <= v <= hi):  # NaN fails the comparison too
                kind = "an integer" if integer else "a number"
                raise TrainingError(f"{name} must be {kind} in [{lo}, {hi}], not {v!r}")

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
        number("neighbours", 0, 1000, integer=True)
        if self.header_weight and self.reading != "cable":
            raise TrainingError("header_weight needs reading 'cable' (a header is a whole cable's)")
        if self.class_weight not in (None, "balanced"):
            raise TrainingError(f"class_weight must be null or 'balanced', not {self.class_weight!r}")
        if self.reading not in READINGS:
            raise TrainingError(f"reading must be one of {', '.join(map(repr, READINGS))}, not {self.reading!r}")
        for name in ("references", "combiner"):
            if not isinstance(getattr(self, name), bool):
                raise TrainingError(f"{name} must be true or false, not {getattr(self, name)!r}")


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
    neighbours: NeighbourIndex | None = None
    combiner: Combiner | None = None  # re-scores each text's first candidates (cabletags.scoring.combiner)
    info: dict = field(default_factory=dict)
    _vectorizer: object = field(default=None, repr=False)
    _weights_t: object = field(default=None, repr=False)

    # --- fitting ---------------------------------------------------------------------------------
    def prepare(self, texts) -> list[str]:
        """The texts as the features see them (cut at settings.max_chars, boilerplate stripped)."""
        n = self.settings.max_chars
        return strip_boilerplate_all([(t[:n] if n else t) if t else "" for t in texts])

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
        from .fitting import fit_linear  # (training only)

        lin = fit_linear(None if counts is not None else self.prepare(texts), Y, self.settings, n_jobs=n_jobs,
                         progress=progress, on_tag=on_tag, counts=counts, rows=rows)
        self.vocabulary, self.idf, self.weights, self.intercept = lin.vocabulary, lin.idf, lin.weights, lin.intercept
        self.calibration = Calibration()
        self.references = (ReferenceIndex.build(ids, texts, Y)
                           if ids is not None and self.settings.references else None)
        self._vectorizer = self._weights_t = None
        self.neighbours = None
        if self.settings.neighbours:
            if progress:
                progress(f"indexing {len(texts)} cables for the nearest-cables vote")
            self.neighbours = self._neighbour_index(texts, Y)
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
            weights, 0 without an index), nn_weight (the nearest-cables vote's, 0 without an index), count_floor
            (the count rule's floor, None without the rule).
        """
        M = self.decision_function(texts) if margins is None else margins
        refs = self.reference_features(texts) if self.references is not None else None
        votes = self.neighbour_features(texts) if self.neighbours is not None else None
        self.calibration = tune(M, self.label_matrix(label_sets), self.settings.threshold_shrink, refs,
                                rank_shift=self._bias_shift(texts), votes=votes)
        c = self.calibration
        return {"offsets_mean": float(c.offsets.mean()), "scale": c.scale, "select_score": c.select_score,
                "ref_weights": list(c.ref_weights), "nn_weight": c.nn_weight, "count_floor": c.count_floor}

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
        """(Re)build the reference index and the nearest-cables index (when the model has one) over n cables (ids,
        texts, label sets), in the same row order; the tuned weights stay."""
        if not (len(ids) == len(texts) == len(label_sets)):
            raise ValueError("ids, texts and label sets differ in length")
        Y = self.label_matrix(label_sets)
        self.references = ReferenceIndex.build(ids, texts, Y)
        if self.neighbours is not None:
            self.neighbours = self._neighbour_index(texts, Y)
        return self

    def _neighbour_index(self, texts, Y) -> NeighbourIndex:
        old = self.neighbours
        k, power = (old.k, old.power) if old is not None else (DEFAULT_K, DEFAULT_POWER)
        return NeighbourIndex.build(self.transform(texts), Y, self.vocabulary, self.settings.neighbours, k, power)

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
        return dense_product(X, self.weights_t) + self.intercept

    def reference_features(self, texts, ids=None) -> tuple[np.ndarray, np.ndarray] | None:
        """(cited, cociting) tag shares from the reference index, each (n, L); None without an index.
        `ids` (optional, one per text) leave a text's own cable out of the index."""
        return None if self.references is None else self.references.features(list(texts), ids)

    def neighbour_features(self, texts, ids=None, X=None) -> np.ndarray | None:
        """(n, L) the nearest training cables' vote (cabletags.scoring.neighbours); None without an index. `ids` (one
        per text) leave a text that is itself an indexed cable out of its neighbours; X: the texts' TF-IDF rows, when
        already computed."""
        if self.neighbours is None:
            return None
        texts = list(texts)
        self.scorers  # links the vote to the reference index's rows (which cable an id is)
        return self.neighbours.score(texts, self.transform(texts) if X is None else X, ids)[0]

    @property
    def scorers(self) -> list:
        """The scorers beside the linear part (cabletags.scoring.scorers), in the order their terms are added."""
        if self.neighbours is not None:
            # both indexes hold the training cables in one order: the reference index finds a cable's row by its id
            self.neighbours.rows_of = self.references.row_of if self.references is not None else None
        return [s for s in (self.references, self.neighbours) if s is not None]

    def reference_term(self, texts, ids=None, X=None) -> np.ndarray | float:
        """(n, L) what the scorers that are evidence (the reference index) add to the margins (0.0 without an index
        or weights)."""
        return weighted_sum(self.scorers, self.calibration.weights(), list(texts), X, ids, evidence=True)

    def predict(self, texts, ids=None, threshold: float | None = None,
                origins=None) -> tuple[np.ndarray, np.ndarray]:
        """Scores and the selected set.

        Parameters
        ----------
        texts : list of str, length n
        ids : list of str or None, length n, default None
            Cable ids; they only keep a text that is itself an indexed cable out of the reference index.
        threshold : float in [0, 1] or None, default None
            Select the labels scoring at least this instead of the calibrated rule (never for a text without
            evidence).
        origins : list of str or None, length n, default None
            Each whole cable's origin country (None: unknown); a label among them scores at least
            calibration.origin_score (cabletags.scoring.origin; a model without one: no change).

        Returns
        -------
        scores : ndarray of shape (n, L), float
            In [0, 1]; ranking by score is ranking by the calibrated margin, or, with a combiner, each whole text's
            first candidates by the combiner's probability (the rest below them): every text of a whole-cable model,
            a text model's texts of short_text_chars or more.
        selected : ndarray of shape (n, L), bool
            score >= the one threshold; with the count rule (calibration.count_floor), each text's first k labels
            that reach the floor, k the tags its nearest cables carry; and each text's best label
            (cabletags.scoring.calibration) when its score reaches EVIDENCE_FLOOR and the text's own words (or cited
            cables) push it up; with a combiner, its rule instead (cabletags.scoring.combiner). A text that pushes
            no label up by EVIDENCE_MARGIN (no term the model weighs: "hello") has no evidence and selects nothing.
            With `threshold` (0-1): score >= threshold alone, the calibrated rule set aside.
        """
        c = self.calibrated_output(texts, ids, threshold, origins)
        # the combiner scores the texts it was fitted on, whole ones: a text model's paragraph (under
        # short_text_chars, where the biases are scaled too) keeps the calibrated scores and rule (re-scored,
        # paragraphs ranked a little better and selected worse: docs/research.md); a whole-cable model reads whole
        # cables only, short ones too
        shortest = 0 if self.settings.reading == "cable" else self.settings.short_text_chars
        whole = np.flatnonzero(c.lengths >= shortest) if self.combiner is not None else []
        if not len(whole):
            return c.scores, c.selected
        pick = (lambda A: None if A is None else A[whole])  # noqa: E731
        P2, S2 = self.combiner.rerank(c.scores[whole], c.selected[whole], c.evidence[whole], pick(c.votes),
                                      c.linear[whole], pick(c.origin_mask), c.lengths[whole], threshold)
        P, S = c.scores.astype(np.float64), c.selected.copy()
        P[whole], S[whole] = P2, S2
        return P, S

    @property
    def select_score(self) -> float:
        """The score a label must reach to be selected by the model's rule (the combiner's, when it has one)."""
        return self.combiner.select_score if self.combiner is not None else self.calibration.select_score

    def calibrated_output(self, texts, ids=None, threshold: float | None = None, origins=None) -> "Calibrated":
        """What every scorer and the calibrated rule give texts, before the combiner: predict()'s scores and
        selected set without it, and what the combiner reads besides (Calibrated)."""
        texts = list(texts)
        kept = {}
        Z, F = self._calibrated(texts, ids, evidence=True, kept=kept)
        P = 1.0 / (1.0 + np.exp(-Z))
        if threshold is not None:
            S = P >= threshold
        else:
            S = P >= self.calibration.select_score
            if self.calibration.count_floor is not None and "nearest" in kept:
                # the count rule: as many tags as the nearest cables carry
                S |= top_by_count(P, kept["nearest"].sum(axis=1)) & (P >= self.calibration.count_floor)
            if P.shape[1]:  # the best label is forced in only when the text itself supports it
                rows = np.arange(P.shape[0])
                best = P.argmax(axis=1)
                forced = (P[rows, best] >= EVIDENCE_FLOOR) & (F[rows, best] > 0)
                S[rows[forced], best[forced]] = True
        # nothing in the text pushes any label up by EVIDENCE_MARGIN: no evidence, nothing selected
        S[~(F > EVIDENCE_MARGIN).any(axis=1)] = False
        mask = None
        score = self.calibration.origin_score
        if origins is not None and score is not None:
            from .origin import origin_mask, raise_origins

            if len(origins) != len(texts):
                raise ValueError(f"{len(texts)} texts but {len(origins)} origins")
            raise_origins(P, S, origins, self.labels, score,
                          self.calibration.select_score if threshold is None else threshold)
            mask = origin_mask(origins, self.labels)  # what the combiner reads: which label is the origin
        return Calibrated(P, S, F, kept.get("nearest"), kept["linear"] + self.intercept, mask,
                          np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)))

    def logits(self, texts, ids=None) -> np.ndarray:
        """(n, L) calibrated margins (cabletags.scoring.calibration.Calibration.logits): predict()'s scores are their
        sigmoid, unless a combiner that ranks re-scores each text's first candidates (Combiner.ranks)."""
        return self._calibrated(texts, ids)[0]

    def _calibrated(self, texts, ids=None, evidence: bool = False, kept: dict | None = None):
        """(calibrated margins (n, L) with the reference term and the short-text shift, and with evidence=True what
        the text itself adds to each margin (n, L): its terms' weights and its cited cables, without the bias).
        kept: receives the matrices of the scorers that are no evidence, by name (weighted_sum)."""
        texts = list(texts)
        if ids is not None and len(ids) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(ids)} ids")
        X, linear = self._terms_and_margins(texts)
        F = linear + self.reference_term(texts, ids, X)
        if kept is not None:
            kept["linear"] = linear
        # the scorers that are no evidence of the text's own (the nearest-cables vote) rank, but stay out of F
        M = F + self.intercept + weighted_sum(self.scorers, self.calibration.weights(), texts, X, ids, evidence=False,
                                              kept=kept)
        shift = self._bias_shift(texts)
        return self.calibration.logits(M if shift is None else M + shift), (F if evidence else None)

    def _terms_and_margins(self, texts: list[str]) -> tuple[sp.csr_matrix, np.ndarray]:
        """(X, linear): the texts' TF-IDF rows (n, V) and their linear margins X @ W (n, L, float32, no intercept). A
        batch of SPLIT_CHARS or more is cut into parts, one a kernel thread, computed at once
        (cabletags.scoring.kernels: both steps are numpy and scipy kernels that let the interpreter lock go); each
        row's numbers are the same as in one batch (every row is its own; a test holds them equal)."""
        vec, W = self.vectorizer, self.weights_t  # (built before any thread reads them)
        k = min(kernel_threads(), len(texts) // SPLIT_ROWS) if sum(map(len, filter(None, texts))) >= SPLIT_CHARS else 1
        if k < 2 or not vec.settled:  # (the first batches build the vectorizer's tables, on one thread)
            X = self.transform(texts)
            return X, dense_product(X, W)
        prepared = self.prepare(texts)  # (mostly Python: on the caller's thread, before the parts)

        def part(p):
            X = vec.transform(p)
            return X, dense_product(X, W)

        cuts = np.linspace(0, len(prepared), k + 1).round().astype(int).tolist()
        done = run_parts(part, [prepared[a:b] for a, b in zip(cuts, cuts[1:])])
        return stack_rows([X for X, _ in done]), np.concatenate([m for _, m in done])

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
                        calibration=self.calibration, references=self.references, neighbours=self.neighbours,
                        info=dict(self.info, header_join=round(float(c), 6)))

    # --- persistence: a document and named arrays (cabletags.scoring.storage keeps them) ----------------------
    def save(self, directory: str | Path, force: bool = True, extra=None, lock: bool = True) -> dict:
        """Write the model folder (cabletags.scoring.storage: built beside it and swapped in whole); returns the
        model.json document. force=False refuses to replace an existing model; extra(tmp_dir, doc) adds files (the
        card); lock=False when the caller holds the folder's lock."""
        doc, arrays = self.to_arrays()
        return save_folder(directory, doc, arrays, force=force, extra=extra, lock=lock)

    @classmethod
    def load(cls, directory: str | Path, verify: bool = True, prefetched=None) -> "TagModel":
        """Load a saved model (cabletags.scoring.storage). Only JSON and plain arrays are read (never pickle); every
        file is checked against the folder's manifest and every array and value is validated (`verify` is kept for
        compatibility: every check always runs). prefetched: a cabletags.scoring.modelfiles.Prefetch of the folder
        started earlier (its bytes are checked the same way). Raises ModelError (one line)."""
        doc, arrays, state = load_folder(directory, MODEL_FORMAT, _layout, oldest=OLDEST_FORMAT, prefetched=prefetched)
        return cls.from_arrays(state, arrays, Path(directory))

    def to_arrays(self) -> tuple[dict, dict]:
        """(model.json document, named arrays): the model as storage keeps it. Weights are kept in float16, by term
        (wt_*: the (V, L) rows the products use, so loading needs no transposition, and label numbers fit int16)."""
        cal = self.calibration
        refs = self.references.to_arrays() if self.references is not None else {}
        if self.neighbours is not None:
            nn = self.neighbours.to_arrays()
            r = self.references
            if r is not None and np.array_equal(r.tags_indptr, self.neighbours.tags_indptr) \
                    and np.array_equal(r.tags, self.neighbours.tags):
                # the same cables' tags as the reference index's: kept once (read back from ref_tags)
                del nn["nn_tags"], nn["nn_tags_indptr"]
            refs.update(nn)
        offsets = cal.offsets if cal.offsets is not None else np.zeros(len(self.labels))
        arrays = dict(refs, idf=self.idf.astype(np.float32), intercept=self.intercept.astype(np.float32),
                      offsets=offsets.astype(np.float32))
        if len(self.labels) <= np.iinfo(np.int16).max:
            wt = self.weights_t
            wt.sort_indices()
            arrays.update(wt_data=wt.data.astype(np.float16), wt_indices=wt.indices.astype(np.int16),
                          wt_indptr=wt.indptr.astype(np.int32))
        else:  # label numbers past int16: by label, as models were kept before
            w = self.weights.tocsr()
            arrays.update(w_data=w.data.astype(np.float16), w_indices=w.indices.astype(np.int32),
                          w_indptr=w.indptr.astype(np.int32))
        doc = {"format": MODEL_FORMAT, "settings": asdict(self.settings), "labels": self.labels,
               "scale": cal.scale, "select_score": cal.select_score, "vocabulary": self.vocabulary,
               "shape": [len(self.labels), len(self.vocabulary)], "ref_weights": list(cal.ref_weights),
               "reference_posts": self.references.posts if self.references is not None else None,
               "info": self.info}
        if self.neighbours is not None:
            doc["neighbours"] = {"k": self.neighbours.k, "power": self.neighbours.power, "weight": cal.nn_weight}
            if cal.count_floor is not None:
                doc["neighbours"]["count_floor"] = cal.count_floor
        if cal.origin_score is not None:
            doc["origin_score"] = cal.origin_score
        if self.combiner is not None:
            doc["combiner"], cb = self.combiner.to_arrays()
            arrays.update(cb)
        return doc, arrays

    @classmethod
    def from_arrays(cls, state: dict, a: dict, where: Path | str = "model") -> "TagModel":
        """The model from what _layout read of its document (`state`) and its arrays, every value checked
        (finite numbers, index bounds, monotone row pointers). Raises ModelError naming `where`."""
        d = where
        L, V = len(state["labels"]), len(state["vocabulary"])
        posts, cal = state["posts"], state["calibration"]
        if (posts is None) != ("ref_own" not in a):
            raise ModelError(f"{d}: corrupt model (reference posts and reference arrays disagree)")
        if "wt_data" in a:  # by term: the (V, L) product matrix as stored, the (L, V) weights a view of it
            # the checks and the two widenings (some 40 MB of new arrays) at once, on the kernel threads: numpy lets
            # the interpreter lock go in each; a check that fails is raised once all three have ended
            _, data, indices = run_parts(lambda f: f(), [lambda: _check_values(a, L, V, d),
                                                         lambda: a["wt_data"].astype(np.float32),
                                                         lambda: a["wt_indices"].astype(np.int32)])
            cal.offsets = a["offsets"]
            wt = sp.csr_matrix((data, indices, a["wt_indptr"]), shape=(V, L))
            weights = wt.T
        else:
            _check_values(a, L, V, d)
            cal.offsets = a["offsets"]
            wt = None
            weights = sp.csr_matrix((a["w_data"].astype(np.float32), a["w_indices"], a["w_indptr"]), shape=(L, V))
        m = cls(settings=state["settings"], labels=state["labels"], vocabulary=state["vocabulary"], idf=a["idf"],
                weights=weights, intercept=a["intercept"], calibration=cal, info=state["info"], _weights_t=wt)
        try:
            if posts is not None:
                m.references = ReferenceIndex.from_arrays(posts, a, L)
            if state["neighbours"] is not None:
                nn = state["neighbours"]
                if "nn_tags" not in a:  # kept once, as the reference index's
                    a = dict(a, nn_tags=a["ref_tags"], nn_tags_indptr=a["ref_tags_indptr"])
                m.neighbours = NeighbourIndex.from_arrays(a, L, V, nn["k"], nn["power"])
            if state["combiner"] is not None:
                m.combiner = Combiner.from_arrays(state["combiner"], a, L)
        except ValueError as e:
            raise ModelError(f"{d}: corrupt model ({e})") from None
        return m


# --- the TagModel's stored form ------------------------------------------------------------------------------
# version 2 (2026-12-06): the weights stored by term (wt_*); version 1 folders (by label, w_*) still load.
# version 3 (2026-12-06, late): may hold a learned combiner (the `combiner` entry, cb_* arrays; settings.combiner),
# which a reader of version 2 would not apply: it says the model is newer instead
MODEL_FORMAT = "cabletags-tagmodel/3"
OLDEST_FORMAT = 1
MAX_REFERENCE_ROWS = 10_000_000
# name -> dtype of every array a TagModel stores; idf, intercept and offsets are required, the weights in one of
# two layouts (_WEIGHTS), the reference index all or none
_ARRAYS = {"idf": "<f4", "w_data": "<f2", "w_indices": "<i4", "w_indptr": "<i4", "wt_data": "<f2",
           "wt_indices": "<i2", "wt_indptr": "<i4", "intercept": "<f4",
           "offsets": "<f4", "select_margins": "<f4", "ref_own": "<i4", "ref_tags_indptr": "<i4",
           "ref_tags": "<i2", "ref_cites_indptr": "<i4", "ref_cites": "<i4", "nn_columns": "<i4", "nn_indptr": "<i4",
           "nn_indices": "<u2", "nn_values": "|u1", "nn_tags_indptr": "<i4", "nn_tags": "<i2",
           "cb_feature": "<i2", "cb_threshold": "<f8", "cb_value": "<f8", "cb_kinds": "|i1", "cb_prior": "<f4"}
_REQUIRED = ("idf", "intercept", "offsets")
# the weights, by label (L, V) as models were kept before 2026-12-06, or by term (V, L): one of the two, whole
_WEIGHTS = {"w_data": ("w_data", "w_indices", "w_indptr"), "wt_data": ("wt_data", "wt_indices", "wt_indptr")}
_REFERENCE = ("ref_own", "ref_tags_indptr", "ref_tags", "ref_cites_indptr", "ref_cites")
_NEIGHBOURS = ("nn_columns", "nn_indptr", "nn_indices", "nn_values")
_NEIGHBOUR_TAGS = ("nn_tags_indptr", "nn_tags")  # absent when they are the reference index's own


def _layout(doc: dict, declared: dict) -> ArrayLayout:
    """A TagModel's document read and checked (labels, vocabulary, settings, calibration) and the arrays it
    allows, with their shapes from the labels, the vocabulary and the settings. Raises ValueError (storage says
    "corrupt model") or ModelError."""
    labels = strings(doc.get("labels"), "labels")
    vocabulary = strings(doc.get("vocabulary"), "vocabulary terms")
    L, V = len(labels), len(vocabulary)
    if doc.get("shape") != [L, V] or not L:
        raise ValueError("shape disagrees with the labels and vocabulary")
    settings = doc.get("settings")
    if not isinstance(settings, dict):
        raise ValueError("settings must be a mapping")
    settings = dict(settings)
    # one selection rule: models of the older per-tag rule need retraining
    if settings.pop("selection", "global") != "global" or doc.get("select_score") is None:
        raise ModelError("saved with the retired per-tag selection rule; retrain it")
    settings.setdefault("nb_scaling", 0.0)  # models saved before naive Bayes scaling
    settings = ModelSettings(**settings)
    cal = Calibration(scale=number(doc.get("scale"), "scale", 1e-6, 1e6),
                      select_score=number(doc.get("select_score"), "select_score", 0.0, 1.0))
    posts = doc.get("reference_posts")
    if posts is not None:
        posts = strings(posts, "reference posts")
        rw = doc.get("ref_weights") or [0.0, 0.0]
        if not isinstance(rw, list) or len(rw) != 2:
            raise ValueError("ref_weights must be two numbers")
        cal.ref_weights = (number(rw[0], "ref_weights", -1e3, 1e3), number(rw[1], "ref_weights", -1e3, 1e3))
    nn = doc.get("neighbours")
    if nn is not None:  # models saved before issue 28 have none
        if not isinstance(nn, dict):
            raise ValueError("neighbours must be a mapping")
        nn = {"k": int(number(nn.get("k"), "neighbours k", 1, 1000)),
              "power": number(nn.get("power"), "neighbours power", 1e-6, 20)}
        cal.nn_weight = number(doc["neighbours"].get("weight"), "neighbours weight", 0.0, 1e3)
        if doc["neighbours"].get("count_floor") is not None:  # models saved before the count rule have none
            cal.count_floor = number(doc["neighbours"]["count_floor"], "neighbours count_floor", 0.0, 1.0)
    if doc.get("origin_score") is not None:  # models saved before the origin rule have none
        cal.origin_score = number(doc["origin_score"], "origin_score", 0.0, 1.0)
    if (nn is not None) != ("nn_indptr" in declared):
        raise ValueError("the neighbours entry and the neighbour arrays disagree")
    combiner = doc.get("combiner")  # models saved before the combiner have none
    if (combiner is not None) != ("cb_value" in declared):
        raise ValueError("the combiner entry and the combiner arrays disagree")
    # a whole-cable model with its header block keeps the weights of two fits
    version = int(str(doc.get("format")).rpartition("/")[2])  # load_folder checked it is a number it reads
    shapes = _expected_shapes(declared, L, V, settings.keep_weights * (2 if settings.header_weight else 1), version)
    required = _REQUIRED + _WEIGHTS["wt_data" if "wt_data" in declared else "w_data"] \
        + (_REFERENCE if "ref_own" in declared else ())
    if nn is not None:
        required += _NEIGHBOURS + (_NEIGHBOUR_TAGS if "nn_tags" in declared or "ref_own" not in declared else ())
    if combiner is not None:
        combined = Combiner.shapes(combiner, L)
        shapes.update(combined)
        required += tuple(combined)
    info = doc.get("info") if isinstance(doc.get("info"), dict) else {}
    return ArrayLayout({n: _ARRAYS[n] for n in shapes}, shapes, required,
                       {"labels": labels, "vocabulary": vocabulary, "settings": settings, "calibration": cal,
                        "posts": posts, "neighbours": nn, "combiner": combiner, "info": info})


def _expected_shapes(declared: dict, L: int, V: int, keep: int, version: int) -> dict:
    """name -> shape every array must have, from the labels, vocabulary and settings; the data arrays'
    and the reference index's sizes come from the manifest but are bounded."""
    if ("w_data" in declared) == ("wt_data" in declared):
        raise ValueError("the weights must be stored once, by label (w_*) or by term (wt_*)")
    if "wt_data" in declared and version == 1:
        raise ValueError("weights by term (wt_*) in a model of format 1, which keeps them by label")
    by_term = "wt_data" in declared
    nnz = declared["wt_data" if by_term else "w_data"].get("shape", [None])[0]
    if not isinstance(nnz, int) or not 0 <= nnz <= L * min(V, keep):
        raise ValueError(f"weights declared as {nnz!r} values; at most {L} x {min(V, keep)}")
    exp = {"idf": (V,), "intercept": (L,), "offsets": (L,), "select_margins": (L,)}
    if by_term:
        exp.update(wt_data=(nnz,), wt_indices=(nnz,), wt_indptr=(V + 1,))
    else:
        exp.update(w_data=(nnz,), w_indices=(nnz,), w_indptr=(L + 1,))
    if "ref_own" in declared:
        dims = [declared.get(k, {}).get("shape") or [None] for k in ("ref_own", "ref_tags", "ref_cites")]
        n, k, m = dims[0][0], dims[1][0], dims[2][0]
        if not all(isinstance(v, int) and v >= 0 for v in (n, k, m)) or n > MAX_REFERENCE_ROWS \
                or k > n * L or m > 1000 * n:
            raise ValueError("reference index sizes out of bounds")
        exp.update(ref_own=(n, 3), ref_tags_indptr=(n + 1,), ref_tags=(k,), ref_cites_indptr=(n + 1,),
                   ref_cites=(m, 3))
    if "nn_indptr" in declared:
        dims = [(declared.get(k, {}).get("shape") or [None])[0] for k in ("nn_columns", "nn_indptr", "nn_indices")]
        dims.append((declared.get("nn_tags", {}).get("shape") or [0])[0])
        u, n1, nnz, k = dims
        if not all(isinstance(v, int) and v >= 0 for v in dims) or not 1 <= n1 <= MAX_REFERENCE_ROWS + 1 \
                or u > min(V, 65536) or nnz > (n1 - 1) * 1000 or k > (n1 - 1) * L:
            raise ValueError("neighbour index sizes out of bounds")
        exp.update(nn_columns=(u,), nn_indptr=(n1,), nn_indices=(nnz,), nn_values=(nnz,), nn_tags_indptr=(n1,),
                   nn_tags=(k,))
    return exp


def _check_values(a: dict, L: int, V: int, d) -> None:
    by_term = "wt_data" in a
    w = "wt_" if by_term else "w_"
    for name in ("idf", w + "data", "intercept", "offsets"):
        if not np.all(np.isfinite(a[name])):
            raise ModelError(f"{d}: array {name} holds values that are not finite numbers")
    ptr, idx = a[w + "indptr"].astype(np.int64), a[w + "indices"]
    if ptr[0] != 0 or ptr[-1] != len(idx) or np.any(np.diff(ptr) < 0):
        raise ModelError(f"{d}: weight row pointers are not monotone from 0 to {len(idx)}")
    bound, what = (L, f"the {L} labels") if by_term else (V, f"the vocabulary of {V} terms")
    if len(idx) and (idx.min() < 0 or idx.max() >= bound):
        raise ModelError(f"{d}: weight indices outside {what}")
    if np.any(a["idf"] <= 0):
        raise ModelError(f"{d}: idf values must be positive")


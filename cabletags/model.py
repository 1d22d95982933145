"""TagModel: TF-IDF + one-vs-rest linear SVMs with tuned offsets and threshold, saved without pickle.

Each tag's SVM is fitted on the TF-IDF features scaled by |r|^nb_scaling, where r is the tag's naive
Bayes log-count ratio (how much more often a term occurs in cables with the tag than without): the
NBSVM of Wang & Manning (2012). Terms that tell the tag apart are penalised less by the regulariser;
the fitted weights are multiplied back by the same scale, so the saved model is a plain linear model
over the TF-IDF features and scoring does not change.

Scores: for tag j, the SVM margin m_j(x) = w_j . tfidf(x) + b_j is shifted by a per-tag offset t_j
(tuned for F1 on a validation split) and squashed: p_j = sigmoid(a * (m_j - t_j)). Ranking by p is
ranking by the shifted margin, which puts tags on a common scale. The selected set is every tag whose
score reaches one threshold tuned for micro-F1 on the validation split, so it is always a prefix of the
ranking (and the best tag of a text is always selected); ``selection="per_tag"`` keeps the older rule,
each tag's own F1-optimal margin.

With ids at fit time, the model also keeps a reference index (cabletags.references): the tags of the
training cables a text cites, and of those citing the same references, are added to the margins with two
weights tuned on the validation split (``ref_weights``), for the ranking and the selected set alike.

Persistence is data only: ``model.json`` (settings, labels, vocabulary) and ``arrays.npz`` (idf,
weights, offsets) read with ``allow_pickle=False``, so loading a model file cannot run code. The
weights are pruned to the largest ``keep_weights`` per tag (most of a linear SVM's weights are tiny),
and terms that no tag uses are dropped, which keeps the model small.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .evaluation import f1_at_5
from .features import TOKEN_PATTERN, strip_boilerplate
from .references import ReferenceIndex

__all__ = ["TagModel", "ModelSettings", "ModelError", "MODEL_FORMAT"]

MODEL_FORMAT = "cabletags-tagmodel/1"


class ModelError(Exception):
    """A model directory that is missing, corrupt, tampered with or of another format."""


@dataclass
class ModelSettings:
    """Hyperparameters (defaults are the ones chosen by scripts/hyperparam_search.py)."""

    C: float = 0.5                 # SVM regularisation (larger: fits the training tags more closely)
    ngram_max: int = 2             # word n-grams 1..ngram_max
    min_df: int = 5                # a term must occur in >= min_df training cables (privacy floor: 5)
    max_features: int = 300_000    # vocabulary cap before pruning
    max_chars: int = 0             # 0: whole text; else only the first max_chars characters
    keep_weights: int = 20_000     # non-zero weights kept per tag
    threshold_shrink: float = 0.5  # offset t_j = shrink * F1-optimal margin threshold on validation
    class_weight: str | None = None
    # per-tag feature scaling |r|^nb_scaling by the naive Bayes log-count ratio r (0: plain SVM); 0.5 was best
    # of {0, 0.5, 1} in scripts/results/nb_scaling_search.json
    nb_scaling: float = 0.5
    # the selected set: "global" = every tag whose ranking score reaches one threshold, tuned for micro-F1 on
    # the validation split (a prefix of the ranking); "per_tag" = each tag's own F1-optimal margin threshold
    # (it overfits rare tags: lower micro-F1 on held-out cables, scripts/selection_rules.py)
    selection: str = "global"
    # ranking of short texts (paragraphs): the SVM biases were fitted on whole cables and dominate the few
    # terms of a paragraph, so below short_text_chars the bias is scaled by short_intercept_scale for the
    # ranking scores (how many tags are selected is still decided on the plain margins)
    short_text_chars: int = 1500
    short_intercept_scale: float = 0.7
    # keep the reference index (tags of cited and co-citing training cables) when fit() is given ids
    references: bool = True

    def __post_init__(self):
        if self.selection not in ("global", "per_tag"):
            raise ValueError(f"selection must be 'global' or 'per_tag', not {self.selection!r}")
        if not 0 <= self.nb_scaling <= 2:
            raise ValueError(f"nb_scaling must be in [0, 2], not {self.nb_scaling!r}")
        if self.min_df < 5:
            raise ValueError("min_df must be >= 5 (privacy: no term seen in fewer than 5 cables)")


def nb_scale(present: sp.csr_matrix, df: np.ndarray, y: np.ndarray, power: float,
             alpha: float = 1.0) -> np.ndarray | None:
    """(V,) feature scale |r|^power for one tag, or None when power is 0.

    present: (n, V) 0/1 term presence; df: (V,) its column sums; y: (n,) 0/1 tag. r is the log ratio of
    the term's smoothed share among texts with the tag to its share among texts without it.
    """
    if not power:
        return None
    pos = np.asarray(present.T @ y.astype(np.float64)).ravel()
    p = alpha + pos
    q = alpha + df - pos
    r = np.log(p / p.sum()) - np.log(q / q.sum())
    return (np.abs(r) ** power).astype(np.float32)


def f1_thresholds(M: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """(L,) per-tag margin thresholds maximising each tag's F1 on (n, L) margins M and 0/1 labels Y
    (midway between the last margin kept and the next; 0 for a tag with no positive)."""
    thr = np.zeros(M.shape[1], dtype=np.float32)
    for j in range(M.shape[1]):
        y = Y[:, j]
        if y.sum() == 0:
            continue
        o = np.argsort(-M[:, j], kind="stable")
        ss, yy = M[o, j], y[o]
        f1 = 2 * np.cumsum(yy) / (np.arange(1, len(yy) + 1) + y.sum())
        k = int(np.argmax(f1))
        thr[j] = (ss[k] + ss[min(k + 1, len(ss) - 1)]) / 2
    return thr


@dataclass
class TagModel:
    """Multi-label tag classifier.

    fit(texts, label_sets, labels): texts is a list of n strings, label_sets n iterables of tags,
    labels the L tags to learn (the label space). decision_function -> (n, L) margins;
    predict_proba -> (n, L) scores in [0, 1]; tune(texts, label_sets) sets offsets and the scale.
    """

    settings: ModelSettings = field(default_factory=ModelSettings)
    labels: list[str] = field(default_factory=list)
    vocabulary: list[str] = field(default_factory=list)
    idf: np.ndarray | None = None
    weights: sp.csr_matrix | None = None      # (L, V)
    intercept: np.ndarray | None = None        # (L,)
    offsets: np.ndarray | None = None          # (L,) ranking offsets t_j
    select_margins: np.ndarray | None = None   # (L,) per-tag F1-optimal margins (selection="per_tag")
    select_score: float | None = None          # score threshold of the selected set (selection="global")
    scale: float = 1.0
    references: ReferenceIndex | None = None
    ref_weights: tuple[float, float] = (0.0, 0.0)  # added to the margins: cited, co-citing tag shares
    info: dict = field(default_factory=dict)
    _vectorizer: object = field(default=None, repr=False)

    # --- fitting ---------------------------------------------------------------------------------
    def _prepare(self, texts):
        n = self.settings.max_chars
        return [strip_boilerplate(t[:n] if n else t) if t else "" for t in texts]

    def _make_vectorizer(self, vocabulary=None):
        from sklearn.feature_extraction.text import TfidfVectorizer

        s = self.settings
        return TfidfVectorizer(sublinear_tf=True, ngram_range=(1, s.ngram_max), min_df=s.min_df,
                               max_features=s.max_features, token_pattern=TOKEN_PATTERN, dtype=np.float32,
                               vocabulary=vocabulary)

    def fit(self, texts, label_sets, labels, n_jobs: int = 2, progress=None, ids=None) -> "TagModel":
        """Fit on n texts with their label sets; `ids` (n cable ids, optional) build the reference index."""
        from sklearn.svm import LinearSVC
        from joblib import Parallel, delayed

        if len(texts) != len(label_sets):
            raise ValueError(f"{len(texts)} texts but {len(label_sets)} label sets")
        if ids is not None and len(ids) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(ids)} ids")
        if not labels:
            raise ValueError("empty label space")
        t0 = time.perf_counter()
        self.labels = list(labels)
        Y = self.label_matrix(label_sets)
        vec = self._make_vectorizer()
        # float64 once: liblinear works in float64, and LinearSVC would otherwise convert a float32 X
        # again for every tag (with the in-place scaling below, each tag's fit is 12-15% faster)
        X = vec.fit_transform(self._prepare(texts)).astype(np.float64)
        X.sort_indices()
        if progress:
            progress(f"vectorized {X.shape[0]} texts, {X.shape[1]} terms")
        s = self.settings
        present = df = None
        if s.nb_scaling:  # naive Bayes counts are document counts: in how many texts a term occurs
            present = X.copy()
            present.data[:] = 1
            df = np.asarray(present.sum(axis=0), dtype=np.float64).ravel()

        def fit_one(j):
            y = Y[:, j]
            if y.min() == y.max():  # a tag on every / no training text: constant margin
                return np.zeros(X.shape[1], dtype=np.float32), 1.0 if y[0] else -1.0
            scale = nb_scale(present, df, y, s.nb_scaling)
            Xj = X
            if scale is not None:  # scaling the stored values in place is 10x faster than X.multiply(scale)
                Xj = X.copy()
                Xj.data *= scale[Xj.indices]
            clf = LinearSVC(C=s.C, class_weight=s.class_weight, random_state=0)
            clf.fit(Xj, y)
            w = clf.coef_[0] if scale is None else clf.coef_[0] * scale
            return w.astype(np.float32), float(clf.intercept_[0])

        results = Parallel(n_jobs=n_jobs)(delayed(fit_one)(j) for j in range(len(self.labels)))
        rows, cols, vals = [], [], []
        for j, (w, _) in enumerate(results):
            keep = np.argsort(-np.abs(w))[: s.keep_weights]
            keep = keep[w[keep] != 0]
            rows.append(np.full(len(keep), j)); cols.append(keep); vals.append(w[keep])
        rows, cols, vals = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
        used = np.unique(cols)  # drop terms no tag uses
        remap = -np.ones(X.shape[1], dtype=np.int64)
        remap[used] = np.arange(len(used))
        terms = vec.get_feature_names_out()
        self.vocabulary = [str(t) for t in terms[used]]
        self.idf = vec.idf_[used].astype(np.float32)
        self.weights = sp.csr_matrix((vals, (rows, remap[cols])), shape=(len(self.labels), len(used)),
                                     dtype=np.float32)
        self.intercept = np.array([b for _, b in results], dtype=np.float32)
        self.offsets = np.zeros(len(self.labels), dtype=np.float32)
        self.references = ReferenceIndex.build(ids, texts, Y) if ids is not None and s.references else None
        self._vectorizer = None
        self.info.update(train_texts=len(texts), fit_seconds=round(time.perf_counter() - t0, 1),
                         terms_before_pruning=int(X.shape[1]))
        return self

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
    def vectorizer(self):
        if self._vectorizer is None:
            if self.idf is None:
                raise ModelError("model is not fitted")
            vec = self._make_vectorizer({t: i for i, t in enumerate(self.vocabulary)})
            vec.idf_ = self.idf  # a fixed vocabulary with the fitted idf: no refit needed
            self._vectorizer = vec
        return self._vectorizer

    def transform(self, texts) -> sp.csr_matrix:
        return self.vectorizer.transform(self._prepare(texts))

    def decision_function(self, texts) -> np.ndarray:
        """(n, L) SVM margins."""
        X = self.transform(texts)
        return np.asarray((X @ self.weights.T).toarray(), dtype=np.float32) + self.intercept

    def reference_features(self, texts, ids=None) -> tuple[np.ndarray, np.ndarray] | None:
        """(cited, cociting) tag shares from the reference index, each (n, L); None without an index.
        `ids` (optional, one per text) leave a text's own cable out of the index."""
        return None if self.references is None else self.references.features(list(texts), ids)

    def reference_term(self, texts, ids=None) -> np.ndarray | float:
        """(n, L) what the reference index adds to the margins (0.0 without an index or weights)."""
        if self.references is None or not any(self.ref_weights):
            return 0.0
        A, B = self.reference_features(texts, ids)
        return self.ref_weights[0] * A + self.ref_weights[1] * B

    def predict(self, texts, ids=None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, selected): (n, L) ranking scores in [0, 1] and (n, L) booleans of the selected set.
        `ids` (optional, one per text) only keep a text's own cable out of the reference index."""
        texts = list(texts)
        if ids is not None and len(ids) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(ids)} ids")
        X = self.transform(texts)
        WX = np.asarray((X @ self.weights.T).toarray(), dtype=np.float32)
        R = self.reference_term(texts, ids=ids)
        plain = WX + self.intercept + R
        s = self.settings
        short = np.array([len(t or "") < s.short_text_chars for t in texts])
        rank = plain if not short.any() else (
            WX + np.where(short, s.short_intercept_scale, 1.0)[:, None] * self.intercept + R)
        P = self.scores_from_margins(rank)
        return P, self.selected(plain, P)

    def selected(self, plain: np.ndarray, P: np.ndarray) -> np.ndarray:
        """(n, L) booleans of the selected set, from the plain margins and the ranking scores P."""
        if self.settings.selection == "global" and self.select_score is not None:
            # how many tags pass the threshold is decided on the plain margins (what the threshold was
            # tuned on); the selected tags are then the top of the ranking, so the set is always its prefix
            k = (self.scores_from_margins(plain) >= self.select_score).sum(axis=1)
            ranks = np.argsort(np.argsort(-P, axis=1, kind="stable"), axis=1, kind="stable")
            S = ranks < k[:, None]
        elif self.select_margins is not None:
            S = plain >= self.select_margins
        else:
            S = P > 0.5
        if P.shape[1]:
            none = ~S.any(axis=1)
            S[none, P[none].argmax(axis=1)] = True
        return S

    def predict_proba(self, texts, ids=None) -> np.ndarray:
        """(n, L) ranking scores in [0, 1] (predict() also gives the selected set)."""
        return self.predict(texts, ids)[0]

    def scores_from_margins(self, M: np.ndarray) -> np.ndarray:
        z = np.clip(self.scale * (M - self.offsets), -30, 30)
        return 1.0 / (1.0 + np.exp(-z))

    @property
    def score_thresholds(self) -> np.ndarray:
        """(L,) per-tag score thresholds: a tag is selected when its score reaches its threshold."""
        if self.settings.selection == "global" and self.select_score is not None:
            return np.full(len(self.labels), self.select_score, dtype=np.float32)
        if self.select_margins is None:
            return np.full(len(self.labels), 0.5, dtype=np.float32)
        return self.scores_from_margins(self.select_margins[None, :])[0]

    def select(self, P: np.ndarray) -> np.ndarray:
        """(n, L) booleans: the selected set; every text with any score gets at least its best tag."""
        S = P >= self.score_thresholds
        if P.shape[1]:
            none = ~S.any(axis=1)
            S[none, P[none].argmax(axis=1)] = True
        return S

    REF_WEIGHT_GRID = (0.0, 0.25, 0.5, 0.75, 1.0)

    def tune(self, texts, label_sets, margins: np.ndarray | None = None) -> dict:
        """Tune on validation data: the reference weights (when the model has a reference index; the pair
        of REF_WEIGHT_GRID with the best F1@5), per-tag F1-optimal margin thresholds, ranking offsets
        (those thresholds shrunk toward the SVM's own 0 by threshold_shrink), the score scale, and the
        selected set's score threshold (one for all tags, maximising micro-F1).

        margins: (n, L) decision_function(texts), when already computed. The reference weights need the
        texts (texts=None with margins tunes the rest and leaves the weights at 0)."""
        M = self.decision_function(texts) if margins is None else margins
        Y = self.label_matrix(label_sets)
        shrink = self.settings.threshold_shrink
        self.ref_weights = (0.0, 0.0)
        if self.references is not None and texts is not None:
            A, B = self.reference_features(texts)
            best = (-1.0, (0.0, 0.0))
            for wa in self.REF_WEIGHT_GRID:  # ascending: ties keep the smaller weights
                for wb in self.REF_WEIGHT_GRID:
                    Mw = M + wa * A + wb * B
                    f = f1_at_5(Mw - shrink * f1_thresholds(Mw, Y), Y)
                    if f > best[0] + 1e-9:
                        best = (f, (wa, wb))
            self.ref_weights = best[1]
            M = M + best[1][0] * A + best[1][1] * B
        select = f1_thresholds(M, Y)
        offsets = (shrink * select).astype(np.float32)
        self.offsets = offsets
        self.select_margins = select
        # one scale for all tags (keeps the ranking): maximise the likelihood of the 0/1 labels
        D = (M - offsets).ravel()
        y = Y.ravel()
        best = (np.inf, 1.0)
        for a in np.geomspace(0.3, 30, 60):
            p = 1.0 / (1.0 + np.exp(-np.clip(a * D, -30, 30)))
            ll = -np.mean(y * np.log(p + 1e-9) + (1 - y) * np.log(1 - p + 1e-9))
            best = min(best, (ll, float(a)))
        self.scale = best[1]
        self.select_score = self._micro_f1_threshold(self.scores_from_margins(M), Y)
        return {"offsets_mean": float(offsets.mean()), "scale": self.scale, "select_score": self.select_score,
                "ref_weights": list(self.ref_weights)}

    @staticmethod
    def _micro_f1_threshold(P: np.ndarray, Y: np.ndarray) -> float:
        """The score threshold (0.05..0.95) whose selected sets, best tag always included, have the
        highest micro-F1 against Y (both (n, L)); ties go to the lower threshold."""
        pos = Y > 0
        top = np.zeros(P.shape, dtype=bool)
        if P.shape[1]:
            top[np.arange(P.shape[0]), P.argmax(axis=1)] = True
        best = (-1.0, 0.5)
        for t in np.round(np.arange(0.05, 0.951, 0.01), 2):
            S = (P >= t) | top
            tp = int((S & pos).sum())
            f1 = 2 * tp / (int(S.sum()) + int(pos.sum())) if tp else 0.0
            if f1 > best[0] + 1e-12:
                best = (f1, float(t))
        return best[1]

    # --- persistence -----------------------------------------------------------------------------
    def save(self, directory: str | Path) -> dict:
        """Write model.json + arrays.npz; returns the manifest (with the sha256 of arrays.npz)."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        w = self.weights.tocsr()
        arrays_path = d / "arrays.npz"
        tmp = d / "arrays.tmp.npz"
        refs = self.references.to_arrays() if self.references is not None else {}
        np.savez_compressed(tmp, **refs, idf=self.idf.astype(np.float32), w_data=w.data.astype(np.float16),
                            w_indices=w.indices.astype(np.int32), w_indptr=w.indptr.astype(np.int32),
                            intercept=self.intercept.astype(np.float32), offsets=self.offsets.astype(np.float32),
                            select_margins=(self.select_margins if self.select_margins is not None
                                            else np.zeros(len(self.labels))).astype(np.float32))
        tmp.replace(arrays_path)
        sha = hashlib.sha256(arrays_path.read_bytes()).hexdigest()
        doc = {"format": MODEL_FORMAT, "settings": asdict(self.settings), "labels": self.labels,
               "scale": self.scale, "select_score": self.select_score, "vocabulary": self.vocabulary,
               "shape": [len(self.labels), len(self.vocabulary)], "ref_weights": list(self.ref_weights),
               "reference_posts": self.references.posts if self.references is not None else None,
               "arrays_sha256": sha, "info": self.info}
        tmpj = d / "model.tmp.json"
        tmpj.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        tmpj.replace(d / "model.json")
        return doc

    @classmethod
    def load(cls, directory: str | Path, verify: bool = True) -> "TagModel":
        """Load a saved model. Only JSON and plain arrays are read (never pickle)."""
        d = Path(directory)
        mj, arr = d / "model.json", d / "arrays.npz"
        if not d.is_dir():
            raise ModelError(f"{d}: model directory not found")
        if not mj.is_file() or not arr.is_file():
            raise ModelError(f"{d}: not a cabletags model (needs model.json and arrays.npz)")
        try:
            doc = json.loads(mj.read_text(encoding="utf-8"))
        except (ValueError, OSError) as e:
            raise ModelError(f"{mj}: unreadable model description ({e.__class__.__name__})") from None
        if not isinstance(doc, dict) or doc.get("format") != MODEL_FORMAT:
            got = doc.get("format") if isinstance(doc, dict) else None
            raise ModelError(f"{mj}: model format {got!r} is not {MODEL_FORMAT!r} (retrain or upgrade cabletags)")
        data = arr.read_bytes()
        if verify and hashlib.sha256(data).hexdigest() != doc.get("arrays_sha256"):
            raise ModelError(f"{arr}: sha256 does not match model.json (corrupt or modified file)")
        try:
            import io

            with np.load(io.BytesIO(data), allow_pickle=False) as z:
                a = {k: z[k] for k in z.files}
            L, V = doc["shape"]
            weights = sp.csr_matrix((a["w_data"].astype(np.float32), a["w_indices"], a["w_indptr"]), shape=(L, V))
            settings = dict(doc["settings"])
            settings.setdefault("selection", "per_tag")  # models saved before the global rule existed
            settings.setdefault("nb_scaling", 0.0)       # ... and before naive Bayes scaling
            m = cls(settings=ModelSettings(**settings), labels=list(doc["labels"]),
                    vocabulary=list(doc["vocabulary"]), idf=a["idf"], weights=weights,
                    intercept=a["intercept"], offsets=a["offsets"], select_margins=a["select_margins"],
                    scale=float(doc["scale"]),
                    select_score=None if doc.get("select_score") is None else float(doc["select_score"]),
                    info=doc.get("info", {}))
            if doc.get("reference_posts") is not None:  # models saved before the reference index have none
                m.references = ReferenceIndex.from_arrays([str(p) for p in doc["reference_posts"]], a, L)
                wa, wb = doc.get("ref_weights") or (0.0, 0.0)
                m.ref_weights = (float(wa), float(wb))
        except (KeyError, ValueError, TypeError, OSError) as e:
            raise ModelError(f"{d}: corrupt model ({e.__class__.__name__}: {str(e)[:80]})") from None
        if len(m.labels) != L or len(m.vocabulary) != V or len(m.idf) != V:
            raise ModelError(f"{d}: corrupt model (array sizes disagree with model.json)")
        return m

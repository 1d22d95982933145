"""Suggest TAGS codes for untagged text with the shipped (or any saved) model.

    >>> from cabletags import Suggester
    >>> s = Suggester.load()                      # the shipped model
    >>> s.suggest("Victims of human trafficking ...", limit=5)
    [Suggestion(tag='KTIP', score=0.93, selected=True, ...), ...]
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..cableformat import HEADER_PREFIX
from ..reading import read_cable
from ..reading.parser import Cable, cable_reading
from ..vocabulary.taxonomy import load_taxonomy
from .model import ModelError, TagModel
from .modelfiles import prefetch_of
from .shipped import CABLE_MODEL, DEFAULT_MODEL, shipped_model_dir
from .shipped import trusted_hashes as _trusted_hashes

__all__ = ["Suggestion", "Suggester", "shipped_model_dir", "DEFAULT_MODEL", "CABLE_MODEL"]

@dataclass(frozen=True)
class Suggestion:
    """One suggested tag: its score in [0, 1] and whether it is in the selected (thresholded) set."""

    tag: str
    score: float
    selected: bool
    kind: str = ""
    title: str | None = None

    def to_dict(self) -> dict:
        return {"tag": self.tag, "score": round(float(self.score), 4), "selected": bool(self.selected)}


def round4(a: np.ndarray) -> np.ndarray:
    """round(x, 4) of every element (float64, any shape), in numpy: x * 10**4 to the nearest integer, over 10**4 (the
    float nearest k / 10**4, as round's decimal read back is), a twentieth of round's time; an element whose scaled
    value lies within 1e-6 of a half (where the product's rounding could tip it), of 10**5 or more, or not finite is
    given round's own answer (a test holds the two equal on a quarter of a million values, halves included)."""
    a = np.asarray(a, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):  # NaN and infinities: round's own answer below
        scaled = a * 10000.0
        out = np.rint(scaled) / 10000.0
        # (under 10**5 the product is off by at most 6e-8: only a value that close to a half could tip)
        near = ~((np.abs(scaled - np.floor(scaled) - 0.5) >= 1e-6) & (np.abs(a) < 1e5))
    if near.any():
        flat, src = out.reshape(-1), a.reshape(-1)
        for i in np.flatnonzero(near.reshape(-1)).tolist():
            flat[i] = round(float(src[i]), 4)
    return out


def _with_extra(items: list, scores: list[float], extra, score: float, limit: int) -> list:
    """`items` (ranked, with their `scores`) with `extra` put before the first item scoring under `score` (after the
    others), cut to `limit`."""
    at = next((k for k, x in enumerate(scores) if x < score), len(scores))
    return (items[:at] + [extra] + items[at:])[:limit]


def _load_shipped(name: str, prefetch=None) -> TagModel:
    """A shipped model, its manifest checked against the pin in models/MANIFEST.json first."""
    import hashlib

    d = shipped_model_dir(name)
    want = _trusted_hashes().get(d.name)
    try:
        got = hashlib.sha256((d / "manifest.json").read_bytes()).hexdigest()
    except OSError:
        got = None
    if not want or want != got:
        raise ModelError(f"{d}: shipped model does not match MANIFEST.json (modified installation?)")
    return TagModel.load(d, prefetched=prefetch)


class Suggester:
    """A loaded model plus the taxonomy, for ranked tag suggestions.

    Use ``Suggester.load(path=None)``; ``suggest(text, limit)`` for one text, ``suggest_batch(texts,
    limit)`` for many (vectorized: much faster per text), ``explain(text, tag)`` for the terms behind a tag;
    ``predict(texts)`` and ``rank(row)`` for callers that need the score matrix too.
    """

    def __init__(self, model: TagModel, taxonomy=None, source: str = "", cable_model=None):
        """model: the TagModel for texts (bodies, paragraphs); cable_model: the TagModel for whole cables, or a
        function that loads it on first use (None: `model` reads whole cables too). Both share one label list."""
        self.model = model
        self.taxonomy = taxonomy or load_taxonomy()
        self.source = source
        self._cable = cable_model
        self._meta = [(self.taxonomy.entries[t].kind if t in self.taxonomy.entries else "",
                       self.taxonomy.entries[t].title if t in self.taxonomy.entries else None)
                      for t in model.labels]

    @classmethod
    def load(cls, path: str | Path | None = None, taxonomy=None, cable_path: str | Path | None = None,
             cables_only: bool = False, prefetched: dict | None = None) -> "Suggester":
        """Load a model directory (None: the shipped model). Raises ModelError with a clear message.

        Whole cables (suggest_cable, cable=True) are read by `cable_path`'s model when given; else, with no
        path, by the shipped whole-cable model (loaded on first use); else by the model at `path`.
        cables_only=True: a Suggester for whole cables alone (batches of cables), holding only the model that
        reads them, which then reads everything.
        Model files hold only JSON and plain arrays, every file is checked against the folder's
        manifest.json and every array is validated (cabletags.scoring.storage); the shipped models' manifests are
        themselves pinned by models/MANIFEST.json, so no file of them can be changed.
        prefetched: cabletags.scoring.modelfiles.prefetch_all's {folder: Prefetch} of folders whose reading was started
        earlier (Workspace.suggester starts them before importing this module; shipped.eager_folders names them).
        """
        shipped_cable = path is None and CABLE_MODEL in _trusted_hashes()
        if cables_only and (cable_path is not None or shipped_cable):
            d = Path(cable_path) if cable_path is not None else shipped_model_dir(CABLE_MODEL)
            model = TagModel.load(d, prefetched=prefetch_of(prefetched, d)) if cable_path is not None \
                else _load_shipped(CABLE_MODEL, prefetch_of(prefetched, d))
            return cls(model, taxonomy, str(d))
        if path is None:
            d = shipped_model_dir()
            model = _load_shipped(DEFAULT_MODEL, prefetch_of(prefetched, d))
        else:
            d = Path(path)
            model = TagModel.load(d, prefetched=prefetch_of(prefetched, d))
        if cable_path is not None:
            cable = TagModel.load(cable_path, prefetched=prefetch_of(prefetched, cable_path))
        elif shipped_cable:
            # loaded only when a whole cable is read (with its prefetch, when one was started: only that one is kept)
            pc = prefetch_of(prefetched, shipped_model_dir(CABLE_MODEL))
            cable = lambda: _load_shipped(CABLE_MODEL, pc)  # noqa: E731
        else:
            cable = None
        return cls(model, taxonomy, str(d), cable)

    @property
    def cable_model(self) -> TagModel:
        """The model that reads whole cables (the text model when there is no whole-cable model)."""
        if callable(self._cable):
            self._cable = self._cable()
        m = self._cable if self._cable is not None else self.model
        if m.labels != self.model.labels:
            raise ModelError("the whole-cable model's labels differ from the text model's: train both on one corpus")
        return m

    @property
    def labels(self) -> list[str]:
        return self.model.labels

    def predict(self, texts: list[str], ids=None, cable: bool = False,
                threshold: float | None = None, origins=None) -> tuple[np.ndarray, np.ndarray]:
        """Scores and selected flags for texts; never raises on text (non-strings count as empty).

        Parameters
        ----------
        texts : list of str, length n
        ids : list or None, length n, default None
            Cable ids; they only keep a text that is itself one of the model's training cables from finding
            itself in the reference index (ids are never used as features).
        cable : bool, default False
            The texts are whole cables as cable_text() reads them: scored by the whole-cable model.
        threshold : float in [0, 1] or None, default None
            Select the tags scoring at least this (None: the model's calibrated rule). A text with no term the
            model knows selects nothing either way (no evidence).
        origins : list of str or None, length n, default None
            With cable=True: each cable's origin country (cabletags.reading.Cable.origin_country, None when
            unknown); a label among them scores at least the whole-cable model's origin score
            (cabletags.scoring.origin; models without one: no change). origin_suggestion() gives one outside the
            label space.

        Returns
        -------
        scores : ndarray of shape (n, L), in [0, 1]
        selected : ndarray of shape (n, L), bool
        """
        texts = [t if isinstance(t, str) else "" for t in texts]
        if not texts:
            z = np.zeros((0, len(self.labels)), dtype=np.float32)
            return z, z.astype(bool)
        model = self.cable_model if cable else self.model
        return model.predict(texts, None if ids is None else [None if i is None else str(i) for i in ids], threshold,
                             origins if cable else None)

    @staticmethod
    def _select_at(model, threshold):
        return model.select_score if threshold is None else threshold

    def origin_suggestion(self, origin: str | None, evidence: bool = True,
                          threshold: float | None = None) -> Suggestion | None:
        """A whole cable's origin country when the label space lacks it (a country of too few training cables), as a
        Suggestion scored by the whole-cable model's origin score, for rank(extra=); None otherwise. evidence: whether
        the cable selects anything (a cable without evidence selects nothing)."""
        from .origin import origin_row

        if not origin:  # bodies and paragraphs have none: the whole-cable model is not even loaded for them
            return None
        model = self.cable_model
        row = origin_row(origin, self._label_index, model.calibration.origin_score, self._select_at(model, threshold),
                         evidence)
        if row is None or row[0] not in self.taxonomy.entries:
            return None
        e = self.taxonomy.entries[row[0]]
        return Suggestion(row[0], row[1], row[2], e.kind, e.title)

    @property
    def _label_index(self) -> dict:
        if "_labels_at" not in self.__dict__:
            self.__dict__["_labels_at"] = {t: j for j, t in enumerate(self.labels)}
        return self.__dict__["_labels_at"]

    def scores(self, texts: list[str], ids=None, cable: bool = False) -> np.ndarray:
        """(n, L) scores in [0, 1] for a list of texts (empty texts get low scores, never an error)."""
        return self.predict(texts, ids, cable)[0]

    def rank(self, p: np.ndarray, limit: int = 10, sel: np.ndarray | None = None, kinds=None,
             extra: Suggestion | None = None) -> list[Suggestion]:
        """Suggestions from one row of predict().

        Parameters
        ----------
        p : ndarray of shape (L,)
            Scores.
        limit : int, default 10
            At most this many suggestions.
        sel : ndarray of shape (L,), bool, or None, default None
            Selected flags (None: the model's selection rule applied to p).
        kinds : iterable of str or None, default None
            Only tags of these kinds (subject, program, geographic, organization): "which program tag applies"
            sees the program tags at the top of their own list. Scores and selected flags are the whole
            ranking's, unchanged; None: every tag.
        extra : Suggestion or None, default None
            A tag outside the label space ranked among the others by its score (a whole cable's origin country:
            origin_suggestion()).

        Returns
        -------
        list of Suggestion
            Best first; ties in label order.
        """
        if sel is None:
            sel = self.model.calibration.select(p[None, :])[0]
        (top, scores, chosen), = self._top(p[None, :], sel[None, :], limit, kinds)
        if not top:  # a limit of 0, or kinds without a label
            return []
        labels, meta = self.labels, self._meta
        out = [Suggestion(labels[j], x, y, *meta[j]) for j, x, y in zip(top, scores, chosen)]
        if extra is not None and (kinds is None or extra.kind in self._kinds(kinds)):
            out = _with_extra(out, scores, extra, extra.score, limit)
        return out

    def ranked_rows(self, P: np.ndarray, S: np.ndarray, limit: int = 10, kinds=None, extras=None) -> list[list[dict]]:
        """[[x.to_dict() for x in rank(p, limit, sel, kinds, extra)] for each row]: the same lists of {tag, score,
        selected}, every row's first labels found at once and no Suggestion made (a batch's output: a third of the
        time). P, S: (n, L) scores and selected flags; extras: None or one Suggestion or None per row."""
        labels, out = self.labels, []
        wanted = None if kinds is None else self._kinds(kinds)
        for i, (top, scores, chosen, shown) in enumerate(self._top(P, S, limit, kinds, rounded=True)):
            row = [{"tag": labels[j], "score": x, "selected": y} for j, x, y in zip(top, shown, chosen)]
            extra = extras[i] if extras is not None and top else None
            if extra is not None and (wanted is None or extra.kind in wanted):
                row = _with_extra(row, scores, extra.to_dict(), extra.score, limit)
            out.append(row)
        return out

    def _top(self, P: np.ndarray, S: np.ndarray, limit: int, kinds, rounded: bool = False) -> list[tuple]:
        """For each row of P (n, L): its first min(limit, labels of `kinds`) labels by score, ties in label order, as
        (label indices, scores as floats, selected flags as bools), and with rounded=True the scores rounded to 4
        places (round4)."""
        n = P.shape[0]
        limit = max(0, int(limit))
        pool = np.arange(P.shape[1]) if kinds is None else self.kind_indices(kinds)
        k = min(limit, len(pool))
        if not k or not n:
            return [([], [], [], []) if rounded else ([], [], [])] * n
        if k < len(pool):
            top = pool[np.argpartition(-P[:, pool], k - 1, axis=1)[:, :k]]
        else:
            top = np.broadcast_to(pool, (n, len(pool)))
        scores = np.take_along_axis(P, top, axis=1)
        order = np.lexsort((top, -scores), axis=1)  # score desc, then label order: deterministic
        top, scores = np.take_along_axis(top, order, axis=1), np.take_along_axis(scores, order, axis=1)
        chosen = np.take_along_axis(S, top, axis=1).astype(bool)
        scores = scores.astype(np.float64)
        if rounded:
            return list(zip(top.tolist(), scores.tolist(), chosen.tolist(), round4(scores).tolist()))
        return list(zip(top.tolist(), scores.tolist(), chosen.tolist()))

    @staticmethod
    def _kinds(kinds) -> frozenset:
        """A kind or an iterable of kinds, as one set."""
        return frozenset({kinds} if isinstance(kinds, str) else kinds)

    def kind_indices(self, kinds) -> np.ndarray:
        """(m,) label indices of the model's tags of the given kinds (a kind or an iterable of them), in label
        order; ValueError (one line) naming an unknown kind."""
        from ..vocabulary.taxonomy import KINDS

        kinds = self._kinds(kinds)
        cache = self.__dict__.setdefault("_kind_indices", {})  # one lookup per set of kinds, not per text
        if kinds not in cache:
            unknown = sorted(kinds - set(KINDS))
            if unknown:
                raise ValueError(f"unknown tag kind {unknown[0]!r}: one of {', '.join(KINDS)}")
            cache[kinds] = np.array([j for j, (kind, *_) in enumerate(self._meta) if kind in kinds], dtype=np.int64)
        return cache[kinds]

    def suggest(self, text: str, limit: int = 10, threshold: float | None = None, kinds=None) -> list[Suggestion]:
        """Ranked suggestions for one text, best first, at most `limit` (threshold: as in predict(); kinds: as in
        rank())."""
        if kinds is not None:
            self.kind_indices(kinds)  # an unknown kind is refused before any scoring
        P, S = self.predict([text], threshold=threshold)
        return self.rank(P[0], limit, S[0], kinds)

    def suggest_batch(self, texts: list[str], limit: int = 10, batch_size: int = 512,
                      ids=None, cable: bool = False, threshold: float | None = None,
                      kinds=None) -> list[list[Suggestion]]:
        """suggest() for many texts, vectorized in batches of `batch_size` (ids, cable, threshold: as in
        predict(); kinds: as in rank())."""
        if kinds is not None:
            self.kind_indices(kinds)
        out: list[list[Suggestion]] = []
        for i in range(0, len(texts), batch_size):
            P, S = self.predict(list(texts[i:i + batch_size]), None if ids is None else list(ids[i:i + batch_size]),
                                cable, threshold)
            out.extend(self.rank(p, limit, sel, kinds) for p, sel in zip(P, S))
        return out

    def suggest_many(self, texts, limit: int = 10, batch_size: int = 256,
                     threshold: float | None = None, kinds=None):
        """suggest() for each item of an iterable, lazily and in order (batches of `batch_size` are scored at
        once): one list per item, an empty text's (None, NaN, "") selecting nothing, never a dropped item."""
        from ..vocabulary.normalizer import _missing

        batch: list[str] = []
        for t in texts:
            batch.append("" if t is None or _missing(t) or not isinstance(t, str) else t)
            if len(batch) == batch_size:
                yield from self.suggest_batch(batch, limit, batch_size, threshold=threshold, kinds=kinds)
                batch = []
        if batch:
            yield from self.suggest_batch(batch, limit, batch_size, threshold=threshold, kinds=kinds)

    def cable_text(self, text):
        """(Cable, the text the whole-cable model reads) of a cable given as text or as a Cable already read
        (cabletags.reading.read_cable): its header (addressees, SUBJECT, REF lines) and
        body, without its TAGS field (what is being checked) nor its own reference id and serial (the reference
        index would read them as a citation of itself); for a model trained on whole cables, with its header
        weighted as in training (cabletags.reading.parser.cable_reading). Measured on held-out whole cables, the header
        and unnumbered text read better than the numbered paragraphs alone (docs/benchmarks.md)."""
        p = text if isinstance(text, Cable) else read_cable(text if isinstance(text, str) else "", self.taxonomy)
        if not p.reading_text.strip():
            return p, p.body if isinstance(text, Cable) else text
        s = self.cable_model.settings
        return p, (cable_reading(p, s.header_weight > 0) if s.reading == "cable" else p.reading_text)

    def paragraphs(self, text: str):
        """The paragraphs of a text worth scoring one by one: a whole cable's own numbered paragraphs (never
        its header), else the text's numbered paragraphs or its prose blocks (never routing or header lines)."""
        from ..cableformat import prose_paragraphs
        from ..reading.parser import Cable, find_tags_line

        if isinstance(text, Cable):
            return text.paragraphs
        if find_tags_line(text)[0] is not None:
            return self.cable_text(text)[0].paragraphs
        return prose_paragraphs(text)

    def suggest_cable(self, text, limit: int = 10, explain: bool = False, threshold: float | None = None,
                      kinds=None) -> dict:
        """Suggestions for a whole cable, beside its own tags: the cable's paragraphs (with its REF line, so
        the reference index reads the cables it cites; the header is left out, as its own serial would read
        as a reference) ranked as one text, and each paragraph on its own (at most 5 tags each).

        Returns reference_id, subject, own_tags, whole [{tag, score, selected, own}], own_below (own tags
        ranked below the list: [{tag, rank, score}]), suggested_but_absent
        (selected tags not on the TAGS line), present_but_unsupported (own tags scored under 0.1),
        not_in_model (own tags outside the label space), paragraphs [{number, tags}]. explain=True adds
        `because` (the terms and cited cables behind each tag, as explain() gives them) to the whole ranking.
        kinds (as in rank()): the whole ranking and each paragraph's list hold only tags of those kinds; the cable's
        own tags are still checked against the whole ranking.
        """
        return self.suggest_cables([text], limit, explain, threshold, kinds)[0]

    def suggest_cables(self, texts, limit: int = 10, explain: bool = False, threshold: float | None = None,
                       kinds=None) -> list[dict]:
        """suggest_cable() for many cables (texts or Cables) at once, in order: their whole texts scored as one batch
        and all their paragraphs as another (row by row the same numbers as one cable at a time)."""
        if kinds is not None:
            self.kind_indices(kinds)
        read = [self.cable_text(t) for t in texts]
        if not read:
            return []
        P, S = self.predict([w for _, w in read], [p.reference_id for p, _ in read], cable=True, threshold=threshold,
                            origins=[p.origin_country for p, _ in read])
        paras = [[q for q in p.paragraphs if q.text.strip()] for p, _ in read]
        flat = [q.text for ps in paras for q in ps]
        per_all = self.suggest_batch(flat, min(limit, 5), threshold=threshold, kinds=kinds) if flat else []
        out, at = [], 0
        for (p, whole_text), row, sel, ps in zip(read, P, S, paras):
            out.append(self._cable_result(p, whole_text, row, sel, ps, per_all[at:at + len(ps)], limit, explain,
                                          threshold, kinds))
            at += len(ps)
        return out

    def _cable_result(self, p, whole_text, row, sel, paras, per, limit, explain, threshold, kinds) -> dict:
        """suggest_cable()'s result for one cable read as `p` (whose whole text scored `row`, selecting `sel`) and its
        paragraphs' rankings `per`."""
        own = set(p.tags.codes)
        extra = self.origin_suggestion(p.origin_country, bool(sel.any()), threshold)
        whole = self.rank(row, limit, sel, kinds, extra)
        scores = dict(zip(self.labels, row), **({extra.tag: extra.score} if extra is not None else {}))
        # ranks among the tags shown (those of `kinds`, when given): an own tag of another kind is not "below"
        pool = np.arange(len(row)) if kinds is None else self.kind_indices(kinds)
        order = {self.labels[j]: r for r, j in enumerate(pool[np.lexsort((pool, -row[pool]))], 1)}
        if extra is not None and (kinds is None or extra.kind in self._kinds(kinds)):  # ranked by its score
            order = {t: r + int(scores[t] < extra.score) for t, r in order.items()}
            order[extra.tag] = 1 + sum(int(scores[t] >= extra.score) for t in order)
        listed = {x.tag for x in whole}
        reasons = self.explain_many(whole_text, [x.tag for x in whole], 6, cable=True) if explain else {}
        origin_score = self.cable_model.calibration.origin_score
        if explain and p.origin_country in listed and origin_score is not None:  # the post speaks for its country
            reasons[p.origin_country] = [(f"sent from {p.origin or p.post}", origin_score)] + \
                reasons.get(p.origin_country, [])[:5]
        return {
            # the cable's own tags that rank below the list: never silently absent
            "own_below": [{"tag": t, "rank": order[t], "score": round(float(scores[t]), 4)}
                          for t in p.tags.codes if t in order and t not in listed],
            "reference_id": p.reference_id, "subject": p.subject, "own_tags": p.tags.codes,
            "no_evidence": not sel.any(),
            "whole": [dict(x.to_dict(), own=x.tag in own,
                           **({"because": [t for t, _ in reasons.get(x.tag, [])]} if explain else {}))
                      for x in whole],
            "suggested_but_absent": [x.tag for x in whole if x.selected and x.tag not in own],
            "present_but_unsupported": [t for t in p.tags.codes if t in scores and scores[t] < 0.1],
            "not_in_model": [t for t in p.tags.codes if t not in scores],
            "paragraphs": [{"number": q.number, "tags": [x.to_dict() for x in sug]} for q, sug in zip(paras, per)],
        }

    def explain(self, text: str, tag: str, k: int = 8, cable: bool = False) -> list[tuple[str, float]]:
        """The k reasons that push `tag` up the most, with what each adds to the margin: words of `text`
        (tf-idf weight x model weight) and, with a reference index, the training cables it cites carrying
        the tag ("cites 06BAKU1835") or citing the same references ("shares references with 06BAKU1835 +2"), and with
        a nearest-cables index the most similar training cables carrying it ("like 07BAKU10 +4": their share of
        the vote times its weight).
        cable=True: `text` is a whole cable as cable_text() reads it, explained by the whole-cable model."""
        return self.explain_many(text, [tag], k, cable).get(tag, [])

    def explain_many(self, text: str, tags, k: int = 8, cable: bool = False) -> dict[str, list[tuple[str, float]]]:
        """explain() for several tags of one text in one pass: the text is read, vectorized and its references
        resolved once, then each tag costs only the product of two sparse rows. A whole cable's header terms are
        shown as the words they are (a word of the header and of the body counts once, with both parts).
        Returns tag -> reasons, for the tags of the model's label space."""
        model = self.cable_model if cable else self.model
        index = {t: j for j, t in enumerate(self.labels)}
        wanted = [(t, index[t]) for t in dict.fromkeys(tags) if t in index]
        if not wanted:
            return {}
        x = model.transform([text or ""]).tocsr()
        # (terms of the text) x (wanted tags): each term's tf-idf times its weight for each tag, in one product
        contrib_all = model.weights_t[x.indices][:, [j for _, j in wanted]].toarray() * x.data[:, None]
        refs, (wa, wb) = model.references, model.calibration.ref_weights
        resolved = refs.resolve(text or "") if refs is not None and (wa or wb) else None
        nn = model.calibration.nn_weight if model.neighbours is not None else 0.0
        near = model.neighbours.nearest(x)[0] if nn else []
        out = {}
        for col, (tag, j) in enumerate(wanted):
            words: dict[str, float] = {}
            for i, v in zip(x.indices, contrib_all[:, col]):
                if v > 0:
                    word = model.vocabulary[i]
                    word = word[len(HEADER_PREFIX):] if word.startswith(HEADER_PREFIX) else word
                    words[word] = words.get(word, 0.0) + float(v)
            contrib = list(words.items())
            if resolved is not None:
                for rows, weight, what in zip(resolved, (wa, wb), ("cites", "shares references with")):
                    carrying = [r for r in rows if j in refs.tags_of(r)]
                    if carrying and weight:
                        more = f" +{len(carrying) - 1}" if len(carrying) > 1 else ""
                        contrib.append((f"{what} {refs.reference_id(carrying[0])}{more}",
                                        float(weight * len(carrying) / len(rows))))
            if near:  # the nearest training cables that carry the tag, as one reason
                carrying = [(r, w) for r, w in near if j in model.neighbours.tags_of(r)]
                if carrying:
                    more = f" +{len(carrying) - 1}" if len(carrying) > 1 else ""
                    name = refs.reference_id(carrying[0][0]) if refs is not None else f"#{carrying[0][0]}"
                    contrib.append((f"like {name}{more}", nn * sum(w for _, w in carrying)))
            out[tag] = sorted(contrib, key=lambda c: -c[1])[:k]
        return out

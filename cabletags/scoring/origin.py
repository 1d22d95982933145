"""The posting post's country on a whole cable: a geographic tag a cable almost always bears.

A cable from a post in one country (taxonomy/posts.yaml: Embassy Kuala Lumpur -> MY) carries that country's code
far more often than its text shows: 92% of the corpus's cables whose text never names the country carry it, 96% of
those that name it five times or more (`python scripts/benchmarks/bench_cable.py`'s posting-post line). The
whole-cable model reads the post's words and mostly ranks the country high, but a country with too few cables for
a label (MY: 19 in the corpus) can never be suggested, and a cable about a neighbour ranks its own country low.
The reader knows the post (cabletags.reading.Cable.origin_country), so a whole cable's ranking holds its origin
country with at least the share of training cables (from posts with a country) that carry it: fitted when the model
is trained (Calibration.origin_score), never a constant. Only whole cables have a post; bodies and paragraphs are
ranked as before, and so are models saved without it.
"""
from __future__ import annotations

import numpy as np

__all__ = ["MIN_CABLES", "fit_origin_score", "raise_origins", "origin_mask", "origin_row"]

# training cables with a known origin country needed before their share is a rate worth using
MIN_CABLES = 50


def fit_origin_score(origins, label_sets) -> float | None:
    """The share of the texts with a known origin country (origins: one code or None per text) whose label set
    holds it; None when fewer than MIN_CABLES texts have one. Rounded to 4 places (what the model file keeps)."""
    pairs = [(o, set(g)) for o, g in zip(origins, label_sets) if o]
    if len(pairs) < MIN_CABLES:
        return None
    return round(sum(o in g for o, g in pairs) / len(pairs), 4)


def raise_origins(P: np.ndarray, S: np.ndarray, origins, labels: list[str], score: float,
                  threshold: float) -> None:
    """In place, for each row i whose origin country is a label j: P[i, j] = max(P[i, j], score), and it is selected
    when score >= threshold and the row selects anything (a text without evidence selects nothing)."""
    mask = origin_mask(origins, labels)
    P[mask] = np.maximum(P[mask], score)
    if score >= threshold:
        S |= mask & S.any(axis=1, keepdims=True)


def origin_mask(origins, labels: list[str]) -> np.ndarray:
    """(n, L) bool: row i true at its origin country's label (none where the country is unknown or no label)."""
    index = {t: j for j, t in enumerate(labels)}
    mask = np.zeros((len(origins), len(labels)), dtype=bool)
    for i, o in enumerate(origins):
        j = index.get(o) if o else None
        if j is not None:
            mask[i, j] = True
    return mask


def origin_row(origin: str | None, labels, score: float | None, threshold: float, evidence: bool):
    """(code, score, selected) of an origin country outside the label space, for a ranking to hold beside the
    model's tags; None when there is no origin, no fitted score, or the code is a label (raise_origins has it)."""
    if not origin or score is None or origin in labels:
        return None
    return origin, float(score), bool(evidence and score >= threshold)

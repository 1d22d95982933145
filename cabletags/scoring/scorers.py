"""The scorer interface: how a signal beside the linear model joins a TagModel (issue 28).

A TagModel's first scorer is its linear part (TF-IDF + one SVM per tag, cabletags.scoring.fitting). Every other
scorer is an index of the training cables that turns a batch of texts into one or more (n, L) matrices over the
model's label space, each joining the margins with a weight of its own:

    margin = linear margin + sum over scorers and their matrices of weight x matrix

The weights are tuned on the validation split (cabletags.scoring.calibration.tune), and one calibration and one
selection rule follow the sum. Two scorers exist: the reference index (cabletags.scoring.references: "cited" and
"cociting", the tags of the cables a text cites and of those sharing its references) and the nearest-cables vote
(cabletags.scoring.neighbours: "nearest"). A scorer is fitted by its own ``build(...)`` from the training cables,
stores itself as plain arrays (``to_arrays``; the model's storage checks and reads them back, never pickle) and
says whether its signal is evidence of the text's own (``evidence``): a cited cable is, a similar cable is not,
for every text has nearest cables ("hello" too), so a model never selects a tag on the vote alone.

Signals measured and not made scorers (their figures: scripts/benchmarks/bench_scorers.py, docs/research.md): a
prior per tag and period from the dates, and the taxonomy's own words (titles, names, the handbook's definitions).
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import scipy.sparse as sp

__all__ = ["Scorer", "weighted_sum"]


@runtime_checkable
class Scorer(Protocol):
    """One signal over a model's L labels.

    names : tuple of str
        The matrices score() returns, in order; each has a weight of its own (Calibration.weights()).
    evidence : bool
        Whether the signal counts as the text's own evidence for a tag (the selection rule's evidence test).
    """

    names: tuple[str, ...]
    evidence: bool

    def score(self, texts: list[str], X: sp.csr_matrix, ids: list | None = None) -> tuple[np.ndarray, ...]:
        """len(names) matrices of shape (n, L), float32, for n texts (X: their (n, V) TF-IDF rows; ids: one cable id
        or None per text, which leaves a text that is itself an indexed cable out of the index)."""

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The scorer as named plain arrays."""


def weighted_sum(scorers, weights: dict[str, float], texts: list[str], X, ids=None,
                 evidence: bool | None = None, kept: dict | None = None) -> np.ndarray | float:
    """sum of weight x matrix over the scorers' matrices (only the scorers whose `evidence` is the one asked, when
    asked); a scorer whose weights are all 0 is not run. 0.0 when nothing is added. kept: a dict that receives each
    matrix run, by its name (the selection rule reads the vote's)."""
    total = 0.0
    for s in scorers:
        if s is None or (evidence is not None and s.evidence != evidence):
            continue
        w = [float(weights.get(n, 0.0)) for n in s.names]
        if not any(w):
            continue
        for name, wk, S in zip(s.names, w, s.score(texts, X, ids)):
            if kept is not None:
                kept[name] = S
            if wk:
                total = total + np.float32(wk) * S
    return total

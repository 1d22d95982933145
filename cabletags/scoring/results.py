"""The one suggestion result: what `suggest --format json`, the Python API, `POST /v1/suggest` and the web page give
for a text or a whole cable, built here and nowhere else, so the same input gives the same JSON on every surface.

A text's result: ``{"tags": [tag, ...], "no_evidence": bool}`` and, when its paragraphs are scored,
``"paragraphs": [{"number", "marking", "text" (its first 200 characters), "tags", "no_evidence"}]``. A tag:
``{"tag", "score", "selected", "kind", "title", "uri"}`` and, with `explain`, ``"because"``: the words of the text
and the cited cables behind it (Suggester.explain_many), at most REASONS of them. A paragraph carries at most
PARAGRAPH_LIMIT tags. A whole cable's result is Suggester.suggest_cable's, its tags described the same way.
"""
from __future__ import annotations

from ..vocabulary.catalog import concept_uri

__all__ = ["text_result", "cable_result", "PARAGRAPH_LIMIT", "REASONS"]

PARAGRAPH_LIMIT = 5  # tags shown per paragraph: a paragraph is about a few things
REASONS = 6  # reasons shown per tag


def _described(s, suggestions, text: str, explain: bool) -> list[dict]:
    reasons = s.explain_many(text, [x.tag for x in suggestions], REASONS) if explain else {}
    out = []
    for x in suggestions:
        d = dict(x.to_dict(), kind=x.kind, title=x.title, uri=concept_uri(x.tag))
        if explain:
            d["because"] = [w for w, _ in reasons.get(x.tag, [])]
        out.append(d)
    return out


def text_result(s, text: str, limit: int = 10, threshold: float | None = None, explain: bool = False,
                paragraphs=None, check=None, kinds=None) -> dict:
    """The result for `text` with the Suggester `s`. paragraphs: the text's paragraphs (cabletags.cableformat
    Paragraph objects) to score each on its own, or None; check(): called between blocks of paragraphs (a
    deadline that raises to stop the work); kinds: only tags of these kinds in each list (Suggester.rank).
    no_evidence is the whole ranking's, whatever the kinds shown."""
    if kinds is not None:
        s.kind_indices(kinds)  # an unknown kind is refused before any scoring
    P, S = s.predict([text], threshold=threshold)
    row = s.rank(P[0], limit, S[0], kinds)
    out = {"tags": _described(s, row, text, explain), "no_evidence": _no_evidence(row, S[0], kinds)}
    if paragraphs is not None:
        out["paragraphs"] = []
        for at in range(0, len(paragraphs), 64):  # in blocks: a caller's deadline is checked between them
            if check is not None:
                check()
            block = paragraphs[at:at + 64]
            P, S = s.predict([p.text for p in block], threshold=threshold)
            rows = [s.rank(pr, min(limit, PARAGRAPH_LIMIT), sel, kinds) for pr, sel in zip(P, S)]
            out["paragraphs"] += [{"number": p.number, "marking": p.marking, "text": p.text[:200],
                                   "tags": _described(s, r, p.text, explain),
                                   "no_evidence": _no_evidence(r, sel, kinds)}
                                  for p, r, sel in zip(block, rows, S)]
    return out


def _no_evidence(row, selected, kinds) -> bool:
    """Whether the text selects no tag: none in its list, or with `kinds`, none of any kind (a list of one kind
    may hold no selected tag while the text selects others)."""
    return not (any(x.selected for x in row) if kinds is None else bool(selected.any()))


def cable_result(s, cable, limit: int = 10, threshold: float | None = None, explain: bool = False,
                 kinds=None) -> dict:
    """The result for a whole cable (text or a Cable): Suggester.suggest_cable, each tag of the whole ranking with
    its kind, title and URI (kinds: only tags of these kinds in its lists)."""
    return cable_results(s, [cable], limit, threshold, explain, kinds)[0]


def cable_results(s, cables, limit: int = 10, threshold: float | None = None, explain: bool = False,
                  kinds=None) -> list[dict]:
    """cable_result() for many cables, scored as batches (Suggester.suggest_cables), in order."""
    out = s.suggest_cables(cables, limit, explain=explain, threshold=threshold, kinds=kinds)
    tax = s.taxonomy
    for d in out:
        for w in d["whole"]:
            e = tax.entries.get(w["tag"])
            w.update(kind=e.kind if e else "", title=e.title if e else None, uri=concept_uri(w["tag"]))
    return out

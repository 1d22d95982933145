"""Audit a tagged corpus: tags the text strongly supports but the TAGS line lacks, and malformed TAGS lines.

    >>> auditor = Auditor(Suggester.load(), min_score=0.8)
    >>> for finding in auditor.audit(records):   # one dict per record, in order
    ...     print(finding["id"], finding["missing"], finding["malformed"])
    >>> auditor.summary                          # cables, flagged, repairs by kind, missing tags
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Iterator

import numpy as np

__all__ = ["Auditor", "AuditSummary"]


@dataclass
class AuditSummary:
    """Counts over the audited records: cables, cables with findings, repairs by kind, missing tags."""

    cables: int = 0
    flagged: int = 0
    repairs: Counter = field(default_factory=Counter)
    missing: Counter = field(default_factory=Counter)


class Auditor:
    """Findings per record: a suggester (the model), the fields to read, and the score from which a tag
    the TAGS line lacks is reported as missing (default 0.8); cable=True when the texts are whole cables as
    Suggester.cable_text reads them (scored by the whole-cable model)."""

    def __init__(self, suggester, min_score: float = 0.8, text_field: str = "body", tags_field: str = "tags",
                 id_field: str = "id", batch_size: int = 512, cable: bool = False):
        from ..vocabulary.normalizer import get_normalizer

        self.s = suggester
        self.norm = get_normalizer(suggester.taxonomy)
        self.min_score, self.batch_size = min_score, batch_size
        self.text_field, self.tags_field, self.id_field = text_field, tags_field, id_field
        self.summary = AuditSummary()
        self.cable = cable  # the texts are whole cables as Suggester.cable_text reads them

    def audit(self, records: Iterable[dict]) -> Iterator[dict]:
        """One finding per record, in order: id, tags_raw, codes, missing [{tag, score}], malformed, repairs
        (those that changed the line: label words and names are not malformations), unknown, and
        ``problem: "no TAGS line"`` when the field is empty or absent."""
        batch: list[tuple[object, str | None, str]] = []
        for rec in records:
            raw, text = rec.get(self.tags_field), rec.get(self.text_field)
            batch.append((rec.get(self.id_field), raw if isinstance(raw, str) else None,
                          text if isinstance(text, str) else ""))
            if len(batch) >= self.batch_size:
                yield from self._flush(batch)
        yield from self._flush(batch)

    def _flush(self, batch) -> Iterator[dict]:
        if not batch:
            return
        P = self.s.scores([t for _, _, t in batch], [rid for rid, _, _ in batch], cable=self.cable)
        labels, sm = self.s.labels, self.summary
        for (rid, raw, text), p in zip(batch, P):
            nt = self.norm.normalize(raw)
            own = set(nt.codes)
            missing = [{"tag": labels[j], "score": round(float(p[j]), 3)} for j in np.argsort(-p, kind="stable")
                       if p[j] >= self.min_score and labels[j] not in own] if text.strip() else []
            real = [r for r in nt.repairs if r.kind != "name" and not (r.kind == "junk" and r.note == "label word")]
            finding = {"id": rid, "tags_raw": raw, "codes": nt.codes, "missing": missing,
                       "malformed": bool(real or nt.unknown), "repairs": [r.to_dict() for r in real],
                       "unknown": nt.unknown}
            if raw is None or not raw.strip():
                finding["malformed"] = True
                finding["problem"] = "no TAGS line"
            sm.cables += 1
            sm.repairs.update(r.kind for r in real)
            if nt.unknown:
                sm.repairs["unknown token"] += len(nt.unknown)
            sm.missing.update(m["tag"] for m in missing)
            sm.flagged += bool(missing or finding["malformed"])
            yield finding
        batch.clear()

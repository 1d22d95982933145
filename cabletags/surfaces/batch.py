"""Batch helpers for pipelines: records (dicts) in, the records of the JSON Lines contracts out.

Each function takes an iterable of records and yields one output record per input record, in order, so
the same code serves the CLI's ``--jsonl`` modes, a Python pipeline and a distributed one:

* ``normalize_records``: each record with a ``normalized`` field (codes, names, unknown, repairs,
  taxonomy_version); empty, null or missing fields give an empty result;
* ``parse_records``: each record with a ``parsed`` field (parse_cable's fields);
* ``suggest_records``: ``{"id": ..., "tags": [{"tag", "score", "selected"}, ...]}`` per record (an empty
  list for a record without text).

Records that are not dicts raise TypeError: reading and reporting bad lines is the reader's job
(cabletags.textio.iter_jsonl).
"""
from __future__ import annotations

from typing import Iterable, Iterator

from ..textio import dumps, loads

__all__ = ["RecordNormalizer", "normalize_records", "parse_records", "suggest_records"]

_EMPTY = {"codes": [], "names": [], "unknown": [], "repairs": []}


class RecordNormalizer:
    """Adds the ``normalized`` field to records, caching results by raw value (TAGS lines repeat a lot).

    ``result(value)`` -> the field's dict; ``record(rec)`` -> rec with the field; ``line(rec, line)`` -> the
    output JSON line for a record read from `line`, spliced into the original text when it can be (big
    records are not serialized again).
    """

    def __init__(self, taxonomy=None, field: str = "tags", typo_aliases: bool = True, cache_size: int = 100_000,
                 min_confidence: float = 0.0):
        from ..vocabulary.normalizer import get_normalizer

        self.norm = get_normalizer(taxonomy, typo_aliases=typo_aliases)
        self.field = field
        self.min_confidence = min_confidence
        self.version = self.norm.tax.version
        self._cache: dict[str, str] = {}
        self._cache_size = cache_size
        self._empty = dumps(dict(_EMPTY, taxonomy_version=self.version))

    def _normalized(self, value: str):
        n = self.norm.normalize(value)
        return n.trusted(self.min_confidence, value) if self.min_confidence else n

    def _text(self, rec: dict) -> str:
        if not isinstance(rec, dict):
            raise TypeError(f"a record must be a dict, not {type(rec).__name__}")
        value = rec.get(self.field)
        if value is not None and not isinstance(value, str):
            value = str(value)
        if not value:
            return self._empty
        text = self._cache.get(value)
        if text is None:
            codes = self.norm.plain_code_line(value)  # most lines: codes as written, no rule needed
            text = dumps({"codes": codes, "names": [], "unknown": [], "repairs": [], "taxonomy_version": self.version}
                         if codes is not None else dict(self._normalized(value).to_dict(),
                                                        taxonomy_version=self.version))
            if len(self._cache) < self._cache_size:
                self._cache[value] = text
        return text

    def result(self, value: str | None) -> dict:
        """The ``normalized`` field for one raw TAGS value."""
        return loads(self._text({self.field: value}))

    def record(self, rec: dict) -> dict:
        """A copy of `rec` with its ``normalized`` field."""
        return dict(rec, normalized=loads(self._text(rec)))

    def line(self, rec: dict, line: str) -> str:
        """The output line (with newline) for `rec`, read from the JSON text `line`."""
        text = self._text(rec)
        body = line.rstrip()
        if "normalized" in rec or not body.endswith("}"):
            return dumps(dict(rec, normalized=loads(text))) + "\n"
        body = body[:-1].rstrip()
        sep = "" if body.endswith("{") else ", "
        return f'{body}{sep}"normalized": {text}}}\n'


def normalize_records(records: Iterable[dict], field: str = "tags", taxonomy=None,
                      typo_aliases: bool = True) -> Iterator[dict]:
    """Each record with a ``normalized`` field for its raw TAGS value in `field`."""
    rn = RecordNormalizer(taxonomy, field, typo_aliases)
    for rec in records:
        yield rn.record(rec)


def parse_records(records: Iterable[dict], field: str = "text", taxonomy=None, era: str = "auto") -> Iterator[dict]:
    """Each record with a ``parsed`` field: parse_cable() of the cable text in `field` (non-text: ""); `era` as in
    parse_cable."""
    from ..reading import parse_cable
    from ..vocabulary.normalizer import get_normalizer

    tax = get_normalizer(taxonomy).tax
    for rec in records:
        if not isinstance(rec, dict):
            raise TypeError(f"a record must be a dict, not {type(rec).__name__}")
        text = rec.get(field)
        p = parse_cable(text if isinstance(text, str) else "", tax, era).to_dict()
        p["tags"]["taxonomy_version"] = tax.version
        yield dict(rec, parsed=p)


# records scored at a time: the batch's TF-IDF rows and margins run in parts on the kernel threads
# (cabletags.scoring.model), which 512 whole cables keep busier than 256 (in-process pairs of 1,536 corpus cables:
# mean ratio 1.11); 384 to 768 ran alike, 1,024 slower (0.9: the product's blocks and the vote's chunk outgrow the
# caches)
BATCH = 512


def suggest_records(records: Iterable[dict], suggester, text_field: str = "body", id_field: str = "id",
                    limit: int = 10, batch_size: int = BATCH, cable: bool = False,
                    threshold: float | None = None, kinds=None) -> Iterator[dict]:
    """``{"id", "tags"}`` for each record: the suggester's ranking of the text in `text_field`, at most
    `limit` tags (none for a record without text), scored `batch_size` records at a time. The id is only
    used to keep a training cable from finding itself in the model's reference index. cable=True reads each
    text as a whole cable, as Suggester.suggest_cable ranks it (its header and body read by the whole-cable model,
    never its TAGS field; the cable's own reference id, when it shows one, stands in for a missing id). kinds: only
    tags of these kinds in each list (Suggester.rank); no_evidence stays the whole ranking's."""
    if kinds is not None:
        suggester.kind_indices(kinds)  # an unknown kind is refused before any record
    batch: list[tuple[object, str, str, str | None]] = []  # (id, text, what the model reads, origin country)

    def flush():
        texts = [t for _, _, t, _ in batch]
        origins = [o for *_, o in batch] if cable else None
        # flush() holds <= batch_size
        P, S = suggester.predict(texts, [i for i, *_ in batch], cable, threshold, origins=origins)
        any_selected = S.any(axis=1).tolist()
        extras = [suggester.origin_suggestion(origin, some, threshold) if origin else None
                  for (*_, origin), some in zip(batch, any_selected)]
        for (rid, text, *_), tags, some in zip(batch, suggester.ranked_rows(P, S, limit, kinds, extras), any_selected):
            tags = tags if text.strip() else []
            # with kinds, a list of one kind may hold no selected tag while the text selects others
            some = any(t["selected"] for t in tags) if kinds is None else some and bool(text.strip())
            yield {"id": rid, "tags": tags, "no_evidence": not some}
        batch.clear()

    for rec in records:
        if not isinstance(rec, dict):
            raise TypeError(f"a record must be a dict, not {type(rec).__name__}")
        text = rec.get(text_field)
        text = text if isinstance(text, str) else ""
        rid = rec.get(id_field)
        if cable and text.strip():
            parsed, model_text = suggester.cable_text(text)
            batch.append((rid if rid is not None else parsed.reference_id, text, model_text, parsed.origin_country))
        else:
            batch.append((rid, text, text, None))
        if len(batch) >= batch_size:
            yield from flush()
    if batch:
        yield from flush()

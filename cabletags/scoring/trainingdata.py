"""Reading the training data: a tagged corpus -> (ids, texts, label sets), whole cables read as a whole-cable model
reads them, and the label space.

Labels are ``normalize(record["tags"]).codes`` with the taxonomy given (the run's: --taxonomy and
--taxonomy-overlay); the label space is every taxonomy code carried by at least ``min_count`` cables.
"""
from __future__ import annotations

from collections import Counter

from ..textio import Stats
from ..vocabulary.normalizer import get_normalizer
from ..vocabulary.taxonomy import load_taxonomy
from .corpus import read_corpus, require_corpus

__all__ = ["load_labelled", "cable_parts", "read_as_cables", "label_space"]


def load_labelled(corpus, text_field: str = "body", taxonomy=None, stats: Stats | None = None,
                  whole: bool = False):
    """(ids, texts, label_sets) for every good record; label sets are normalized taxonomy codes.
    Malformed lines are counted in `stats` (cabletags.textio.Stats) when given. whole=True: each text is the
    record as a whole cable, its `preamble` field (when it has one) followed by its `text_field`."""
    norm = get_normalizer(taxonomy)
    ids, texts, labels = [], [], []
    for rec in read_corpus(require_corpus(corpus), stats):
        ids.append(str(rec.get("id", len(ids))))
        t = rec.get(text_field)
        t = t if isinstance(t, str) else ""
        pre = rec.get("preamble") if whole else None
        texts.append(pre + "\n" + t if isinstance(pre, str) and pre else t)
        labels.append(norm.normalize(rec.get("tags") if isinstance(rec.get("tags"), str) else "").codes)
    return ids, texts, labels


def cable_parts(texts, taxonomy=None, origins: list | None = None) -> tuple[list[str], list[str]]:
    """Each whole cable parsed once: (what a whole-cable model reads of it, cabletags.reading.parser.cable_reading; its
    header block, cabletags.reading.parser.header_words). The TAGS field is in neither. origins: a list that receives
    each cable's origin country (cabletags.reading.Cable.origin_country, None when unknown)."""
    from ..reading import parse_cable
    from ..reading.parser import cable_reading, header_words

    tax = taxonomy if taxonomy is not None else load_taxonomy()  # loaded once, not once a cable
    readings, heads = [], []
    for t in texts:
        p = parse_cable(t, tax)
        readings.append(cable_reading(p))
        heads.append(header_words(p))
        if origins is not None:
            origins.append(p.origin_country)
    return readings, heads


def read_as_cables(texts, taxonomy=None, header_block: bool = False) -> list[str]:
    """What a whole-cable model (ModelSettings.reading "cable") reads of each whole cable: the reading, and with
    header_block (a model joined with its header model) the header block after it, as cable_reading writes them."""
    readings, heads = cable_parts(texts, taxonomy)
    return [r + "\n\n" + h if h else r for r, h in zip(readings, heads)] if header_block else readings


def label_space(label_sets, min_count: int = 20, taxonomy=None) -> list[str]:
    """Taxonomy codes carried by at least `min_count` of the given label sets, sorted."""
    tax = taxonomy or load_taxonomy()
    c = Counter(t for tags in label_sets for t in set(tags))
    return sorted(t for t, n in c.items() if n >= min_count and t in tax.entries)

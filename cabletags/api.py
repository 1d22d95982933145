"""The library's functions, as ``cabletags`` exports them: each is a verb of the process's Workspace
(cabletags.workspace.default_workspace), so the taxonomy and the models are loaded once per process and kept there.
Pass `taxonomy` (a loaded Taxonomy) to use another one; a program that works with its own taxonomy or model
holds a cabletags.Workspace of its own.
"""
from __future__ import annotations

from pathlib import Path

from .workspace import default_workspace

__all__ = ["normalize", "normalize_many", "decode", "read_cable", "parse_cable", "suggest_many", "load_taxonomy"]


def normalize(raw: str | None, taxonomy=None, min_confidence: float = 0.0):
    """Normalize one raw TAGS line (label, banners and all) into canonical codes: a NormalizedTags. None, NaN and
    "" give an empty result (no codes), never an error. min_confidence: apply only the repairs at least this
    confident (NormalizedTags.trusted: the others become suggestions in `candidates`, their tokens kept).

    >>> normalize("TAGS: PGOV, PREL, OSCEPREF").codes
    ['PGOV', 'PREL', 'OSCE', 'PREF']
    """
    return default_workspace().normalize(raw, min_confidence, taxonomy)


def normalize_many(lines, taxonomy=None, min_confidence: float = 0.0):
    """normalize() of each line of an iterable, lazily and in order: one NormalizedTags per item, an empty one for
    None, NaN or an empty string (a DataFrame column's missing cells), never a dropped item.

    >>> [n.codes for n in normalize_many(["PGOV, PREL", None, "OSCEPREF"])]
    [['PGOV', 'PREL'], [], ['OSCE', 'PREF']]
    """
    yield from default_workspace().normalize_many(lines, min_confidence, taxonomy)


def decode(items: list[str] | str, taxonomy=None, era: str = "cablegate"):
    """Decode codes or raw TAGS lines: one Decoded per resulting code, name and unknown item, in input order.
    Each argument that is not a bare code is normalized first. era: "cablegate" (default), "1970s" or "current"
    (cabletags.vocabulary.taxonomy.ERAS): the meaning of the codes in that era."""
    return default_workspace().decode(items, era, taxonomy)


def read_cable(source, taxonomy=None, era: str = "auto", *, name: str | None = None):
    """One Cable from any input (a path, bytes, a str, a binary file object): cabletags.reading.read_cable with
    the process's taxonomy. Raises ReadError (exit 3, or 2 for JSON Lines and a missing extra)."""
    return default_workspace().read_cable(source, era, name=name, taxonomy=taxonomy)


def parse_cable(text: str, taxonomy=None, era: str = "auto"):
    """A cable given as text (bare, or an HTML page holding one): read_cable on a str."""
    from .reading import parse_cable as parse

    return parse(text, default_workspace().normalizer(taxonomy).tax, era)


def suggest_many(texts, limit: int = 10, model: str | Path | None = None, batch_size: int = 256,
                 threshold: float | None = None, kinds=None):
    """Suggestions for each text of an iterable, lazily and in order, with the model at `model` (None: the
    shipped one), loaded once per process: Suggester.suggest_many. kinds: only tags of these kinds ("program", or
    several) in each list; the scores and selected flags stay the whole ranking's.

    >>> for tags in suggest_many(df["body"]):        # a pandas column; missing cells select nothing
    ...     print([t.tag for t in tags if t.selected])
    """
    yield from default_workspace().suggest_many(texts, limit, batch_size, threshold, model, kinds)


def load_taxonomy(path: str | Path | None = None, *, overlay: str | Path | None = None, typo_aliases: bool = True):
    """The taxonomy at `path` (None: $CABLETAGS_TAXONOMY or the shipped one) with `overlay`, validated, loaded
    once per content of its files (cabletags.vocabulary.taxonomy.load_taxonomy). Raises TaxonomyError (exit 4)."""
    return default_workspace().load_taxonomy(path, overlay, typo_aliases)

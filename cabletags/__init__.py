"""cabletags: decode, clean and suggest TAGS codes of US diplomatic cables.

Light by design: importing the package loads neither scikit-learn nor the model; the suggestion API
(`Suggester`, `Suggestion`) is imported on first use.
"""
from __future__ import annotations

__version__ = "0.1.0"

from .decoder import Decoded, decode  # noqa: E402
from .normalizer import NormalizedTags, Repair, normalize  # noqa: E402
from .parser import ParsedCable, parse_cable  # noqa: E402
from .taxonomy import Entry, Taxonomy, TaxonomyError, load_taxonomy  # noqa: E402

__all__ = ["__version__", "Entry", "Taxonomy", "TaxonomyError", "load_taxonomy", "normalize", "NormalizedTags",
           "Repair", "decode", "Decoded", "parse_cable", "ParsedCable", "Suggester", "Suggestion"]


def __getattr__(name):  # lazy: keeps `import cabletags` free of scikit-learn
    if name in ("Suggester", "Suggestion"):
        from . import suggester

        return getattr(suggester, name)
    raise AttributeError(f"module 'cabletags' has no attribute {name!r}")

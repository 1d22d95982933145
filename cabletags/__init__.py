"""cabletags: decode, clean and suggest TAGS codes of US diplomatic cables.

Light by design: importing the package loads nothing but this table; each name of the API is imported from
its module on first use, so a command loads only what it needs (and never scikit-learn or the model unless
it suggests).
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> the module that defines it
_API = {
    "Decoded": "vocabulary.decoder", "decode": "api",
    "NormalizedTags": "vocabulary.normalizer", "Repair": "vocabulary.normalizer", "normalize": "api",
    "normalize_many": "api", "suggest_many": "api", "read_cable": "api", "Cable": "reading",
    "ParsedCable": "reading.parser", "parse_cable": "api",
    "Entry": "vocabulary.taxonomy", "Taxonomy": "vocabulary.taxonomy", "TaxonomyError": "vocabulary.taxonomy",
    "load_taxonomy": "api",
    "Suggester": "scoring.suggester", "Suggestion": "scoring.suggester",
    "Workspace": "workspace", "CabletagsError": "errors",
}

__all__ = ["__version__", *_API]


def __getattr__(name):
    if name in _API:
        value = getattr(importlib.import_module(f".{_API[name]}", __name__), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module 'cabletags' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)

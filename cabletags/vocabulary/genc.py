"""The current era's two-letter country codes: GENC, the US Government's profile of ISO 3166-1.

ISO 3166-1 alpha-2 comes from pycountry (a maintained copy of the ISO tables, so the codes and names follow ISO's
updates without hand copying); GENC's differences from it (the US Government's short names, and the codes GENC
assigns beyond ISO such as XK Kosovo) are curated data in taxonomy/eras.yaml, with their source.
"""
from __future__ import annotations

from .taxonomy import Taxonomy


def genc_table(tax: Taxonomy) -> dict[str, tuple[str, str]]:
    """{code: (GENC short name, basis)} for every GENC two-letter code; basis is "iso" (ISO 3166-1's name),
    "genc-name" (GENC names the place otherwise) or "genc-added" (a code GENC assigns beyond ISO). Empty when the
    taxonomy has no current-era table. Built once per taxonomy."""
    return tax.derived("genc", lambda: _build(tax.eras.get("current") or {}))


def _build(table: dict) -> dict[str, tuple[str, str]]:
    if table.get("rule") != "iso3166":
        return {}
    import pycountry

    out = {c.alpha_2: (getattr(c, "common_name", None) or c.name, "iso") for c in pycountry.countries}
    out.update((code, (name, "genc-name")) for code, name in table.get("short_names", {}).items())
    out.update((code, (name, "genc-added")) for code, name in table.get("added", {}).items())
    return out

"""Sending posts: the city a telegram's header names (PARIS, USUN NEW YORK), the site's name for the post
(Embassy Paris) and the country code of a post in one country (FR), from taxonomy/posts.yaml (generated from the
corpus by scripts/tools/build_posts.py)."""
from __future__ import annotations

import re
from pathlib import Path

__all__ = ["post_entry", "origin_of_from_line"]

_FM_PREFIX = re.compile(r"^(AM(?:EMBASSY|EMB|CONSUL|CONGEN)|US(?:MISSION|DEL|INT|LO|OFFICE)|AMERICAN EMBASSY)\s+")
# what kind of post each FM prefix names ("USMISSION UNVIE VIENNA" is a mission, not an embassy)
_KINDS = {"AMEMBASSY": "Embassy", "AMEMB": "Embassy", "AMERICAN EMBASSY": "Embassy", "AMCONSUL": "Consulate",
          "AMCONGEN": "Consulate", "USMISSION": "Mission", "USDEL": "Delegation", "USINT": "Interests Section",
          "USLO": "Liaison Office", "USOFFICE": "Office"}


def _posts(taxonomy) -> dict:
    """The posts table of a taxonomy, read once and kept with it (Taxonomy.derived)."""
    return taxonomy.derived("posts", lambda: _read_posts(taxonomy.source))


def _read_posts(directory: str) -> dict:
    from ..vocabulary.taxonomy import TaxonomyError, _yaml_load, shipped_taxonomy_dir

    p = Path(directory or shipped_taxonomy_dir()) / "posts.yaml"
    if not p.is_file():  # a taxonomy of the user's own without posts: the shipped table
        p = shipped_taxonomy_dir() / "posts.yaml"
    try:
        data = _yaml_load(p)
    except TaxonomyError:
        return {}
    posts = data.get("posts") if isinstance(data, dict) else None
    return {str(k).upper(): v for k, v in (posts or {}).items() if isinstance(v, dict)}


def post_entry(city: str | None, taxonomy) -> dict | None:
    """{origin, cables, country?, share?} of a post named by its header city ("PARIS"), or None; from the posts.yaml
    of `taxonomy`'s folder (the shipped one when it has none)."""
    if not city:
        return None
    return _posts(taxonomy).get(" ".join(city.upper().split()))


def origin_of_from_line(from_line: str | None) -> tuple[str | None, str | None]:
    """(post city, origin name) from a FM line: "AMEMBASSY PARIS" -> ("PARIS", "Embassy Paris")."""
    if not from_line:
        return None, None
    fm = " ".join(from_line.upper().split())
    fm = re.sub(r"\s+(?:IMMEDIATE|PRIORITY|ROUTINE|NIACT|FLASH)\b.*$", "", fm)
    m = _FM_PREFIX.match(fm)
    city = fm[m.end():] if m else fm
    city = re.sub(r"\s+\d+$", "", city).strip()
    if fm.startswith("SECSTATE"):
        return "STATE", "Secretary of State"
    kind = _KINDS.get(m.group(1)) if m else None
    return city, (f"{kind} {city.title()}" if kind else None)

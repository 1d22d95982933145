"""Decode codes (or whole raw TAGS lines) into taxonomy entries, with "did you mean" for unknowns."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Iterator

from .normalizer import NormalizedTags, get_normalizer
from .taxonomy import Entry, Taxonomy

__all__ = ["Decoded", "decode", "iter_decode", "did_you_mean"]


@dataclass
class Decoded:
    """One decoded item. status: known | repaired | unknown | word (a listed non-code word) | name.

    input: the text it came from; code/entry: the taxonomy entry when known; candidates: for
    unknown items, the codes it may have meant, most likely first.
    """

    input: str
    status: str
    code: str | None = None
    entry: Entry | None = None
    via: str = ""
    candidates: list[str] = field(default_factory=list)
    reason: str = ""

    @property
    def title(self) -> str:
        """The entry's title, or what the item is when it has no entry (personal name, not a code, unknown)."""
        if self.entry is not None:
            return self.entry.title or "(title unknown)"
        return {"name": "(personal name)", "word": "(not a code)"}.get(self.status, "(unknown)")

    def notes(self) -> str:
        """Short notes in plain words: category, ISO code, status, where the code came from, suggestions."""
        notes = []
        e = self.entry
        if e is not None:
            if e.category:
                notes.append(f"{e.category['letter']}: {e.category['name']}")
            if e.iso3166:
                notes.append(f"ISO {e.iso3166}")
            if e.status != "current":
                notes.append(f"status {e.status}")
            if e.replaced_by:
                notes.append(f"replaced by {e.replaced_by}")
            if not e.verified:
                notes.append("title unverified")
        if self.via:
            notes.append(f"from {self.via}")
        if self.reason:
            notes.append(self.reason)
        if self.candidates:
            notes.append("did you mean: " + ", ".join(self.candidates))
        return "; ".join(notes)

    def to_dict(self) -> dict:
        d = {"input": self.input, "status": self.status, "code": self.code}
        if self.entry is not None:
            e = self.entry
            d.update(kind=e.kind, title=e.title, category=e.category, iso3166=e.iso3166,
                     entry_status=e.status, verified=e.verified, replaced_by=e.replaced_by)
            d = {k: v for k, v in d.items() if v is not None}
        if self.via:
            d["via"] = self.via
        if self.candidates:
            d["did_you_mean"] = self.candidates
        if self.reason:
            d["reason"] = self.reason
        return d


def did_you_mean(token: str, taxonomy: Taxonomy | None = None, limit: int = 5) -> list[str]:
    """Codes close to `token` (one edit, substitutions included), most used first."""
    if len(token) > 64:  # no code is near a long token; and the work would grow with its square
        return []
    up = "".join(ch for ch in token.upper() if ch.isalpha())
    return list(_near(get_normalizer(taxonomy), up)[:limit]) if up else []


@lru_cache(maxsize=100_000)  # a stream repeats its unknown tokens; normalizers are few and long-lived
def _near(n, up: str) -> tuple[str, ...]:
    found = set(n.typo_candidates(up)) if len(up) >= 3 else set()
    for i in range(len(up)):
        for ch in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
            s = up[:i] + ch + up[i + 1:]
            if s != up and s in n.codes:
                found.add(s)
    if up in n.aliases:
        found.add(n.aliases[up][0])
    return tuple(sorted(found, key=lambda c: (-n.count.get(c, 0), c)))


def decode(items: list[str] | str, taxonomy: Taxonomy | None = None) -> list[Decoded]:
    """Decode codes or raw TAGS lines. Each argument that is not a bare code is normalized first.

    Returns one Decoded per resulting code, name and unknown item, in input order.
    """
    return list(iter_decode([items] if isinstance(items, str) else items, taxonomy))


def iter_decode(items: Iterable[str], taxonomy: Taxonomy | None = None) -> Iterator[Decoded]:
    """decode() one item at a time, for streams of any length."""
    n = get_normalizer(taxonomy)
    for item in items:
        out: list[Decoded] = []
        s = item.strip()
        if s in n.codes:
            yield Decoded(s, "known", s, n.codes[s])
            continue
        norm: NormalizedTags = n.normalize(item)
        via = {}
        for r in norm.repairs:
            for c in r.result:
                via.setdefault(c, f"{r.kind}: {r.original}")
        for c in norm.codes:
            out.append(Decoded(s, "repaired" if c in via else "known", c, n.codes[c], via.get(c, "")))
        for name in norm.names:
            out.append(Decoded(s, "name", None, None, "personal name"))
            out[-1].code = name
        for u in norm.unknown:
            reason = n.tax.words.get(u.upper(), "")
            cands = norm.candidates.get(u) or did_you_mean(u, taxonomy)
            out.append(Decoded(u, "word" if reason else "unknown", None, None, "", cands,
                               f"non-code word: {reason}" if reason else ""))
        yield from out

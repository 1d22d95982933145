"""Decode codes (or whole raw TAGS lines) into taxonomy entries, with "did you mean" for unknowns."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Iterable, Iterator

from .genc import genc_table
from .normalizer import NormalizedTags, get_normalizer
from .taxonomy import ERAS, Alias, Entry, Taxonomy

__all__ = ["Decoded", "decode", "iter_decode", "did_you_mean", "ERAS"]



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
    era: str = "cablegate"
    era_title: str | None = None  # the code's meaning in `era` when it differs from the entry's title
    era_notes: list[str] = field(default_factory=list)  # the code's other meanings, in plain words

    @property
    def title(self) -> str:
        """The code's meaning in the era decoded (the entry's title by default), or what the item is when it has
        no entry (personal name, not a code, unknown)."""
        if self.era_title:
            return self.era_title
        if self.entry is not None:
            return self.entry.title or "(meaning unknown)"
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
            if e.status == "historic":  # in plain words (docs/taxonomy.md, Status)
                notes.append("historic: retired or of an earlier era")
            elif e.status == "unknown":
                notes.append(f"in use? {e.status_basis}" if e.status_basis else "in use? no source says")
            if e.replaced_by:
                notes.append(f"replaced by {e.replaced_by}")
            if not e.verified:
                notes.append("title unverified")
            notes.extend(f"in practice: {u['note']}" for u in e.usage)
        notes.extend(self.era_notes)
        if self.via:
            notes.append(f"from {self.via}")
        if self.reason:
            notes.append(self.reason)
        if self.candidates:
            notes.append("did you mean: " + ", ".join(self.candidates))
        return "; ".join(notes)

    def short_definition(self) -> str:
        """The first sentence of the entry's 1974 definition ("" when it has none): the table's short form."""
        e = self.entry
        if e is None or not e.definition:
            return ""
        return short_definition(e.definition["text"]) if "text" in e.definition else "(none printed)"

    def to_dict(self) -> dict:
        d = {"input": self.input, "status": self.status, "code": self.code}
        if self.entry is not None:
            e = self.entry
            d.update(kind=e.kind, title=self.title, category=e.category, iso3166=e.iso3166,
                     entry_status=e.status, verified=e.verified, replaced_by=e.replaced_by,
                     definition=dict(e.definition) if e.definition else None,
                     attested=[dict(a) for a in e.attested] or None, status_basis=e.status_basis,
                     usage=[dict(u) for u in e.usage] or None)
            d = {k: v for k, v in d.items() if v is not None}
        if self.era != "cablegate":
            d["era"] = self.era
        if self.era_title and self.entry is not None and self.entry.title != self.era_title:
            d["cablegate_title"] = self.entry.title
        if self.entry is not None and self.code and self.entry.code != self.code:
            d["cablegate_code"] = self.entry.code  # GENC CH is Cablegate's SZ
        if self.era_notes:
            d["era_notes"] = list(self.era_notes)
        if self.via:
            d["via"] = self.via
        if self.candidates:
            d["did_you_mean"] = self.candidates
        if self.reason:
            d["reason"] = self.reason
        return d


def short_definition(text: str, width: int = 90) -> str:
    """A definition's first sentence, cut at `width` characters (the table's short form)."""
    first = text.split("\n")[0]
    m = re.search(r"(?<!U\.S)(?<![A-Z])\.\s", first)
    first = first[:m.start() + 1] if m else first
    return first if len(first) <= width else first[:width - 1].rstrip() + "…"


_HANDBOOK_1974 = "Department of State, Traffic Analysis by Geography and Subject, TL:TAGS-1 (6-28-74)"


def era_meaning(tax: Taxonomy, code: str, era: str) -> tuple[Entry | None, str | None, list[str]]:
    """What `code` means in `era`: (entry, title in that era when it differs, notes in plain words).

    cablegate: the entry as it is, with notes when the code meant another place in the 1970s or names another place
    in today's GENC/ISO tables (an ambiguous code says so). 1970s: the 1974 handbook's meaning (eras.yaml, or the
    title the code's 1974/NARA attestation gives). current: a two-letter code read as GENC (= ISO 3166 alpha-2)."""
    if era not in ERAS:
        raise ValueError(f"unknown era {era!r}; choose from {', '.join(ERAS)}")
    e = tax.entries.get(code)
    old = tax.era_codes("1970s").get(code)
    genc = _genc_place(tax, code) if "current" in tax.eras else None
    notes: list[str] = []
    if era == "cablegate":
        if e is not None and old and (old["other"] or old["kind"] != e.kind):
            notes.append(f"1970s: {old['title']} (another meaning; decode --era 1970s)")
        elif e is not None and old and old["title"] != e.title:
            notes.append(f"1970s: {old['title']}")
        if e is not None and e.kind == "geographic" and genc is not None and genc.code != code:
            notes.append(f"GENC/ISO today: {genc.title} ({genc.code})")
        elif e is not None and code in (tax.eras.get("current") or {}).get("added", {}):  # (no pycountry needed)
            notes.append(f"GENC today: {tax.eras['current']['added'][code]} (a GENC code beyond ISO 3166-1)")
        return e, None, notes
    if era == "1970s":
        if old:
            section = f"section {old['section']}" if old["section"] else "sections 11-12, 15"
            if e is not None and not old["other"] and old["kind"] == e.kind:
                # the same place or body: the entry, shown under the handbook's name
                if e.title != old["title"]:
                    notes.append(f"Cablegate: {e.title}")
                if old["note"]:
                    notes.append(old["note"])
                return e, old["title"], notes
            if e is not None:
                notes.append(f"another meaning in Cablegate: {e.title} ({e.kind})")
            else:
                notes.append("a 1970s code Cablegate does not use")
            if old["names"]:
                notes.append("other names: " + "; ".join(old["names"]))
            entry = Entry(code=code, kind=old["kind"], title=old["title"], status="historic",
                          note=old["note"] or None,
                          aliases=tuple(Alias(n, "name") for n in old["names"]),
                          provenance={"source": "handbook", "reference": f"{_HANDBOOK_1974}, {section}",
                                      **({"evidence": old["evidence"]} if old["evidence"] else {})})
            return entry, None, notes
        if e is None:
            return None, None, notes
        seventies = [a for a in e.attested if a.get("source") in ("handbook-1974", "nara-1973-79")]
        if seventies:
            # the handbook's title once proofread against the scan; else the NARA list (typed); else the OCR reading
            # of the handbook when it reads cleanly
            handbook = next((a.get("title") for a in seventies if a["source"] == "handbook-1974"), None)
            nara = next((a.get("title") for a in seventies if a["source"] == "nara-1973-79"), None)
            proofread = bool(e.definition and e.definition.get("proofread"))
            t = (handbook if proofread else None) or nara or (handbook if _reads_cleanly(handbook, tax) else None)
            if nara and t and nara != t:
                notes.append(f"NARA 1973-79 list: {nara}")
            return e, t if t and t != e.title else None, notes
        if e.kind in ("subject", "geographic"):
            notes.append("not found in the 1970s lists as read (1974 handbook, NARA 1973-79)")
        return e, None, notes
    # current
    if e is not None and e.kind != "geographic" and len(code) != 2:
        return e, None, notes
    name, basis = genc_table(tax).get(code, (None, None))
    if name is not None:
        place = genc if basis != "genc-added" else None  # Cablegate's entry for the same place, under its FIPS code
        if place is None:
            current = tax.eras["current"]
            added = basis == "genc-added"
            evidence = "GENC two-letter code" + (" beyond ISO 3166-1" if added else " (ISO 3166-1 via pycountry)")
            reference = current["difference_source"] if basis != "iso" else current["source"]
            place = Entry(code=code, kind="geographic", title=name, status="current", iso3166=None if added else code,
                          provenance={"source": "listed", "evidence": evidence, "reference": reference})
        if basis == "genc-added":
            notes.append("a GENC code beyond ISO 3166-1")
        if place.code != code or (e is not None and e is not place):
            notes.append(f"GENC/ISO code; FIPS/Cablegate {code}: {e.title if e else 'not a code'}")
        return place, name if name != place.title else None, notes
    if e is not None and e.kind == "geographic" and len(code) == 2:
        notes.append("not a GENC/ISO country code; read as FIPS (Cablegate)")
    return e, None, notes


def _reads_cleanly(title: str | None, tax: Taxonomy) -> bool:
    """Every word of the title is an ordinary word (or a small one): no OCR fragments ("East-W est")."""
    if not title:
        return False
    words = re.findall(r"[A-Za-z]+", title)
    return bool(words) and all(w.lower() in tax.plainwords or w.lower() in ("and", "of", "the", "to", "for", "on")
                               or w.isupper() and len(w) >= 2 for w in words)


def _genc_place(tax: Taxonomy, code: str) -> Entry | None:
    """The geographic entry whose ISO 3166 alpha-2 (= GENC two-letter) code is `code`."""
    if len(code) != 2:
        return None
    if tax._iso_index is None:
        index = {}
        for x in tax.by_kind("geographic"):
            if x.iso3166 and (x.iso3166 not in index or x.status == "current"):
                index[x.iso3166] = x
        tax._iso_index = index
    return tax._iso_index.get(code)


def did_you_mean(token: str, taxonomy: Taxonomy | None = None, limit: int = 5) -> list[str]:
    """Codes close to `token` (one edit, substitutions included), most used first."""
    if len(token) > 64:  # no code is near a long token; and the work would grow with its square
        return []
    up = "".join(ch for ch in token.upper() if ch.isalpha())
    if not up:
        return []
    n = get_normalizer(taxonomy)
    # a stream repeats its unknown tokens: the answers are kept with the taxonomy they come from
    near = n.tax.derived("did-you-mean", lambda: lru_cache(maxsize=100_000)(partial(_near, n)))
    return list(near(up)[:limit])


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


def decode(items: list[str] | str, taxonomy: Taxonomy | None = None, era: str = "cablegate") -> list[Decoded]:
    """Decode codes or raw TAGS lines. Each argument that is not a bare code is normalized first.

    era: "cablegate" (default), "1970s" or "current" (ERAS): the meaning of the codes in that era.
    Returns one Decoded per resulting code, name and unknown item, in input order.
    """
    return list(iter_decode([items] if isinstance(items, str) else items, taxonomy, era))


def _in_era(d: Decoded, tax: Taxonomy, era: str) -> Decoded:
    if d.code and d.status in ("known", "repaired"):
        entry, title, notes = era_meaning(tax, d.code, era)
        d.entry = entry or d.entry
        d.era, d.era_title, d.era_notes = era, title, notes
    return d


def iter_decode(items: Iterable[str], taxonomy: Taxonomy | None = None, era: str = "cablegate") -> Iterator[Decoded]:
    """decode() one item at a time, for streams of any length."""
    n = get_normalizer(taxonomy)
    if era not in ERAS:
        raise ValueError(f"unknown era {era!r}; choose from {', '.join(ERAS)}")
    tax = n.tax
    for item in items:
        out: list[Decoded] = []
        s = item.strip()
        if s in n.codes:
            yield _in_era(Decoded(s, "known", s, n.codes[s]), tax, era)
            continue
        if era != "cablegate" and s.isupper() and (s in tax.era_codes(era) if era == "1970s" else len(s) == 2):
            entry, title, notes = era_meaning(tax, s, era)  # a code of that era only (UR, GW, SEATO in the 1970s)
            if entry is not None:  # the code as written (GENC MM); Cablegate's code for the place is the entry's (BM)
                yield Decoded(s, "known", s, entry, era=era, era_title=title, era_notes=notes)
                continue
        norm: NormalizedTags = n.normalize(item)
        via = {}
        for r in norm.repairs:
            for c in r.result:
                via.setdefault(c, f"{r.kind}: {r.original}")
        for c in norm.codes:
            out.append(_in_era(Decoded(s, "repaired" if c in via else "known", c, n.codes[c], via.get(c, "")),
                               tax, era))
        for name in norm.names:
            out.append(Decoded(s, "name", None, None, "personal name"))
            out[-1].code = name
        old = tax.era_codes("1970s")
        for u in norm.unknown:
            if era == "1970s" and u in old:  # a code of that era only, inside a line (PFOR UR US)
                entry, title, notes = era_meaning(tax, u, era)
                out.append(Decoded(u, "known", u, entry, era=era, era_title=title, era_notes=notes))
                continue
            reason = n.tax.words.get(u.upper(), "")
            cands = norm.candidates.get(u) or did_you_mean(u, tax)
            d = Decoded(u, "word" if reason else "unknown", None, None, "", cands,
                        f"non-code word: {reason}" if reason else "")
            if u.upper() in old:  # not a Cablegate code, but one of the 1970s (UR): say so
                d.era_notes = [f"1970s: {old[u.upper()]['title']} (decode --era 1970s)"]
            out.append(d)
        yield from out

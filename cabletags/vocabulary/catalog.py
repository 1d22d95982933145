"""The taxonomy as a vocabulary: search, per-code corpus statistics, and exports (SKOS, CSV, JSON, Annif).

URIs: ``{base}{code}`` for concepts (code percent-encoded), ``{base}scheme/{kind}`` for the concept scheme
of each kind. The default base is ``https://w3id.org/cabletags/``.
"""
from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from urllib.parse import quote

from .taxonomy import KINDS, Entry, Taxonomy

__all__ = ["search", "export", "concept_uri", "BASE_URI", "corpus_stats", "LABEL_ALIAS_TYPES"]

BASE_URI = "https://w3id.org/cabletags/"
LABEL_ALIAS_TYPES = ("iso", "iso3", "variant", "legacy", "name")  # become altLabels; typos become hiddenLabels


def concept_uri(code: str, base: str = BASE_URI) -> str:
    return base + quote(code, safe="")


_STOPWORDS = frozenset("a an and the of for in on to with by at from or".split())


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", (text or "").lower())


def search(tax: Taxonomy, query: str, limit: int = 20) -> list[dict]:
    """Codes ranked for a free-text query: exact code, alias, title words, 1970s titles and meanings, scope/note
    words, the 1974 definitions.

    Each hit: {code, kind, title, score, why}; `why` says what matched (e.g. "alias RU of RS").
    """
    q = query.strip()
    qwords = _words(q)
    if not qwords:
        return []
    up = q.upper()
    hits = {}

    def add(e: Entry, score: float, why: str):
        if e.code not in hits or hits[e.code]["score"] < score:
            hits[e.code] = {"code": e.code, "kind": e.kind, "title": e.title, "score": round(score, 2), "why": why}

    if up in tax.entries:
        add(tax.entries[up], 100, "code")
    if up in tax.aliases:
        code, atype = tax.aliases[up]
        add(tax.entries[code], 90, f"{atype} alias {up} of {code}")
    for e in tax.entries.values():
        tw = _words(e.title or "")
        if tw:
            exact = sum(w in tw for w in qwords)
            prefix = sum(any(t.startswith(w) or w.startswith(t) and len(t) >= 4 for t in tw) for w in qwords)
            content = [t for t in tw if t not in _STOPWORDS] or tw
            if tw == qwords:
                add(e, 95 + min(e.corpus_count, 1000) / 1000, "title")  # the query is the title
            elif exact == len(qwords):
                # all words in the title; titles with fewer other words are closer matches
                add(e, 60 + 20 * len(qwords) / len(content) + min(e.corpus_count, 1000) / 1000, "title")
            elif prefix == len(qwords):
                add(e, 40 + 10 * len(qwords) / len(tw) + min(e.corpus_count, 1000) / 1000, "title (word stem)")
            elif exact:
                add(e, 20 * exact / len(qwords) + min(e.corpus_count, 1000) / 2000, "some title words")
        forms = [a.form for a in e.aliases]
        for f in forms:
            if all(w in _words(f) for w in qwords):
                add(e, 70, f"alias {f} of {e.code}")
        notes = _words((e.scope or "") + " " + (e.note or ""))
        if notes and all(w in notes for w in qwords):
            add(e, 15, "scope note")
        for a in e.attested:  # the title a 1970s source gives (Management and Organization for AMGT)
            aw = _words(a.get("title") or "")
            if aw and a["source"] in ("handbook-1974", "nara-1973-79") and all(w in aw for w in qwords):
                add(e, 50 + 10 * len(qwords) / len(aw), f"1970s title ({a['source']}): {a['title']}")
        if e.definition and "text" in e.definition:
            dw = set(_words(e.definition["text"]))
            content = [w for w in qwords if w not in _STOPWORDS] or qwords
            if all(w in dw for w in content):
                add(e, 12 + min(e.corpus_count, 1000) / 2000, "1974 definition")
    for code, old in tax.era_codes("1970s").items():
        ow = next((_words(n) for n in [old["title"]] + old.get("names", []) if all(w in _words(n) for w in qwords)),
                  None)
        if ow:
            e = tax.entries.get(code)
            score = 85 if ow == qwords else 55 + 10 * len(qwords) / len(ow)
            hit = {"code": code, "kind": old["kind"], "title": old["title"] if e is None else e.title,
                   "score": round(score, 2), "why": f"1970s meaning: {old['title']} (decode --era 1970s)"}
            if code not in hits or hits[code]["score"] < score:
                hits[code] = hit
    ranked = sorted(hits.values(), key=lambda h: (-h["score"], h["code"]))
    for h in ranked:  # tell about aliases of the found codes ("RU is an alias")
        e = tax.entries.get(h["code"])
        if e is not None and e.aliases:
            h["aliases"] = [a.form for a in e.aliases if a.type != "typo"]
    return ranked[:limit]


def corpus_stats(tax: Taxonomy, records, field: str = "tags") -> tuple[Counter, Counter, int]:
    """(cables per code, unknown items by frequency, cables) over records' raw TAGS lines."""
    from .normalizer import get_normalizer

    norm = get_normalizer(tax)
    per_code, unknown, n = Counter(), Counter(), 0
    for rec in records:
        n += 1
        raw = rec.get(field)
        r = norm.normalize(raw if isinstance(raw, str) else "")
        per_code.update(set(r.codes))
        unknown.update(r.unknown)
    return per_code, unknown, n


def _rows(tax: Taxonomy) -> list[dict]:
    rows = []
    for e in sorted(tax.entries.values(), key=lambda e: (KINDS.index(e.kind), e.code)):
        rows.append({"code": e.code, "kind": e.kind, "title": e.title or "",
                     "category": f"{e.category['letter']} {e.category['name']}" if e.category else "",
                     "status": e.status, "provenance": e.provenance.get("source", ""),
                     "evidence": e.provenance.get("evidence", ""), "iso3166": e.iso3166 or "",
                     "replaced_by": e.replaced_by or "",
                     "aliases": " ".join(a.form for a in e.aliases if a.type != "typo"),
                     "typo_aliases": " ".join(a.form for a in e.aliases if a.type == "typo"),
                     "scope": e.scope or e.note or "",
                     "definition": (e.definition or {}).get("text", ""),
                     "attested": " ".join(sorted({a["source"] for a in e.attested}))})
    return rows


def is_deprecated(e: Entry) -> bool:
    return bool(e.replaced_by) or e.status == "historic"


def export(tax: Taxonomy, fmt: str, base: str = BASE_URI) -> str:
    """The taxonomy as text: skos (Turtle), csv, json, or annif (``<uri>\\tlabel`` lines)."""
    if fmt == "json":
        return json.dumps({"taxonomy_version": tax.version, "entries": [e.to_dict() for e in tax.entries.values()]},
                          indent=1, ensure_ascii=False)
    if fmt == "csv":
        rows = _rows(tax)
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
        return buf.getvalue()
    if fmt == "annif":
        return "".join(f"<{concept_uri(e.code, base)}>\t{e.title or e.code}\n"
                       for e in sorted(tax.entries.values(), key=lambda e: e.code))
    if fmt == "skos":
        return _skos(tax, base)
    raise ValueError(f"unknown export format {fmt!r}")


ISO_3166_URI = "https://www.iso.org/obp/ui/#iso:code:3166:"  # ISO's Online Browsing Platform page of a code
GENC_URI = "urn:us:gov:genc:2a:"  # GENC publishes no URI per code: a URN naming the GENC two-letter code


def _skos(tax: Taxonomy, base: str) -> str:
    from rdflib import Graph, Literal, Namespace, URIRef
    from rdflib.namespace import DCTERMS, OWL, RDF, SKOS, XSD

    from .genc import genc_table

    g = Graph()
    CT = Namespace(base)
    g.bind("skos", SKOS)
    g.bind("dct", DCTERMS)
    g.bind("owl", OWL)
    g.bind("ct", CT)
    iso_type = URIRef(base + "ISO3166-1-alpha-2")
    schemes, tops, categories = {}, {}, {}
    for kind in KINDS:
        s = URIRef(f"{base}scheme/{kind}")
        schemes[kind] = s
        g.add((s, RDF.type, SKOS.ConceptScheme))
        g.add((s, SKOS.prefLabel, Literal(f"cabletags TAGS codes: {kind}", lang="en")))
        g.add((s, OWL.versionInfo, Literal(tax.version)))
        # one top concept per kind; subject codes sit under their field (P Political Affairs), the others under it
        top = URIRef(f"{base}kind/{kind}")
        tops[kind] = top
        g.add((top, RDF.type, SKOS.Concept))
        g.add((top, SKOS.prefLabel, Literal(f"{kind} TAGS", lang="en")))
        g.add((top, SKOS.inScheme, s))
        g.add((top, SKOS.topConceptOf, s))
        g.add((s, SKOS.hasTopConcept, top))
    genc = genc_table(tax)
    added = {name: code for code, (name, basis) in genc.items() if basis == "genc-added"}
    seventies = tax.era_codes("1970s")
    for e in tax.entries.values():
        c = URIRef(concept_uri(e.code, base))
        g.add((c, RDF.type, SKOS.Concept))
        g.add((c, SKOS.inScheme, schemes[e.kind]))
        if e.category:
            key = (e.kind, e.category["letter"])
            if key not in categories:
                cat = URIRef(f"{base}category/{e.kind}/{e.category['letter']}")
                categories[key] = cat
                g.add((cat, RDF.type, SKOS.Concept))
                g.add((cat, SKOS.inScheme, schemes[e.kind]))
                g.add((cat, SKOS.notation, Literal(e.category["letter"])))
                g.add((cat, SKOS.prefLabel, Literal(e.category["name"], lang="en")))
                g.add((cat, SKOS.broader, tops[e.kind]))
                g.add((tops[e.kind], SKOS.narrower, cat))
            g.add((c, SKOS.broader, categories[key]))
        else:
            g.add((c, SKOS.broader, tops[e.kind]))
        g.add((c, SKOS.notation, Literal(e.code)))
        g.add((c, SKOS.prefLabel, Literal(e.title or e.code, lang="en")))
        for a in e.aliases:
            g.add((c, SKOS.hiddenLabel if a.type == "typo" else SKOS.altLabel, Literal(a.form, lang="en")))
        if e.scope or e.note:
            g.add((c, SKOS.scopeNote, Literal(e.scope or e.note, lang="en")))
        for u in e.usage:
            g.add((c, SKOS.scopeNote, Literal(f"in practice: {u['note']}", lang="en")))
        d = e.definition or {}
        if d.get("text"):
            g.add((c, SKOS.definition, Literal(d["text"], lang="en")))
            how = "proofread against the scan" if d.get("proofread") else f"OCR {d.get('ocr', 'unmarked')}"
            g.add((c, SKOS.editorialNote, Literal(f"definition: {d['reference']}; {how}", lang="en")))
        elif d.get("none_printed"):
            g.add((c, SKOS.editorialNote, Literal(f"no definition printed: {d['reference']}", lang="en")))
        for a in e.attested:
            if a["source"] in ("handbook-1974", "nara-1973-79") and a.get("title"):
                g.add((c, SKOS.historyNote, Literal(f"{a['source']}: {a['title']}", lang="en")))
        old = seventies.get(e.code)
        if old:
            other = " (another meaning than Cablegate's)" if old["other"] or old["kind"] != e.kind else ""
            g.add((c, SKOS.historyNote, Literal(f"1970s (1974 handbook, section {old['section']}): {old['title']}"
                                                f"{other}", lang="en")))
        if e.category:
            g.add((c, DCTERMS.subject, Literal(f"{e.category['letter']}: {e.category['name']}")))
        g.add((c, DCTERMS.source, Literal(f"{e.provenance.get('source')}: {e.provenance.get('evidence', '')}")))
        if e.iso3166:
            g.add((c, SKOS.notation, Literal(e.iso3166, datatype=iso_type)))
            if e.status != "historic":  # the same place: ISO's code (GENC's is the same for ISO countries)
                g.add((c, SKOS.exactMatch, URIRef(ISO_3166_URI + e.iso3166)))
        elif e.kind == "geographic" and e.title in added:  # a place GENC codes beyond ISO (KV: GENC XK)
            g.add((c, SKOS.exactMatch, URIRef(GENC_URI + added[e.title])))
        if is_deprecated(e):
            g.add((c, OWL.deprecated, Literal(True, datatype=XSD.boolean)))
            if e.replaced_by:
                g.add((c, DCTERMS.isReplacedBy, URIRef(concept_uri(e.replaced_by, base))))
    for code, old in seventies.items():  # the codes of the 1970s only (UR, SEATO): concepts of their own, retired
        if code in tax.entries:
            continue
        c = URIRef(concept_uri(code, base))
        g.add((c, RDF.type, SKOS.Concept))
        g.add((c, SKOS.inScheme, schemes[old["kind"]]))
        g.add((c, SKOS.broader, tops[old["kind"]]))
        g.add((c, SKOS.notation, Literal(code)))
        g.add((c, SKOS.prefLabel, Literal(old["title"], lang="en")))
        for n in old["names"]:
            g.add((c, SKOS.altLabel, Literal(n, lang="en")))
        g.add((c, SKOS.historyNote, Literal(f"1970s (1974 handbook, section {old['section']}): {old['title']}; "
                                            "not a Cablegate code", lang="en")))
        g.add((c, DCTERMS.source, Literal(f"handbook: {tax.eras['1970s'].get('source', '')}")))
        g.add((c, OWL.deprecated, Literal(True, datatype=XSD.boolean)))
    return g.serialize(format="turtle")

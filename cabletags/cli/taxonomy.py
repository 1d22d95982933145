"""`cabletags taxonomy ...` (browse, search, validate, stats, export) and `cabletags corpus export`.

Each over one function of cabletags.vocabulary.taxonomy, cabletags.vocabulary.catalog or cabletags.scoring.corpus."""
from __future__ import annotations

import json
from pathlib import Path

import click

from ..surfaces.formatting import render
from ..textio import atomic_output
from ..vocabulary.taxonomy import KINDS
from .common import (EXIT_DATA, EXIT_UNRESOLVED, BatchInput, CLIError, Progress, finish_batch, format_option,
                     get_taxonomy, workspace)


@click.group()
def taxonomy():
    """Browse, search, validate and export the taxonomy."""


@taxonomy.command("list")
@click.option("--kind", type=click.Choice(KINDS))
@click.option("--category", help="Subject category letter, e.g. P.")
@click.option("--status", type=click.Choice(["current", "historic", "unknown"]))
@format_option
@click.pass_context
def list_(ctx, kind, category, status, fmt):
    """List codes, optionally filtered by kind, category letter or status."""
    tax = get_taxonomy(ctx)
    rows = []
    for e in sorted(tax.entries.values(), key=lambda e: (KINDS.index(e.kind), e.code)):
        if kind and e.kind != kind or status and e.status != status:
            continue
        if category and (not e.category or e.category["letter"] != category.upper()):
            continue
        rows.append({"code": e.code, "kind": e.kind, "title": e.title or "(meaning unknown)",
                     "category": e.category["letter"] if e.category else "", "status": e.status,
                     "verified": e.verified, "iso3166": e.iso3166 or ""})
    click.echo(render(rows, ["code", "kind", "title", "category", "status", "iso3166"], fmt,
                      {"taxonomy_version": tax.version}))


@taxonomy.command()
@click.argument("code")
@click.option("--corpus", type=click.Path(), help="Also count the cables of this JSON Lines corpus carrying it.")
@format_option
@click.pass_context
def show(ctx, code, corpus, fmt):
    """Everything known about one code (an alias is followed to its code)."""
    tax = get_taxonomy(ctx)
    c = code.strip().upper()
    via = None
    if c not in tax.entries and c in tax.aliases:
        via, c = c, tax.aliases[c][0]
    e = tax.entries.get(c)
    if e is None and c in tax.era_codes("1970s"):  # a code of the 1970s only (UR, SEATO): its 1974 entry
        from ..vocabulary.decoder import era_meaning

        e = era_meaning(tax, c, "1970s")[0]
    if e is None:
        from ..vocabulary.decoder import did_you_mean

        dym = did_you_mean(code, tax)
        shown = code if len(code) <= 40 else code[:40] + "…"
        raise CLIError(f"unknown code {shown!r}" + (f"; did you mean: {', '.join(dym)}" if dym else ""),
                       EXIT_UNRESOLVED)
    d = e.to_dict()
    d["verified"] = e.verified
    if via:
        d["looked_up_as"] = f"{via} (alias of {c})"
    if corpus:
        from ..scoring.corpus import read_corpus
        from ..vocabulary.catalog import corpus_stats

        per_code, _, n = corpus_stats(tax, read_corpus(corpus))
        d["corpus"] = {"cables": n, "carrying": per_code.get(c, 0)}
    if fmt in ("json", "jsonl"):
        d["taxonomy_version"] = tax.version
        click.echo(json.dumps(d, indent=2 if fmt == "json" else None, ensure_ascii=False))
        return
    rows = []
    for k, v in d.items():
        if k == "definition":
            rows.append({"field": "definition",
                         "value": v["text"].replace("\n\n", " / ") if "text" in v else "(none printed)"})
            v = f"{v['reference']} ({'proofread' if v.get('proofread') else 'OCR ' + v.get('ocr', 'unmarked')})"
            k = "definition from"
        elif k == "attested":
            v = "; ".join(_attestation(a) for a in v)
        elif isinstance(v, (dict, list)):
            v = json.dumps(v, ensure_ascii=False)
        rows.append({"field": k, "value": v})
    click.echo(render(rows, ["field", "value"], fmt))


def _attestation(a: dict) -> str:
    """One attestation in plain words: "cablegate: 12 cables, 2003-2009", "nara-1973-79: Audits (temporary)"."""
    if a["source"] == "cablegate":
        return f"cablegate: {a.get('count', 0)} cables, {a.get('first')}-{a.get('last')}"
    extra = f" ({a['disposition']})" if a.get("disposition") else ""
    return f"{a['source']}: {a.get('title', '')}{extra}"


@taxonomy.command("search")
@click.argument("words", nargs=-1, required=True)
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1))
@format_option
@click.pass_context
def search_(ctx, words, limit, fmt):
    """Find codes by words in titles, scope notes and aliases ("trafficking" finds KTIP)."""
    from ..vocabulary.catalog import search

    tax = get_taxonomy(ctx)
    hits = search(tax, " ".join(words), limit)
    for h in hits:
        h["aliases"] = " ".join(h.get("aliases", []))
    click.echo(render(hits, ["code", "kind", "title", "score", "why", "aliases"], fmt, {"taxonomy_version": tax.version}))
    if not hits:
        ctx.exit(EXIT_UNRESOLVED)


@taxonomy.command()
@click.argument("path", required=False, type=click.Path())
@click.pass_context
def validate(ctx, path):
    """Validate a taxonomy directory (default: the one in use), listing every problem."""
    from ..vocabulary.taxonomy import default_taxonomy_dir, validate_taxonomy

    root = ctx.find_root().obj or {}
    target = path or root.get("taxonomy") or str(default_taxonomy_dir())
    problems = validate_taxonomy(target, memo=workspace(ctx).checked)
    for p in problems:
        click.echo(p)
    if problems:
        raise CLIError(f"{target}: {len(problems)} problem(s)", EXIT_DATA)
    click.echo(f"{target}: valid", err=True)


@taxonomy.command()
@click.option("--corpus", required=True, type=click.Path(allow_dash=True), help="JSON Lines with a `tags` field.")
@click.option("--field", "field_name", default="tags", show_default=True)
@click.option("--top", default=30, show_default=True, type=click.IntRange(1), help="Unknown items to show.")
@format_option
@click.pass_context
def stats(ctx, corpus, field_name, top, fmt):
    """Cables per code, and the items that stay unknown after normalization (most frequent first)."""
    from ..vocabulary.catalog import corpus_stats

    tax = get_taxonomy(ctx)
    batch, prog = BatchInput(corpus, (field_name,)), Progress("read")

    def records():
        for rec in batch.records():
            prog.tick()
            yield rec

    per_code, unknown, n = corpus_stats(tax, records(), field_name)
    batch.check()
    rows = [{"item": c, "type": "code", "kind": tax.entries[c].kind, "cables": k} for c, k in per_code.most_common()]
    rows += [{"item": u, "type": "unknown", "kind": "", "cables": k} for u, k in unknown.most_common(top)]
    click.echo(render(rows, ["item", "type", "kind", "cables"], fmt, {"cables": n, "taxonomy_version": tax.version}))
    finish_batch(ctx, "taxonomy stats", batch, prog.n, prog)


@taxonomy.command("export")
@click.option("--format", "fmt", type=click.Choice(["skos", "csv", "json", "annif"]), default="skos", show_default=True)
@click.option("--output", "-o", type=click.Path(), help="Write to FILE instead of stdout.")
@click.option("--base-uri", default=None, help="Base URI of the concepts.")
@click.pass_context
def export_(ctx, fmt, output, base_uri):
    """Export as SKOS (Turtle), CSV, JSON, or an Annif subject vocabulary (<uri>\\tlabel)."""
    from ..vocabulary.catalog import BASE_URI, export

    tax = get_taxonomy(ctx)
    text = export(tax, fmt, base_uri or BASE_URI)
    with atomic_output(output) as out:
        out.write(text if text.endswith("\n") else text + "\n")


@click.group()
def corpus():
    """Work with JSON Lines corpora."""


@corpus.command("export")
@click.argument("corpus", type=click.Path(allow_dash=True))
@click.option("--annif", "annif_dir", required=True, type=click.Path(), help="Directory to write the Annif corpus to.")
@click.option("--text-field", default="body", show_default=True)
@click.option("--base-uri", default=None)
@click.pass_context
def corpus_export(ctx, corpus, annif_dir, text_field, base_uri):
    """Write a corpus as Annif's short-text document corpus (corpus.tsv) with its vocabulary (vocab.tsv).

    Subjects are the normalized tags as URIs matching `cabletags taxonomy export --format annif|skos`.
    """
    from ..scoring.corpus import export_annif

    tax = get_taxonomy(ctx)
    batch, prog = BatchInput(corpus, (text_field, "tags")), Progress("exported")

    def records():
        for rec in batch.records():
            prog.tick()
            yield rec

    n, skipped = export_annif(records(), annif_dir, tax, text_field, base_uri=base_uri, check=batch.check)
    finish_batch(ctx, "corpus export", batch, prog.n, prog)
    click.echo(f"wrote {n} documents to {Path(annif_dir) / 'corpus.tsv'} ({skipped} without text or tags skipped) "
               f"and the vocabulary to {Path(annif_dir) / 'vocab.tsv'}", err=True)

"""`cabletags parse` and `cabletags audit`: whole cables (cabletags.parse_cable) and tag audits
(cabletags.surfaces.audit)."""
from __future__ import annotations

import json

import click

from ..surfaces.formatting import render
from ..textio import atomic_output, dumps
from ..vocabulary.taxonomy import ERAS
from .common import (EXIT_INPUT, EXIT_USAGE, BatchInput, CLIError, Progress, each_cable, finish_batch, finish_files,
                     format_option, get_taxonomy, is_batch, load_suggester, model_option, output_option,
                     read_document_input, strict_option)


@click.command()
@click.argument("files", nargs=-1, type=click.Path(allow_dash=True))
@click.option("--jsonl", is_flag=True, help="FILE is JSON Lines: add a 'parsed' field to every record.")
@click.option("--field", "field_name", default="text", show_default=True, help="Record field with the cable text.")
@click.option("--era", type=click.Choice(["auto", *ERAS]), default="auto", show_default=True,
              help="Era the codes' meanings are read in; auto: the 1970s for cables up to 1979 (by reference id or "
                   "date-time group), Cablegate's otherwise.")
@output_option
@strict_option
@format_option
@click.pass_context
def parse(ctx, files, jsonl, field_name, era, output, strict, fmt):
    """Read whole cables: header fields, TAGS (raw and normalized), subject, paragraphs.

    FILES: a cable as bare text (any encoding), a saved page (cablegate, PlusD, others) or a PDF; - for stdin.
    Several files, a folder or a glob pattern give one JSON Lines record per file, with its path.

    \b
    cabletags parse cable.txt
    cabletags parse saved-pages/ > cables.jsonl
    cabletags parse --jsonl --field text cables.jsonl > parsed.jsonl
    """
    tax = get_taxonomy(ctx)
    if jsonl:
        from ..surfaces.batch import parse_records

        if len(files) > 1:
            raise CLIError("--jsonl reads one file (or stdin)", EXIT_USAGE)
        file = files[0] if files else None
        batch, prog = BatchInput(file, (field_name,)), Progress("parsed")
        with atomic_output(output) as out:
            for rec in parse_records(batch.records(), field_name, tax, era):
                out.write(dumps(rec) + "\n")
                prog.tick()
            batch.check()
        return finish_batch(ctx, "parse", batch, prog.n, prog, strict)
    if is_batch(files):
        prog = Progress("parsed")
        cables, bad = each_cable(files, tax, era, prog)
        n = 0
        with atomic_output(output) as out:
            for path, c in cables:
                d = c.to_dict()
                d["tags"]["taxonomy_version"] = tax.version
                out.write(dumps(d) + "\n")
                n += 1
            if bad and not n:
                finish_files(ctx, "parse", bad, n, prog, strict)
        return finish_files(ctx, "parse", bad, n, prog, strict)
    from ..reading import read_cable

    p = read_cable(read_document_input(files[0] if files else None), tax, era)
    d = p.to_dict()
    with atomic_output(output) as out:
        if fmt in ("json", "jsonl"):
            d["tags"]["taxonomy_version"] = tax.version
            out.write((json.dumps(d, indent=2, ensure_ascii=False) if fmt == "json" else dumps(d)) + "\n")
            return
        t = p.tags
        rid = f"{p.reference_id} ({p.reference_id_source})" if p.reference_id else None
        rows = [{"field": k, "value": v} for k, v in [
            ("reference id", rid), ("as written", p.reference_id_original), ("read as", p.layout if p.layout != "text" else None),
            ("date", p.date), ("year", p.year), ("origin", " ".join(x for x in (p.origin, p.origin_country and
                                                                            f"({p.origin_country})") if x)),
            ("post / serial", " ".join(x for x in (p.post, p.serial) if x)),
            ("date-time group", p.date_time_group), ("from", p.from_), ("to", "; ".join(p.to)),
            ("classification", p.classification), ("caveats", ", ".join(p.caveats)), ("E.O.", p.eo_line),
            ("TAGS (raw)", p.tags_raw if p.tags_raw is not None else "(no TAGS line)"),
            ("TAGS (codes)", ", ".join(t.codes)),
            (f"meanings ({p.era})", "; ".join(f"{c} {title}" for c, title in p.meanings.items())),
            ("names", "; ".join(t.names)), ("unknown", "; ".join(t.unknown)),
            ("repairs", "; ".join(f"{r.kind}: {r.original} -> {' '.join(r.result) or '(removed)'}" for r in t.repairs)),
            ("subject", p.subject), ("refs", " | ".join(p.refs)), ("summary", p.summary), ("comment", p.comment),
            ("signature", p.signature), ("doubts", " | ".join(p.doubts)),
            ("paragraphs", str(len(p.paragraphs)))] if v]
        rows += [{"field": f"  {q.number or '-'} {('(' + q.marking + ')') if q.marking else ''}".rstrip(),
                  "value": q.text} for q in p.paragraphs]
        out.write(render(rows, ["field", "value"], "tsv" if fmt == "tsv" else "table") + "\n")


@click.command()
@click.argument("corpus", type=click.Path(allow_dash=True))
@click.option("--text-field", default="body", show_default=True)
@click.option("--tags-field", default="tags", show_default=True, help="Field with the raw TAGS line.")
@click.option("--id-field", default="id", show_default=True)
@model_option
@click.option("--min-score", default=0.8, show_default=True, type=click.FloatRange(0, 1),
              help="A missing tag is reported when the text supports it at least this strongly.")
@output_option
@click.pass_context
def audit(ctx, corpus, text_field, tags_field, id_field, model_path, min_score, output):
    """Audit a JSON Lines corpus: tags the text strongly supports but the TAGS line lacks, and malformed lines.

    Writes one JSON object per cable with findings (JSON Lines) and a summary on stderr.
    """
    from ..surfaces.audit import Auditor

    one_cable = corpus not in (None, "-") and not _looks_like_jsonl(corpus)
    auditor = Auditor(load_suggester(ctx, model_path, cable=one_cable), min_score, text_field, tags_field, id_field,
                      cable=one_cable)
    if one_cable:
        return _audit_cable(ctx, auditor, corpus, output)
    batch, prog = BatchInput(corpus, (text_field, tags_field)), Progress("audited")
    with atomic_output(output) as out:
        for finding in auditor.audit(batch.records()):
            out.write(dumps(finding) + "\n")
            prog.tick()
        batch.check()
    sm = auditor.summary
    finish_batch(ctx, "audit", batch, prog.n, prog)
    click.echo(f"audited {sm.cables} cables; {sm.flagged} with findings", err=True)
    click.echo("repairs by kind: " + (", ".join(f"{k} {v}" for k, v in sm.repairs.most_common()) or "none"), err=True)
    click.echo("missing tags: " + (", ".join(f"{k} {v}" for k, v in sm.missing.most_common(20)) or "none"), err=True)


def _looks_like_jsonl(path) -> bool:
    """JSON Lines start with "{" (after blank space); a cable or a page does not."""
    from ..textio import open_binary

    f = open_binary(path)
    try:
        head = f.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    finally:
        f.close()
    return not head or head.startswith(b"{")


def _audit_cable(ctx, auditor, path, output):
    """`audit cable.txt`: one cable (or a page holding one) audited as a one-record corpus."""
    from ..reading import read_cable

    p, model_text = auditor.s.cable_text(read_cable(read_document_input(path), auditor.s.taxonomy))
    if p.tags_raw is None:
        raise CLIError(f"{path}: neither JSON Lines nor a cable (no TAGS line to audit)", EXIT_INPUT)
    rec = {auditor.id_field: p.reference_id or str(path), auditor.tags_field: p.tags_raw,
           auditor.text_field: model_text}
    with atomic_output(output) as out:
        for finding in auditor.audit([rec]):
            out.write(dumps(finding) + "\n")
    sm = auditor.summary
    click.echo(f"audited 1 cable ({path}); {sm.flagged} with findings", err=True)


"""`cabletags parse` and `cabletags audit`: whole cables (header, TAGS, paragraphs) and tag audits."""
from __future__ import annotations

import json
import sys
from collections import Counter

import click

from .cli import read_text_input, EXIT_BAD_RECORDS, EXIT_INPUT, CLIError, _taxonomy, cli, format_option
from .formatting import render
from .textio import Stats, atomic_output, dumps, iter_jsonl


@cli.command()
@click.argument("file", required=False, type=click.Path(allow_dash=True))
@click.option("--jsonl", is_flag=True, help="FILE is JSON Lines: add a 'parsed' field to every record.")
@click.option("--field", "field_name", default="text", show_default=True, help="Record field with the cable text.")
@click.option("--output", "-o", type=click.Path(), help="Write to FILE (atomically) instead of stdout.")
@click.option("--strict", is_flag=True, help="Exit 5 when any input record was bad.")
@format_option
@click.pass_context
def parse(ctx, file, jsonl, field_name, output, strict, fmt):
    """Parse a whole cable (FILE or - for stdin): header fields, TAGS (raw and normalized), subject, paragraphs.

    \b
    cabletags parse cable.txt
    cabletags parse --jsonl --field text cables.jsonl > parsed.jsonl
    """
    from .parser import parse_cable

    tax = _taxonomy(ctx)
    if file is None and (sys.stdin is None or sys.stdin.isatty()):
        raise CLIError("no input: give FILE (or -) or pipe a cable on stdin", EXIT_INPUT)
    if jsonl:
        stats = Stats()
        with atomic_output(output) as out:
            for n, rec, _ in iter_jsonl(file, stats):
                if rec is None:
                    continue
                text = rec.get(field_name)
                p = parse_cable(text if isinstance(text, str) else "", tax).to_dict()
                p["tags"]["taxonomy_version"] = tax.version
                rec["parsed"] = p
                out.write(dumps(rec) + "\n")
        stats.report()
        if stats.bad and strict:
            ctx.exit(EXIT_BAD_RECORDS)
        return
    text = read_text_input(file, "a cable")
    p = parse_cable(text, tax)
    d = p.to_dict()
    with atomic_output(output) as out:
        if fmt in ("json", "jsonl"):
            d["tags"]["taxonomy_version"] = tax.version
            out.write((json.dumps(d, indent=2, ensure_ascii=False) if fmt == "json" else dumps(d)) + "\n")
            return
        t = p.tags
        rows = [{"field": k, "value": v} for k, v in [
            ("reference id", p.reference_id), ("post / serial", " ".join(x for x in (p.post, p.serial) if x)),
            ("date-time group", p.date_time_group), ("from", p.from_), ("to", "; ".join(p.to)),
            ("classification", p.classification), ("caveats", ", ".join(p.caveats)), ("E.O.", p.eo_line),
            ("TAGS (raw)", p.tags_raw if p.tags_raw is not None else "(no TAGS line)"),
            ("TAGS (codes)", ", ".join(t.codes)), ("names", "; ".join(t.names)), ("unknown", "; ".join(t.unknown)),
            ("repairs", "; ".join(f"{r.kind}: {r.original} -> {' '.join(r.result) or '(removed)'}" for r in t.repairs)),
            ("subject", p.subject), ("refs", " | ".join(p.refs)), ("summary", p.summary), ("comment", p.comment),
            ("paragraphs", str(len(p.paragraphs)))] if v]
        rows += [{"field": f"  {q.number or '-'} {('(' + q.marking + ')') if q.marking else ''}".rstrip(),
                  "value": q.text} for q in p.paragraphs]
        out.write(render(rows, ["field", "value"], "tsv" if fmt == "tsv" else "table") + "\n")


@cli.command()
@click.argument("corpus", type=click.Path(allow_dash=True))
@click.option("--text-field", default="body", show_default=True)
@click.option("--tags-field", default="tags", show_default=True, help="Field with the raw TAGS line.")
@click.option("--id-field", default="id", show_default=True)
@click.option("--model", "model_path", type=click.Path(), help="Model directory (default: the shipped model).")
@click.option("--min-score", default=0.8, show_default=True, type=click.FloatRange(0, 1),
              help="A missing tag is reported when the text supports it at least this strongly.")
@click.option("--output", "-o", type=click.Path(), help="Write the JSON Lines report here instead of stdout.")
@click.pass_context
def audit(ctx, corpus, text_field, tags_field, id_field, model_path, min_score, output):
    """Audit a JSON Lines corpus: tags the text strongly supports but the TAGS line lacks, and malformed lines.

    Writes one JSON object per cable with findings (JSON Lines) and a summary on stderr.
    """
    from .cli_suggest import _Progress, _load_suggester

    s = _load_suggester(ctx, model_path)
    from .normalizer import get_normalizer

    norm = get_normalizer(s.taxonomy)
    stats = Stats()
    repairs, missing_c, cables, flagged = Counter(), Counter(), 0, 0
    prog = _Progress("audited")
    batch: list = []

    def flush(out):
        nonlocal flagged
        if not batch:
            return
        P = s.scores([t for _, _, t in batch], [rid for rid, _, _ in batch])
        for (rid, raw, text), p in zip(batch, P):
            nt = norm.normalize(raw)
            own = set(nt.codes)
            missing = [{"tag": s.labels[j], "score": round(float(p[j]), 3)} for j in (-p).argsort()
                       if p[j] >= min_score and s.labels[j] not in own] if text.strip() else []
            # a label word ("TAGS:") in the field is expected, not a malformation; names are not repairs either
            real = [r for r in nt.repairs if r.kind != "name" and not (r.kind == "junk" and r.note == "label word")]
            malformed = [r.to_dict() for r in real]
            finding = {"id": rid, "tags_raw": raw, "codes": nt.codes, "missing": missing,
                       "malformed": bool(malformed or nt.unknown), "repairs": malformed, "unknown": nt.unknown}
            if raw is None or not raw.strip():
                finding["malformed"] = True
                finding["problem"] = "no TAGS line"
            for r in real:
                repairs[r.kind] += 1
            if nt.unknown:
                repairs["unknown token"] += len(nt.unknown)
            missing_c.update(m["tag"] for m in missing)
            flagged += bool(missing or finding["malformed"])
            out.write(dumps(finding) + "\n")
        prog.tick(len(batch))
        batch.clear()

    with atomic_output(output) as out:
        for n, rec, _ in iter_jsonl(corpus, stats):
            if rec is None:
                continue
            cables += 1
            raw = rec.get(tags_field)
            text = rec.get(text_field)
            batch.append((rec.get(id_field), raw if isinstance(raw, str) else None,
                          text if isinstance(text, str) else ""))
            if len(batch) >= 512:
                flush(out)
        flush(out)
    prog.done()
    stats.report()
    click.echo(f"audited {cables} cables; {flagged} with findings", err=True)
    click.echo("repairs by kind: " + (", ".join(f"{k} {v}" for k, v in repairs.most_common()) or "none"), err=True)
    click.echo("missing tags: " + (", ".join(f"{k} {v}" for k, v in missing_c.most_common(20)) or "none"), err=True)


def cable_suggestions(s, text: str, limit: int = 10) -> dict:
    """Whole-cable and per-paragraph suggestions beside the cable's own tags (for `suggest --cable`)."""
    from .parser import parse_cable

    p = parse_cable(text, s.taxonomy)
    own = set(p.tags.codes)
    body_paras = [q.text for q in p.paragraphs if q.text.strip()]
    # the REF line goes with the paragraphs (the model reads cited cables from it); the header does not (its
    # own serial, "ANKARA 000123", would read as a reference)
    refs = "REF: " + " ".join(p.refs) + "\n\n" if p.refs else ""
    whole_text = refs + "\n\n".join(body_paras) if body_paras else text
    P, S = s.predict([whole_text], [p.reference_id])
    whole = s.rank(P[0], limit, S[0])
    per = s.suggest_batch(body_paras, min(limit, 5)) if body_paras else []
    scores = dict(zip(s.labels, P[0]))
    return {
        "reference_id": p.reference_id, "subject": p.subject, "own_tags": p.tags.codes,
        "whole": [dict(x.to_dict(), own=x.tag in own) for x in whole],
        "suggested_but_absent": [x.tag for x in whole if x.selected and x.tag not in own],
        "present_but_unsupported": [t for t in p.tags.codes if t in scores and scores[t] < 0.1],
        "not_in_model": [t for t in p.tags.codes if t not in scores],
        "paragraphs": [{"number": q.number, "tags": [x.to_dict() for x in sug]}
                       for q, sug in zip([q for q in p.paragraphs if q.text.strip()], per)],
    }

"""`cabletags train | suggest | evaluate`: the model commands (they import scikit-learn, the light ones don't)."""
from __future__ import annotations

import sys

import click

from .cli import read_text_input, EXIT_BAD_RECORDS, EXIT_DATA, EXIT_INPUT, CLIError, cli, format_option
from .formatting import render
from .textio import Stats, atomic_output, dumps, iter_jsonl


def _load_suggester(ctx, model_path):
    from .cli import _taxonomy
    from .model import ModelError
    from .suggester import Suggester

    tax = _taxonomy(ctx)
    try:
        return Suggester.load(model_path, taxonomy=tax)
    except ModelError as e:
        raise CLIError(f"model: {e}", EXIT_DATA) from None


class _Progress:
    """A one-line counter on stderr, only when stderr is a terminal."""

    def __init__(self, label: str):
        self.on = sys.stderr.isatty()
        self.label, self.n = label, 0

    def tick(self, k: int = 1):
        self.n += k
        if self.on and (self.n % 200 < k or k > 1):
            click.echo(f"\r{self.label}: {self.n}", err=True, nl=False)

    def done(self):
        if self.on:
            click.echo(f"\r{self.label}: {self.n}", err=True)


# --- train ------------------------------------------------------------------------------------------
@cli.command()
@click.option("--corpus", required=True, type=click.Path(), help="JSON Lines corpus (.gz ok), e.g. ../shared/corpus/cables.jsonl.gz")
@click.option("--out", "out", required=True, type=click.Path(), help="Model directory to write, e.g. models/mine")
@click.option("--validation-share", default=0.2, show_default=True, type=click.FloatRange(0.01, 0.9))
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the validation split.")
@click.option("--min-label-count", default=20, show_default=True, type=click.IntRange(1),
              help="A code joins the label space when this many training cables carry it.")
@click.option("--text-field", default="body", show_default=True)
@click.option("--no-refit", is_flag=True, help="Keep the model fitted on the training split (skip the refit on all data).")
@click.option("--C", "C", type=float, help="Override the SVM regularisation.")
@click.option("--no-references", is_flag=True,
              help="Keep no reference index (the tags of the training cables a text cites); text only.")
@click.option("--jobs", default=2, show_default=True, type=click.IntRange(1), help="Processes for fitting.")
@click.pass_context
def train(ctx, corpus, out, validation_share, seed, min_label_count, text_field, no_refit, C, no_references, jobs):
    """Train a tag model on a corpus and write it with its model card."""
    from .model import ModelSettings
    from .training import train_model

    settings = ModelSettings(references=not no_references, **({} if C is None else {"C": C}))

    def progress(msg):
        click.echo(msg, err=True)

    try:
        _, card = train_model(corpus, out, settings=settings, validation_share=validation_share, seed=seed,
                              min_label_count=min_label_count, refit=not no_refit, text_field=text_field,
                              n_jobs=jobs, progress=progress)
    except ValueError as e:
        raise CLIError(str(e), EXIT_INPUT) from None
    click.echo(f"wrote {out} ({card.get('size_bytes', 0) / 1e6:.1f} MB, {card['labels']['count']} labels); "
               f"see {out}/MODEL_CARD.md", err=True)


# --- suggest ----------------------------------------------------------------------------------------
_WORKER = {}


def _worker_init(model_path, taxonomy, overlay):
    from .suggester import Suggester
    from .taxonomy import load_taxonomy

    _WORKER["s"] = Suggester.load(model_path, taxonomy=load_taxonomy(taxonomy, overlay=overlay))


def _worker_run(args):
    texts, limit, ids = args
    return [[x.to_dict() for x in row] for row in _WORKER["s"].suggest_batch(texts, limit, ids=ids)]


@cli.command()
@click.argument("file", required=False, type=click.Path(allow_dash=True))
@click.option("--jsonl", is_flag=True, help="FILE is JSON Lines: one result line per record.")
@click.option("--text-field", default="body", show_default=True, help="Record field with the text (--jsonl).")
@click.option("--id-field", default="id", show_default=True, help="Record field with the id (--jsonl).")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(0), help="Suggestions per text.")
@click.option("--paragraphs", is_flag=True, help="Suggest for each paragraph of the text.")
@click.option("--explain", is_flag=True, help="Show the terms that pushed each suggested tag.")
@click.option("--cable", is_flag=True, help="FILE is a whole cable: suggest for it and each paragraph, beside its own tags.")
@click.option("--model", "model_path", type=click.Path(), help="Model directory (default: the shipped model).")
@click.option("--output", "-o", type=click.Path(), help="Write to FILE (atomically) instead of stdout.")
@click.option("--jobs", default=1, show_default=True, type=click.IntRange(1), help="Processes for --jsonl.")
@click.option("--strict", is_flag=True, help="Exit 5 when any input record was bad.")
@format_option
@click.pass_context
def suggest(ctx, file, jsonl, text_field, id_field, limit, paragraphs, explain, cable, model_path, output, jobs, strict,
            fmt):
    """Suggest tags, with scores, for a text (FILE or - for stdin) or for every record of JSON Lines.

    \b
    cabletags suggest paragraph.txt
    cabletags suggest --jsonl cables.jsonl --text-field body --id-field id > suggestions.jsonl
    """
    if file is None and (sys.stdin is None or sys.stdin.isatty()):
        raise CLIError("no input: give FILE (or -) or pipe text on stdin", EXIT_INPUT)
    if jsonl:
        return _suggest_jsonl(ctx, file, text_field, id_field, limit, model_path, output, jobs, strict)
    s = _load_suggester(ctx, model_path)
    text = read_text_input(file, "text")
    if cable:
        return _suggest_cable(s, text, limit, output, fmt)
    from .features import split_paragraphs

    parts = split_paragraphs(text) if paragraphs else [text]
    results = s.suggest_batch(parts, limit)
    rows = []
    for n, (part, sugg) in enumerate(zip(parts, results), 1):
        for rank, x in enumerate(sugg, 1):
            row = {"paragraph": n, "rank": rank, "tag": x.tag, "score": round(x.score, 4), "selected": x.selected,
                   "kind": x.kind, "title": x.title or ""}
            if explain:
                row["because"] = ", ".join(t for t, _ in s.explain(part, x.tag, 6))
            rows.append(row)
    cols = (["paragraph"] if paragraphs else []) + ["rank", "tag", "score", "selected", "kind", "title"] + \
        (["because"] if explain else [])
    with atomic_output(output) as out:
        if fmt == "json":
            docs = []
            for n, (part, sugg) in enumerate(zip(parts, results), 1):
                d = {"paragraph": n, "tags": [x.to_dict() for x in sugg]} if paragraphs else \
                    {"tags": [x.to_dict() for x in sugg]}
                if explain:
                    for t in d["tags"]:
                        t["because"] = [w for w, _ in s.explain(part, t["tag"], 6)]
                docs.append(d)
            import json

            out.write(json.dumps(docs if paragraphs else docs[0], indent=2) + "\n")
        else:
            out.write(render(rows, cols, fmt) + "\n")


def _suggest_cable(s, text, limit, output, fmt):
    import json

    from .cli_cable import cable_suggestions

    d = cable_suggestions(s, text, limit)
    with atomic_output(output) as out:
        if fmt in ("json", "jsonl"):
            out.write((json.dumps(d, indent=2) if fmt == "json" else dumps(d)) + "\n")
            return
        own = set(d["own_tags"])
        rows = [{"rank": k, "tag": x["tag"], "score": x["score"], "selected": x["selected"],
                 "on TAGS line": "yes" if x["tag"] in own else "",
                 "note": "suggested but absent" if x["selected"] and x["tag"] not in own else ""}
                for k, x in enumerate(d["whole"], 1)]
        out.write(f"cable {d['reference_id'] or '(no reference id)'}: {d['subject'] or '(no subject)'}\n")
        out.write(f"own tags: {', '.join(d['own_tags']) or '(no TAGS line)'}\n")
        out.write(render(rows, ["rank", "tag", "score", "selected", "on TAGS line", "note"], fmt) + "\n")
        if d["present_but_unsupported"]:
            out.write("present but unsupported by the text: " + ", ".join(d["present_but_unsupported"]) + "\n")
        for para in d["paragraphs"]:
            out.write(f"paragraph {para['number'] or '-'}: " +
                      ", ".join(f"{t['tag']} {t['score']:.2f}" for t in para["tags"]) + "\n")


def _suggest_jsonl(ctx, file, text_field, id_field, limit, model_path, output, jobs, strict):
    stats = Stats()
    no_text = 0
    prog = _Progress("suggested")
    chunk: list = []
    s = _load_suggester(ctx, model_path) if jobs == 1 else None
    pool = None
    if jobs > 1:
        import multiprocessing as mp

        root = ctx.find_root().obj or {}
        _load_suggester(ctx, model_path)  # fail fast, with a clear message, before forking
        pool = mp.get_context("spawn").Pool(jobs, initializer=_worker_init,
                                             initargs=(model_path, root.get("taxonomy"), root.get("overlay")))

    def flush(out, pending):
        if not pending:
            return
        texts = [t for _, t in pending]
        ids = [rid for rid, _ in pending]  # only to keep a training cable from finding itself in the index
        if pool is None:
            rows = [[x.to_dict() for x in r] for r in s.suggest_batch(texts, limit, ids=ids)]
        else:
            per = max(1, len(texts) // jobs + 1)
            parts = pool.map(_worker_run, [(texts[i:i + per], limit, ids[i:i + per])
                                           for i in range(0, len(texts), per)])
            rows = [r for p in parts for r in p]
        for (rid, text), tags in zip(pending, rows):
            out.write(dumps({"id": rid, "tags": tags if text.strip() else []}) + "\n")
        prog.tick(len(pending))
        pending.clear()

    try:
        with atomic_output(output) as out:
            for n, rec, _ in iter_jsonl(file, stats):
                if rec is None:
                    continue
                text = rec.get(text_field)
                if not isinstance(text, str) or not text.strip():
                    no_text += 1
                chunk.append((rec.get(id_field), text if isinstance(text, str) else ""))
                if len(chunk) >= 256 * jobs:
                    flush(out, chunk)
            flush(out, chunk)
    finally:
        if pool is not None:
            pool.terminate()
    prog.done()
    stats.report()
    if no_text:
        click.echo(f"warning: {no_text} record(s) had no text in field {text_field!r}: empty tag lists written", err=True)
    if stats.bad and strict:
        ctx.exit(EXIT_BAD_RECORDS)


# --- evaluate ---------------------------------------------------------------------------------------
@cli.command()
@click.option("--corpus", required=True, type=click.Path(), help="JSON Lines with a text field and a `tags` line.")
@click.option("--model", "model_path", type=click.Path(), help="Model directory (default: the shipped model).")
@click.option("--text-field", default="body", show_default=True)
@click.option("--per-tag", "per_tag", type=click.Path(), help="Write per-tag precision/recall/F1/support (TSV).")
@click.option("--predictions", type=click.Path(), help="Also write the predictions as JSON Lines (scorer format).")
@format_option
@click.pass_context
def evaluate(ctx, corpus, model_path, text_field, per_tag, predictions, fmt):
    """Score the model on a tagged corpus: P@1, P@3, P@5, F1@5, NDCG@5, F1 micro/macro, per kind."""
    import numpy as np

    from .evaluation import per_tag_scores
    from .training import load_labelled, validation_report

    s = _load_suggester(ctx, model_path)
    ids, texts, gold = load_labelled(corpus, text_field, s.taxonomy)
    if not ids:
        raise CLIError(f"{corpus}: no records to evaluate", EXIT_INPUT)
    P, S = s.predict(texts, ids)
    report = validation_report(s.model, texts, gold, s.taxonomy, P=P, S=S)
    rows = [{"slice": k, **{m: (round(v, 4) if isinstance(v, float) else v) for m, v in r.items()}}
            for k, r in report.items() if r.get("documents")]
    cols = ["slice", "documents", "P@1", "P@3", "P@5", "F1@5", "NDCG@5", "F1_micro", "F1_macro"]
    click.echo(render(rows, cols, fmt, {"model": s.source, "taxonomy_version": s.taxonomy.version}))
    selected = [{s.labels[j] for j in np.flatnonzero(row)} for row in S]
    if per_tag:
        rows = per_tag_scores([set(g) for g in gold], selected, s.labels)
        with atomic_output(per_tag) as out:
            out.write(render([{k: round(v, 4) if isinstance(v, float) else v for k, v in r.items()} for r in rows],
                             ["tag", "precision", "recall", "f1", "support"], "tsv") + "\n")
    if predictions:
        with atomic_output(predictions) as out:
            for rid, row, sel in zip(ids, P, S):
                top = s.rank(row, 10, sel)
                out.write(dumps({"id": rid, "tags": [x.to_dict() for x in top]}) + "\n")

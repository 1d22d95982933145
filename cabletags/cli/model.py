"""`cabletags train | suggest | evaluate`: the model commands (they import scikit-learn, the light ones don't).

train -> cabletags.scoring.training.train_model; suggest -> Suggester.suggest_batch / suggest_cable and
cabletags.surfaces.batch.suggest_records; evaluate -> cabletags.scoring.evaluation.evaluate_model.
"""
from __future__ import annotations

import json

import click

from ..scoring.results import cable_result, cable_results, text_result
from ..surfaces.formatting import render
from ..textio import Stats, atomic_output, dumps
from .common import (EXIT_BAD_RECORDS, EXIT_USAGE, BatchInput, CLIError, Progress, cable_model_option, each_cable,
                     finish_batch, finish_files, format_option, get_taxonomy, is_batch, load_suggester, model_option,
                     output_option, read_document_input, require_input, strict_option)


@click.command()
@click.option("--corpus", required=True, type=click.Path(),
              help="JSON Lines corpus (.gz ok), e.g. ../shared/corpus/cables.jsonl.gz")
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
@click.option("--no-neighbours", is_flag=True,
              help="Keep no nearest-cables index (each training cable's heaviest words and tags, whose vote joins "
                   "the scores); a smaller model.")
@click.option("--no-combiner", is_flag=True,
              help="Fit no learned combiner (trees that score each text's first candidates again from every "
                   "scorer's output; kept only when they beat the calibrated rule on validation).")
@click.option("--reading", type=click.Choice(["text", "cable"]), default="text", show_default=True,
              help="text: learn from the text field as it is (bodies); cable: from whole cables (each record's "
                   "preamble and text field, TAGS field left out), the model `suggest --cable` uses.")
@click.option("--jobs", default=2, show_default=True, type=click.IntRange(1), help="Processes for fitting.")
@click.option("--force", is_flag=True, help="Replace the model already in --out (otherwise refused).")
@click.option("--dry-run", is_flag=True, help="Read the corpus and say what the run would do (split, label space, "
                                              "settings, taxonomy, output folder); fit and write nothing.")
@strict_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="--dry-run's output: plain lines or JSON.")
@click.pass_context
def train(ctx, corpus, out, validation_share, seed, min_label_count, text_field, no_refit, C, no_references,
          no_neighbours, no_combiner, reading, jobs, force, dry_run, strict, fmt):
    """Train a tag model on a corpus and write it with its model card.

    --out is checked and locked before training; the new model folder is built beside it and swapped in
    whole, so a reader never sees a half-written model. The labels are read with the taxonomy of the global
    options (--taxonomy, --taxonomy-overlay).
    """
    from ..scoring.model import ModelSettings
    from ..scoring.training import plan_training, train_model

    # a whole-cable model is joined with a model of its header when that ranks the validation split better
    extra = ({} if C is None else {"C": C}) | ({"neighbours": 0} if no_neighbours else {})
    settings = ModelSettings(references=not no_references, reading=reading, combiner=not no_combiner,
                             header_weight=1.0 if reading == "cable" else 0.0, **extra)
    options = dict(settings=settings, validation_share=validation_share, seed=seed, min_label_count=min_label_count,
                   refit=not no_refit, text_field=text_field, n_jobs=jobs, force=force, strict=strict,
                   taxonomy=get_taxonomy(ctx), progress=lambda msg: click.echo(msg, err=True))
    if dry_run:
        plan = plan_training(corpus, out, **options)
        click.echo(dumps(plan.to_dict()) if fmt == "json" else "\n".join(plan.describe()))
        return
    _, card = train_model(corpus, out, phase_bar=_phase_bar, **options)
    click.echo(f"wrote {out} ({card.get('size_bytes', 0) / 1e6:.1f} MB, {card['labels']['count']} labels); "
               f"see {out}/MODEL_CARD.md", err=True)


@click.command()
@click.argument("files", nargs=-1, type=click.Path(allow_dash=True))
@click.option("--jsonl", is_flag=True, help="FILE is JSON Lines: one result line per record.")
@click.option("--text-field", default="body", show_default=True, help="Record field with the text (--jsonl).")
@click.option("--id-field", default="id", show_default=True, help="Record field with the id (--jsonl).")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(0), help="Suggestions per text.")
@click.option("--paragraphs", is_flag=True, help="Suggest for each paragraph of the text.")
@click.option("--explain", is_flag=True, help="Show the terms that pushed each suggested tag.")
@click.option("--threshold", type=click.FloatRange(0, 1),
              help="Select the tags scoring at least this, instead of the model's calibrated cut.")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(["subject", "program", "geographic", "organization"]),
              help="Only tags of this kind (repeatable): 'which program tag applies' lists the program tags at the "
                   "top; the scores and the selected set stay the whole ranking's.")
@click.option("--cable", is_flag=True, help="FILE is a whole cable (text, saved page or PDF): suggest for it and each "
                                            "paragraph, beside its own tags; several files, a folder or a glob give "
                                            "one JSON Lines record per file.")
@model_option
@cable_model_option
@output_option
@click.option("--jobs", default=1, show_default=True, type=click.IntRange(1), help="Processes for --jsonl.")
@strict_option
@format_option
@click.pass_context
def suggest(ctx, files, jsonl, text_field, id_field, limit, paragraphs, explain, threshold, kinds, cable, model_path,
            cable_path, output, jobs, strict, fmt):
    """Suggest tags, with scores, for a text (FILE or - for stdin) or for every record of JSON Lines.

    A saved page or a PDF is read for the cable it holds (never its menus or indexes); bare text as it is.

    \b
    cabletags suggest paragraph.txt
    cabletags suggest --cable cable.html
    cabletags suggest --cable saved-pages/ > suggestions.jsonl
    cabletags suggest --jsonl cables.jsonl --text-field body --id-field id > suggestions.jsonl
    cabletags suggest --kind program paragraph.txt
    """
    kinds = tuple(kinds) or None
    if cable and not jsonl and is_batch(files):
        return _suggest_cable_files(ctx, files, limit, (model_path, cable_path), output, strict, explain, threshold,
                                    kinds)
    if len(files) > 1:
        raise CLIError("give one FILE (or --cable with several files or a folder)", EXIT_USAGE)
    file = files[0] if files else None
    require_input(file)
    if jsonl:
        refused = [name for name, on in (("--paragraphs", paragraphs), ("--explain", explain)) if on]
        if refused:
            raise CLIError(f"--jsonl cannot be combined with {', '.join(refused)}", EXIT_USAGE)
        # a batch of whole cables needs only the model that reads them (memory: one model per process)
        return _suggest_jsonl(ctx, file, text_field, id_field, limit, (model_path, cable_path, cable), output, jobs,
                              strict, cable, threshold, kinds)
    doc = read_document_input(file, "text")  # a bad input is said before a model is loaded
    s = load_suggester(ctx, model_path, cable_path, cable=cable)
    from ..reading import read_cable

    if cable:
        return _suggest_cable(s, read_cable(doc, s.taxonomy), limit, output, fmt, explain, threshold, kinds)
    # a page or a PDF: the cable it holds (header and body without its TAGS field), never the page's chrome
    c = read_cable(doc, s.taxonomy) if doc.layout != "text" else None
    text = doc.text if c is None or not c.reading_text.strip() else c.reading_text
    paras = s.paragraphs(c if c is not None and c.paragraphs else text) if paragraphs else []
    result = text_result(s, text, limit, threshold, explain, paras if paragraphs else None,  # as the service's
                         kinds=kinds)
    with atomic_output(output) as out:
        if fmt == "json":
            out.write(json.dumps(result, indent=2) + "\n")
            return
        parts = result["paragraphs"] if paragraphs else [result]
        rows = []
        for n, part in enumerate(parts, 1):
            for rank, x in enumerate(part["tags"], 1):
                row = {"paragraph": n, "rank": rank, "tag": x["tag"], "score": x["score"], "selected": x["selected"],
                       "kind": x["kind"], "title": x["title"] or ""}
                if explain:
                    row["because"] = ", ".join(x["because"])
                if paragraphs and rank == 1:  # the paragraph's number, marking and start, once
                    row["number"] = f"{part['number'] or '-'}" + (f" ({part['marking']})" if part["marking"] else "")
                    row["text"] = part["text"][:60] + ("…" if len(part["text"]) > 60 else "")
                rows.append(row)
        cols = (["paragraph", "number"] if paragraphs else []) + ["rank", "tag", "score", "selected", "kind",
                                                                  "title"] + \
            (["because"] if explain else []) + (["text"] if paragraphs else [])
        out.write(render(rows, cols, fmt) + "\n")
    if all(part["no_evidence"] for part in [result, *result.get("paragraphs", [])]):
        click.echo("note: no evidence in the text for any tag: nothing selected", err=True)


# files whose cables suggest --cable scores at once (a file's result still comes out before the next batch is read)
CABLES_AT_ONCE = 64


def batched(items, n: int):
    """Lists of up to n items of an iterable, in order (itertools.batched, which Python 3.11 lacks)."""
    group = []
    for x in items:
        group.append(x)
        if len(group) == n:
            yield group
            group = []
    if group:
        yield group


def _suggest_cable_files(ctx, files, limit, model_paths, output, strict, explain, threshold=None, kinds=None):
    """suggest --cable over files, folders and globs: one JSON Lines record per readable file, with its path."""
    s = load_suggester(ctx, *model_paths, cable=True)
    prog = Progress("suggested")
    cables, bad = each_cable(files, s.taxonomy, "auto", prog)
    n = 0
    with atomic_output(output) as out:
        # the files' cables scored CABLES_AT_ONCE at a time (one batch of whole texts, one of paragraphs), in order
        for group in batched(cables, CABLES_AT_ONCE):
            for (path, _), d in zip(group, cable_results(s, [c for _, c in group], limit, threshold, explain, kinds)):
                out.write(dumps({"source": path, **d}) + "\n")
                n += 1
        if bad and not n:
            finish_files(ctx, "suggest", bad, n, prog, strict)
    finish_files(ctx, "suggest", bad, n, prog, strict)


def _suggest_cable(s, text, limit, output, fmt, explain=False, threshold=None, kinds=None):
    d = cable_result(s, text, limit, threshold, explain, kinds)  # the service's result, the same JSON
    with atomic_output(output) as out:
        if fmt in ("json", "jsonl"):
            out.write((json.dumps(d, indent=2) if fmt == "json" else dumps(d)) + "\n")
            return
        own = set(d["own_tags"])
        rows = [{"rank": k, "tag": x["tag"], "score": x["score"], "selected": x["selected"],
                 "on TAGS line": "yes" if x["tag"] in own else "",
                 "note": "suggested but absent" if x["selected"] and x["tag"] not in own else "",
                 "because": ", ".join(x.get("because", []))}
                for k, x in enumerate(d["whole"], 1)]
        out.write(f"cable {d['reference_id'] or '(no reference id)'}: {d['subject'] or '(no subject)'}\n")
        out.write(f"own tags: {', '.join(d['own_tags']) or '(no TAGS line)'}\n")
        out.write(render(rows, ["rank", "tag", "score", "selected", "on TAGS line", "note"] +
                         (["because"] if explain else []), fmt) + "\n")
        if d["own_below"]:
            out.write("own tags below the list: " + ", ".join(f"{x['tag']} {_ordinal(x['rank'])} ({x['score']:.2f})"
                                                              for x in d["own_below"]) + "\n")
        if d["present_but_unsupported"]:
            out.write("present but unsupported by the text: " + ", ".join(d["present_but_unsupported"]) + "\n")
        for para in d["paragraphs"]:
            out.write(f"paragraph {para['number'] or '-'}: " +
                      ", ".join(f"{t['tag']} {t['score']:.2f}" for t in para["tags"]) + "\n")


def _phase_bar(label: str, total: int):
    """A progress bar for one fitting phase (tags fitted), on a terminal; None elsewhere."""
    bar = Progress(label, total=total)
    if not bar.on_terminal:
        return None

    def tick():
        bar.tick()
        if bar.n >= total:
            bar.close()
    return tick


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


# --- suggest --jsonl --jobs N: worker processes, each loading the model once into its Workspace ---------


def _worker_init(model_paths, taxonomy, overlay, threads=1):
    import os
    import signal

    from ..scoring.kernels import one_malloc_arena
    from ..workspace import Workspace, use_workspace

    # Ctrl-C reaches the whole process group: the parent handles it and ends the pool, workers stay quiet
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # the workers share the machine's cores: each takes its share of kernel threads (unless the user set them), and,
    # a process of cabletags' own, allocates from one malloc arena (cabletags.scoring.kernels)
    os.environ.setdefault("CABLETAGS_KERNEL_THREADS", str(threads))
    one_malloc_arena()

    model_path, cable_path, cables_only = model_paths
    # the worker process's session: the run's taxonomy and models, loaded once here for all its tasks
    use_workspace(Workspace(taxonomy, overlay, model=model_path, cable_model=cable_path)).suggester(
        cables_only=cables_only)


def _worker_run(args):
    from ..surfaces.batch import suggest_records
    from ..workspace import default_workspace

    records, text_field, id_field, limit, cable, threshold, kinds, cables_only = args
    s = default_workspace().suggester(cables_only=cables_only)
    return list(suggest_records(records, s, text_field, id_field, limit, cable=cable, threshold=threshold,
                                kinds=kinds))


def _suggest_jsonl(ctx, file, text_field, id_field, limit, model_paths, output, jobs, strict, cable=False,
                   threshold=None, kinds=None):
    """model_paths: (model, whole-cable model, whole cables only), the paths None for the defaults."""
    from ..surfaces.batch import suggest_records

    batch, prog = BatchInput(file, (text_field,)), Progress("suggested")
    # loaded here too: fails fast, with a clear message, before any worker starts
    s = load_suggester(ctx, *model_paths[:2], cable=cable, cables_only=model_paths[2])
    no_text = 0

    def records():
        nonlocal no_text
        for rec in batch.records():
            text = rec.get(text_field)
            no_text += not isinstance(text, str) or not text.strip()
            yield rec

    with atomic_output(output) as out:
        if jobs == 1:
            for row in suggest_records(records(), s, text_field, id_field, limit, cable=cable, threshold=threshold,
                                       kinds=kinds):
                out.write(dumps(row) + "\n")
                prog.tick()
        else:
            fields = (text_field, id_field, limit, cable, threshold, kinds)
            _suggest_pool(ctx, records(), out, prog, fields, model_paths, jobs)
        batch.check()
    if no_text:
        click.echo(f"warning: {no_text} record(s) had no text in field {text_field!r}: empty tag lists written", err=True)
    finish_batch(ctx, "suggest", batch, prog.n, prog, strict)


def _suggest_pool(ctx, records, out, prog, fields, model_paths, jobs, chunk=256):
    import multiprocessing as mp
    from itertools import islice

    from ..scoring.kernels import kernel_threads

    root = ctx.find_root().obj or {}
    threads = max(1, kernel_threads() // jobs)  # (the machine's kernel threads shared among the workers)
    pool = mp.get_context("spawn").Pool(jobs, initializer=_worker_init,
                                         initargs=(model_paths, root.get("taxonomy"), root.get("overlay"), threads))
    try:
        while True:
            block = list(islice(records, chunk * jobs))
            if not block:
                break
            parts = pool.map(_worker_run, [(block[i:i + chunk], *fields, model_paths[2])
                                           for i in range(0, len(block), chunk)])
            for rows in parts:
                for row in rows:
                    out.write(dumps(row) + "\n")
                prog.tick(len(rows))
    finally:
        pool.terminate()


@click.command()
@click.option("--corpus", required=True, type=click.Path(), help="JSON Lines with a text field and a `tags` line.")
@model_option
@cable_model_option
@click.option("--text-field", default="body", show_default=True)
@click.option("--cable", is_flag=True, help="Read each record as a whole cable (its preamble field and text field), "
                                            "as `suggest --cable` does.")
@click.option("--per-tag", "per_tag", type=click.Path(), help="Write per-tag precision/recall/F1/support (TSV).")
@click.option("--predictions", type=click.Path(), help="Also write the predictions as JSON Lines (scorer format).")
@strict_option
@format_option
@click.pass_context
def evaluate(ctx, corpus, model_path, cable_path, text_field, cable, per_tag, predictions, strict, fmt):
    """Score the model on a tagged corpus: P@1, P@3, P@5, F1@5, NDCG@5, F1 micro/macro, per kind."""
    from ..scoring.evaluation import evaluate_model

    s = load_suggester(ctx, model_path, cable_path, cable=cable)
    stats = Stats()
    ev = evaluate_model(s, corpus, text_field, stats=stats, cable=cable)
    stats.report()
    scored = len(ev.ids)
    left = sum(ev.left_out.values())
    click.echo(f"evaluate: {scored + left} record(s), {scored} scored, {left} left out" +
               (": " + "; ".join(f"{k} {v}" for k, v in ev.left_out.items()) if left else ""), err=True)
    if left and strict:
        raise CLIError(f"{corpus}: {left} record(s) left out (--strict)", EXIT_BAD_RECORDS)
    rows = [{"slice": k, **{m: (round(v, 4) if isinstance(v, float) else v) for m, v in r.items()}}
            for k, r in ev.report.items() if r.get("documents")]
    cols = ["slice", "documents", "P@1", "P@3", "P@5", "F1@5", "NDCG@5", "F1_micro", "F1_macro"]
    click.echo(render(rows, cols, fmt, {"model": s.source, "taxonomy_version": s.taxonomy.version,
                                        "scored": scored, "left_out": ev.left_out,
                                        **({"read_as": "whole cables"} if cable else {})}))
    if per_tag:
        with atomic_output(per_tag) as out:
            out.write(render([{k: round(v, 4) if isinstance(v, float) else v for k, v in r.items()}
                              for r in ev.per_tag()], ["tag", "precision", "recall", "f1", "support"], "tsv") + "\n")
    if predictions:
        with atomic_output(predictions) as out:
            for row in ev.predictions():
                out.write(dumps(row) + "\n")

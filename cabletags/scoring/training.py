"""Training: a TrainPlan says what a run will do (`cabletags train --dry-run` prints it); train_model carries it
out: the training data (cabletags.scoring.trainingdata) -> fit_and_tune -> the header model joined when it helps ->
the model folder with its card (cabletags.scoring.modelcard).

A hash of the id sets a validation split aside; per-tag offsets and the score scale are tuned on it, then
(``refit``) the model is fitted again, with the same settings, on every cable, keeping the tuned offsets.
The ids build the reference index (cabletags.scoring.references); its two weights are tuned on the validation split
with an index of the training split only, as a new cable's references meet an index without it.
"""
from __future__ import annotations

import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from ..errors import BadRecordsError, TrainingError
from ..textio import Stats
from ..vocabulary.taxonomy import Taxonomy, load_taxonomy
from .corpus import is_validation, require_corpus
from .evaluation import validation_report
from .fitting import count_terms
from .model import ModelSettings, TagModel
from .modelcard import build_card, write_card
from .storage import check_target, folder_lock
from .origin import fit_origin_score
from .trainingdata import cable_parts, label_space, load_labelled

__all__ = ["TrainPlan", "plan_training", "train_model", "run_plan", "fit_and_tune", "Fitted",
           "HEADER_JOIN_WEIGHTS", "HEADER_KEEP_WEIGHTS"]


@dataclass
class TrainPlan:
    """What a training run will do, found before any fitting: the corpus and what it holds, the split, the label
    space, the settings, the taxonomy and the output folder. plan_training() makes one; run_plan() carries it out.

    records: good records read (malformed: lines skipped); training / validation: the split's sizes;
    labels: the label space (codes carried by >= min_label_count records); target: what happens at `out`.
    """

    corpus: Path
    out: Path | None
    settings: ModelSettings
    taxonomy: Taxonomy
    validation_share: float = 0.2
    seed: int = 0
    min_label_count: int = 20
    refit: bool = True
    text_field: str = "body"
    n_jobs: int = 2
    records: int = 0
    malformed: int = 0
    training: int = 0
    validation: int = 0
    labels: list = field(default_factory=list)
    target: str = ""
    # the corpus as read (ids, texts, label sets) and the validation flags: the run uses them, never reads again
    data: tuple = field(default=(), repr=False)
    val: np.ndarray | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        """The plan as data (what `train --dry-run --format json` prints)."""
        kinds = Counter(self.taxonomy.entries[t].kind for t in self.labels)
        return {"corpus": str(self.corpus), "records": self.records, "malformed_lines": self.malformed,
                "split": {"training": self.training, "validation": self.validation,
                          "share": self.validation_share, "seed": self.seed},
                "labels": {"count": len(self.labels), "min_training_cables": self.min_label_count,
                           "by_kind": dict(sorted(kinds.items())), "codes": list(self.labels)},
                "reading": self.settings.reading + (" (+ header model, joined when it helps)"
                                                    if self.settings.header_weight else ""),
                "settings": asdict(self.settings),
                "refit_on_all_data": self.refit, "jobs": self.n_jobs,
                "taxonomy": {"source": self.taxonomy.source, "version": self.taxonomy.version},
                "out": str(self.out) if self.out else None, "target": self.target}

    def describe(self) -> list[str]:
        """The plan in plain lines, for people."""
        d = self.to_dict()
        s = d["split"]
        return [f"corpus: {d['corpus']}: {d['records']} record(s)"
                + (f", {d['malformed_lines']} malformed line(s) skipped" if d["malformed_lines"] else ""),
                f"split: {s['training']} training, {s['validation']} validation (share {s['share']}, seed {s['seed']})",
                f"labels: {d['labels']['count']} codes carried by >= {d['labels']['min_training_cables']} records "
                f"{d['labels']['by_kind']}",
                f"reading: {d['reading']}; C {self.settings.C}, n-grams 1-{self.settings.ngram_max}, "
                f"min_df {self.settings.min_df}, references {self.settings.references}, nearest-cables vote "
                + (f"{self.settings.neighbours} words a cable" if self.settings.neighbours else "none"),
                "fitting: on the training split, tuned on the validation split"
                + (", then refitted on all records" if self.refit else "") + f"; {self.n_jobs} job(s)",
                f"taxonomy: {d['taxonomy']['source']} ({d['taxonomy']['version']})",
                f"out: {d['out'] or '(nothing written)'}" + (f": {self.target}" if self.target else "")]


def plan_training(corpus, out: str | Path | None = None, *, settings: ModelSettings | None = None,
                  validation_share: float = 0.2, seed: int = 0, min_label_count: int = 20, refit: bool = True,
                  text_field: str = "body", n_jobs: int = 2, force: bool = False, strict: bool = False,
                  taxonomy: Taxonomy | None = None, progress=None) -> TrainPlan:
    """Read the corpus and say what a run would do, fitting nothing. The refusals are a run's: a target that is a
    file, a folder that holds no model or a model without `force` (TargetError), no records (TrainingError),
    malformed lines with `strict` (BadRecordsError). taxonomy: the labels' taxonomy (None: the shipped one)."""
    progress = progress or (lambda msg: None)
    tax = taxonomy if taxonomy is not None else load_taxonomy()
    target = ""
    if out:
        check_target(out, force)
        target = "replaces the model there" if (Path(out) / "model.json").is_file() else "a new model folder"
    corpus_path = require_corpus(corpus)
    stats = Stats()
    settings = settings or ModelSettings()
    ids, texts, label_sets = load_labelled(corpus_path, text_field, tax, stats=stats, whole=settings.reading == "cable")
    if stats.bad:
        shown = ", ".join(str(n) for n, _ in stats.bad[:10]) + (" ..." if len(stats.bad) > 10 else "")
        progress(f"warning: skipped {len(stats.bad)} malformed line(s) of {stats.lines}: line(s) {shown}")
        if strict:
            raise BadRecordsError(f"{corpus_path}: {len(stats.bad)} malformed line(s) (--strict)")
    if not ids:
        raise TrainingError(f"{corpus_path}: no records")
    val = np.array([is_validation(i, validation_share, seed) for i in ids])
    # counted on every cable given: the final model is fitted on all of them, and a code just under the count
    # in the training split would otherwise be left out of the model for good
    labels = label_space(label_sets, min_label_count, tax)
    return TrainPlan(corpus_path, Path(out) if out else None, settings, tax, validation_share,
                     seed, min_label_count, refit, text_field, n_jobs, records=len(ids), malformed=len(stats.bad),
                     training=int((~val).sum()), validation=int(val.sum()), labels=labels, target=target,
                     data=(ids, texts, label_sets), val=val)


def train_model(corpus, out: str | Path | None, *, settings: ModelSettings | None = None,
                validation_share: float = 0.2, seed: int = 0, min_label_count: int = 20, refit: bool = True,
                text_field: str = "body", n_jobs: int = 2, progress=print, force: bool = False,
                strict: bool = False, phase_bar=None, taxonomy: Taxonomy | None = None) -> tuple[TagModel, dict]:
    """Train, tune on the validation split, optionally refit on all data, and save with a model card: plan_training
    then run_plan. Returns (the final model, the card).

    out: the model folder to write (None: write nothing). It is checked before training (a file, a folder
    that is not a model, or an existing model without `force` is refused with TargetError) and locked for
    the whole run (a second run on the same folder is refused); the new folder is built beside it and
    swapped in whole, card included. Malformed corpus lines are reported through `progress`; with
    `strict`, they raise BadRecordsError before any fitting. phase_bar(label, total), when given, returns a
    function called once per tag fitted in each fitting phase (the CLI draws progress bars with it).
    taxonomy: the taxonomy the labels are read with (None: the shipped one); the CLI passes its run's.
    """
    with ExitStack() as stack:
        if out:
            check_target(out, force)
            stack.enter_context(folder_lock(out))
        plan = plan_training(corpus, out, settings=settings, validation_share=validation_share, seed=seed,
                             min_label_count=min_label_count, refit=refit, text_field=text_field, n_jobs=n_jobs,
                             force=force, strict=strict, taxonomy=taxonomy, progress=progress)
        return run_plan(plan, progress, phase_bar)


def run_plan(plan: TrainPlan, progress=print, phase_bar=None) -> tuple[TagModel, dict]:
    """Carry out a TrainPlan: fit, tune, refit, join the header model when it helps, write the folder and card
    (the caller holds the folder's lock: train_model does)."""
    progress = progress or (lambda msg: None)
    phase_bar = phase_bar or (lambda label, total: None)
    t0 = time.perf_counter()
    tax, settings = plan.taxonomy, plan.settings
    ids, texts, label_sets = plan.data
    val = plan.val
    tr_idx, va_idx = np.flatnonzero(~val), np.flatnonzero(val)
    header_texts, origins = None, None
    if settings.reading == "cable":
        origins = []
        texts, heads = cable_parts(texts, tax, origins)
        if settings.header_weight:  # a model of the header block, joined to the whole-cable model below
            header_texts = heads
        progress(f"read {len(texts)} records as whole cables (preamble + {plan.text_field}; TAGS fields left out)")
    joined_settings, settings = settings, replace(settings, header_weight=0.0)
    progress(f"{len(ids)} cables: {len(tr_idx)} training, {len(va_idx)} validation (seed {plan.seed})")
    labels = plan.labels
    progress(f"label space: {len(labels)} codes carried by >= {plan.min_label_count} of the {len(ids)} cables")
    fitted = fit_and_tune(texts, label_sets, labels, settings, val, ids, refit=plan.refit, n_jobs=plan.n_jobs,
                          progress=progress, phase_bar=phase_bar, taxonomy=tax)
    model, final, M, report = fitted.model, fitted.final, fitted.val_margins, fitted.report
    full_fit_seconds = final.info["fit_seconds"] if plan.refit else None
    if header_texts is not None:
        model, final, report, settings = _join_header_model(
            model, final, M, header_texts, texts, label_sets, labels, tr_idx, va_idx, joined_settings, plan.refit,
            plan.n_jobs, progress, phase_bar, tax) or (model, final, report, settings)
    if origins is not None:  # a whole cable's origin country: the share of training cables that carry it
        model.calibration.origin_score = fit_origin_score([origins[i] for i in tr_idx],
                                                          [label_sets[i] for i in tr_idx])
        final.calibration.origin_score = fit_origin_score(origins, label_sets) if plan.refit \
            else model.calibration.origin_score
        if final.calibration.origin_score is not None:
            progress(f"origin country: {100 * final.calibration.origin_score:.1f}% of the cables from a post with a "
                     "country carry its code; a whole cable's origin country scores at least that")
    if joined_settings.combiner:
        # fitted on the texts as the final model reads them: with the header model joined, each with its header block
        read = with_header(texts, header_texts) if settings.header_weight else texts
        final.combiner = _fit_combiner(model, read, ids, label_sets, origins, tr_idx, va_idx, tax, plan.n_jobs,
                                       progress)
    card = build_card(plan, settings, model, final, report, full_fit_seconds, time.perf_counter() - t0,
                      HEADER_JOIN_WEIGHTS)
    if plan.out:
        out = plan.out

        def add_card(d: Path, doc: dict):
            card["arrays_sha256"] = doc["arrays_sha256"]
            card["size_bytes"] = sum((d / f).stat().st_size for f in ("model.json", "arrays.npz"))
            write_card(d, card, manifest=False, name=Path(out).name)  # d is the folder being built beside out

        final.save(out, force=True, extra=add_card, lock=False)  # the target was checked by the plan
    return final, card


def _fit_combiner(model, texts, ids, label_sets, origins, tr_idx, va_idx, tax, n_jobs, progress):
    """The learned combiner (cabletags.scoring.combiner) of the model fitted on the training part, fitted on what it
    gives the validation texts (which it never saw), or None when it does not beat the calibrated rule there."""
    from .combiner import KINDS, fit_combiner

    va = [int(i) for i in va_idx]
    c = model.calibrated_output([texts[i] for i in va], None if ids is None else [ids[i] for i in va], None,
                                None if origins is None else [origins[i] for i in va])
    Y = model.label_matrix([label_sets[i] for i in va]).astype(bool)
    kinds = [KINDS.index(tax.entries[t].kind) if t in tax.entries and tax.entries[t].kind in KINDS else -1
             for t in model.labels]
    prior = model.label_matrix([label_sets[i] for i in tr_idx]).mean(axis=0)
    return fit_combiner(c.scores, c.selected, c.evidence, c.votes, c.linear, c.origin_mask, c.lengths, Y, kinds,
                        prior, n_jobs=n_jobs, progress=progress)


@dataclass
class Fitted:
    """What fit_and_tune made: the model fitted on the training part and tuned on the validation part, the final
    model (refitted on everything with that calibration, or the same fit with its indexes over every cable), the
    validation margins (n_val, L) and the validation report."""

    model: TagModel
    final: TagModel
    val_margins: np.ndarray
    report: dict


def fit_and_tune(texts, label_sets, labels, settings: ModelSettings, val, ids=None, *, refit: bool = True,
                 n_jobs: int = 2, progress=None, phase_bar=None, taxonomy=None) -> Fitted:
    """The one fitting procedure of `cabletags train` and cabletags.sklearn.TagSuggester: terms counted once, a
    model fitted on the texts outside `val` ((n,) bools), calibrated on those inside, then (refit) fitted again on
    all of them with that calibration. ids: one per text for the reference index (None: no index).
    Raises TrainingError (a ValueError) when either part is empty."""
    progress = progress or (lambda msg: None)
    phase_bar = phase_bar or (lambda label, total: None)
    val = np.asarray(val, dtype=bool)
    tr_idx, va_idx = np.flatnonzero(~val), np.flatnonzero(val)
    if not len(tr_idx) or not len(va_idx):
        raise TrainingError(f"{len(texts)} text(s) give {len(tr_idx)} for fitting and {len(va_idx)} for calibration: "
                         "both parts need texts (more texts, or another validation share)")
    model = TagModel(settings=settings)
    # the texts are tokenized and counted once, for the fit on the training split and the refit on all of them
    counts = count_terms(model.prepare(texts), settings)
    progress(f"counted the terms of {len(texts)} cables: {len(counts.terms)} in >= {settings.min_df} of them")
    model.fit([texts[i] for i in tr_idx], [label_sets[i] for i in tr_idx], labels, n_jobs=n_jobs, progress=progress,
              ids=None if ids is None else [ids[i] for i in tr_idx],
              on_tag=phase_bar("fitting on the training split", len(labels)), counts=counts, rows=tr_idx)
    progress(f"fitted on the training split in {model.info['fit_seconds']} s")
    va_texts, va_labels = [texts[i] for i in va_idx], [label_sets[i] for i in va_idx]
    M = model.decision_function(va_texts)
    tuned = model.tune(va_texts, va_labels, margins=M)
    if model.references is not None:
        progress(f"reference weights (cited, co-citing) {tuple(tuned['ref_weights'])}; "
                 f"index of {len(model.references)} training cables")
    report = validation_report(model, va_texts, va_labels, taxonomy)
    progress("validation: " + ", ".join(f"{k} {v:.3f}" for k, v in report["all"].items() if k != "documents"))
    final = model
    if refit:
        final = TagModel(settings=settings)
        # the tuned label space is kept, so that the offsets line up
        final.fit(texts, label_sets, labels, n_jobs=n_jobs, progress=progress, ids=ids,
                  on_tag=phase_bar("refitting on all cables", len(labels)), counts=counts)
        final.calibration = model.calibration  # tuned on the validation split; the refit keeps it
        progress(f"refitted on all {len(texts)} cables in {final.info['fit_seconds']} s")
    del counts
    if not refit and model.references is not None and ids is not None:
        # the index is a lookup, not a fit: the final model's covers every cable given, as the refit model's does.
        # The model of the training part keeps its own, which holds no validation cable: a header model is still
        # joined and tuned on the validation part with it (a validation cable must never find itself there)
        final = replace(model, info=dict(model.info))
        final.index_references(ids, texts, label_sets)  # new indexes for `final`; the model's stay as they are
    return Fitted(model, final, M, report)


# the weights tried for the header model's calibrated logits beside the whole-cable model's (0: not joined)
HEADER_JOIN_WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.4)
# the header model's weights kept per tag: 500-5,000 rank held-out whole cables alike (docs/research.md), and
# all 12,800 of them would make the model a third larger
HEADER_KEEP_WEIGHTS = 1000


def with_header(texts, header_texts) -> list[str]:
    """Whole cables as a model joined with its header model reads them: each reading, then its header block
    (cabletags.reading.parser.cable_reading with header_block=True writes the same)."""
    return [t + "\n\n" + h if h else t for t, h in zip(texts, header_texts)]


def _join_header_model(model, final, M, header_texts, texts, label_sets, labels, tr_idx, va_idx, settings, refit,
                       n_jobs, progress, phase_bar, tax):
    """A model of the header block alone, fitted and tuned like the whole-cable model, then joined to it
    (TagModel.join_header) with the weight of HEADER_JOIN_WEIGHTS that ranks the validation split best (F1@5,
    then NDCG@5). The header's words weigh in a model of their own as they cannot in one bag of words with a long
    body (docs/research.md). Returns (joined model on the training split, joined final model, validation report,
    settings), or None when no weight beats the whole-cable model alone."""
    hs = replace(settings, header_weight=0.0, references=False, neighbours=0)
    head = TagModel(settings=hs)
    tr = [header_texts[i] for i in tr_idx]
    head.fit(tr, [label_sets[i] for i in tr_idx], labels, n_jobs=n_jobs,
             on_tag=phase_bar("fitting the header model", len(labels)))
    va_head, va_labels = [header_texts[i] for i in va_idx], [label_sets[i] for i in va_idx]
    M2 = head.decision_function(va_head)
    head.tune(va_head, va_labels, margins=M2)
    va_joined = with_header([texts[i] for i in va_idx], [header_texts[i] for i in va_idx])
    best = None
    for w in HEADER_JOIN_WEIGHTS:
        if not w:
            rep = validation_report(model, [texts[i] for i in va_idx], va_labels, tax)
            cand = (model, rep, 0.0)
        else:
            c = w * head.calibration.scale / model.calibration.scale
            joined = model.join_header(head, c, HEADER_KEEP_WEIGHTS)
            joined.tune(va_joined, va_labels, margins=M + np.float32(c) * M2)
            rep = validation_report(joined, va_joined, va_labels, tax)
            cand = (joined, rep, c)
        a = rep["all"]
        progress(f"header model weight {w:g}: validation F1@5 {a['F1@5']:.4f}, NDCG@5 {a['NDCG@5']:.4f}")
        if best is None or (a["F1@5"], a["NDCG@5"]) > (best[1]["all"]["F1@5"], best[1]["all"]["NDCG@5"]):
            best = cand
    joined, rep, c = best
    if not c:
        progress("the header model is not joined: no weight beats the whole-cable model alone on validation")
        return None
    if refit:
        head_all = TagModel(settings=hs)
        head_all.fit(header_texts, label_sets, labels, n_jobs=n_jobs,
                     on_tag=phase_bar("refitting the header model", len(labels)))
        final = final.join_header(head_all, c, HEADER_KEEP_WEIGHTS)
    else:  # the joined model with the final model's indexes (every cable; the joined one's: the training part)
        final = replace(joined, references=final.references, neighbours=final.neighbours, info=dict(joined.info))
    final.calibration = joined.calibration
    final.info.update(train_texts=len(texts))
    progress(f"joined the header model (margin weight {c:.4f}) to the whole-cable model")
    return joined, final, rep, final.settings

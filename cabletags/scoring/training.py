"""Training: corpus -> labels (normalize) -> TagModel -> validation metrics -> model + model card.

Labels are ``normalize(record["tags"]).codes``; the label space is every taxonomy code carried by at
least ``min_label_count`` cables of the training corpus (both splits: the refit uses them all). A hash
of the id sets a validation split aside; per-tag offsets and the score scale are tuned on it, then
(``refit``) the model is fitted again, with the same settings, on every cable, keeping the tuned offsets.
The ids build the reference index (cabletags.scoring.references); its two weights are tuned on the validation split
with an index of the training split only, as a new cable's references meet an index without it.
"""
from __future__ import annotations

import hashlib
import json
import platform
import time
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from ..errors import BadRecordsError, InputError, TrainingError
from ..textio import Stats
from ..vocabulary.normalizer import get_normalizer
from ..vocabulary.taxonomy import KINDS, load_taxonomy
from .corpus import is_validation, read_corpus, require_corpus
from .evaluation import evaluate_rankings, per_tag_scores
from .fitting import count_terms
from .model import ModelSettings, TagModel

__all__ = ["load_labelled", "cable_parts", "read_as_cables", "label_space", "train_model", "validation_report", "rank_and_select",
           "evaluate_model", "Evaluation"]


def load_labelled(corpus, text_field: str = "body", taxonomy=None, stats: Stats | None = None,
                  whole: bool = False):
    """(ids, texts, label_sets) for every good record; label sets are normalized taxonomy codes.
    Malformed lines are counted in `stats` (cabletags.textio.Stats) when given. whole=True: each text is the
    record as a whole cable, its `preamble` field (when it has one) followed by its `text_field`."""
    norm = get_normalizer(taxonomy)
    ids, texts, labels = [], [], []
    for rec in read_corpus(require_corpus(corpus), stats):
        ids.append(str(rec.get("id", len(ids))))
        t = rec.get(text_field)
        t = t if isinstance(t, str) else ""
        pre = rec.get("preamble") if whole else None
        texts.append(pre + "\n" + t if isinstance(pre, str) and pre else t)
        labels.append(norm.normalize(rec.get("tags") if isinstance(rec.get("tags"), str) else "").codes)
    return ids, texts, labels


def cable_parts(texts, taxonomy=None) -> tuple[list[str], list[str]]:
    """Each whole cable parsed once: (what a whole-cable model reads of it, cabletags.reading.parser.cable_reading; its
    header block, cabletags.reading.parser.header_words). The TAGS field is in neither."""
    from ..reading import parse_cable
    from ..reading.parser import cable_reading, header_words

    readings, heads = [], []
    for t in texts:
        p = parse_cable(t, taxonomy)
        readings.append(cable_reading(p))
        heads.append(header_words(p))
    return readings, heads


def read_as_cables(texts, taxonomy=None, header_block: bool = False) -> list[str]:
    """What a whole-cable model (ModelSettings.reading "cable") reads of each whole cable: the reading, and with
    header_block (a model joined with its header model) the header block after it, as cable_reading writes them."""
    readings, heads = cable_parts(texts, taxonomy)
    return [r + "\n\n" + h if h else r for r, h in zip(readings, heads)] if header_block else readings


def label_space(label_sets, min_count: int = 20, taxonomy=None) -> list[str]:
    """Taxonomy codes carried by at least `min_count` of the given label sets, sorted."""
    tax = taxonomy or load_taxonomy()
    c = Counter(t for tags in label_sets for t in set(tags))
    return sorted(t for t, n in c.items() if n >= min_count and t in tax.entries)


def rank_and_select(P: np.ndarray, labels: list[str], limit: int = 10, model: TagModel | None = None):
    """Ranked tags (best first, `limit` of them) and selected sets per row of P (the model's own
    thresholds when given, else score > 0.5)."""
    order = np.argsort(-P, axis=1)[:, :limit]
    ranked = [[labels[j] for j in row] for row in order]
    S = model.calibration.select(P) if model is not None else P > 0.5
    selected = [{labels[j] for j in np.flatnonzero(row)} for row in S]
    return ranked, selected


def validation_report(model: TagModel, texts, label_sets, taxonomy=None, P: np.ndarray | None = None,
                      S: np.ndarray | None = None) -> dict:
    """Metrics over all tags and per kind for texts with gold label sets (P, S: precomputed predict())."""
    tax = taxonomy or load_taxonomy()
    if P is None:
        P, S = model.predict(texts)
    ranked, selected = rank_and_select(P, model.labels, model=model)
    if S is not None:
        selected = [{model.labels[j] for j in np.flatnonzero(row)} for row in S]
    gold = [set(t) for t in label_sets]
    space = set(model.labels)
    out = {"all": evaluate_rankings(gold, ranked, selected, label_space=space)}
    for kind in KINDS:
        out[kind] = evaluate_rankings(gold, ranked, selected,
                                      keep=lambda t, k=kind: t in tax.entries and tax.entries[t].kind == k,
                                      label_space=space)
    return out


@dataclass
class Evaluation:
    """A model scored on a tagged corpus: ids, gold label sets, the (n, L) scores P and selected flags S,
    and the report of validation_report() (metrics overall and per kind)."""

    suggester: object
    ids: list
    gold: list
    P: np.ndarray
    S: np.ndarray
    report: dict
    left_out: dict = field(default_factory=dict)  # reason -> records not scored (no text, no label, malformed)

    def per_tag(self) -> list[dict]:
        """Precision, recall, F1 and support of the selected set per tag (most supported first)."""
        labels = self.suggester.labels
        selected = [{labels[j] for j in np.flatnonzero(row)} for row in self.S]
        return per_tag_scores([set(g) for g in self.gold], selected, labels)

    def predictions(self, limit: int = 10):
        """{"id", "tags"} per document, best first: the reference scorer's input format."""
        for rid, row, sel in zip(self.ids, self.P, self.S):
            yield {"id": rid, "tags": [x.to_dict() for x in self.suggester.rank(row, limit, sel)]}


def evaluate_model(suggester, corpus, text_field: str = "body", stats: Stats | None = None,
                   cable: bool = False) -> Evaluation:
    """Score a Suggester on a tagged JSON Lines corpus (labels: normalize(record["tags"]).codes).
    Malformed lines are counted in `stats`. Raises InputError when the corpus has no records.
    cable=True reads each record as a whole cable (its `preamble`, when it has one, then `text_field`), as
    `suggest --cable` does: the suggester's whole-cable model, its TAGS field never read."""
    ids, texts, gold = load_labelled(corpus, text_field, suggester.taxonomy, stats=stats, whole=cable)
    if not ids:
        raise InputError(f"{corpus}: no records to evaluate")
    # what cannot be scored is left out and counted, never scored as if it were an empty text
    space = set(suggester.labels)
    left_out: Counter = Counter()
    keep = []
    for i, (t, g) in enumerate(zip(texts, gold)):
        if not t.strip():
            left_out[f"no text in field {text_field!r}"] += 1
        elif not space.intersection(g):
            left_out["no TAGS code in the model's label space"] += 1
        else:
            keep.append(i)
    if stats is not None and stats.bad:
        left_out["malformed line"] += len(stats.bad)
    if not keep:
        why = "; ".join(f"{k}: {v}" for k, v in left_out.items())
        raise InputError(f"{corpus}: nothing to evaluate ({len(ids)} record(s) left out: {why})")
    ids, texts, gold = [ids[i] for i in keep], [texts[i] for i in keep], [gold[i] for i in keep]
    if cable:
        texts = [suggester.cable_text(t)[1] for t in texts]
    P, S = suggester.predict(texts, ids, cable=cable)
    report = validation_report(suggester.model, texts, gold, suggester.taxonomy, P=P, S=S)
    return Evaluation(suggester, ids, gold, P, S, report, dict(left_out))


def _round(d):
    if isinstance(d, dict):
        return {k: _round(v) for k, v in d.items()}
    return round(d, 4) if isinstance(d, float) else d


def train_model(corpus, out: str | Path | None, *, settings: ModelSettings | None = None,
                validation_share: float = 0.2, seed: int = 0, min_label_count: int = 20, refit: bool = True,
                text_field: str = "body", n_jobs: int = 2, progress=print, force: bool = False,
                strict: bool = False, phase_bar=None) -> tuple[TagModel, dict]:
    """Train, tune on the validation split, optionally refit on all data, and save with a model card.

    out: the model folder to write (None: write nothing). It is checked before training (a file, a folder
    that is not a model, or an existing model without `force` is refused with ModelError) and locked for
    the whole run (a second run on the same folder is refused); the new folder is built beside it and
    swapped in whole, card included. Malformed corpus lines are reported through `progress`; with
    `strict`, they raise BadRecordsError before any fitting. phase_bar(label, total), when given, returns a
    function called once per tag fitted in each fitting phase (the CLI draws progress bars with it).
    """
    from contextlib import ExitStack

    from .storage import check_target, folder_lock

    with ExitStack() as stack:
        if out:
            check_target(out, force)
            stack.enter_context(folder_lock(out))
        return _train(corpus, out, settings or ModelSettings(), validation_share, seed, min_label_count, refit,
                      text_field, n_jobs, progress, force, strict, phase_bar or (lambda label, total: None))


@dataclass
class Fitted:
    """What fit_and_tune made: the model fitted on the training part and tuned on the validation part, the final
    model (refitted on everything with that calibration, or the same model), the validation margins (n_val, L)
    and the validation report."""

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
        # the index is a lookup, not a fit: it covers every cable given, as the refit model's does
        model.index_references(ids, texts, label_sets)
    return Fitted(model, final, M, report)


def _train(corpus, out, settings, validation_share, seed, min_label_count, refit, text_field, n_jobs, progress,
           force, strict, phase_bar):
    tax = load_taxonomy()
    corpus_path = require_corpus(corpus)
    t0 = time.perf_counter()
    stats = Stats()
    whole = settings.reading == "cable"
    ids, texts, label_sets = load_labelled(corpus_path, text_field, tax, stats=stats, whole=whole)
    if stats.bad:
        shown = ", ".join(str(n) for n, _ in stats.bad[:10]) + (" ..." if len(stats.bad) > 10 else "")
        progress(f"warning: skipped {len(stats.bad)} malformed line(s) of {stats.lines}: line(s) {shown}")
        if strict:
            raise BadRecordsError(f"{corpus_path}: {len(stats.bad)} malformed line(s) (--strict)")
    if not ids:
        raise TrainingError(f"{corpus_path}: no records")
    val = np.array([is_validation(i, validation_share, seed) for i in ids])
    tr_idx, va_idx = np.flatnonzero(~val), np.flatnonzero(val)
    header_texts = None
    if whole:
        texts, heads = cable_parts(texts, tax)
        if settings.header_weight:  # a model of the header block, joined to the whole-cable model below
            header_texts = heads
        progress(f"read {len(texts)} records as whole cables (preamble + {text_field}; TAGS fields left out)")
    joined_settings, settings = settings, replace(settings, header_weight=0.0)
    progress(f"{len(ids)} cables: {len(tr_idx)} training, {len(va_idx)} validation (seed {seed})")
    # counted on every cable given: the final model is fitted on all of them, and a code just under the count
    # in the training split would otherwise be left out of the model for good
    labels = label_space(label_sets, min_label_count, tax)
    progress(f"label space: {len(labels)} codes carried by >= {min_label_count} of the {len(ids)} cables")
    fitted = fit_and_tune(texts, label_sets, labels, settings, val, ids, refit=refit, n_jobs=n_jobs,
                          progress=progress, phase_bar=phase_bar, taxonomy=tax)
    model, final, M, report = fitted.model, fitted.final, fitted.val_margins, fitted.report
    full_fit_seconds = final.info["fit_seconds"] if refit else None
    if header_texts is not None:
        model, final, report, settings = _join_header_model(
            model, final, M, header_texts, texts, label_sets, labels, tr_idx, va_idx, joined_settings, refit, n_jobs,
            progress, phase_bar, tax) or (model, final, report, settings)
    card = {
        "model": ("TF-IDF (word 1-%d grams, sublinear tf) + one-vs-rest LinearSVC%s, per-tag offsets"
                  % (settings.ngram_max, f" on naive-Bayes-scaled features (|r|^{settings.nb_scaling:g}, NBSVM)"
                     if settings.nb_scaling else "")),
        "training_data": {"corpus": str(corpus_path), "corpus_sha256": _sha256(corpus_path), "cables": len(ids),
                          "text_field": text_field, "labels_from": "cabletags.normalize(record['tags']).codes",
                          "taxonomy_version": tax.version},
        "validation": {"share": validation_share, "seed": seed, "cables": int(len(va_idx)),
                       "split": "sha256(f'{seed}:{id}') < share", "metrics": _round(report)},
        "labels": {"count": len(labels), "min_training_cables": min_label_count,
                   "by_kind": dict(Counter(tax.entries[t].kind for t in labels))},
        "settings": asdict(settings),
        "references": ({"training_cables_indexed": len(final.references),
                        "weights_cited_cociting": list(final.calibration.ref_weights),
                        "stores": "each training cable's own reference number, the reference numbers it cites and "
                                  "its tag indices (no text)"} if final.references is not None else None),
        "refit_on_all_data": refit,
        **({"header_model": {"joined": True, "margin_weight": final.info["header_join"],
                             "chosen_from": list(HEADER_JOIN_WEIGHTS)}} if "header_join" in final.info else {}),
        "timing_seconds": {"fit_training_split": model.info["fit_seconds"], "fit_full_corpus": full_fit_seconds,
                           "total": round(time.perf_counter() - t0, 1)},
        "vocabulary": {"terms": len(final.vocabulary), "terms_before_pruning": final.info.get("terms_before_pruning"),
                       "min_df": settings.min_df},
        "versions": _versions(),
    }
    if out:
        from .storage import save_model

        def add_card(d: Path, doc: dict):
            card["arrays_sha256"] = doc["arrays_sha256"]
            card["size_bytes"] = sum((d / f).stat().st_size for f in ("model.json", "arrays.npz"))
            write_card(d, card, manifest=False, name=Path(out).name)  # d is the folder being built beside out

        save_model(final, out, force=force, extra=add_card, lock=False)
    return final, card


# the weights tried for the header model's calibrated logits beside the whole-cable model's (0: not joined)
HEADER_JOIN_WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.4)
# the header model's weights kept per tag: 500-5,000 rank held-out whole cables alike (docs/research.md), and
# all 12,800 of them would make the model a third larger
HEADER_KEEP_WEIGHTS = 1000


def _join_header_model(model, final, M, header_texts, texts, label_sets, labels, tr_idx, va_idx, settings, refit,
                       n_jobs, progress, phase_bar, tax):
    """A model of the header block alone, fitted and tuned like the whole-cable model, then joined to it
    (TagModel.join_header) with the weight of HEADER_JOIN_WEIGHTS that ranks the validation split best (F1@5,
    then NDCG@5). The header's words weigh in a model of their own as they cannot in one bag of words with a long
    body (docs/research.md). Returns (joined model on the training split, joined final model, validation report,
    settings), or None when no weight beats the whole-cable model alone."""
    hs = replace(settings, header_weight=0.0, references=False)
    head = TagModel(settings=hs)
    tr = [header_texts[i] for i in tr_idx]
    head.fit(tr, [label_sets[i] for i in tr_idx], labels, n_jobs=n_jobs,
             on_tag=phase_bar("fitting the header model", len(labels)))
    va_head, va_labels = [header_texts[i] for i in va_idx], [label_sets[i] for i in va_idx]
    M2 = head.decision_function(va_head)
    head.tune(va_head, va_labels, margins=M2)
    va_joined = [texts[i] + "\n\n" + header_texts[i] if header_texts[i] else texts[i] for i in va_idx]
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
    else:
        final = joined
    final.calibration = joined.calibration
    final.info.update(train_texts=len(texts))
    progress(f"joined the header model (margin weight {c:.4f}) to the whole-cable model")
    return joined, final, rep, final.settings


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _versions() -> dict:
    import joblib
    import scipy
    import sklearn

    from .. import __version__

    return {"cabletags": __version__, "python": platform.python_version(), "scikit-learn": sklearn.__version__,
            "numpy": np.__version__, "scipy": scipy.__version__, "joblib": joblib.__version__}


def write_card(directory: Path, card: dict, manifest: bool = True, name: str | None = None) -> None:
    """MODEL_CARD.md (for people) and card.json (for programs) beside the model; the folder's manifest is
    rewritten to cover them (manifest=False while the folder is being built). name: the model's name in the
    card's title (default: the folder's)."""
    (directory / "card.json").write_text(json.dumps(card, indent=2), encoding="utf-8")
    m = card["validation"]["metrics"]
    lines = [f"# Model card: {name or Path(directory).name}", "", card["model"], "",
             "## Training data",
             f"- {card['training_data']['cables']} cables from `{Path(card['training_data']['corpus']).name}` "
             f"(sha256 {card['training_data']['corpus_sha256'][:16]}…), text field `{card['training_data']['text_field']}`"
             + (", read as whole cables (the record's preamble and that field; cabletags.reading.parser.cable_reading)"
                if card["settings"].get("reading") == "cable" else ""),
             f"- labels: {card['training_data']['labels_from']} (taxonomy {card['training_data']['taxonomy_version']})",
             f"- label space: {card['labels']['count']} codes carried by >= {card['labels']['min_training_cables']} "
             f"training cables; by kind: {card['labels']['by_kind']}",
             f"- validation split: {card['validation']['cables']} cables, {card['validation']['split']}, "
             f"share {card['validation']['share']}, seed {card['validation']['seed']}",
             f"- refitted on all data after tuning: {card['refit_on_all_data']}"]
    if card.get("header_model"):
        lines.append(f"- joined with a model of the header block (margin weight {card['header_model']['margin_weight']}; "
                     "docs/model.md, \"Whole cables\")")
    lines += ["",
             "## Validation metrics (model fitted on the training split)", "",
             "| slice | docs | P@1 | P@3 | P@5 | F1@5 | NDCG@5 | F1 micro | F1 macro |",
             "|---|---|---|---|---|---|---|---|---|"]
    for k, v in m.items():
        if v.get("documents"):
            lines.append(f"| {k} | {v['documents']} | {v['P@1']:.3f} | {v['P@3']:.3f} | {v['P@5']:.3f} | "
                         f"{v['F1@5']:.3f} | {v['NDCG@5']:.3f} | {v['F1_micro']:.3f} | {v['F1_macro']:.3f} |")
    if card.get("references"):
        r = card["references"]
        lines += ["", "## Reference index", "",
                  f"- {r['training_cables_indexed']} training cables indexed; weights added to the margins "
                  f"(cited, co-citing tag shares): {r['weights_cited_cociting']}, tuned on the validation split",
                  f"- stores {r['stores']}"]
    lines += ["", "## Settings", "", "```json", json.dumps(card["settings"], indent=2), "```", "",
              "## Size, privacy, integrity",
              f"- vocabulary: {card['vocabulary']['terms']} terms (of {card['vocabulary']['terms_before_pruning']} "
              f"before pruning); every term occurs in >= {card['vocabulary']['min_df']} training cables",
              f"- size on disk: {card.get('size_bytes', 0) / 1e6:.1f} MB",
              f"- arrays.npz sha256: {card.get('arrays_sha256', '')}",
              f"- timing (s): {card['timing_seconds']}",
              f"- versions: {card['versions']}", ""]
    bench = card.get("benchmark")
    if bench:  # written by scripts/benchmarks/bench_quality.py --card
        lines += ["## Held-out benchmark", "",
                  f"`{bench['command']}` ({bench['date']}; {bench['held_out']}):", ""]
        lines += bench["report"] + [""]
    (directory / "MODEL_CARD.md").write_text("\n".join(lines), encoding="utf-8")
    if manifest:
        from .storage import write_manifest

        write_manifest(directory)

"""The model card: what a training run did and measured, as card.json (for programs) and MODEL_CARD.md (for
people) beside the model."""
from __future__ import annotations

import hashlib
import json
import platform
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import numpy as np

__all__ = ["build_card", "write_card"]


def build_card(plan, settings, model, final, report: dict, full_fit_seconds, seconds: float,
               join_weights=()) -> dict:
    """card.json's document for a run of `plan` (cabletags.scoring.training.TrainPlan): the model fitted on the
    training split (`model`, its validation `report`), the `final` one, the `settings` it was saved with."""
    tax, labels = plan.taxonomy, plan.labels
    return {
        "model": ("TF-IDF (word 1-%d grams, sublinear tf) + one-vs-rest LinearSVC%s, per-tag offsets"
                  % (settings.ngram_max, f" on naive-Bayes-scaled features (|r|^{settings.nb_scaling:g}, NBSVM)"
                     if settings.nb_scaling else "")),
        "training_data": {"corpus": str(plan.corpus), "corpus_sha256": _sha256(plan.corpus), "cables": plan.records,
                          "text_field": plan.text_field, "labels_from": "cabletags.normalize(record['tags']).codes",
                          "taxonomy_version": tax.version},
        "validation": {"share": plan.validation_share, "seed": plan.seed, "cables": plan.validation,
                       "split": "sha256(f'{seed}:{id}') < share", "metrics": _round(report)},
        "labels": {"count": len(labels), "min_training_cables": plan.min_label_count,
                   "by_kind": dict(Counter(tax.entries[t].kind for t in labels))},
        "settings": asdict(settings),
        "references": ({"training_cables_indexed": len(final.references),
                        "weights_cited_cociting": list(final.calibration.ref_weights),
                        "stores": "each training cable's own reference number, the reference numbers it cites and "
                                  "its tag indices (no text)"} if final.references is not None else None),
        "neighbours": neighbours_card(final),
        "origin_score": final.calibration.origin_score,
        "combiner": (dict(final.combiner.validation, trees=int(final.combiner.feature.shape[0]),
                          depth=final.combiner.depth, candidates_a_text=final.combiner.k)
                     if final.combiner is not None else None),
        "refit_on_all_data": plan.refit,
        **({"header_model": {"joined": True, "margin_weight": final.info["header_join"],
                             "chosen_from": list(join_weights)}} if "header_join" in final.info else {}),
        "timing_seconds": {"fit_training_split": model.info["fit_seconds"], "fit_full_corpus": full_fit_seconds,
                           "total": round(seconds, 1)},
        "vocabulary": {"terms": len(final.vocabulary), "terms_before_pruning": final.info.get("terms_before_pruning"),
                       "min_df": settings.min_df},
        "versions": _versions(),
    }


def neighbours_card(final) -> dict | None:
    """card.json's entry for a model's nearest-cables index (None without one)."""
    nn = final.neighbours
    if nn is None:
        return None
    return {"training_cables_indexed": len(nn), "words_a_cable": final.settings.neighbours,
            "index_words": len(nn.columns), "neighbours": nn.k, "power": nn.power,
            "weight": final.calibration.nn_weight, "select_score": final.calibration.select_score,
            "count_floor": final.calibration.count_floor,
            "stores": "for each training cable, the numbers of its heaviest words (single words of the vocabulary that "
                      "occur in >= 20 training cables), their weights in 15 steps and its tag indices (no text)"}


def add_card_part(directory, key: str, report: list[str], command: str) -> None:
    """Put a benchmark's printed table into a model folder's card.json under `key` ("scorers", "slices",
    "learning_curve": the sections write_card renders) with the command that printed it and today's date, then
    re-render MODEL_CARD.md (and the folder's manifest)."""
    import time

    directory = Path(directory)
    card = json.loads((directory / "card.json").read_text(encoding="utf-8"))
    card[key] = {"command": command, "date": time.strftime("%Y-%m-%d"), "report": list(report)}
    write_card(directory, card)


def _round(d):
    if isinstance(d, dict):
        return {k: _round(v) for k, v in d.items()}
    return round(d, 4) if isinstance(d, float) else d


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
    if card.get("neighbours"):
        n = card["neighbours"]
        lines += ["", "## Nearest-cables index", "",
                  f"- {n['training_cables_indexed']} training cables indexed, each by its {n['words_a_cable']} "
                  f"heaviest words ({n['index_words']} words in all); a text's vote is its {n['neighbours']} most "
                  f"similar cables' tags, weighted by similarity to the power {n['power']:g}; weight added to the margins: "
                  f"{n['weight']:g}, tuned on the validation split",
                  f"- stores {n['stores']}"]
        if n.get("count_floor") is not None:
            lines.append(f"- selected: every tag scoring >= {n['select_score']:g}, and a text's first k tags scoring "
                         f">= {n['count_floor']:g}, k the mean number of tags its nearest cables carry (the count rule, "
                         "docs/model.md); both tuned on the validation split")
    if card.get("origin_score") is not None:
        lines += ["", "## Origin country", "",
                  f"- a whole cable's origin country (its post's, taxonomy/posts.yaml) scores at least "
                  f"{card['origin_score']:g}: the share of training cables from a post with a country that carry its "
                  "code; one outside the label space is ranked beside the model's tags (cabletags.scoring.origin)"]
    if card.get("combiner"):
        c = card["combiner"]
        lines += ["", "## Combiner", "",
                  f"- each text's first {c['candidates_a_text']} candidates scored again by {c['trees']} "
                  f"gradient-boosted trees of depth {c['depth']} from what every scorer said of them "
                  f"(cabletags.scoring.combiner), fitted on the {c['texts']} validation texts: "
                  + ("they rank the candidates (their probabilities are the scores shown) and a candidate is selected "
                     f"when its probability reaches {c['select_score']:g}" if c["ranks"] else
                     "the ranking stays the calibrated one; a text's first m candidates are selected, m those whose "
                     f"probability reaches {c['select_score']:g}"),
                  f"- cross-fitted on the validation texts ({c['candidates']} candidates): selected micro-F1 "
                  f"{c['micro_f1_before']:.4f} -> {c['micro_f1']:.4f}; F1@5 ranked by the probabilities "
                  f"{c['f1_at_5_ranked']:.4f} (calibrated ranking {c['f1_at_5_before']:.4f})"]
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
    # written by scripts/benchmarks/bench_scorers.py, compare_preds.py and learning_curve.py --card
    for key, title in (("scorers", "Each scorer alone and combined (held-out)"),
                       ("slices", "Gains over the previous model, per kind and period (held-out)"),
                       ("learning_curve", "Learning curve (held-out)")):
        part = card.get(key)
        if part:
            lines += [f"## {title}", "", f"`{part['command']}` ({part['date']}):", ""] + part["report"] + [""]
    (directory / "MODEL_CARD.md").write_text("\n".join(lines), encoding="utf-8")
    if manifest:
        from .storage import write_manifest

        write_manifest(directory)

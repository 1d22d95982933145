"""Compare rules for the selected (thresholded) set, recorded in scripts/results/selection_rules.json.

One model is fitted on the training split (hash of the id, share 0.2, seed 0) with the default settings;
its validation split is cut in two halves by another hash. Each rule is tuned on one half and measured
on the other (both ways, figures averaged), so no figure is tuned on the data it reports:
- per_tag: each tag's own F1-optimal margin threshold (the rule of the first shipped model);
- global: one threshold on the ranking scores for all tags, chosen for micro-F1.

usage: python scripts/selection_rules.py [--corpus PATH]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cabletags.corpus import corpus_or_exit, is_validation  # noqa: E402
from cabletags.evaluation import evaluate_rankings  # noqa: E402
from cabletags.model import ModelSettings, TagModel  # noqa: E402
from cabletags.training import label_space, load_labelled  # noqa: E402

RULES = ("per_tag", "global")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus")
    ap.add_argument("--out", default=str(ROOT / "scripts" / "results" / "selection_rules.json"))
    a = ap.parse_args(argv)
    ids, texts, labels = load_labelled(corpus_or_exit(a.corpus))
    val = np.array([is_validation(i, 0.2, 0) for i in ids])
    tr, va = np.flatnonzero(~val), np.flatnonzero(val)
    half = np.array([hashlib.sha256(ids[i].encode()).digest()[0] % 2 for i in va])
    space = label_space([labels[i] for i in tr], 20)
    t = time.perf_counter()
    m = TagModel(settings=ModelSettings())
    m.fit([texts[i] for i in tr], [labels[i] for i in tr], space)
    print(f"fitted on {len(tr)} cables in {time.perf_counter() - t:.0f} s", flush=True)
    M = m.decision_function([texts[i] for i in va])
    results = {}
    for rule in RULES:
        m.settings.selection = rule
        per_half = []
        for fit_h in (0, 1):
            A, B = np.flatnonzero(half == fit_h), np.flatnonzero(half != fit_h)
            m.tune(None, [labels[va[i]] for i in A], margins=M[A])
            P = m.scores_from_margins(M[B])
            S = m.selected(M[B], P)  # whole cables: plain margins are the ranking margins
            ranked = [[m.labels[j] for j in np.argsort(-row)[:10]] for row in P]
            selected = [{m.labels[j] for j in np.flatnonzero(row)} for row in S]
            r = evaluate_rankings([set(labels[va[i]]) for i in B], ranked, selected, label_space=set(space))
            per_half.append({k: r[k] for k in ("F1_micro", "F1_macro", "F1_doc")})
        results[rule] = {k: round(float(np.mean([h[k] for h in per_half])), 4) for k in per_half[0]}
        results[rule]["halves"] = per_half
        print(rule, json.dumps({k: v for k, v in results[rule].items() if k != "halves"}), flush=True)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps({"rules": list(RULES), "validation_cables": int(len(va)),
                                       "protocol": "tune on one half of the validation split, measure on the other, "
                                                   "both ways, averaged", "results": results}, indent=1))


if __name__ == "__main__":
    main()

"""How much the cable reference graph can tell: coverage and quality of the tags of cited and co-citing cables.

The held-out part is the benchmark's (sha256("0:"+id) < 0.2); the index holds the other cables, as the shipped
model's index holds the whole corpus. For each held-out cable: the training cables its text cites
(cabletags.scoring.references) and those citing any of the same references; how many held-out cables have any, and
how precise and complete the union of their tags is against the cable's own tags (normalized codes in the
label space of >= 20 cables). Prints figures only, never text.

usage: python scripts/benchmarks/reference_report.py [--corpus PATH]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cabletags.scoring.corpus import corpus_or_exit, is_validation  # noqa: E402
from cabletags.scoring.references import ReferenceIndex  # noqa: E402
from cabletags.scoring.trainingdata import label_space, load_labelled  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus")
    a = ap.parse_args(argv)
    ids, texts, tags = load_labelled(corpus_or_exit(a.corpus))
    held = np.array([is_validation(i, 0.2, 0) for i in ids])
    tr, te = np.flatnonzero(~held), np.flatnonzero(held)
    labels = label_space([tags[i] for i in tr])
    index = {t: j for j, t in enumerate(labels)}
    Y = np.zeros((len(ids), len(labels)), dtype=np.int8)
    for i, ts in enumerate(tags):
        for t in ts:
            if t in index:
                Y[i, index[t]] = 1
    ix = ReferenceIndex.build([ids[i] for i in tr], [texts[i] for i in tr], Y[tr])
    print(f"index: {len(tr)} training cables, {sum(len(c) for c in ix.cites)} references they cite; "
          f"held-out: {len(te)} cables")
    found = {"cited": 0, "co-citing": 0, "either": 0}
    quality = {"cited": [], "co-citing": []}
    for i in te:
        rows = ix.resolve(texts[i])
        found["either"] += bool(rows[0] or rows[1])
        gold = set(np.flatnonzero(Y[i]))
        for name, rs in zip(("cited", "co-citing"), rows):
            if not rs:
                continue
            found[name] += 1
            union = set().union(*(set(ix.tags_of(r).tolist()) for r in rs))
            if union and gold:
                quality[name].append((len(union & gold) / len(union), len(union & gold) / len(gold)))
    for name in ("cited", "co-citing", "either"):
        line = f"{name:10s} held-out cables with any: {found[name]} ({found[name] / len(te):.1%})"
        if quality.get(name):
            p, r = np.mean(quality[name], axis=0)
            line += f"; their tags against the cable's own: precision {p:.3f}, recall {r:.3f}"
        print(line)


if __name__ == "__main__":
    main()

"""Save a model folder again in the current storage layout: the same numbers, the same card.

A model's arrays are written as the code of the day writes them (since 2026-12-06 the weights by term, wt_*, not
by label, w_*); an older folder still loads, but re-saved it loads faster. This rewrites the folder in place (built
beside it and swapped in whole, as training does), keeps its card (card.json with the new arrays' sha256 and size,
MODEL_CARD.md re-rendered), and checks that the re-saved model scores --check-texts corpus texts (whole cables
for a whole-cable model) bit for bit as before; nothing is written when they differ. After it, re-pin the folder's
manifest in models/MANIFEST.json (the script prints the new sha256) and run scripts/tools/release_check.py.

--fit-origin: a whole-cable model saved before the origin-country rule (cabletags.scoring.origin) gets its origin
score, fitted over the whole corpus as `cabletags train --reading cable` fits it for the model refitted on every cable
(the share of cables from a post with a country that carry its code); its arrays, and so its logits, stay the same.

usage: python scripts/tools/resave_model.py MODEL_DIR [MODEL_DIR ...] [--corpus PATH] [--check-texts 400]
                                            [--fit-origin]
"""
from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402

from cabletags.scoring.corpus import corpus_or_exit, read_corpus  # noqa: E402
from cabletags.scoring.model import TagModel  # noqa: E402
from cabletags.scoring.modelcard import write_card  # noqa: E402


def texts_for(model: TagModel, recs) -> list[str]:
    """What the model reads of each record: the body, or (a whole-cable model) the text suggest --cable reads."""
    if model.settings.reading != "cable":
        return [r.get("body") or "" for r in recs]
    from cabletags import Suggester
    from cabletags.vocabulary.taxonomy import load_taxonomy

    s = Suggester(model, load_taxonomy(), "resave", model)
    return [s.cable_text((r.get("preamble") or "") + "\n" + (r.get("body") or ""))[1] for r in recs]


def origin_score(corpus: str) -> float | None:
    """The origin score of a whole-cable model refitted on every cable of `corpus`, as training fits it."""
    from cabletags.scoring.origin import fit_origin_score
    from cabletags.scoring.trainingdata import cable_parts, load_labelled
    from cabletags.vocabulary.taxonomy import load_taxonomy

    tax = load_taxonomy()
    _, texts, label_sets = load_labelled(corpus, "body", tax, whole=True)
    origins: list = []
    cable_parts(texts, tax, origins)
    return fit_origin_score(origins, label_sets)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+")
    ap.add_argument("--corpus")
    ap.add_argument("--check-texts", type=int, default=400)
    ap.add_argument("--fit-origin", action="store_true", help="fit a whole-cable model's origin score over --corpus")
    a = ap.parse_args(argv)
    recs = list(itertools.islice(read_corpus(corpus_or_exit(a.corpus)), a.check_texts))
    failed = 0
    for d in map(Path, a.models):
        t = time.perf_counter()
        before = TagModel.load(d)
        before.logits(["x"])  # the first score: what loading leaves to do (the old layout's transposition)
        load_before = time.perf_counter() - t
        texts = texts_for(before, recs)
        want = before.logits(texts)
        card = json.loads((d / "card.json").read_text(encoding="utf-8")) if (d / "card.json").exists() else None
        if a.fit_origin and before.settings.reading == "cable":
            before.calibration.origin_score = origin_score(corpus_or_exit(a.corpus))
            print(f"{d}: origin score {before.calibration.origin_score}")
            if card is not None:
                card["origin_score"] = before.calibration.origin_score
        with tempfile.TemporaryDirectory() as tmp:
            trial = Path(tmp) / d.name
            before.save(trial)
            t = time.perf_counter()
            after = TagModel.load(trial)
            after.logits(["x"])
            load_after = time.perf_counter() - t
            if not np.array_equal(after.logits(texts), want):
                print(f"{d}: the re-saved model scores differently; left as it was", file=sys.stderr)
                failed += 1
                continue

        def keep_card(tmp_dir: Path, doc: dict):
            if card is not None:
                card["arrays_sha256"] = doc["arrays_sha256"]
                card["size_bytes"] = sum((tmp_dir / f).stat().st_size for f in ("model.json", "arrays.npz"))
                write_card(tmp_dir, card, manifest=False, name=d.name)

        size = sum((d / f).stat().st_size for f in ("model.json", "arrays.npz"))
        before.save(d, force=True, extra=keep_card)
        new_size = sum((d / f).stat().st_size for f in ("model.json", "arrays.npz"))
        pin = hashlib.sha256((d / "manifest.json").read_bytes()).hexdigest()
        print(f"{d}: re-saved; {len(texts)} texts score bit for bit as before; {size / 1e6:.2f} -> "
              f"{new_size / 1e6:.2f} MB; load and a first score {load_before:.2f} -> {load_after:.2f} s (one run "
              f"each); manifest sha256 {pin}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

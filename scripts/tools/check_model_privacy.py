"""Privacy check of a model's vocabulary: every term must occur in >= 5 cables of the corpus (and every word of its
nearest-cables index in >= 20).

Recounts, from the corpus itself, the document frequency of every vocabulary term (with the model's
own tokenization and boilerplate stripping; a whole-cable model's terms in the corpus read as whole cables,
preamble and body, as it was trained) and fails (exit 1) if any term is below --min-df.

usage: python scripts/tools/check_model_privacy.py [--model DIR] [--corpus PATH] [--min-df 5]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cabletags.scoring.corpus import corpus_or_exit, read_corpus  # noqa: E402
from cabletags.scoring.model import TagModel  # noqa: E402
from cabletags.scoring.suggester import shipped_model_dir  # noqa: E402
from cabletags.scoring.trainingdata import read_as_cables  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model")
    ap.add_argument("--corpus")
    ap.add_argument("--min-df", type=int, default=5)
    a = ap.parse_args(argv)
    corpus = corpus_or_exit(a.corpus)
    m = TagModel.load(a.model or shipped_model_dir())
    from sklearn.feature_extraction.text import CountVectorizer

    from cabletags.cableformat import TOKEN_PATTERN

    cv = CountVectorizer(vocabulary={t: i for i, t in enumerate(m.vocabulary)}, binary=True,
                         ngram_range=(1, m.settings.ngram_max), token_pattern=TOKEN_PATTERN, dtype=np.int32)
    df = np.zeros(len(m.vocabulary), dtype=np.int64)
    whole = m.settings.reading == "cable"

    def count(batch):
        texts = read_as_cables(batch, header_block=m.settings.header_weight > 0) if whole else batch
        return np.asarray(cv.transform(m.prepare(texts)).sum(axis=0)).ravel()

    batch = []
    for rec in read_corpus(corpus):
        body = rec.get("body") or ""
        batch.append((rec.get("preamble") or "") + "\n" + body if whole else body)
        if len(batch) == 2000:
            df += count(batch)
            batch = []
    if batch:
        df += count(batch)
    low = np.flatnonzero(df < a.min_df)
    print(f"{len(m.vocabulary)} vocabulary terms; minimum document frequency {df.min()}; "
          f"terms below {a.min_df}: {len(low)}")
    if len(low):
        print("FAIL: e.g. " + ", ".join(repr(m.vocabulary[i]) for i in low[:10]))
        return 1
    if m.neighbours is not None:
        # the nearest-cables index keeps each cable's heaviest words: only words of >= MIN_DF cables (of the
        # corpus's n / 500 when that is fewer, as NeighbourIndex.build sets it)
        from cabletags.scoring.neighbours import MIN_DF

        floor = min(MIN_DF, max(1, len(m.neighbours) // 500))
        rare = [int(c) for c in m.neighbours.columns if df[c] < floor]
        print(f"nearest-cables index: {len(m.neighbours.columns)} words over {len(m.neighbours)} cables; minimum "
              f"document frequency {int(df[m.neighbours.columns].min()) if len(m.neighbours.columns) else '-'}; "
              f"words below {floor}: {len(rare)}")
        if rare:
            print("FAIL: e.g. " + ", ".join(repr(m.vocabulary[i]) for i in rare[:10]))
            return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Ways to combine the scorers and to select, fitted on a validation part, measured on held-out cables (issue 28).

The shipped combination adds the scorers' matrices to the linear model's margins with weights searched on the inner
validation split (cabletags.scoring.calibration.tune), then shifts each tag by its offset and selects by one score
threshold. This benchmark asks whether anything fitted on the same validation part does better:

* no vote (the references only), and the shipped combination (every weight as `tune` picks it);
* the vote's weight from a grid, and the vote transformed (square root, square), with the offsets shrunk less or
  more; the weight per tag kind (subject, program, geographic, organization: a coordinate search);
* a learned combiner: one logistic regression over (margin, cited, co-citing, vote) with an intercept per tag;
* stacking: per tag, a logistic regression over its own calibrated logit and every tag's score (co-occurrence);
* selection rules: beside the threshold, a text's tags within a share of its best one, or its 2nd / 3rd best above
  a floor;
* with --k-power: the vote with other numbers of neighbours (10, 20, 40) and powers of the similarity (3, 5, 8).

Every choice (weights, thresholds, regressions) is made on the validation part; the held-out cables only measure.
It reads a model fitted without refit (`--no-refit`) on WORK/train.jsonl.gz with bench_quality.py's inner split
(seed 1), whose validation part is known, and trains one into WORK/inner[-cable] when it is missing (2-4 minutes).

usage: python scripts/benchmarks/bench_combiners.py WORK_DIR [--cable] [--k-power]
  WORK_DIR: a bench_quality.py work folder (train.jsonl.gz, test.jsonl.gz); --cable: whole cables read as
  `suggest --cable` reads them, with a whole-cable model (the header model joined as training decides)
"""
from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

INNER_SEED = 1  # bench_quality.py's inner split: the validation part of the model it trains


def read(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def components(m, recs, texts, norm) -> dict:
    """The scorers' matrices of the texts, each (n, L): margins (with intercepts), cited, co-citing, vote, the short
    texts' shift, and the gold 0/1 labels. Ids keep an indexed cable out of its own references and neighbours."""
    ids = [r["id"] for r in recs]
    X = m.transform(texts)
    lin = np.asarray((X @ m.weights_t).toarray(), dtype=np.float32) + m.intercept
    cited, cociting = m.references.features(texts, ids)
    m.scorers  # links the vote to the reference index's rows
    vote = m.neighbours.score(texts, X, ids)[0]
    shift = m._bias_shift(texts)
    return {"lin": lin, "cited": cited, "cociting": cociting, "nn": vote,
            "shift": np.zeros_like(lin) if shift is None else shift,
            "Y": m.label_matrix([norm.normalize(r.get("tags") or "").codes for r in recs])}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("work")
    ap.add_argument("--cable", action="store_true")
    ap.add_argument("--k-power", action="store_true", help="also the vote with other k and powers (shipped: 20, 5)")
    a = ap.parse_args(argv)
    work = Path(a.work)
    for need in ("train.jsonl.gz", "test.jsonl.gz"):
        if not (work / need).exists():
            sys.exit(f"error: {work / need} is missing: run bench_quality.py --work {work} first")
    from cabletags import Suggester
    from cabletags.scoring import calibration as C
    from cabletags.scoring.corpus import is_validation
    from cabletags.scoring.evaluation import evaluate_rankings, f1_at_5
    from cabletags.scoring.model import ModelSettings, TagModel
    from cabletags.scoring.training import train_model
    from cabletags.vocabulary.normalizer import get_normalizer
    from cabletags.vocabulary.taxonomy import load_taxonomy

    t0 = time.perf_counter()
    inner = work / ("inner-cable" if a.cable else "inner")
    if not (inner / "model.json").exists():
        print(f"training {inner} (no refit, inner split seed {INNER_SEED}) ...", flush=True)
        settings = ModelSettings(reading="cable", header_weight=1.0) if a.cable else None
        train_model(work / "train.jsonl.gz", inner, settings=settings, validation_share=0.2, seed=INNER_SEED,
                    refit=False, progress=lambda msg: None, force=True)
    m = TagModel.load(inner)
    norm, tax = get_normalizer(), load_taxonomy()
    train, test = read(work / "train.jsonl.gz"), read(work / "test.jsonl.gz")
    val = [r for r in train if is_validation(str(r["id"]), 0.2, INNER_SEED)]
    if a.cable:
        s = Suggester(m, tax, str(inner), m)

        def texts_of(recs):
            return [s.cable_text((r.get("preamble") or "") + "\n" + (r.get("body") or ""))[1] for r in recs]
    else:
        def texts_of(recs):
            return [r.get("body") or "" for r in recs]
    V = components(m, val, texts_of(val), norm)
    T = components(m, test, texts_of(test), norm)
    labels, shrink = m.labels, m.settings.threshold_shrink
    gold = [set(norm.normalize(r.get("tags") or "").codes) for r in test]
    kind = np.array([getattr(tax.get(t), "kind", "subject") for t in labels])
    rows = []

    def measure(P, S, name):
        order = np.lexsort((np.broadcast_to(np.arange(P.shape[1]), P.shape), -P), axis=1)[:, :10]
        r = evaluate_rankings(gold, [[labels[j] for j in row] for row in order],
                              [{labels[j] for j in row if S[i, j]} for i, row in enumerate(order)],
                              label_space=set(labels))
        rows.append((name, r["F1@5"], r["NDCG@5"], r["P@1"], r["F1_micro"]))
        print(f"  {name:62} F1@5 {r['F1@5']:.4f} NDCG@5 {r['NDCG@5']:.4f} micro-F1 {r['F1_micro']:.4f}", flush=True)

    def margins(D, wr, wn, tf=None):
        return D["lin"] + wr[0] * D["cited"] + wr[1] * D["cociting"] + wn * (D["nn"] if tf is None else tf(D["nn"]))

    def calibrated(wr, wn, sh=shrink, tf=None):
        """Offsets, scale and threshold fitted on the validation margins; (calibration, held-out scores)."""
        Mv = margins(V, wr, wn, tf)
        off = (sh * C.f1_thresholds(Mv, V["Y"])).astype(np.float32)
        cal = C.Calibration(offsets=off, scale=C._likeliest_scale((Mv - off).ravel(), V["Y"].ravel()))
        cal.select_score = C.micro_f1_threshold(cal.scores(Mv + V["shift"]), V["Y"])
        return cal, cal.scores(margins(T, wr, wn, tf) + T["shift"])

    base = C.tune(V["lin"], V["Y"], shrink, (V["cited"], V["cociting"]), rank_shift=V["shift"])
    cal, P = calibrated(base.ref_weights, 0.0)
    measure(P, C.select(P, cal.select_score), f"no vote (references {base.ref_weights})")
    tuned = C.tune(V["lin"], V["Y"], shrink, (V["cited"], V["cociting"]), rank_shift=V["shift"], votes=V["nn"])
    wr, wn = tuned.ref_weights, np.float32(tuned.nn_weight)
    cal, P = calibrated(wr, wn)
    measure(P, C.select(P, cal.select_score), f"the shipped combination (references {wr}, vote {tuned.nn_weight})")
    shipped = (cal, P)

    def val_f1(wr, wvec, tf=None, sh=shrink):
        Mv = margins(V, wr, wvec, tf)
        return f1_at_5(Mv - sh * C.f1_thresholds(Mv, V["Y"]), V["Y"])

    for name, tf in (("square root", np.sqrt), ("square", np.square)):
        w = max(C.NN_WEIGHT_GRID, key=lambda g: val_f1(wr, np.float32(g), tf))
        cal, P = calibrated(wr, np.float32(w), tf=tf)
        measure(P, C.select(P, cal.select_score), f"the vote's {name}, weight {w}")
    for sh in (0.25, 0.75):
        cal, P = calibrated(wr, wn, sh=sh)
        measure(P, C.select(P, cal.select_score), f"offsets shrunk by {sh} instead of {shrink}")
    w = np.full(len(labels), wn, dtype=np.float32)
    for _ in range(2):  # coordinate search, kind by kind
        for k in sorted(set(kind)):
            def with_k(g):
                w2 = w.copy()
                w2[kind == k] = g
                return w2
            w = with_k(max(C.NN_WEIGHT_GRID + (2.0,), key=lambda g: val_f1(wr, with_k(g))))
    cal, P = calibrated(wr, w)
    per_kind = {str(k): float(w[kind == k][0]) for k in sorted(set(kind))}
    measure(P, C.select(P, cal.select_score), f"the vote's weight per kind {per_kind}")

    from scipy import sparse as sp
    from sklearn.linear_model import LogisticRegression

    def stacked_features(D):
        n, L = D["lin"].shape
        F = np.stack([(D["lin"] + D["shift"]).ravel(), D["cited"].ravel(), D["cociting"].ravel(), D["nn"].ravel()], 1)
        tag = sp.csr_matrix((np.ones(n * L), np.tile(np.arange(L), n), np.arange(n * L + 1)), shape=(n * L, L))
        return sp.hstack([sp.csr_matrix(F), tag], format="csr")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lr = LogisticRegression(C=1.0, max_iter=300).fit(stacked_features(V), V["Y"].ravel())
        Pv = lr.predict_proba(stacked_features(V))[:, 1].reshape(V["lin"].shape)
        P = lr.predict_proba(stacked_features(T))[:, 1].reshape(T["lin"].shape)
        measure(P, C.select(P, C.micro_f1_threshold(Pv, V["Y"])),
                "a learned combiner (logistic regression, an intercept per tag)")
        cal, _ = shipped
        Zv = cal.logits(margins(V, wr, wn) + V["shift"])
        Zt = cal.logits(margins(T, wr, wn) + T["shift"])
        Sv, St = 1 / (1 + np.exp(-Zv)), 1 / (1 + np.exp(-Zt))
        out_v, out_t = Zv.copy(), Zt.copy()
        for j in range(Zv.shape[1]):
            y = V["Y"][:, j]
            if 3 <= y.sum() <= len(y) - 3:
                r = LogisticRegression(C=0.1, max_iter=200).fit(np.column_stack([Zv[:, j], Sv]), y)
                out_v[:, j] = r.decision_function(np.column_stack([Zv[:, j], Sv]))
                out_t[:, j] = r.decision_function(np.column_stack([Zt[:, j], St]))
        Pv, P = 1 / (1 + np.exp(-(Zv + out_v) / 2)), 1 / (1 + np.exp(-(Zt + out_t) / 2))
        measure(P, C.select(P, C.micro_f1_threshold(Pv, V["Y"])),
                "stacking: each tag's logit and every tag's score, blended half")

    cal, P = shipped
    Pv = cal.scores(margins(V, wr, wn) + V["shift"])

    def micro(S, Y):
        pos = Y > 0
        return 2 * (S & pos).sum() / (S.sum() + pos.sum())

    def relative(Q, t, r, floor):
        return C.select(Q, t) | ((Q >= r * Q.max(axis=1, keepdims=True)) & (Q >= floor))

    grid = [(t, r, f) for t in np.round(np.arange(0.2, 0.81, 0.02), 2) for r in (0.5, 0.7, 0.9) for f in (0.1, 0.2)]
    t, r, f = max(grid, key=lambda g: micro(relative(Pv, *g), V["Y"]))
    measure(P, relative(P, t, r, f), f"selection: threshold {t}, or within {r} of the best and >= {f}")
    for k in (2, 3):
        def kth(Q, t, f, k=k):
            return C.select(Q, t) | ((Q >= -np.sort(-Q, axis=1)[:, k - 1:k]) & (Q >= f))
        t, f = max(((t, f) for t in np.round(np.arange(0.2, 0.81, 0.02), 2) for f in (0.1, 0.2, 0.3)),
                   key=lambda g: micro(kth(Pv, *g), V["Y"]))
        measure(P, kth(P, t, f), f"selection: threshold {t}, or among the {k} best and >= {f}")

    if a.k_power:  # the vote's own settings: neighbours k and the similarity's power, the weight tuned again
        Xv, Xt = m.transform(texts_of(val)), m.transform(texts_of(test))
        ids_v, ids_t = [r["id"] for r in val], [r["id"] for r in test]
        kept = (m.neighbours.k, m.neighbours.power)
        for k, pw in ((10, 3.0), (10, 5.0), (10, 8.0), (20, 3.0), (20, 8.0), (40, 3.0), (40, 5.0), (40, 8.0)):
            m.neighbours.k, m.neighbours.power = k, pw
            Vk = dict(V, nn=m.neighbours.score(None, Xv, ids_v)[0])
            Tk = dict(T, nn=m.neighbours.score(None, Xt, ids_t)[0])
            c = C.tune(Vk["lin"], Vk["Y"], shrink, (Vk["cited"], Vk["cociting"]), rank_shift=Vk["shift"],
                       votes=Vk["nn"])
            P = c.scores(margins(Tk, c.ref_weights, np.float32(c.nn_weight)) + Tk["shift"])
            measure(P, C.select(P, c.select_score), f"the vote with k {k}, power {pw:g} (weight {c.nn_weight})")
        m.neighbours.k, m.neighbours.power = kept

    first = rows[0]
    print(f"\n{len(test)} held-out {'whole cables' if a.cable else 'bodies'}; model {inner} (fitted on "
          f"{len(train) - len(val)}, everything chosen on {len(val)} validation cables); "
          f"{time.perf_counter() - t0:.0f} s")
    print("| combination | F1@5 | NDCG@5 | P@1 | micro-F1 | F1@5, NDCG@5, micro-F1 over no vote (points) |")
    print("|---|---|---|---|---|---|")
    for name, f15, nd, p1, mi in rows:
        gain = f"{100 * (f15 - first[1]):+.2f}, {100 * (nd - first[2]):+.2f}, {100 * (mi - first[4]):+.2f}"
        print(f"| {name} | {f15:.4f} | {nd:.4f} | {p1:.4f} | {mi:.4f} | {gain} |")


if __name__ == "__main__":
    main()

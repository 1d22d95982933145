"""Speed and memory against the floors of the speed issue, measured side by side in one run.

Every timing is a new process, start-up included, median of --runs; memory is the process's own peak
resident set (wait4 in a small wrapper process). Rows:

* normalize --jsonl over the corpus's 17,730 TAGS lines (records of id and tags), lines/s; beside it the
  floor of the machine: orjson loads + dumps of the same records in a fresh process;
* decode KTIP PHUM AJ against `python -c pass`, and whether decode imports numpy or scikit-learn;
* suggest --jsonl over 2,000 paragraphs (the first substantive paragraph of corpus cables), paragraphs/s;
* suggest --jsonl over every corpus body (whole cables), cables/s and peak memory;
* model load, in process;
* a plain scikit-learn pipeline (TfidfVectorizer 1-2 grams + one-vs-rest LinearSVC, fitted on --fit-cables
  cables) scoring the same 2,000 paragraphs in process, paragraphs/s, for comparison;
* with --annif: Annif's omikuji (parabel) backend, installed into its own virtual environment (--annif-venv,
  as bench_quality.py does), trained on --fit-cables cables, then `annif index` over --annif-cables whole cables
  (one file each, start-up and model load included), cables/s; beside it `cabletags suggest --jsonl` over the
  same cables in the same run.

usage: python scripts/benchmarks/bench_speed.py [--corpus PATH] [--runs 3] [--fit-cables 3000]
                                                [--annif] [--annif-cables 2000] [--annif-venv DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from cabletags.cableformat import split_paragraphs  # noqa: E402
from cabletags.scoring.corpus import corpus_or_exit, read_corpus  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import median_run  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--fit-cables", type=int, default=3000)
    ap.add_argument("--annif", action="store_true", help="also time Annif omikuji on the same whole cables")
    ap.add_argument("--annif-cables", type=int, default=2000)
    ap.add_argument("--annif-venv", default=str(Path(tempfile.gettempdir()) / "cabletags-annif-venv"))
    a = ap.parse_args(argv)
    corpus = corpus_or_exit(a.corpus)
    exe = shutil.which("cabletags") or sys.exit("error: `cabletags` is not on PATH (pip install -e .)")
    recs = list(read_corpus(corpus))
    paras = []
    for r in recs:
        p = [q.text for q in split_paragraphs(r.get("body") or "") if len(q.text) >= 300]
        if p:
            paras.append(p[0])
        if len(paras) == 2000:
            break
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        tags, par, bodies = tmp / "tags.jsonl", tmp / "paras.jsonl", tmp / "bodies.jsonl"
        tags.write_text("".join(json.dumps({"id": r["id"], "tags": r.get("tags")}) + "\n" for r in recs))
        par.write_text("".join(json.dumps({"id": i, "body": p}) + "\n" for i, p in enumerate(paras)))
        bodies.write_text("".join(json.dumps({"id": r["id"], "body": r.get("body") or ""}) + "\n" for r in recs))
        subprocess.run([exe, "decode", "PHUM"], stdout=subprocess.DEVNULL)  # warm the taxonomy cache
        t, mb = median_run([exe, "normalize", "--jsonl", "--input", str(tags)], a.runs)
        floor, _ = median_run([sys.executable, "-c", "import orjson, sys\nw = sys.stdout.buffer.write\n"
                          f"for line in open({str(tags)!r}, 'rb'): w(orjson.dumps(orjson.loads(line)) + b'\\n')"],
                         a.runs)
        rows.append(("normalize --jsonl, corpus TAGS lines", f"{len(recs) / t:,.0f} lines/s ({t:.2f} s, {mb:.0f} MB)",
                     ">= 50,000 lines/s", f"orjson loads+dumps floor {len(recs) / floor:,.0f} lines/s"))
        t_pass, _ = median_run([sys.executable, "-c", "pass"], a.runs)
        t_dec, _ = median_run([exe, "decode", "KTIP", "PHUM", "AJ"], a.runs)
        probe = subprocess.run([sys.executable, "-c", "import sys\nfrom cabletags.cli import cli\n"
                                "cli.main(['decode', 'KTIP'], standalone_mode=False)\n"
                                "print('numpy' in sys.modules, 'sklearn' in sys.modules, file=sys.stderr)"],
                               capture_output=True, text=True)
        heavy = probe.stderr.split()[-2:]
        rows.append(("decode KTIP PHUM AJ", f"{t_dec * 1000:.0f} ms = {t_dec / t_pass:.1f}x python -c pass "
                     f"({t_pass * 1000:.0f} ms)", "<= 5x", f"imports numpy: {heavy[0]}, scikit-learn: {heavy[1]}"))
        t_norm, _ = median_run([exe, "normalize", "PGOV, OSCEPREF"], a.runs)
        rows.append(("normalize 'PGOV, OSCEPREF'", f"{t_norm * 1000:.0f} ms = {t_norm / t_pass:.1f}x python -c pass",
                     "<= 5x", "one line, start-up included"))
        t, mb = median_run([exe, "suggest", "--jsonl", str(par)], a.runs)
        rows.append((f"suggest --jsonl, {len(paras)} paragraphs, one process", f"{len(paras) / t:,.0f} paragraphs/s "
                     f"({t:.2f} s, {mb:.0f} MB)", ">= 1,000 paragraphs/s", "start-up and model load included"))
        t, mb = median_run([exe, "suggest", "--jsonl", str(bodies)], a.runs)
        rows.append((f"suggest --jsonl, {len(recs)} whole cables", f"{len(recs) / t:,.0f} cables/s ({t:.1f} s)",
                     ">= 600 cables/s", ""))
        rows.append(("suggest peak memory (whole cables)", f"{mb:.0f} MB", "<= 250 MB", "peak resident set"))
    from cabletags.scoring.model import TagModel
    from cabletags.scoring.suggester import shipped_model_dir

    loads = []
    for _ in range(max(3, a.runs)):
        t = time.perf_counter()
        TagModel.load(shipped_model_dir())
        loads.append(time.perf_counter() - t)
    rows.append(("model load (in process)", f"{statistics.median(loads) * 1000:.0f} ms", "<= 300 ms", ""))
    rows.append(plain_pipeline(recs, paras, a.fit_cables))
    if a.annif:
        rows.extend(annif_rows(a, exe, recs))
    w = [max(len(r[i]) for r in rows) for i in range(4)]
    head = ("what", "measured", "floor", "beside it")
    print("  ".join(h.ljust(x) for h, x in zip(head, w)))
    print("  ".join("-" * x for x in w))
    for r in rows:
        print("  ".join(c.ljust(x) for c, x in zip(r, w)).rstrip())
    print(f"(median of {a.runs} runs each; {os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d')})")


def plain_pipeline(recs, paras, n_fit):
    """A plain scikit-learn pipeline scoring the same paragraphs in process, for comparison."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.preprocessing import MultiLabelBinarizer
    from sklearn.svm import LinearSVC

    from cabletags.vocabulary.normalizer import get_normalizer

    norm = get_normalizer()
    fit = recs[:n_fit]
    mlb = MultiLabelBinarizer()
    Y = mlb.fit_transform([norm.normalize(r.get("tags") or "").codes for r in fit])
    keep = Y.sum(axis=0) >= 20
    vec = TfidfVectorizer(ngram_range=(1, 2), max_features=200_000, sublinear_tf=True, dtype=np.float32)
    X = vec.fit_transform([r.get("body") or "" for r in fit])
    clf = OneVsRestClassifier(LinearSVC(C=0.5), n_jobs=1).fit(X, Y[:, keep])
    t = time.perf_counter()
    clf.decision_function(vec.transform(paras))
    t = time.perf_counter() - t
    return (f"plain scikit-learn pipeline, {len(paras)} paragraphs", f"{len(paras) / t:,.0f} paragraphs/s",
            "", f"in process, fitted on {n_fit} cables ({int(keep.sum())} tags), load not included")


def annif_rows(a, exe, recs) -> list[tuple]:
    """Annif omikuji and cabletags over the same whole cables, timed in this run (start-up included)."""
    from annif_project import install, project, write_docs

    from cabletags.vocabulary.normalizer import get_normalizer

    venv = Path(a.annif_venv)
    try:
        annif = install(venv)
    except (subprocess.SubprocessError, OSError) as e:
        return [("Annif omikuji", f"not installable here ({type(e).__name__})", "", "")]
    norm = get_normalizer()
    fit, test = recs[:a.fit_cables], recs[-a.annif_cables:]
    with tempfile.TemporaryDirectory() as tmp:
        proj = Path(tmp)
        env = project(venv, proj, fit, norm)
        run = dict(check=True, cwd=proj, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run([str(annif), "load-vocab", "--language", "en", "tags", str(proj / "vocab.tsv")], **run)
        subprocess.run([str(annif), "train", "omikuji", str(proj / "train.tsv")], **run)
        docs = proj / "docs"
        write_docs(docs, test)
        jsonl = proj / "test.jsonl"
        jsonl.write_text("".join(json.dumps({"id": r["id"], "body": r.get("body") or ""}) + "\n" for r in test))
        t0 = time.perf_counter()
        subprocess.run([str(annif), "index", "omikuji", str(docs), "--limit", "10", "--force"], **run)
        t_annif = time.perf_counter() - t0
        t0 = time.perf_counter()
        subprocess.run([exe, "suggest", "--jsonl", str(jsonl)], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        t_ours = time.perf_counter() - t0
    n = len(test)
    return [(f"Annif omikuji, annif index, {n} whole cables", f"{n / t_annif:,.0f} cables/s ({t_annif:.1f} s)", "",
             f"trained on {len(fit)} cables; start-up and model load included"),
            (f"cabletags suggest --jsonl, the same {n} cables", f"{n / t_ours:,.0f} cables/s ({t_ours:.1f} s)", "",
             f"{t_annif / t_ours:.1f}x Annif's speed, same run")]


if __name__ == "__main__":
    main()

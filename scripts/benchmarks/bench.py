"""The whole benchmark set in one command, printed as a table (each figure says how it was measured).

Times are medians of --runs runs of a new process (start-up included) unless said otherwise; memory is the
peak RSS of that process (getrusage of a small wrapper process). Quality figures come from the shipped model card (validation split)
and, with --quality, from scripts/benchmarks/bench_quality.py (held-out split, reference scorer; ~6 minutes).
Training time and memory are measured with --train (fits a model on the full corpus into a temporary
directory; ~6 minutes).

usage: python scripts/benchmarks/bench.py [--corpus PATH] [--runs 3] [--train] [--quality] [--copies 10] [--stream-memory]
"""
from __future__ import annotations

import argparse
import json
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
from cabletags.scoring.suggester import shipped_model_dir  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import measure, median_run  # noqa: E402


def run(cmd, stdin_path=None):
    """(seconds, peak RSS in MB, return code) of one new process under the memory wrapper (measure.py)."""
    code, secs, peak, _ = measure(cmd, stdin_path, timeout=3600)
    return secs, peak, code


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--copies", type=int, default=10, help="copies of the corpus for the streaming-memory check")
    ap.add_argument("--train", action="store_true", help="also time a full training run (~6 min)")
    ap.add_argument("--quality", action="store_true", help="also run scripts/benchmarks/bench_quality.py (~6 min)")
    ap.add_argument("--stream-memory", action="store_true",
                    help="also measure suggest/parse --jsonl peak memory on --copies copies of the corpus (~12 min)")
    a = ap.parse_args(argv)
    corpus = corpus_or_exit(a.corpus)
    exe = shutil.which("cabletags") or sys.exit("error: `cabletags` is not on PATH (pip install -e .)")
    rows = []

    def add(what, figure, how):
        rows.append((what, figure, how))
        print(f"{what}: {figure}  [{how}]", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        tags, full, paras = tmp / "tags.jsonl", tmp / "full.jsonl", tmp / "paras.jsonl"
        n = n_par = 0
        with tags.open("w") as ft, full.open("w") as ff, paras.open("w") as fp:
            for rec in read_corpus(corpus):
                ft.write(json.dumps({"id": rec["id"], "tags": rec.get("tags")}) + "\n")
                ff.write(json.dumps(rec) + "\n")
                n += 1
                p = [x for x in (q.text for q in split_paragraphs(rec.get("body") or "")) if len(x) >= 300]
                if p and n_par < 5000:
                    fp.write(json.dumps({"id": rec["id"], "body": p[0]}) + "\n")
                    n_par += 1
        many = tmp / "many.jsonl"
        with many.open("w") as fm:
            for _ in range(a.copies):
                fm.write(full.read_text())
        run([exe, "decode", "PHUM"])  # warm the taxonomy cache once
        t, _ = median_run([exe, "normalize", "--jsonl", "--field", "tags"], a.runs, tags)
        add("normalize --jsonl, corpus TAGS lines", f"{n / t:,.0f} lines/s ({n} lines in {t:.2f} s)",
            f"new process incl. start-up, records {{id, tags}}, median of {a.runs}")
        tp, _ = median_run([sys.executable, "-c", "pass"], a.runs)
        td, _ = median_run([exe, "decode", "KTIP", "PHUM", "AJ"], a.runs)
        add("decode KTIP PHUM AJ, cold start", f"{td * 1000:.0f} ms = {td / tp:.1f}x `python -c pass` ({tp * 1000:.0f} ms)",
            f"new process, median of {a.runs}")
        t1, m1 = median_run([exe, "normalize", "--jsonl", "--field", "tags"], 1, full)
        tn, mn = median_run([exe, "normalize", "--jsonl", "--field", "tags"], 1, many)
        add("normalize --jsonl peak memory, full records", f"{m1:.0f} MB (1x corpus) vs {mn:.0f} MB ({a.copies}x corpus)",
            "peak RSS; flat = streaming")
        from cabletags.scoring.suggester import Suggester

        loads = []
        for _ in range(a.runs):
            t0 = time.perf_counter()
            s = Suggester.load()
            loads.append(time.perf_counter() - t0)
        add("model load", f"{statistics.median(loads) * 1000:.0f} ms", f"in process, median of {a.runs}")
        texts = [json.loads(line)["body"] for line in paras.read_text().splitlines()][:300]
        s.suggest("warm up")
        t0 = time.perf_counter()
        for x in texts:
            s.suggest(x)
        add("suggest latency", f"{(time.perf_counter() - t0) / len(texts) * 1000:.1f} ms per paragraph",
            "in process, one call per paragraph, 300 paragraphs")
        for jobs in (1, 2):
            t, m = median_run([exe, "suggest", "--jsonl", "-", "--jobs", str(jobs)], a.runs, paras)
            add(f"suggest --jsonl --jobs {jobs}, paragraphs", f"{n_par / t:,.0f} paragraphs/s ({n_par} in {t:.1f} s), "
                f"peak {m:.0f} MB", f"new process incl. start-up and model load, median of {a.runs}")
        t, m = median_run([exe, "suggest", "--jsonl", "-"], 1, full)
        add("suggest --jsonl, whole cables", f"{n / t:,.0f} cables/s ({n} in {t:.1f} s), peak {m:.0f} MB",
            "new process, one run")
        if a.stream_memory:  # one wrapped run each: the figure is the peak RSS, not the time
            _, mn, _ = run([exe, "suggest", "--jsonl", "-"], many)
            add("suggest --jsonl peak memory, whole cables", f"{m:.0f} MB (1x corpus) vs {mn:.0f} MB "
                f"({a.copies}x corpus)", "peak RSS; flat = streaming")
            _, p1, _ = run([exe, "parse", "--jsonl", "--field", "body", "-"], full)
            _, pn, _ = run([exe, "parse", "--jsonl", "--field", "body", "-"], many)
            add("parse --jsonl peak memory, whole cables", f"{p1:.0f} MB (1x corpus) vs {pn:.0f} MB "
                f"({a.copies}x corpus)", "peak RSS; flat = streaming")
        size = sum(f.stat().st_size for f in shipped_model_dir().iterdir() if f.is_file())
        add("shipped model size", f"{size / 1e6:.1f} MB", "files in models/cabletags-default")
        card = json.loads((shipped_model_dir() / "card.json").read_text())
        v = card["validation"]["metrics"]["all"]
        add("shipped model validation (card)", f"P@1 {v['P@1']:.3f}, F1@5 {v['F1@5']:.3f}, NDCG@5 {v['NDCG@5']:.3f}, "
            f"F1 micro {v['F1_micro']:.3f}", "model card; thresholds tuned on the same split")
        add("shipped model training time (card)", f"full-corpus fit {card['timing_seconds']['fit_full_corpus']} s; "
            f"whole run {card['timing_seconds']['total']} s", "model card")
        if a.train:
            t, m = median_run([exe, "train", "--corpus", str(corpus), "--out", str(tmp / "model")], 1)
            c2 = json.loads((tmp / "model" / "card.json").read_text())
            add("training (new run)", f"{t:.0f} s wall for the whole run (full-corpus fit "
                f"{c2['timing_seconds']['fit_full_corpus']} s), peak {m / 1024:.2f} GB", "new process, one run")
    if a.quality:
        subprocess.run([sys.executable, str(ROOT / "scripts" / "benchmarks" / "bench_quality.py"), "--corpus", str(corpus)])
    print("\n| what | figure | how measured |\n|---|---|---|")
    for what, fig, how in rows:
        print(f"| {what} | {fig} | {how} |")


if __name__ == "__main__":
    main()

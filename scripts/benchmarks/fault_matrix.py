"""Fault matrix: every crafted-file and fault case of the safety review, run as a real process.

Prints one row per case: what it is, the exit code expected and got, seconds, and the process's peak
memory (its own maximum resident set, from wait4 in a small wrapper process). Each case must end within
10 s and 500 MB with its expected exit code, never a signal or a traceback; the 1M-line streams have no
time limit but must stay under 100 MB. The crafted files are
made here, in a temporary folder; model cases use a copy of the shipped model.

usage: python scripts/benchmarks/fault_matrix.py [--keep DIR]
Exit 0 when every case holds, 1 otherwise.
"""
from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from cabletags.scoring.storage import folder_lock, write_manifest  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import measure, peak_from_stderr, wrapped  # noqa: E402

from cabletags.scoring.suggester import shipped_model_dir  # noqa: E402

CLI = [sys.executable, "-m", "cabletags"]


def run(args, stdin=None, after=None, timeout=60):
    """(exit code, seconds, peak MB, stderr) of one case, a real process under the memory wrapper."""
    return measure(CLI + args, stdin, after, timeout)


def crafted_model(work: Path, name: str, edit_arrays=None, edit_json=None, manifest=True) -> Path:
    d = work / name
    shutil.copytree(shipped_model_dir(), d)
    if edit_arrays:
        with np.load(d / "arrays.npz") as z:
            a = {k: z[k].copy() for k in z.files}
        edit_arrays(a)
        np.savez_compressed(d / "arrays.npz", **a)
    if edit_json:
        doc = json.loads((d / "model.json").read_text())
        edit_json(doc)
        (d / "model.json").write_text(json.dumps(doc))
    if manifest:
        write_manifest(d)
    return d


def cases(work: Path):
    """(name, expected exit code, args, stdin bytes or None, after or None, memory limit MB)."""
    w = work
    tiny = w / "tiny.jsonl"
    rng = np.random.default_rng(0)
    words = {"KTIP": "trafficking victims shelters traffickers", "ECON": "budget inflation growth banks",
             "PHUM": "rights activists detained journalists"}
    with tiny.open("w") as f:
        for i in range(90):
            tag = list(words)[i % 3]
            body = " ".join(rng.permutation((words[tag] + " the embassy said officials met").split() * 3))
            f.write(json.dumps({"id": f"T{i}", "body": body, "tags": f"PREL, {tag}"}) + "\n")
    yield "model: weight index out of range", 4, ["suggest", "-", "--model",
                                                  str(crafted_model(w, "oob", lambda a: a["wt_indices"].__setitem__(0, 30000)))], b"x", None, 500
    yield "model: labels swapped, manifest not updated", 4, ["suggest", "-", "--model", str(crafted_model(
        w, "swap", edit_json=lambda d: d["labels"].__setitem__(slice(0, 2), d["labels"][1::-1]), manifest=False))], b"x", None, 500
    yield "model: NaN scale", 4, ["suggest", "-", "--model", str(crafted_model(w, "nan", edit_json=lambda d: d.update(scale=float("nan"))))], b"x", None, 500
    yield "model: integer labels", 4, ["suggest", "-", "--model", str(crafted_model(
        w, "intlab", edit_json=lambda d: d.update(labels=list(range(len(d["labels"]))))))], b"x", None, 500
    bomb = crafted_model(w, "bomb")
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False, "shape": (4 << 30,)})
    with zipfile.ZipFile(bomb / "arrays.npz", "a", compression=zipfile.ZIP_DEFLATED) as z:
        with z.open("idf_extra.npy", "w", force_zip64=True) as m:  # 4 GiB of zeros, written in 16 MB steps
            m.write(header.getvalue())
            zeros = bytes(16 << 20)
            for _ in range(256):
                m.write(zeros)
    write_manifest(bomb)
    yield f"model: zip bomb ({(bomb / 'arrays.npz').stat().st_size / 1e6:.1f} MB npz, a 4 GiB member)", 4, \
        ["suggest", "-", "--model", str(bomb)], b"x", None, 500
    yield "model: future format", 4, ["suggest", "-", "--model", str(crafted_model(
        w, "future", edit_json=lambda d: d.update(format="cabletags-tagmodel/9")))], b"x", None, 500
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"] + [
        f"{n}: &{n} [" + ", ".join([f"*{p}"] * 9) + "]" for p, n in zip("abcdefg", "bcdefgh")]
    (w / "bomb.yaml").write_text("\n".join(levels) + "\nkind: program\nentries: *h\n")
    yield f"taxonomy: {(w / 'bomb.yaml').stat().st_size}-byte YAML alias bomb overlay", 4, \
        ["--taxonomy-overlay", str(w / "bomb.yaml"), "decode", "PHUM"], None, None, 500
    (w / "kind.yaml").write_text("kind: program\nentries:\n- code: PHUM\n  title: x\n  status: current\n"
                                 "  provenance: {source: handbook, evidence: x}\n")
    yield "taxonomy: overlay changes a code's kind", 4, ["--taxonomy-overlay", str(w / "kind.yaml"), "decode", "PHUM"], None, None, 500
    tx = w / "taxonomy"
    shutil.copytree(ROOT / "taxonomy", tx, ignore=shutil.ignore_patterns("__pycache__", "__init__.py"))
    (tx / "words.yaml").write_text("- a list, not a mapping\n")
    yield "taxonomy: validate a malformed words.yaml", 4, ["taxonomy", "validate", str(tx)], None, None, 500
    cache = w / "cache"
    (cache / "cabletags").mkdir(parents=True)
    subprocess.run(CLI + ["decode", "PHUM"], env=dict(os.environ, CABLETAGS_CACHE=str(cache)), capture_output=True)
    for f in (cache / "cabletags").glob("taxonomy-*.json"):
        f.write_text("{}")
    yield "taxonomy: '{}' cache file (rebuilt)", 0, ["decode", "PHUM"], None, None, 500
    for n in (80_000, 160_000):
        yield f"normalize: one {n:,}-letter token", 0, ["normalize"], b"A" * n + b"\n", None, 500
    (w / "50mb.txt").write_text("PREL" * (50 << 18) + "\n")
    yield "normalize: one 50 MB line", 0, ["normalize", "--input", str(w / "50mb.txt"), "--format", "jsonl"], None, None, 500
    yield "normalize: 'TAGS: ' x 400,000", 0, ["normalize", "--format", "jsonl"], ("TAGS: " * 400_000 + "\n").encode(), None, 500
    yield "taxonomy show: a 100,000-character argument", 1, ["taxonomy", "show", "X" * 100_000], None, None, 500
    yield "decode: a 100,000-character argument", 1, ["decode", "Q" * 100_000], None, None, 500
    fifo = w / "fifo"
    os.mkfifo(fifo)
    yield "-o a FIFO", 3, ["normalize", "PREL", "-o", str(fifo)], None, None, 500
    yield "-o a directory", 3, ["normalize", "PREL", "-o", str(w)], None, None, 500
    (w / "real.txt").write_text("old\n")
    (w / "link.txt").symlink_to(w / "real.txt")
    yield "-o a symlink (followed: the file it points to is replaced)", 0, ["normalize", "PREL", "-o", str(w / "link.txt")], None, None, 500
    (w / "afile").write_text("x")
    yield "train --out an existing file (refused before training)", 3, ["train", "--corpus", str(tiny), "--out", str(w / "afile")], None, None, 500
    lock_ctx = folder_lock(w / "busy")
    lock_ctx.__enter__()
    yield "train --out a folder another train holds", 3, ["train", "--corpus", str(tiny), "--out", str(w / "busy"),
                                                          "--min-label-count", "5"], None, None, 500
    lock_ctx.__exit__(None, None, None)
    lines = "".join(json.dumps({"id": i, "tags": "PREL, PGOV"}) + "\n" for i in range(50_000)).encode()
    gz = gzip.compress(lines)
    (w / "cut.jsonl.gz").write_bytes(gz[: len(gz) // 2])
    (w / "bad.jsonl.gz").write_bytes(gz[:10] + os.urandom(500))
    yield "truncated .gz input", 3, ["normalize", "--jsonl", "--input", str(w / "cut.jsonl.gz")], None, None, 500
    yield "corrupt .gz input", 3, ["normalize", "--jsonl", "--input", str(w / "bad.jsonl.gz")], None, None, 500
    bad = w / "bad.jsonl"
    bad.write_text(tiny.read_text() + "{broken\n")
    yield "train --strict on a corpus with a malformed line", 5, ["train", "--corpus", str(bad), "--out", str(w / "m"), "--strict"], None, None, 500
    yield "empty stdin to --jsonl", 3, ["normalize", "--jsonl"], b"", None, 500
    yield "binary input to --jsonl", 3, ["parse", "--jsonl", "-"], os.urandom(4096).replace(b"\n", b" "), None, 500
    yield "UTF-16 input to --jsonl (decoded)", 0, ["normalize", "--jsonl"], lines[:2000].decode().encode("utf-16"), None, 500
    big = w / "big.jsonl"
    with big.open("w") as f:
        for i in range(300_000):
            f.write(json.dumps({"id": i, "tags": f"PREL, PGOV, OSCEPREF, X{i}"}) + "\n")

    def close_pipe(p):
        p.stdout.readline()

    yield "SIGPIPE (reader closes after one line)", 0, ["normalize", "--jsonl", "--input", str(big)], None, "pipe", 500

    def term(p):
        time.sleep(1.0)
        p.send_signal(signal.SIGTERM)

    yield "SIGTERM during a batch (-o: temporary file removed)", 130, ["normalize", "--jsonl", "--input", str(big), "-o",
                                                                     str(w / "term.jsonl")], None, term, 500
    million = w / "1m.txt"
    with million.open("w") as f:
        for i in range(1_000_000):
            f.write(f"PREL, PGOV, OSCEPREF, KTIP X{i % 5000}\n")
    yield "normalize: 1M lines (streams; no time limit)", 0, ["normalize", "--input", str(million), "--format", "jsonl"], \
        None, None, 100
    yield "decode: 1M lines on stdin (streams; no time limit)", 1, ["decode", "--format", "tsv"], million.read_bytes(), \
        None, 100


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", help="build the cases in this folder and keep it")
    a = ap.parse_args(argv)
    work = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="cabletags-faults-"))
    work.mkdir(parents=True, exist_ok=True)
    rows, failed = [], 0
    print(f"{'case':<66} {'want':>4} {'got':>4} {'s':>6} {'MB':>6}  ok")
    try:
        for name, want, args, stdin, after, mb in cases(work):
            if after == "pipe":
                code, secs, peak, err = _pipe_case(args)
            else:
                code, secs, peak, err = run(args, stdin, after)
            ok = code == want and (secs < 10 or "no time limit" in name) and peak < mb and "Traceback" not in err
            failed += not ok
            print(f"{name[:66]:<66} {want:>4} {code:>4} {secs:>6.2f} {peak:>6.0f}  {'yes' if ok else 'NO: ' + err.strip()[:80]}",
                  flush=True)
            rows.append((name, want, code, secs, peak, ok))
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{len(rows) - failed} of {len(rows)} cases hold" + (f"; {failed} do not" if failed else ""))
    return 1 if failed else 0


def _pipe_case(args):
    t = time.perf_counter()
    p = subprocess.Popen(wrapped(CLI + args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(ROOT))
    p.stdout.readline()
    p.stdout.close()
    err = p.stderr.read()
    code = p.wait()
    peak, text = peak_from_stderr(err)
    return code, time.perf_counter() - t, peak, text


if __name__ == "__main__":
    sys.exit(main())

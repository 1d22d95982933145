"""Before/after: every surface of this tree against an earlier checkout's, on the shared corpus (issue 31).

The same inputs go through both trees' command lines (`python -m cabletags`, each tree's own code and shipped
models) and through both trees' services (the ASGI app in-process, starlette's TestClient), and the outputs are
compared byte for byte once the trees' own paths are masked. What runs:

* normalize --jsonl: every corpus record's TAGS line;      * decode --format json: every code of the taxonomy;
* parse --jsonl: --limit whole cables (preamble + body);    * suggest --jsonl: --limit bodies;
* suggest --jsonl --cable: --limit whole cables;            * evaluate --format json: --limit records;
* the service: /v1/normalize, /v1/decode (two eras), /v1/parse, /v1/suggest (text and cable), /v1/taxonomy and
  Annif's /v1/projects/cabletags/suggest on a few records.

Prints one line per check (identical or the first difference) and a summary; exit 1 when any output differs.

usage:
    git worktree add /tmp/cabletags-base <commit>
    python scripts/benchmarks/compare_trees.py --baseline-tree /tmp/cabletags-base [--limit 1000] [--corpus PATH]
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "cables.jsonl.gz"

# run inside each tree: its own service, the same requests; prints one JSON answer per line
SERVICE = r'''
import json, sys
try:
    from cabletags.surfaces.service import create_app
except ImportError:
    from cabletags.service import create_app
from starlette.testclient import TestClient
requests = json.load(open(sys.argv[1]))
with TestClient(create_app()) as c:
    for method, path, body in requests:
        r = c.get(path, params=body) if method == "GET" else c.post(path, data=body) if method == "FORM" \
            else c.post(path, json=body)
        print(json.dumps({"path": path, "status": r.status_code, "body": r.json()}, sort_keys=True))
'''


def records(corpus: Path):
    with gzip.open(corpus, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def run(tree: Path, args: list[str], stdin: Path | None = None) -> bytes:
    env = dict(os.environ, PYTHONPATH=str(tree), CABLETAGS_CACHE=str(Path(tempfile.gettempdir()) / f"ct-{tree.name}"))
    env.pop("CABLETAGS_TAXONOMY", None)
    with open(stdin, "rb") if stdin else open(os.devnull, "rb") as f:
        p = subprocess.run([sys.executable, "-m", "cabletags", *args], stdin=f, capture_output=True, cwd=tree, env=env)
    return p.stdout + b"\n[exit %d]" % p.returncode


def masked(out: bytes, tree: Path) -> bytes:
    # an editable install maps the shipped models' package to this checkout, whichever tree runs: both are masked
    for path in (tree.resolve(), tree, ROOT):
        out = out.replace(str(path).encode(), b"<tree>")
    return out


def first_difference(a: bytes, b: bytes) -> str:
    la, lb = a.splitlines(), b.splitlines()
    for i, (x, y) in enumerate(zip(la, lb)):
        if x != y:
            return f"line {i + 1}: {x[:160]!r} != {y[:160]!r}"
    return f"{len(la)} lines != {len(lb)} lines"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline-tree", required=True, type=Path, help="a checkout of the earlier commit")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--limit", type=int, default=1000, help="records for parse, suggest and evaluate")
    a = ap.parse_args()
    if not a.corpus.is_file():
        sys.exit(f"error: corpus not found: {a.corpus} (pass --corpus; the shared corpus lives in ../shared/corpus)")
    if not (a.baseline_tree / "cabletags").is_dir():
        sys.exit(f"error: {a.baseline_tree}: not a cabletags checkout")
    trees = {"baseline": a.baseline_tree.resolve(), "this tree": ROOT}
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        recs = list(records(a.corpus))
        some = recs[:: max(1, len(recs) // a.limit)][: a.limit]
        tags = d / "tags.jsonl"
        tags.write_text("".join(json.dumps({"id": r["id"], "tags": r.get("tags") or ""}) + "\n" for r in recs))
        whole = [{"id": r["id"], "text": (r.get("preamble") or "") + "\n" + (r.get("body") or ""),
                  "body": r.get("body") or "", "tags": r.get("tags") or "",
                  "preamble": r.get("preamble") or ""} for r in some]
        cables = d / "cables.jsonl"
        cables.write_text("".join(json.dumps(w) + "\n" for w in whole))
        bodies = d / "bodies.jsonl"
        bodies.write_text("".join(json.dumps({"id": w["id"], "body": w["body"]}) + "\n" for w in whole))
        for_cable = d / "for_cable.jsonl"
        for_cable.write_text("".join(json.dumps({"id": w["id"], "body": w["text"]}) + "\n" for w in whole))
        labelled = d / "labelled.jsonl"
        labelled.write_text("".join(json.dumps({"id": w["id"], "body": w["body"], "tags": w["tags"]}) + "\n"
                                    for w in whole))
        codes = sorted({c for r in recs[:2000] for c in (r.get("tags") or "").replace(",", " ").split()
                        if c.isalpha() and c.isupper()})[:400]
        reqs = []
        for w in whole[:8]:
            reqs += [["POST", "/v1/normalize", {"line": w["tags"]}], ["POST", "/v1/parse", {"text": w["text"]}],
                     ["POST", "/v1/suggest", {"text": w["body"][:4000], "limit": 8}],
                     ["POST", "/v1/suggest", {"text": w["text"][:8000], "limit": 8, "cable": True}],
                     ["FORM", "/v1/projects/cabletags/suggest", {"text": w["body"][:4000], "limit": "8"}]]
        reqs += [["GET", "/v1/decode", {"item": codes[:50]}], ["GET", "/v1/decode", {"item": codes[:50], "era": "1970s"}],
                 ["GET", "/v1/taxonomy/KTIP", {}], ["GET", "/v1/taxonomy", {"q": "trafficking"}]]
        (d / "requests.json").write_text(json.dumps(reqs))
        (d / "service.py").write_text(SERVICE)
        checks = [("normalize --jsonl (%d TAGS lines)" % len(recs), ["normalize", "--jsonl"], tags),
                  ("decode --format json (%d codes)" % len(codes), ["decode", "--format", "json", *codes], None),
                  ("parse --jsonl (%d cables)" % len(whole), ["parse", "--jsonl"], cables),
                  ("suggest --jsonl (%d bodies)" % len(whole), ["suggest", "--jsonl", "--limit", "10"], bodies),
                  ("suggest --jsonl --cable (%d cables)" % len(whole),
                   ["suggest", "--jsonl", "--cable", "--limit", "10"], for_cable),
                  ("evaluate --format json (%d records)" % len(whole),
                   ["evaluate", "--corpus", str(labelled), "--format", "json"], None)]
        differ = 0
        for name, args, stdin in checks:
            t0 = time.perf_counter()
            out = {k: masked(run(t, args, stdin), t) for k, t in trees.items()}
            same = out["baseline"] == out["this tree"]
            differ += not same
            print(f"{'identical' if same else 'DIFFERENT'}: {name} ({len(out['this tree']):,} bytes, "
                  f"{time.perf_counter() - t0:.1f} s)" + ("" if same else
                                                          "; " + first_difference(out["baseline"], out["this tree"])),
                  flush=True)
        t0 = time.perf_counter()
        out = {}
        for k, t in trees.items():
            env = dict(os.environ, PYTHONPATH=str(t))
            p = subprocess.run([sys.executable, str(d / "service.py"), str(d / "requests.json")], capture_output=True,
                               cwd=t, env=env)
            out[k] = masked(p.stdout, t) + b"\n[exit %d]" % p.returncode
        same = out["baseline"] == out["this tree"]
        differ += not same
        print(f"{'identical' if same else 'DIFFERENT'}: the service ({len(reqs)} requests, "
              f"{time.perf_counter() - t0:.1f} s)" + ("" if same else "; " + first_difference(out["baseline"],
                                                                                              out["this tree"])))
    print(f"summary: {len(checks) + 1 - differ} of {len(checks) + 1} surfaces give identical output; "
          f"{differ} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())

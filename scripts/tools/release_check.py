"""Release checks of the shipped models, too slow or corpus-bound for CI: run before committing a new model.

Every model pinned in models/MANIFEST.json (the text model and the whole-cable model) is checked, or --model.

* integrity: the sha256 of arrays.npz matches model.json and card.json, every file matches the folder's
  manifest.json, and models/MANIFEST.json pins that manifest;
* size: each model folder is at most --max-mb (25 MB);
* privacy: every vocabulary term occurs in >= 5 corpus cables (scripts/tools/check_model_privacy.py,
  a recount over the whole corpus, about 100 s).

usage: python scripts/tools/release_check.py [--model DIR] [--corpus PATH] [--max-mb 25]
Exit 0 when every check passes, 1 otherwise.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cabletags.scoring.suggester import shipped_model_dir  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="model folder (default: every shipped model)")
    ap.add_argument("--corpus")
    ap.add_argument("--max-mb", type=float, default=25.0)
    a = ap.parse_args(argv)
    if a.model:
        folders = [Path(a.model)]
    else:
        pins = shipped_model_dir().parent / "MANIFEST.json"
        folders = [shipped_model_dir(name) for name in json.loads(pins.read_text(encoding="utf-8"))]
    failures = []
    for d in folders:
        print(f"== {d}")
        failures += check_model(d, a)
    print(f"{len(failures)} check(s) failed" if failures else "all checks passed")
    return 1 if failures else 0


def check_model(d: Path, a) -> list[str]:
    failures = []

    def check(ok: bool, what: str):
        print(("ok    " if ok else "FAIL  ") + what)
        if not ok:
            failures.append(what)

    sha = hashlib.sha256((d / "arrays.npz").read_bytes()).hexdigest()
    doc = json.loads((d / "model.json").read_text(encoding="utf-8"))
    check(doc.get("arrays_sha256") == sha, f"model.json records the sha256 of arrays.npz ({sha[:16]}...)")
    card = d / "card.json"
    if card.is_file():
        check(json.loads(card.read_text(encoding="utf-8")).get("arrays_sha256") == sha, "card.json describes these arrays")
    own = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    for name, want in sorted(own["files"].items()):
        check(hashlib.sha256((d / name).read_bytes()).hexdigest() == want, f"manifest.json covers {name}")
    pins = d.parent / "MANIFEST.json"
    if pins.is_file() and d.name in json.loads(pins.read_text(encoding="utf-8")):
        got = hashlib.sha256((d / "manifest.json").read_bytes()).hexdigest()
        check(json.loads(pins.read_text(encoding="utf-8"))[d.name] == got, "MANIFEST.json pins this manifest.json")
    size = sum(f.stat().st_size for f in d.iterdir() if f.is_file()) / 1e6
    check(size <= a.max_mb, f"model folder {size:.1f} MB <= {a.max_mb:g} MB")
    import check_model_privacy

    args = ["--model", str(d)] + (["--corpus", a.corpus] if a.corpus else [])
    check(check_model_privacy.main(args) == 0, "privacy: every term in >= 5 corpus cables")
    return failures


if __name__ == "__main__":
    sys.exit(main())

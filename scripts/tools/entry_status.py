"""Give each entry a `status_basis` (the evidence its status rests on) and settle `unknown` statuses from evidence.

Status describes the Cablegate era (the 2000s): `current` (in use), `historic` (retired, replaced, or only in the
1970s lists) or `unknown` (no evidence either way). A status a curator set (`current`, `historic`) is kept and given
its basis; an `unknown` one is settled by the first rule that applies:
1. listed in the current TAGS handbook (5 FAH-3): current;
2. on >= MIN_CABLES Cablegate cables, the last of them from RECENT or later: current ("in use: N Cablegate cables,
   first-last");
3. on no Cablegate cable and found in the 1970s lists (1974 handbook, NARA 1973-79): historic;
4. otherwise it stays `unknown`, the basis saying what little is known (a code on 1-2 cables, or on old cables only).
The attestations come from scripts/tools/attest_corpus.py (corpus counts by year) and handbook_1974.py (1970s).

usage: python scripts/tools/entry_status.py [--check]   (--check: print what would change, write nothing)
"""
from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from taxonomy_yaml import write as write_yaml  # noqa: E402

MIN_CABLES = 3  # fewer could be a slip of one drafter
RECENT = 2005  # used in the Cablegate era's second half: still in use when the cables end (2010)
SEVENTIES = ("handbook-1974", "nara-1973-79")


def derive(e: dict, kind: str) -> tuple[str, str | None]:
    """(status, basis) for one taxonomy entry of `kind` (a dict as in the YAML files)."""
    att = {a["source"]: a for a in e.get("attested", [])}
    cg = att.get("cablegate")
    used = f"{cg['count']} Cablegate cables, {cg['first']}-{cg['last']}" if cg else ""
    old = [s for s in SEVENTIES if s in att]
    evidence = [f"in use: {used}" if cg and cg["count"] >= MIN_CABLES else f"on {used}" if cg else "",
                "in the 1970s lists (" + ", ".join(old) + ")" if old else ""]
    if e["status"] != "unknown":  # a curator's status: kept, with what supports it
        if e.get("replaced_by"):
            why = f"replaced by {e['replaced_by']}"
        elif "handbook-2022" in att:
            why = "listed in the current TAGS handbook (5 FAH-3)"
        elif kind == "geographic" and e.get("iso3166") and e["status"] == "current":
            why = f"a FIPS 10-4 code of a place ISO 3166-1 lists today ({e['iso3166']})"
        else:
            why = "curated: " + (e.get("note") or e["provenance"].get("reference") or e["provenance"]["source"])
        return e["status"], "; ".join(x for x in [why, *evidence] if x)
    if "handbook-2022" in att:
        return "current", "; ".join(x for x in ["listed in the current TAGS handbook (5 FAH-3)", *evidence] if x)
    if cg and cg["count"] >= MIN_CABLES and cg["last"] >= RECENT:
        return "current", "; ".join(x for x in evidence if x)
    if not cg and old:
        return "historic", f"in the 1970s lists only ({', '.join(old)}); on no Cablegate cable"
    if cg:
        return "unknown", "; ".join(x for x in [f"on {used} only", evidence[1]] if x)
    return "unknown", None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="print the changes, write nothing")
    a = ap.parse_args(argv)
    import yaml

    changes = collections.Counter()
    for kind in ("subject", "program", "geographic", "organization"):
        path = ROOT / "taxonomy" / f"{kind}.yaml"
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for e in doc["entries"]:
            status, basis = derive(e, kind)
            if status != e["status"]:
                changes[f"{kind}: {e['status']} -> {status}"] += 1
                if a.check:
                    print(f"{e['code']:10} {e['status']} -> {status}: {basis}")
            e["status"] = status
            if basis:
                e["status_basis"] = basis
            else:
                e.pop("status_basis", None)
        if not a.check:
            write_yaml(path, doc)
    for k, v in sorted(changes.items()):
        print(f"{k}: {v} entries")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Agreement of this tree's reader with an earlier checkout's parse on the whole shared corpus (issue 25).

Each corpus cable (preamble + body) is parsed by both trees (cabletags.parse_cable: the reader on a str); the
TAGS codes, subject, paragraph count and numbers, and the reference id are compared, and, on every third cable,
the other fields (post, serial, date-time group, caveats, classification, FM/TO, signature, summary, comment,
refs, E.O. line, paragraph texts, the text a whole-cable model reads). Ids are scored against the record's own
id as well: the earlier parse rarely found one. Only hashes of texts are kept.

usage:
    git worktree add /tmp/cabletags-base <commit>
    python scripts/benchmarks/reader_agreement.py --baseline-tree /tmp/cabletags-base [--corpus PATH]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SNAPSHOT = r'''
import sys, json, hashlib
sys.path.insert(0, sys.argv[2])
import gzip
from cabletags import parse_cable  # the public API: the same in every tree, whatever its layout
read_corpus = lambda p: (json.loads(l) for l in gzip.open(p, "rt", encoding="utf-8") if l.strip())
h = lambda s: hashlib.sha1((s or "").encode()).hexdigest()[:12]
with open(sys.argv[1], "w") as out:
    for i, rec in enumerate(read_corpus(sys.argv[3])):
        p = parse_cable((rec.get("preamble") or "") + "\n" + (rec.get("body") or ""))
        d = {"id": rec["id"], "tags": sorted(p.tags.codes), "rid": p.reference_id, "subject": h(p.subject),
             "paragraph count": len(p.paragraphs), "numbers": [q.number for q in p.paragraphs]}
        if i % 3 == 0:
            d.update(post=p.post, serial=p.serial, dtg=p.date_time_group, caveats=p.caveats,
                     classification=p.classification, fm=p.from_, to=p.to, signature=p.signature,
                     summary=h(p.summary), comment=h(p.comment), refs=p.refs, eo=p.eo_line,
                     paragraph_texts=h(json.dumps([q.to_dict() for q in p.paragraphs])),
                     reading_text=h(p.reading_text), header_text=h(p.header_text))
        out.write(json.dumps(d) + "\n")
'''


def snapshot(tree: Path, corpus: str, out: Path) -> None:
    subprocess.run([sys.executable, "-c", SNAPSHOT, str(out), str(tree), corpus], check=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline-tree", required=True, type=Path)
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus" / "cables.jsonl.gz"))
    ap.add_argument("--show", type=int, default=10)
    a = ap.parse_args(argv)
    if not Path(a.corpus).is_file():
        sys.exit(f"error: {a.corpus}: no corpus (the shared corpus is read by path)")
    with tempfile.TemporaryDirectory() as tmp:
        old, new = Path(tmp) / "old.jsonl", Path(tmp) / "new.jsonl"
        snapshot(a.baseline_tree, a.corpus, old)
        snapshot(ROOT, a.corpus, new)
        rows = list(zip(map(json.loads, old.open()), map(json.loads, new.open())))
    differ, shown, agree = Counter(), {}, 0
    core = ("tags", "subject", "paragraph count")
    ids = Counter()
    for b, n in rows:
        ok = True
        for k in b:
            if k in ("id", "rid") or b[k] == n.get(k):
                continue
            differ[k] += 1
            shown.setdefault(k, []).append(b["id"])
            ok &= k not in core
        lost = b["rid"] == b["id"] and n["rid"] != n["id"]
        ids["right before"] += b["rid"] == b["id"]
        ids["right now"] += n["rid"] == n["id"]
        ids["lost"] += lost
        ids["other id now"] += bool(n["rid"]) and n["rid"] != n["id"]
        if n["rid"] and n["rid"] != n["id"]:
            shown.setdefault("other id now", []).append(f"{b['id']}->{n['rid']}")
        agree += ok and not lost
    print(f"{agree}/{len(rows)} cables agree on TAGS, subject, paragraph count and id "
          f"({100 * agree / max(len(rows), 1):.2f}%)")
    print("ids: " + ", ".join(f"{k} {v}" for k, v in ids.items()) + f" (of {len(rows)})")
    for k, v in differ.most_common():
        print(f"  {k}: {v} differ, e.g. {', '.join(shown[k][:a.show])}")
    if "other id now" in shown:
        print(f"  ids that are not the record's: {', '.join(shown['other id now'][:a.show])}")


if __name__ == "__main__":
    main()

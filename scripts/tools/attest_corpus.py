"""Record where each code is attested in the Cablegate corpus and in the current handbook list.

For every taxonomy entry (all four kind files):
- `attested: {source: cablegate, count, first, last}`: how many corpus cables carry the code once their TAGS line
  is normalized by cabletags, and the first and last year seen (the corpus is read by path, never copied);
- `attested: {source: handbook-2022, title}` for entries whose provenance is the State Department's current TAGS
  handbook (5 FAH-3);
- `corpus_count` for entries that have none yet (the count existing entries carry was measured when the taxonomy was
  seeded and breaks ties between repairs; it is left alone so that repairs do not shift under a re-count).
Other attestations (handbook-1974, nara-1973-79: scripts/tools/handbook_1974.py) are kept.

usage: python scripts/tools/attest_corpus.py [--corpus ../shared/corpus/cables.jsonl.gz]
"""
from __future__ import annotations

import argparse
import collections
import gzip
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from taxonomy_yaml import write as write_yaml  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "cables.jsonl.gz"



def count(corpus: Path) -> dict[str, list[int]]:
    """code -> [cables, first year, last year] over the corpus's normalized TAGS lines."""
    from tqdm import tqdm

    from cabletags.vocabulary.normalizer import get_normalizer

    norm = get_normalizer()
    seen: dict[str, list[int]] = {}
    with gzip.open(corpus, "rt", encoding="utf-8") as f:
        for line in tqdm(f, desc="corpus", unit=" cables", total=17730):
            r = json.loads(line)
            year = int((r.get("date") or "0")[:4] or 0)
            for code in set(norm.normalize(r.get("tags") or "").codes):
                c = seen.setdefault(code, [0, year, year])
                c[0] += 1
                if year:
                    c[1] = min(c[1], year) if c[1] else year
                    c[2] = max(c[2], year)
    return seen


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(CORPUS))
    a = ap.parse_args(argv)
    if not Path(a.corpus).is_file():
        sys.exit(f"error: corpus not found: {a.corpus} (pass --corpus)")
    import yaml

    seen = count(Path(a.corpus))
    summary = collections.Counter()
    for kind in ("subject", "program", "geographic", "organization"):
        path = ROOT / "taxonomy" / f"{kind}.yaml"
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for e in doc["entries"]:
            att = [x for x in e.get("attested", []) if x["source"] not in ("cablegate", "handbook-2022")]
            n, first, last = seen.get(e["code"], (0, 0, 0))
            if n:
                att.append({"source": "cablegate", "count": n, "first": first, "last": last})
                summary[f"{kind} in the corpus"] += 1
                if "corpus_count" not in e:
                    e["corpus_count"] = n
                    ev = e.get("provenance", {}).get("evidence", "")
                    if "no corpus cable" in ev:
                        e["provenance"]["evidence"] = ev.replace("in the TAGS of no corpus cable",
                                                                 f"in the TAGS of {n} corpus cables ({first}-{last})")
            prov = e.get("provenance", {})
            if prov.get("source") == "handbook" and "5 FAH-3" in (prov.get("reference") or ""):
                att.append({"source": "handbook-2022", **({"title": e["title"]} if e.get("title") else {}),
                            "reference": prov["reference"]})
                summary[f"{kind} in the current handbook"] += 1
            if att:
                e["attested"] = sorted(att, key=lambda x: x["source"])
            else:
                e.pop("attested", None)
        write_yaml(path, doc)
    for k, v in sorted(summary.items()):
        print(f"{k}: {v} codes")


if __name__ == "__main__":
    main()

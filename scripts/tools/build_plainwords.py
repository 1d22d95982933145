"""Build taxonomy/plainwords.txt: ordinary words, so that normalize never splits or "corrects" them.

A token like TERRORISM, DETAINEES or SUNNI is made of letters that also spell strings of codes
(TE RR OR IS M ...), and a surname may sit one edit away from a code. The general rule the normalizer
applies is: a token that is an ordinary word of cable prose stays whole. "Ordinary" is measured, not
listed by hand: lower-cased alphabetic words of 3+ letters found in the `body` of at least MIN_DF corpus
cables (privacy: never a rare name), minus every taxonomy code and alias.

usage: python scripts/tools/build_plainwords.py [--corpus ../shared/corpus/cables.jsonl.gz] [--min-df 20]
"""
from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus" / "cables.jsonl.gz"))
    ap.add_argument("--min-df", type=int, default=20)
    a = ap.parse_args(argv)
    if not Path(a.corpus).is_file():
        sys.exit(f"error: corpus not found: {a.corpus} (pass --corpus)")
    from cabletags.taxonomy import load_taxonomy

    tax = load_taxonomy(typo_aliases=True)
    taken = set(tax.entries) | set(tax.aliases)
    df = Counter()
    word = re.compile(r"[A-Za-z]{3,}")
    with gzip.open(a.corpus, "rt", encoding="utf-8") as f:
        for line in f:
            body = json.loads(line).get("body") or ""
            df.update({w.lower() for w in word.findall(body)})
    words = sorted(w for w, n in df.items() if n >= a.min_df and w.upper() not in taken and len(w) <= 20)
    out = ROOT / "taxonomy" / "plainwords.txt"
    out.write_text("# ordinary words (body of >= %d corpus cables); built by scripts/tools/build_plainwords.py\n"
                   % a.min_df + "\n".join(words) + "\n", encoding="utf-8")
    print(f"{len(words)} words -> {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

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
    from cabletags.vocabulary.taxonomy import load_taxonomy

    tax = load_taxonomy(typo_aliases=True)
    taken = set(tax.entries) | set(tax.aliases)
    df, lower_df, defined = Counter(), Counter(), Counter()
    word = re.compile(r"[A-Za-z]{3,}")
    lower = re.compile(r"\b[a-z]{2,12}\b")
    acronym = re.compile(r"\(([A-Z]{3,8})\)")
    with gzip.open(a.corpus, "rt", encoding="utf-8") as f:
        for line in f:
            body = json.loads(line).get("body") or ""
            df.update({w.lower() for w in word.findall(body)})
            lower_df.update(set(lower.findall(body)))
            defined.update(set(acronym.findall(body)))
    words = sorted(w for w, n in df.items() if n >= a.min_df and w.upper() not in taken and len(w) <= 20)
    out = ROOT / "taxonomy" / "plainwords.txt"
    out.write_text("# ordinary words (body of >= %d corpus cables); built by scripts/tools/build_plainwords.py\n"
                   % a.min_df + "\n".join(words) + "\n", encoding="utf-8")
    print(f"{len(words)} words -> {out.relative_to(ROOT)}")
    # words of prose written in lower case that are also codes or aliases ("in" India, "is" Iceland, "as"
    # Australia): in a line of upper-case codes, such a word standing alone is a word
    codewords = sorted(w for w, n in lower_df.items() if n >= a.min_df and w.upper() in taken)
    out = ROOT / "taxonomy" / "codewords.txt"
    out.write_text("# lower-case words of prose (body of >= %d corpus cables) that are also codes or aliases; built by "
                   "scripts/tools/build_plainwords.py\n" % a.min_df + "\n".join(codewords) + "\n", encoding="utf-8")
    print(f"{len(codewords)} code-like words -> {out.relative_to(ROOT)}")
    # acronyms a cable defines in its prose ("... Review Mechanism (APRM)"): names of their own, never typos of a
    # code. Tag typos are never defined so; organization acronyms are (AIHRC, APRM, ASA)
    acronyms = sorted(w for w, n in defined.items() if w not in taken and df[w.lower()] < a.min_df)
    out = ROOT / "taxonomy" / "acronyms.txt"
    out.write_text("# acronyms defined in parentheses in the body of a corpus cable, not codes or aliases; built by "
                   "scripts/tools/build_plainwords.py\n" + "\n".join(acronyms) + "\n", encoding="utf-8")
    print(f"{len(acronyms)} acronyms -> {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

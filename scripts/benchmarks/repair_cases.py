"""Draw repair test cases from the corpus, with a fixed seed, split into dev and test halves.

Ground truth never comes from the normalizer itself: cases are built from tokens that are already
exact taxonomy codes in real TAGS lines, then damaged the way real lines are damaged:

* split: 2-3 codes that stand next to each other in a real line, run together (PGOV + PREL -> PGOVPREL);
* typo:  one code of 4+ letters with one letter dropped, doubled or swapped with its neighbour
         (forms that are themselves codes, aliases or words are skipped: no rule could see them);
* whole: words that must stay whole: free words of 4+ letters from real TAGS lines, and rarer
         upper-cased prose words (in the body of 5-19 cables, so NOT in taxonomy/plainwords.txt, whose
         threshold is 20): the general rules alone must refuse to split or "correct" them.
* substitution: one letter of a code carried by >= 20 cables replaced by another (a neighbour on the keyboard half
         the time): repaired to the code, or left flagged when another code is as close; never another code.
         (Added on 2026-11-30, after the substitution rule existed: these cases did not shape it.)
* name:  the parts (4+ letters) of the personal names in real TAGS lines (written after OVIP, OREP, OTRA, OEXC or
         OCON, which is how normalize() tells them), each on its own, without that context: kept whole, never
         split into codes or "corrected" (the names are read at run time, never stored).

The halves are fixed by a hash of the case text: `dev` is for developing rules, `test` is held out.
This file was committed before the rules were tuned on its dev half.

usage: python scripts/benchmarks/repair_cases.py [--corpus PATH] [--split dev|test|all] > cases.jsonl
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cabletags.scoring.corpus import corpus_or_exit, read_corpus  # noqa: E402
from cabletags.vocabulary.taxonomy import load_taxonomy  # noqa: E402

SEED = 20261128
N_PER_KIND = 1500


def half(text: str) -> str:
    return "test" if hashlib.sha256(text.encode()).digest()[0] % 2 == 0 else "dev"


def damage(code: str, rng: random.Random) -> tuple[str, str]:
    op = rng.choice(["drop", "double", "swap"])
    i = rng.randrange(len(code))
    if op == "drop":
        return code[:i] + code[i + 1:], op
    if op == "double":
        return code[:i] + code[i] + code[i:], op
    i = min(i, len(code) - 2)
    return code[:i] + code[i + 1] + code[i] + code[i + 2:], op


def build_cases(corpus_path) -> list[dict]:
    from cabletags.vocabulary.normalizer import get_normalizer

    tax = load_taxonomy(typo_aliases=False)
    norm = get_normalizer(tax)
    taken = set(tax.entries) | set(tax.aliases) | set(tax.words) | set(tax.junk)
    rng = random.Random(SEED)
    lines, tag_words, surnames = [], Counter(), set()
    body_df = Counter()
    for rec in read_corpus(corpus_path):
        toks = re.findall(r"[A-Za-z]+", rec.get("tags") or "")
        codes = [t for t in toks if t in tax.entries and t.isupper()]
        if codes:
            lines.append(codes)
        tag_words.update(t for t in toks if t.isupper() and len(t) >= 4 and t not in taken)
        for name in norm.normalize(rec.get("tags") or "").names:
            surnames.update(p for p in re.findall(r"[A-Z][A-Z'-]+", name.upper()) if p.isalpha())
        body_df.update({w.lower() for w in re.findall(r"[A-Za-z]{5,12}", rec.get("body") or "")})
    cases, seen = [], set()

    def add(kind, text, expected, note=""):
        if text in seen:
            return False
        seen.add(text)
        cases.append({"kind": kind, "text": text, "expected": expected, "note": note, "half": half(text)})
        return True

    tries = 0
    while sum(c["kind"] == "split" for c in cases) < N_PER_KIND and tries < 100_000:
        tries += 1
        codes = rng.choice(lines)
        codes = [c for c in codes if c.isalpha()]
        k = 3 if rng.random() < 0.3 else 2
        if len(codes) < k:
            continue
        i = rng.randrange(len(codes) - k + 1)
        part = codes[i:i + k]
        if len(set(part)) < k:
            continue
        text = "".join(part)
        if text in taken:
            continue
        add("split", text, part)
    tries = 0
    from cabletags.vocabulary.normalizer import _prose_lists

    acronyms = _prose_lists()[1]
    while sum(c["kind"] in ("typo", "acronym") for c in cases) < N_PER_KIND and tries < 100_000:
        tries += 1
        code = rng.choice(rng.choice(lines))
        if len(code) < 4 or not code.isalpha():
            continue
        text, op = damage(code, rng)
        if text in taken or text.lower() in tax.plainwords:
            continue
        if len(text) >= 4 and text in acronyms:
            # the damaged form is an acronym a corpus cable defines (APRM): a name of its own, which must stay
            # whole (labelled so since 2026-12-06; the draws are unchanged)
            add("acronym", text, [], f"defined acronym, one {op} from {code}")
            continue
        add("typo", text, [code], op)
    words = sorted(tag_words)
    prose = sorted(w.upper() for w, n in body_df.items() if 5 <= n < 20 and w.upper() not in taken)
    rng.shuffle(prose)
    for w in words:  # free words also used in prose (not run-together codes such as ASECKFRDCVIS...)
        if body_df[w.lower()] >= 5 and 5 <= len(w) <= 12:
            add("whole", w, [], "free word in a TAGS line")
    for w in prose[: N_PER_KIND]:
        add("whole", w, [], "rare prose word (not in plainwords)")
    frequent = sorted(c for c, e in tax.entries.items() if e.corpus_count >= 20 and c.isalpha() and len(c) >= 4)
    tries = 0
    while sum(c["kind"] in ("substitution", "acronym-substitution") for c in cases) < N_PER_KIND and tries < 100_000:
        tries += 1
        code = rng.choice(frequent)
        i = rng.randrange(len(code))
        near = KEYBOARD.get(code[i], "") if rng.random() < 0.5 else ""
        ch = rng.choice(near or "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        text = code[:i] + ch + code[i + 1:]
        if ch == code[i] or text in taken or text.lower() in tax.plainwords:
            continue
        if text in acronyms:  # as for typos: a defined acronym must stay whole (the draws are unchanged)
            add("acronym-substitution", text, [], f"defined acronym, one letter from {code}")
            continue
        add("substitution", text, [code], "keyboard neighbour" if near else "any letter")
    for name in sorted(surnames - taken):
        if len(name) >= 4 and name.lower() not in tax.plainwords:
            add("name", name, [], "surname after a person-taking code")
    return cases


KEYBOARD = {k: v for row in ("QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM")
            for k, v in ((row[i], row[max(0, i - 1):i] + row[i + 1:i + 2]) for i in range(len(row)))}



def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus")
    ap.add_argument("--split", choices=["dev", "test", "all"], default="dev")
    a = ap.parse_args(argv)
    for c in build_cases(corpus_or_exit(a.corpus)):
        if a.split in ("all", c["half"]):
            print(json.dumps(c))


if __name__ == "__main__":
    main()

"""Coverage of the taxonomy: over the corpus TAGS fields, and of titles, definitions and eras by kind.

A code-like token is a run of letters of 2-5 capitals (the text split on anything not a letter).
Every such token carried by at least --min-cables cables must be a taxonomy code, an alias, or an
explicitly listed non-code word / junk word. Prints the figure and any token left uncovered.

Then, by kind: entries, titled, untitled but marked "meaning unknown", codes on >= --min-cables cables without a
title (must be none), 1974 definitions (readable = OCR clean or fair), and where codes are attested (1974 handbook,
NARA 1973-79 lists, Cablegate corpus, current handbook); the 1970s codes of the eras table; and whether every code
of the 1974 subject list and of the NARA lists decodes.

usage: python scripts/benchmarks/taxonomy_coverage.py [--corpus ../shared/corpus/cables.jsonl.gz] [--min-cables 3]
"""
from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cabletags.scoring.corpus import corpus_or_exit, read_corpus  # noqa: E402
from cabletags.vocabulary.taxonomy import load_taxonomy  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus")
    ap.add_argument("--min-cables", type=int, default=3)
    a = ap.parse_args(argv)
    path = corpus_or_exit(a.corpus)
    tax = load_taxonomy()
    cables = Counter()
    for rec in read_corpus(path):
        cables.update({t for t in re.findall(r"[A-Za-z]+", rec.get("tags") or "") if re.fullmatch(r"[A-Z]{2,5}", t)})
    frequent = {t: n for t, n in cables.items() if n >= a.min_cables}
    how = Counter()
    missing = []
    for t in frequent:
        if t in tax.entries:
            how["code"] += 1
        elif t in tax.aliases:
            how["alias"] += 1
        elif t in tax.words:
            how["listed non-code word"] += 1
        elif t in tax.junk:
            how["listed junk word"] += 1
        elif t in tax.repaired_forms:
            how["listed run-together form"] += 1
        else:
            missing.append(t)
    covered = len(frequent) - len(missing)
    print(f"code-like tokens in >= {a.min_cables} cables: {len(frequent)}; covered {covered} "
          f"({100 * covered / max(len(frequent), 1):.1f}%)")
    for k, v in how.most_common():
        print(f"  {k}: {v}")
    print(f"listed non-code words in taxonomy/words.yaml: {len(tax.words)} (+ {len(tax.junk)} junk words)")
    if missing:
        print("uncovered: " + ", ".join(f"{t} ({frequent[t]})" for t in sorted(missing, key=lambda t: -frequent[t])))
    untitled_frequent = report_entries(tax, a.min_cables)
    return 0 if not missing and not untitled_frequent else 1


def report_entries(tax, min_cables: int) -> list[str]:
    """Titles, definitions and attestations by kind (a table); returns the codes on >= min_cables cables that
    have no title."""
    from cabletags.vocabulary.decoder import decode

    sources = ("handbook-1974", "nara-1973-79", "cablegate", "handbook-2022")
    cols = ["kind", "entries", "titled", "meaning unknown", f"untitled on >={min_cables}", "definitions",
            "readable"] + list(sources)
    rows, bad = [], []
    for kind in ("subject", "program", "geographic", "organization"):
        es = tax.by_kind(kind)
        seen = [e for e in es if max([x.get("count", 0) for x in e.attested if x["source"] == "cablegate"]
                                     + [e.corpus_count]) >= min_cables]
        bad += [e.code for e in seen if not e.title]
        att = {s: sum(1 for e in es if any(x["source"] == s for x in e.attested)) for s in sources}
        rows.append([kind, len(es), sum(1 for e in es if e.title),
                     sum(1 for e in es if not e.title and "meaning unknown" in (e.note or "")),
                     sum(1 for e in seen if not e.title), sum(1 for e in es if e.definition),
                     sum(1 for e in es if e.definition and e.definition.get("ocr") in ("clean", "fair"))]
                    + [att[s] for s in sources])
    widths = [max(len(str(x)) for x in col) for col in zip(cols, *rows)]
    for r in [cols] + rows:
        print("  ".join(str(x).rjust(w) if i else str(x).ljust(w) for i, (x, w) in enumerate(zip(r, widths))))
    old = tax.era_codes("1970s")
    print(f"eras: 1970s table {len(old)} codes whose 1974 meaning differs from Cablegate's or that Cablegate does not "
          f"use; current: {'GENC/ISO rule' if 'current' in tax.eras else 'none'}")
    listed = [e.code for e in tax.entries.values() if any(x["source"] in ("handbook-1974", "nara-1973-79")
                                                           for x in e.attested) and e.kind == "subject"]
    undecoded = [c for c in listed + list(old) if decode(c, tax, era="1970s")[0].status not in ("known", "repaired")]
    print(f"1970s subject codes (1974 handbook, NARA lists) and 1970s geographic codes decoding with --era 1970s: "
          f"{len(listed) + len(old) - len(undecoded)} of {len(listed) + len(old)}"
          + (f"; not: {' '.join(undecoded)}" if undecoded else ""))
    if bad:
        print(f"codes on >= {min_cables} corpus cables without a title: {' '.join(sorted(bad))}")
    return bad


if __name__ == "__main__":
    sys.exit(main())

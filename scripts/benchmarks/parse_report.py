"""Agreement of `parse_cable` with the corpus: parse preamble + body, compare normalized TAGS and SUBJECT.

For each cable, the normalized codes of the TAGS line that parse_cable extracts from
`preamble + "\n" + body` are compared with normalize(record["tags"]).codes (as sets). Cables whose
record has no tags must parse to no TAGS line. The SUBJECT is compared with the record's `subject`
(whitespace collapsed, case kept), and every mismatch is sorted into a kind: the record has none, the parse
found none, the parse has more (text after the subject taken in) or less (cut early), or other. Prints the
agreements, the kinds with their counts, and a few disagreements (--show).

usage: python scripts/benchmarks/parse_report.py [--corpus PATH] [--show N]
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cabletags.reading import parse_cable  # noqa: E402
from cabletags.scoring.corpus import corpus_or_exit, read_corpus  # noqa: E402
from cabletags.vocabulary.normalizer import get_normalizer  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus")
    ap.add_argument("--show", type=int, default=10)
    a = ap.parse_args(argv)
    norm = get_normalizer()
    n = agree = 0
    by_source, bad_by_source, shown = Counter(), Counter(), []
    subj_ok, subj_kinds, subj_shown = 0, Counter(), {}
    for rec in read_corpus(corpus_or_exit(a.corpus)):
        n += 1
        text = (rec.get("preamble") or "") + "\n" + (rec.get("body") or "")
        p = parse_cable(text)
        want = set(norm.normalize(rec.get("tags") or "").codes)
        got = set(p.tags.codes)
        ok = got == want
        by_source[rec.get("source")] += 1
        agree += ok
        want_s, got_s = " ".join((rec.get("subject") or "").split()), " ".join((p.subject or "").split())
        kind = _subject_kind(want_s, got_s)
        subj_ok += kind is None
        if kind:
            subj_kinds[kind] += 1
            subj_shown.setdefault(kind, (rec["id"], want_s[:90], got_s[:90]))
        if not ok:
            bad_by_source[rec.get("source")] += 1
            if len(shown) < a.show:
                shown.append((rec["id"], rec.get("tags"), p.tags_raw))
    print(f"{agree}/{n} cables agree ({100 * agree / max(n, 1):.2f}%)")
    for s, k in by_source.most_common():
        print(f"  {s}: {100 * (k - bad_by_source[s]) / k:.2f}% of {k}")
    for cid, want, got in shown:
        print(f"  {cid}: record {want!r}\n  {' ' * len(cid)}  parsed {got!r}")
    print(f"SUBJECT: {subj_ok}/{n} agree ({100 * subj_ok / max(n, 1):.2f}%)")
    for kind, k in subj_kinds.most_common():
        cid, want, got = subj_shown[kind]
        print(f"  {kind}: {k} (e.g. {cid}: record {want!r}, parsed {got!r})")


def _subject_kind(want: str, got: str) -> str | None:
    """None when the subjects agree, else the kind of mismatch."""
    if want == got:
        return None
    if not want:
        return "record has no subject"
    if not got:
        return "parse found no subject"
    if got.startswith(want):
        return "parse took in text after the subject"
    if want.startswith(got):
        return "parse cut the subject early"
    if got.upper() == want.upper():
        return "case differs"
    return "other"


if __name__ == "__main__":
    main()

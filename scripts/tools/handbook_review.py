"""Write docs/handbook-1974-review.md: what proofreading the 1974 handbook changed, and what it added.

Reads the curated taxonomy only (taxonomy/subject.yaml, taxonomy/eras.yaml); the figures are counted from it, so a
rerun after any curation brings the report up to date.

usage: python scripts/tools/handbook_review.py [--out docs/handbook-1974-review.md]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def report() -> str:
    import yaml

    subjects = yaml.safe_load((ROOT / "taxonomy" / "subject.yaml").read_text(encoding="utf-8"))["entries"]
    eras = yaml.safe_load((ROOT / "taxonomy" / "eras.yaml").read_text(encoding="utf-8"))["eras"]
    table = eras["1970s"]["codes"]
    proofread = [e for e in subjects if (e.get("definition") or {}).get("proofread")]
    corrected = [e for e in proofread if e["definition"].get("corrections")]
    new = [e for e in proofread if "corrections" not in e["definition"]]
    illegible = [e for e in proofread if "[illegible]" in e["definition"]["text"]]
    none = [e for e in subjects if (e.get("definition") or {}).get("none_printed")]
    by_kind = {}
    for c in table:
        by_kind.setdefault(c["kind"], []).append(c)
    out = ["# The 1974 TAGS handbook, proofread", "",
           "Source: Department of State, *Traffic Analysis by Geography and Subject*, TL:TAGS-1 (6-28-74), read from "
           "the OCR text of the scan (`../shared/taxonomy-sources/tags-handbook-1974.txt`) and checked by hand against "
           "it. Written by `python scripts/tools/handbook_review.py` from the curated taxonomy.", "",
           "## Appendix A: subject definitions", "",
           f"- {len(proofread)} definitions proofread word for word (`definition.proofread: true`); the OCR text "
           f"kept by the reading tool had errors in {len(corrected)} of them, "
           f"{sum(e['definition']['corrections'] for e in corrected)} words changed in all (joins such as "
           "`coiiecting`, splits such as `msp ec tions`, misread codes such as `AFLY` for AFIN, and text of the next "
           "code that the reading had run in).",
           f"- {len(new)} definitions the reading tool had not found (its heading misread or the text mixed into "
           f"another code's): {', '.join(e['code'] for e in new)}.",
           f"- {len(illegible)} keep a word that cannot be read, marked `[illegible]`: "
           f"{', '.join(e['code'] for e in illegible)}.",
           f"- {len(none)} subject codes in use print no definition in either handbook (`definition.none_printed`): "
           f"{', '.join(e['code'] for e in none)}.", "",
           "| code | title (1974) | words changed | page |", "|---|---|---|---|"]
    for e in sorted(proofread, key=lambda e: e["code"]):
        d = e["definition"]
        title = next((a["title"] for a in e.get("attested", []) if a["source"] == "handbook-1974"), e.get("title"))
        out.append(f"| {e['code']} | {title} | {d.get('corrections', 'new')} | "
                   f"{d['reference'].rsplit(', ', 1)[-1]} |")
    added_subjects = [e["code"] for e in subjects if "defines (Appendix A, proofread)" in
                      e.get("provenance", {}).get("evidence", "")]
    out += ["", "## Codes the handbook defines that the taxonomy lacked", "",
            f"- Subject codes added: {', '.join(added_subjects) or 'none'} (historic, with the handbook's title and "
            "definition).",
            f"- Sections 11-12 and 15, now the 1970s table of `taxonomy/eras.yaml`: "
            f"{len(by_kind.get('geographic', []))} geographic codes and world regions, "
            f"{len(by_kind.get('organization', []))} organizations; "
            f"{sum(1 for c in table if c.get('cablegate') == 'other')} mean something else in Cablegate "
            f"({', '.join(c['code'] for c in table if c.get('cablegate') == 'other')}).",
            "- Not added: section 15 prints an organization \"International Commission of Jurists\" whose code the "
            "scan does not show legibly (OCR `1cm`); the Export-Import Bank's code is read as EXIM (OCR `XXIB`), "
            "noted on the item.", ""]
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "handbook-1974-review.md"))
    a = ap.parse_args(argv)
    Path(a.out).write_text(report(), encoding="utf-8")
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Seed taxonomy/*.yaml from ../shared/taxonomy-sources and the corpus (run once, then curate the YAML).

The YAML files are the curated source of truth. This script records *how* they were seeded: which
source row each title came from, which corpus facts support an entry (how many cables carry it, which
codes it co-occurs with), and the curators' decisions for the code-like tokens the sources do not list.
Re-running it overwrites hand edits, so it refuses to run when taxonomy/ already exists unless --force.

usage: python scripts/bootstrap_taxonomy.py [--shared ../shared] [--force]
"""
from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "taxonomy"
HANDBOOK = "handbook"

# --- curators' decisions for tokens the source lists do not cover (each with its reason) ---------------

# variant / legacy forms -> canonical code. type: iso (ISO 3166 code used in place of the FIPS one),
# iso3 (ISO alpha-3), variant (informal form), legacy (retired form), name (a place name used as a tag).
ALIASES = {
    "RU": ("RS", "iso", "ISO code of Russia; cables from Helsinki, Moscow use it beside RS"),
    "IQ": ("IZ", "iso", "ISO code of Iraq"),
    "JP": ("JA", "iso", "ISO code of Japan"),
    "YE": ("YM", "iso", "ISO code of Yemen; used by Embassy Sanaa"),
    "CZ": ("EZ", "iso", "ISO code of Czechia; used by Embassy Prague"),
    "AZ": ("AJ", "iso", "ISO code of Azerbaijan"),
    "BZ": ("BH", "iso", "ISO code of Belize; used beside GT by Embassy Guatemala"),
    "CR": ("CS", "iso", "ISO code of Costa Rica; used by Embassy Panama beside Central American codes"),
    "NA": ("NT", "iso", "Netherlands Antilles: used by Embassy The Hague beside NL and VE (ISO NA is Namibia)"),
    "VZ": ("VE", "variant", "informal form for Venezuela; used by Embassy Caracas"),
    "PAK": ("PK", "iso3", "ISO alpha-3 of Pakistan"),
    "DPRK": ("KN", "variant", "Democratic People's Republic of Korea"),
    "TIP": ("KTIP", "variant", "Trafficking in Persons written without the K prefix"),
    "IPR": ("KIPR", "variant", "Intellectual Property Rights written without the K prefix"),
    "IPROP": ("KIPR", "variant", "intellectual property, used by Consulate Ho Chi Minh City beside KIPR"),
    "MCA": ("KMCA", "variant", "Millennium Challenge Account written without the K prefix"),
    "BURMA": ("BM", "name", "older English name of Myanmar, the name TAGS uses for BM"),
    # typo aliases: allowed only with corpus evidence; reports are also run without them
    "ENGR": ("ENRG", "typo", "swapped letters, Embassy Brasilia"),
    "ENERG": ("ENRG", "typo", "extra letter, Consulate Lagos"),
    "ENIV": ("EINV", "typo", "swapped letters, Embassy Accra"),
    "PARMS": ("PARM", "typo", "extra letter, Embassy Guatemala"),
}

# run-together forms seen in >= 3 cables, documented here; the split rule repairs them (a test checks)
REPAIRED_FORMS = {
    "VTIS": (["VT", "IS"], "VT IS run together (Embassy Vatican)"),
}

# non-code words: kept verbatim as unknown free words, never repaired. Reason in one line each.
WORDS = {
    "ADANA": "name of the post (Consulate Adana) written into its tags",
    "HUMAN": "free word (HUMAN RIGHTS)", "MEDIA": "free word (MEDIA REACTION REPORT)",
    "AND": "English word inside free phrases", "OF": "English word (free phrases, page headers)",
    "WITH": "English word inside free phrases", "LABOR": "free word; the code is ELAB",
    "CHIEF": "free word (POL CHIEF)", "POL": "section abbreviation (POL-MIL, POL CHIEF)",
    "MIL": "abbreviation (POL-MIL)", "GOI": "Government of Israel / India / Indonesia (free abbreviation)",
    "GOV": "government (free abbreviation)", "GOG": "Government of Ghana / Georgia (free abbreviation)",
    "NGO": "non-governmental organization (generic word, no code)",
    "GAZA": "place word (GAZA DISENGAGEMENT); Gaza Strip is the code GZ",
    "INDO": "prefix of free phrases (INDO-PAK)", "FTA": "free trade agreement (generic)",
    "HIV": "free word (HIV/AIDS); the program code is KHIV", "AIDS": "free word (HIV/AIDS); the code is KHIV",
    "SARS": "disease name used as a free word", "TECH": "free word (technology)",
    "IRAQI": "demonym (IRAQI FREEDOM), not a place code", "ITALY": "country name inside a free phrase (ITALY NATIONAL ELECTIONS)",
    "ETMIN": "ethnic minorities (Consulate Ho Chi Minh City's own keyword, with HUMANR, RELFREE)",
    "ASSK": "initials of Aung San Suu Kyi used as a keyword by Embassy Rangoon",
    "CODEL": "congressional delegation (generic word; the code is OREP)",
    "REL": "abbreviation (REL UK)", "BUD": "abbreviation (BUD FIN)", "FIN": "abbreviation (BUD FIN, finance)",
    "CONS": "abbreviation (consular)", "MAR": "abbreviation (maritime)", "PROV": "abbreviation (provincial)",
    "SOE": "state-owned enterprises (free abbreviation)", "PAS": "Public Affairs Section (free abbreviation)",
    "PAO": "Public Affairs Officer (free abbreviation; the code is KPAO)",
    "EL": "Arabic article inside personal names (EL HARRAK)", "BEN": "part of personal names (BEN AHMED)",
    "AKA": "'also known as' inside personal names", "SAMIR": "given name inside a personal-name tag",
    "JAMES": "given name after OVIP", "BIDEN": "surname after OVIP", "WWARD": "personal name after OVIP",
    "SAN": "free word (SAN/CKGR relocation: the San people)", "CKGR": "Central Kalahari Game Reserve (place)",
    "HT": "only seen with digits (HT1, HT13, HT19): an internal reference, not a code",
    "TFUS": "only seen with digits (TFUS01..03): task-force reference numbers",
    "FAB": "only seen as FAB5, a reference number",
    "GE": "ambiguous: ISO Georgia, FIPS has no GE; in the corpus sometimes meant for Germany (GM) - never guessed",
    "NK": "ambiguous: North Korea is KN; NK is not a FIPS code - never guessed",
    "UR": "former FIPS code of the USSR; kept as a word because its use in the corpus (Embassy Tehran) is unclear",
}

# junk: removed from the codes (and recorded as a junk repair), never shown as unknown.
JUNK = {
    "SIPDIS": "distribution marker, not a tag", "SENSITIVE": "handling caveat", "UNCLAS": "classification banner",
    "UNCLASSIFIED": "classification banner", "CONFIDENTIAL": "classification banner", "SECRET": "classification banner",
    "NOFORN": "handling caveat", "LIMDIS": "handling caveat", "EXDIS": "handling caveat", "NODIS": "handling caveat",
    "TAGS": "label word", "TAG": "label word", "SUBJECT": "label word", "SUBJ": "label word",
    "SECTION": "page/section header", "PAGE": "page header",
}

# organizations / programs seen in the corpus but not in the source lists: titles are the curators'
# reading of how the corpus uses them, so provenance is always `unverified`.
EXTRA_ORGS = {
    "USEU": "U.S. Mission to the European Union", "USUN": "U.S. Mission to the United Nations",
    "UNHRC": "UN Human Rights Council", "UNCHR": "UN Commission on Human Rights",
    "CHR": "Commission on Human Rights (UN)", "AUC": "United Self-Defense Forces of Colombia",
    "NSSP": "Next Steps in Strategic Partnership (U.S.-India)", "FTAA": "Free Trade Area of the Americas",
    "USAID": "U.S. Agency for International Development", "MEPP": "Middle East Peace Process",
    "AGOA": "African Growth and Opportunity Act", "CBW": "Chemical and Biological Weapons",
    "SADC": "Southern African Development Community", "IWC": "International Whaling Commission",
    "ESTH": "Environment, Science, Technology and Health", "DART": "Disaster Assistance Response Team (USAID)",
    "MCC": "Millennium Challenge Corporation", "OPCW": "Organisation for the Prohibition of Chemical Weapons",
    "NIPP": "Northern Ireland Peace Process", "GTIP": "Office to Monitor and Combat Trafficking in Persons (G/TIP)",
    "CIDA": "Canadian International Development Agency", "PRM": "Bureau of Population, Refugees, and Migration",
    "OIC": "Organization of the Islamic Conference", "OPBAT": "Operation Bahamas, Turks and Caicos",
    "ARF": "ASEAN Regional Forum", "MEPI": "Middle East Partnership Initiative",
    "INR": "Bureau of Intelligence and Research", "DHRF": "Democracy and Human Rights Fund",
    "KDP": "Kurdistan Democratic Party", "IIP": "Bureau of International Information Programs",
    "LTTE": "Liberation Tigers of Tamil Eelam", "WHA": "Bureau of Western Hemisphere Affairs",
    "EUR": "Bureau of European and Eurasian Affairs", "ACOTA": "African Contingency Operations Training and Assistance",
    "AMIA": "Asociacion Mutual Israelita Argentina (1994 bombing case)", "NLD": "National League for Democracy (Burma)",
    "NPT": "Treaty on the Non-Proliferation of Nuclear Weapons", "BTA": "U.S.-Vietnam Bilateral Trade Agreement",
    "NSFO": None, "LVPR": None, "CACS": None, "SEVN": None, "DPOL": None, "PBIO": None, "CTERR": None,
    "AROC": None, "SSH": None, "INRB": None, "PEPR": None, "MEPN": None, "FAC": None, "BFIF": None,
    "PMIL": None, "SREF": None, "MAPP": None,
}
# program tags seen in the corpus but not listed; titles only where the corpus usage makes them plain.
EXTRA_PROGRAM_TITLES = {
    "KICC": "International Criminal Court", "KHDP": "Humanitarian Demining Program",
    "KDRG": "Drugs (narcotics)", "KSCI": "Science", "KBIO": "Biological Weapons / Biotechnology",
}
# two-letter codes that are regions or otherwise not countries.
REGIONAL = re.compile(r"^[XZ][A-Z]$")

CATEGORY_NAMES = {  # subject category letters; the sources' bracketed doubts are kept as notes
    "A": "Administrative Affairs", "B": "Business Services Reporting", "C": "Consular Affairs",
    "E": "Economic Affairs", "M": "Military and Defense Affairs", "O": "Outreach",
    "P": "Political Affairs", "S": "Social Affairs", "T": "Technology and Science",
}


def read_tsv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def corpus_usage(corpus: Path):
    """Cables per code-like token, and co-occurring tokens, from the raw `tags` field."""
    count, co = Counter(), defaultdict(Counter)
    with gzip.open(corpus, "rt", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            toks = {t for t in re.findall(r"[A-Za-z]+", rec.get("tags") or "") if re.fullmatch(r"[A-Z]{2,5}", t)}
            count.update(toks)
            for t in toks:
                co[t].update(toks - {t})
    return count, co


def evidence(code, count, co, known, geo_peers=False):
    n = count.get(code, 0)
    if not n:
        return "not seen in the training corpus"
    peers = [c for c, _ in co[code].most_common(60) if c in known and (len(c) == 2 or not geo_peers)][:5]
    return f"in the TAGS of {n} corpus cables" + (f"; most often with {', '.join(peers)}" if peers else "")


def provenance(title_source: str, url: str, ev: str) -> dict:
    src = (title_source or "").strip()
    if src.startswith("FAM") and "unverified" not in src:
        return {"source": HANDBOOK, "reference": src, "url": url or None, "evidence": ev}
    if src and src != "unverified" and "unverified" not in src:
        return {"source": "listed", "reference": src, "url": url or None, "evidence": ev}
    return {"source": "unverified", "reference": src or None, "url": url or None, "evidence": ev}


def clean(d: dict) -> dict:
    return {k: v for k, v in d.items() if v not in (None, "", [], {})}


NAME_TAGS = {"OVIP", "OREP", "OTRA", "OEXC", "OCON"}  # the 1974 guidance: these take a person's name


def finish(entries, count):
    """Add the corpus count (used only to break ties between repair candidates) and name flags."""
    for e in entries:
        if count.get(e["code"]):
            e["corpus_count"] = count[e["code"]]
        if e["code"] in NAME_TAGS:
            e["takes_name"] = True
    return entries


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--force", action="store_true")
    a = ap.parse_args(argv)
    shared = Path(a.shared)
    src = shared / "taxonomy-sources"
    corpus = shared / "corpus" / "cables.jsonl.gz"
    if not src.is_dir() or not corpus.is_file():
        sys.exit(f"error: {shared} lacks taxonomy-sources/ or corpus/cables.jsonl.gz (pass --shared)")
    if (OUT / "subject.yaml").exists() and not a.force:
        sys.exit("error: taxonomy/ already seeded; the YAML is curated by hand now (use --force to overwrite)")
    count, co = corpus_usage(corpus)

    subj = read_tsv(src / "subject_tags.tsv")
    prog = read_tsv(src / "program_tags.tsv")
    geo = read_tsv(src / "geo_tags.tsv")
    org = read_tsv(src / "org_tags.tsv")
    known = {r["code"] for r in subj + prog + geo + org} | set(EXTRA_ORGS)
    known |= {t for t, n in count.items() if n >= 3 and re.fullmatch(r"K[A-Z]{3}|[XZ][A-Z]", t)}

    def status_of(raw):
        raw = (raw or "").lower()
        return "current" if raw.startswith("current") else "historic" if raw.startswith("historic") else "unknown"

    aliases_for = defaultdict(list)
    for form, (target, typ, why) in ALIASES.items():
        aliases_for[target].append({"form": form, "type": typ, "evidence": f"{why}; {evidence(form, count, co, known)}"})

    subjects = []
    for r in subj:
        letter = r["category_letter"]
        title = r["title"].strip()
        uncertain = "[uncertain]" in title or "[title unknown]" in title
        title = re.sub(r"\s*\[(uncertain|title unknown)\]", "", title).strip() or None
        prov = provenance(r["title_source"], r["source_url"], evidence(r["code"], count, co, known))
        if uncertain and prov["source"] != "unverified":
            prov["source"] = "unverified"
        e = {"code": r["code"], "title": title,
             "category": {"letter": letter, "name": CATEGORY_NAMES[letter]},
             "status": status_of(r["status"]), "provenance": clean(prov),
             "note": r.get("notes") or None, "aliases": aliases_for.pop(r["code"], None)}
        if r["code"] == "SHUM":
            e["replaced_by"] = "PHUM"
        subjects.append(clean(e))

    programs = []
    listed_prog = {r["code"] for r in prog}
    for r in prog:
        prov = provenance("unverified" if not r["title"] else r["status"] if r["status"] == "listed_by_third_party" else "unverified",
                          r["source_url"], evidence(r["code"], count, co, known))
        if r["evidence_of_use"]:
            prov["reference"] = r["evidence_of_use"]
        programs.append(clean({"code": r["code"], "title": r["title"] or None,
                               "status": "current" if r["status"] == "observed_in_cablegate" else "unknown",
                               "provenance": clean(prov), "note": r.get("notes") or None,
                               "aliases": aliases_for.pop(r["code"], None)}))
    for code, n in sorted(count.items()):
        if n >= 3 and re.fullmatch(r"K[A-Z]{3}", code) and code not in listed_prog:
            programs.append(clean({"code": code, "title": EXTRA_PROGRAM_TITLES.get(code), "status": "unknown",
                                   "provenance": {"source": "unverified", "evidence": evidence(code, count, co, known)},
                                   "note": "seen in the corpus only; not in the source lists",
                                   "aliases": aliases_for.pop(code, None)}))

    geos, seen = [], set()
    for r in geo:
        code = r["code"]
        if code == "UN":  # an organization, listed among places only because it has two letters
            continue
        if code in ("AL", "BP"):
            r["notes"] = (r["notes"] + "; " if r["notes"] else "") + "also in the cablemap organization list (" + \
                {"AL": "Arab League", "BP": "British Petroleum"}[code] + "); decoded as the place"
        if code in seen:  # NL is listed twice (Netherlands, Caribbean Netherlands): keep the country
            continue
        seen.add(code)
        name = r["name"].strip()
        if code == "NL":
            name = "Netherlands"
        iso = r["iso3166_alpha2_of_same_place"].strip()
        iso = iso if re.fullmatch(r"[A-Z]{2}", iso) else None
        status = "current" if r["status"].startswith("current") else "historic" if "historic" in r["notes"] + name else "unknown"
        is_country = r["status"].startswith("current")
        clean_name = re.sub(r"\s*\(.*\)", "", name).strip()
        al = aliases_for.pop(code, [])
        if is_country and clean_name not in ("US", "UK"):
            form = clean_name.upper()
            if re.fullmatch(r"[A-Z][A-Z .&'-]+", form):
                al.append({"form": form, "type": "name", "evidence": "English short name of the place"})
        prov = {"source": "listed", "reference": r["source"], "evidence": evidence(code, count, co, known)}
        if not is_country:
            prov["source"] = "unverified"
        e = {"code": code, "title": name if is_country else clean_name,
             "status": status, "provenance": prov, "iso3166": iso,
             "note": r["notes"] or None, "aliases": al or None}
        geos.append(clean(e))
    for code, n in sorted(count.items()):
        if n >= 3 and REGIONAL.match(code) and code not in seen:
            geos.append(clean({"code": code, "title": None, "status": "unknown",
                               "provenance": {"source": "unverified", "evidence": evidence(code, count, co, known, True)},
                               "note": "regional or special code, not FIPS 10-4; meaning inferred only from co-occurring codes",
                               "aliases": aliases_for.pop(code, None)}))

    orgs, org_seen = [], set()
    for r in org:
        r["code"] = r["code"].upper()  # a few list rows are written in mixed case (Alitalia)
        if r["code"] in org_seen or (r["code"] in seen and r["code"] != "UN"):
            continue  # AL, BP: the FIPS place wins; the geographic entry's note records the clash
        org_seen.add(r["code"])
        prov = {"source": "unverified" if r["name_source"] in ("", "unverified") else "listed",
                "reference": r["status"], "url": r["source_url"] or None,
                "evidence": evidence(r["code"], count, co, known)}
        orgs.append(clean({"code": r["code"], "title": r["full_name"] or None, "status": "unknown",
                           "provenance": clean(prov), "note": r.get("notes") or None,
                           "aliases": aliases_for.pop(r["code"], None)}))
    for code, title in EXTRA_ORGS.items():
        orgs.append(clean({"code": code, "title": title, "status": "unknown",
                           "provenance": {"source": "unverified", "evidence": evidence(code, count, co, known)},
                           "note": "seen in the corpus only; not in the source lists"}))
    if aliases_for:
        sys.exit(f"error: aliases point to unknown codes: {sorted(aliases_for)}")

    OUT.mkdir(exist_ok=True)
    header = ("# cabletags taxonomy: {kind} codes. Curated data; see taxonomy/README.md for the fields.\n"
              "# Seeded by scripts/bootstrap_taxonomy.py from ../shared/taxonomy-sources and corpus usage.\n")
    for kind, entries in (("subject", subjects), ("program", programs), ("geographic", geos), ("organization", orgs)):
        doc = {"kind": kind, "entries": sorted(finish(entries, count), key=lambda e: e["code"])}
        with (OUT / f"{kind}.yaml").open("w", encoding="utf-8") as f:
            f.write(header.format(kind=kind))
            yaml.safe_dump(doc, f, sort_keys=False, allow_unicode=True, width=120)
    words = {"words": [{"word": w, "reason": r} for w, r in sorted(WORDS.items())],
             "junk": [{"word": w, "reason": r} for w, r in sorted(JUNK.items())],
             "repaired_forms": [{"form": f, "codes": c, "reason": r} for f, (c, r) in sorted(REPAIRED_FORMS.items())]}
    with (OUT / "words.yaml").open("w", encoding="utf-8") as f:
        f.write("# Non-code words (kept as unknown free words, never repaired) and junk (removed, recorded).\n")
        yaml.safe_dump(words, f, sort_keys=False, allow_unicode=True, width=120)
    print({k: len(v) for k, v in (("subject", subjects), ("program", programs), ("geographic", geos), ("organization", orgs))})


if __name__ == "__main__":
    main()

"""A tiny synthetic cable corpus, written for the tests (no real cable text)."""
import json
import random

TOPICS = {
    "KTIP": "trafficking victims smuggling forced labor shelters traffickers prosecution persons",
    "PHUM": "human rights activists detained torture prisoners abuses freedom journalists",
    "ECON": "economy growth inflation budget deficit gdp markets investment banks",
    "MARR": "military cooperation defense minister troops exercises navy army",
}
PLACES = {"AJ": "azerbaijan baku aliyev", "GM": "germany berlin merkel", "IZ": "iraq baghdad maliki"}


def make_records(n=120, seed=1):
    rng = random.Random(seed)
    recs = []
    for i in range(n):
        topic = rng.choice(sorted(TOPICS))
        place = rng.choice(sorted(PLACES))
        words = TOPICS[topic].split() * 3 + PLACES[place].split() * 2 + "the embassy said that officials met".split()
        rng.shuffle(words)
        body = "1. (C) SUMMARY: " + " ".join(words) + ".\n\n2. (U) " + " ".join(rng.sample(words, 10)) + "."
        tags = f"TAGS: PREL, {topic}, {place}"
        recs.append({"id": f"T{i:04d}", "body": body, "tags": tags})
    return recs


def write_jsonl(path, recs):
    with open(path, "w", encoding="utf-8") as f:
        for r in recs:
            f.write(json.dumps(r) + "\n")
    return path


SUBJECTS = {"KTIP": "TRAFFICKING IN PERSONS UPDATE", "PHUM": "HUMAN RIGHTS REPORT", "ECON": "ECONOMIC OUTLOOK",
            "MARR": "DEFENSE COOPERATION TALKS"}


def make_cables(n=120, seed=1):
    """make_records() as whole cables: each record also has a `preamble` (header, its TAGS field, SUBJECT)."""
    recs = make_records(n, seed)
    for i, r in enumerate(recs):
        topic = r["tags"].split(", ")[1]
        r["preamble"] = (f"UNCLAS SECTION 01 OF 02 POSTA {i:06d}\n\nSIPDIS\n\nE.O. 12958: N/A\n{r['tags']}\n"
                         f"SUBJECT: {SUBJECTS[topic]}")
    return recs

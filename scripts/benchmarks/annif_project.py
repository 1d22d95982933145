"""Annif (omikuji parabel) set up for the side-by-side benchmarks: its own virtual environment and a project
trained on the given records. Used by bench_quality.py and bench_speed.py."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def install(venv: Path) -> Path:
    """The `annif` command of `venv`, installing annif[omikuji] there first if needed (from PyPI)."""
    annif = venv / "bin" / "annif"
    if not annif.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "annif[omikuji]"], check=True, timeout=1800)
    return annif


def project(venv: Path, proj: Path, train: list[dict], norm) -> dict:
    """Write an omikuji project for `train` (labels: normalize(record['tags']).codes) into `proj`; returns the
    environment to run `annif` in (offline: empty NLTK punkt files stand in for the download)."""
    proj.mkdir(parents=True, exist_ok=True)
    codes = sorted({c for r in train for c in norm.normalize(r.get("tags") or "").codes})
    (proj / "vocab.tsv").write_text("".join(f"<http://cabletags/{c}>\t{c}\n" for c in codes))
    with open(proj / "train.tsv", "w") as f:
        for r in train:
            text = " ".join((r.get("body") or "").split())
            subj = " ".join(f"<http://cabletags/{c}>" for c in norm.normalize(r.get("tags") or "").codes)
            if text and subj:
                f.write(f"{text}\t{subj}\n")
    (proj / "projects.cfg").write_text("[omikuji]\nname=omikuji\nlanguage=en\nbackend=omikuji\n"
                                       "analyzer=snowball(english)\nvocab=tags\nlimit=10\n")
    nltk = proj / "nltk_data" / "tokenizers" / "punkt_tab" / "english"
    nltk.mkdir(parents=True, exist_ok=True)
    for name in ("abbrev_types.txt", "collocations.tab", "ortho_context.tab", "sent_starters.txt"):
        (nltk / name).touch()
    return {"ANNIF_PROJECTS": str(proj / "projects.cfg"), "HF_HUB_OFFLINE": "1", "NLTK_DATA": str(proj / "nltk_data"),
            "PATH": f"{venv}/bin:/usr/bin:/bin"}


def write_docs(folder: Path, records: list[dict]) -> None:
    """One text file per record (its body, whitespace collapsed), named by position, for `annif index`."""
    folder.mkdir(parents=True, exist_ok=True)
    for k, r in enumerate(records):
        (folder / f"{k}.txt").write_text(" ".join((r.get("body") or "").split()) or ".", encoding="utf-8")

"""Writing a taxonomy YAML file from a tool: the file's comment header kept, the data laid out as the curated
files are (block style, keys in order, lines of 120), so a rerun that changes nothing changes no byte."""
from __future__ import annotations

from pathlib import Path


def write(path: Path, doc: dict) -> None:
    import yaml

    head = "".join(line for line in path.read_text(encoding="utf-8").splitlines(True)
                   if line.startswith("#")) if path.is_file() else ""
    path.write_text(head + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120), encoding="utf-8")

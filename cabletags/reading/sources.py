"""The files a batch reads: each FILE argument as it is, a folder's files (recursively, in name order, hidden
files and folders left out) and glob patterns the shell did not expand ("cables/*.html", "**/*.pdf")."""
from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import Iterator

__all__ = ["iter_sources"]


def iter_sources(args) -> Iterator[tuple[str, str | None]]:
    """(path, None) for each file to read, or (argument, reason) for an argument that names nothing readable;
    in the order given, a folder's files sorted by path."""
    for a in args:
        a = str(a)
        p = Path(a)
        if p.is_dir():
            found = False
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    if not f.startswith("."):
                        found = True
                        yield str(Path(root) / f), None
            if not found:
                yield a, "an empty folder"
        elif p.exists() or a == "-":
            yield a, None
        elif glob.has_magic(a):
            matches = sorted(m for m in glob.glob(a, recursive=True) if Path(m).is_file())
            if not matches:
                yield a, "no file matches this pattern"
            yield from ((m, None) for m in matches)
        else:
            yield a, "no such file"

"""The shown outputs in README.md and docs/*.md, run for real: check them (tests/test_docs.py) or rewrite them.

A ```console block holds commands after "$ " and, below each, exactly what it prints on stdout. Commands run in
docs/examples/ (the texts there were written for the docs), in this process, through the CLI group itself:

    $ cabletags decode KTIP            the command, split like a shell would (shlex)
    $ echo '{"tags": "PREL"}' | cabletags normalize --jsonl      one quoted echo piped into a command
    $ cat paragraph.txt                prints an example file
    $ echo $?                          the exit code of the command before

Other blocks (```sh, ```python, plain ```) are not run: commands that need the corpus or take minutes go there.

usage: python scripts/tools/doc_examples.py [--update] [FILE ...]   (default: README.md and docs/*.md)
Without --update: prints every mismatch and exits 1 if any. With --update: rewrites each block's outputs.
"""
from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
_BLOCK = re.compile(r"^```console\n(.*?)^```$", re.S | re.M)
_ECHO_PIPE = re.compile(r"^echo\s+('(?:[^']*)')\s*\|\s*(cabletags\s.*)$")

__all__ = ["doc_files", "examples", "run", "check", "update"]


def doc_files() -> list[Path]:
    return [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))


def examples(text: str) -> list[tuple[str, list[str]]]:
    """(command, expected output lines) for every "$ " command of every console block, in order."""
    out = []
    for block in _BLOCK.finditer(text):
        for line in block.group(1).splitlines():
            if line.startswith("$ "):
                out.append((line[2:].strip(), []))
            elif out:
                out[-1][1].append(line.rstrip())
    return out


@contextmanager
def _cwd(path: Path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def run(command: str, last_code: int) -> tuple[list[str], int]:
    """(stdout lines, exit code) of one documented command, run in docs/examples."""
    from click.testing import CliRunner

    from cabletags.cli import cli

    if command == "echo $?":
        return [str(last_code)], last_code
    stdin = None
    m = _ECHO_PIPE.match(command)
    if m:
        stdin, command = shlex.split(m.group(1))[0] + "\n", m.group(2)
    argv = shlex.split(command)
    with _cwd(EXAMPLES):
        if argv[0] == "cat" and len(argv) == 2:
            return (EXAMPLES / argv[1]).read_text(encoding="utf-8").rstrip("\n").splitlines(), 0
        if argv[0] != "cabletags":
            raise ValueError(f"cannot run documented command {command!r}")
        r = CliRunner().invoke(cli, argv[1:], input=stdin or b"", catch_exceptions=False)
    return [line.rstrip() for line in r.stdout.rstrip("\n").splitlines()], r.exit_code


def check(path: Path) -> list[str]:
    """One message per documented command whose output differs from what it prints now."""
    problems, code = [], 0
    for command, expected in examples(path.read_text(encoding="utf-8")):
        got, code = run(command, code)
        if got != expected:
            diff = next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b), min(len(got), len(expected)))
            problems.append(f"{path.relative_to(ROOT)}: $ {command}\n  line {diff + 1}: expected "
                            f"{expected[diff] if diff < len(expected) else '(end)'!r}\n  got      "
                            f"{got[diff] if diff < len(got) else '(end)'!r}")
    return problems


def update(path: Path) -> int:
    """Rewrite the outputs of every console block of `path`; returns the number of commands run."""
    text = path.read_text(encoding="utf-8")
    n, code = 0, 0

    def block(m):
        nonlocal n, code
        lines = []
        for line in m.group(1).splitlines():
            if line.startswith("$ "):
                got, code = run(line[2:].strip(), code)
                lines += [line] + got
                n += 1
        return "```console\n" + "\n".join(lines) + "\n```"

    path.write_text(_BLOCK.sub(block, text), encoding="utf-8")
    return n


def main(argv=None) -> int:
    sys.path.insert(0, str(ROOT))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--update", action="store_true")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args(argv)
    files = [Path(f).resolve() for f in a.files] or doc_files()
    if a.update:
        for f in files:
            print(f"{f.relative_to(ROOT)}: {update(f)} command(s) run")
        return 0
    problems = [p for f in files for p in check(f)]
    print("\n".join(problems) or "every documented output matches")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""The docs tell the truth: every shown output is what the command prints now, and docs/cli.md names every
command and option the CLI has."""
import sys

import click
import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts" / "tools"))
import doc_examples  # noqa: E402

from cabletags.cli import cli  # noqa: E402


@pytest.mark.slow
@pytest.mark.parametrize("path", doc_examples.doc_files(), ids=lambda p: p.name)
def test_shown_outputs_are_what_the_commands_print(path):
    problems = doc_examples.check(path)
    assert not problems, "\n".join(problems) + "\n(after a deliberate change: python scripts/tools/doc_examples.py --update)"


def test_the_checker_sees_a_wrong_output():
    text = "```console\n$ cabletags decode KTIP\ncode  kind  title\n```\n"
    (cmd, expected), = doc_examples.examples(text)
    got, code = doc_examples.run(cmd, 0)
    assert code == 0 and got != expected and "Trafficking in Persons" in got[2]


def _commands(group, path=()):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, path + (name,))
        else:
            yield " ".join(path + (name,)), cmd


def test_docs_cli_names_every_command_and_option():
    doc = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    missing = []
    for name, cmd in _commands(cli):
        if f"{name} " not in doc:
            missing.append(name)
        for p in cmd.params:
            if isinstance(p, click.Option) and not any(o in doc for o in p.opts if o.startswith("--")):
                missing.append(f"{name} {p.opts[0]}")
    assert not missing, missing

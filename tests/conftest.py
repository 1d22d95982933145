import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


# validated taxonomy files by content, shared by the tests that load edited copies (only the edited file is read
# again): what a Workspace keeps for its own loads
TAXONOMY_MEMO: dict = {}


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """Tests never touch the user's cache directory. The workers of one run (pytest-xdist) share theirs: the
    taxonomy's validated copy is written atomically, so the first worker's serves the others."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent / "cache" if os.environ.get("PYTEST_XDIST_WORKER") else base / "cache"
    shared.mkdir(exist_ok=True)
    os.environ["CABLETAGS_CACHE"] = str(shared)
    os.environ.pop("CABLETAGS_TAXONOMY", None)
    os.environ.pop("CABLETAGS_TAXONOMY_OVERLAY", None)
    yield


@pytest.fixture
def taxonomy_copy(tmp_path):
    """A writable copy of the shipped taxonomy directory."""
    from cabletags.vocabulary.taxonomy import shipped_taxonomy_dir

    dst = tmp_path / "taxonomy"
    shutil.copytree(shipped_taxonomy_dir(), dst, ignore=shutil.ignore_patterns("__pycache__", "__init__.py"))
    return dst


class CLIResult:
    """What a command run gave: returncode, stdout and stderr as text."""

    def __init__(self, returncode: int, stdout: str, stderr: str):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def run_cli(*args, input=None, env=None):
    """Run a command in this process with click's CliRunner (the same group, options and exit codes
    as the console script); returns a CLIResult."""
    from click.testing import CliRunner

    from cabletags.cli import cli

    if isinstance(input, str):
        input = input.encode("utf-8")
    r = CliRunner().invoke(cli, [str(a) for a in args], input=input if input is not None else b"", env=env,
                           catch_exceptions=False)
    return CLIResult(r.exit_code, r.stdout, r.stderr)


def run_process(*args, input=None, env=None):
    """Run the real command in a new process; returns CompletedProcess with text stdout/stderr."""
    e = dict(os.environ)
    e.update(env or {})
    if isinstance(input, str):
        input = input.encode("utf-8")
    p = subprocess.run([sys.executable, "-m", "cabletags", *args], input=input if input is not None else b"",
                       capture_output=True, env=e, cwd=str(ROOT))
    p.stdout = p.stdout.decode("utf-8", errors="replace")
    p.stderr = p.stderr.decode("utf-8", errors="replace")
    return p


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    """A tiny model trained once per test session on tiny_corpus (corpus.jsonl and model/ in its folder)."""
    from tiny_corpus import make_records, write_jsonl

    d = tmp_path_factory.mktemp("tiny")
    corpus = write_jsonl(d / "corpus.jsonl", make_records())
    p = run_cli("train", "--jobs", "1", "--corpus", str(corpus), "--out", str(d / "model"), "--min-label-count", "5",
                "--validation-share", "0.3")
    assert p.returncode == 0, p.stderr
    return d


@pytest.fixture(scope="session")
def tiny_cable(tiny, tmp_path_factory):
    """A tiny whole-cable model (`train --reading cable`) on tiny_corpus.make_cables: the tiny corpus's records
    with a header each (corpus.jsonl and cable_model/ in its folder; model/ is the tiny model, trained on the
    same records' bodies)."""
    from tiny_corpus import make_cables, write_jsonl

    d = tmp_path_factory.mktemp("tiny_cable")
    corpus = write_jsonl(d / "corpus.jsonl", make_cables())
    (d / "model").symlink_to(tiny / "model", target_is_directory=True)
    p = run_cli("train", "--jobs", "1", "--corpus", str(corpus), "--out", str(d / "cable_model"), "--min-label-count", "5",
                "--validation-share", "0.3", "--reading", "cable")
    assert p.returncode == 0, p.stderr
    return d


def craft_model_json(d, edit):
    """Edit a model folder's model.json with edit(doc) and rewrite its manifest to match, as a crafted
    (not merely corrupted) model would be."""
    from cabletags.scoring.storage import write_manifest

    doc = json.loads((d / "model.json").read_text())
    edit(doc)
    (d / "model.json").write_text(json.dumps(doc))
    write_manifest(d)
    return d


def rehash_arrays(d):
    """The manifest's sha256 of arrays.npz made right after the archive was changed, its arrays' entries left as
    they were (a manifest that lies about the arrays, or a member swapped in)."""
    import hashlib

    m = json.loads((d / "manifest.json").read_text())
    m["files"]["arrays.npz"] = hashlib.sha256((d / "arrays.npz").read_bytes()).hexdigest()
    (d / "manifest.json").write_text(json.dumps(m))
    return d


def copy_model(tiny, tmp_path, name, edit=None):
    """A copy of the tiny model; `edit(doc)` changes its model.json first (manifest rewritten to match)."""
    d = tmp_path / name
    shutil.copytree(tiny / "model", d)
    if edit:
        craft_model_json(d, edit)
    return d


def pytest_collection_modifyitems(config, items):
    """The tests of the whole-cable model run on one worker (pytest-xdist's loadgroup): it is trained once a run."""
    for item in items:
        if "tiny_cable" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("tiny_cable"))

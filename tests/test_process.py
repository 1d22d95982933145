"""The few checks that need a real process: the installed entry point and its exit codes.
(Every other CLI test runs in-process with CliRunner; signals are in test_robustness.py.)"""
import shutil
import subprocess

import pytest
from conftest import run_process


@pytest.mark.skipif(shutil.which("cabletags") is None, reason="console script not installed (pip install -e .)")
def test_installed_entry_point_exit_codes(tmp_path):
    ok = subprocess.run(["cabletags", "decode", "KTIP"], capture_output=True, text=True)
    assert ok.returncode == 0 and "Trafficking in Persons" in ok.stdout
    missing = subprocess.run(["cabletags", "suggest", str(tmp_path / "nope.txt")], capture_output=True, text=True)
    assert missing.returncode == 3 and missing.stdout == ""
    assert missing.stderr.startswith("error:") and len(missing.stderr.strip().splitlines()) == 1


def test_module_entry_point_usage_and_unknown_codes():
    assert run_process("nosuchcommand").returncode == 2
    p = run_process("decode", "KCI")
    assert p.returncode == 1 and "did you mean: KOCI" in p.stdout

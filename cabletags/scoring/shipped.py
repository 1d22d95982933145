"""Where the shipped models live and which folders a load reads, without importing the scoring stage's heavy
modules: the session object asks before it loads a model, to start reading its files early
(cabletags.scoring.modelfiles.Prefetch)."""
from __future__ import annotations

import json
from pathlib import Path

__all__ = ["DEFAULT_MODEL", "CABLE_MODEL", "shipped_model_dir", "trusted_hashes", "eager_folders"]

DEFAULT_MODEL = "cabletags-default"
# the shipped model for whole cables (trained on header + body, ModelSettings.reading "cable"): it reads whole
# cables better than DEFAULT_MODEL, and bodies and paragraphs worse, so each reads what it reads best
CABLE_MODEL = "cabletags-cable"


def shipped_model_dir(name: str = DEFAULT_MODEL) -> Path:
    """Where the shipped model lives: package data when installed, the repository's models/ otherwise."""
    try:
        from importlib.util import find_spec

        spec = find_spec("cabletags.models_data")
        if spec and spec.submodule_search_locations:
            for loc in spec.submodule_search_locations:
                if (Path(loc) / name / "model.json").is_file():
                    return Path(loc) / name
    except (ImportError, ValueError):
        pass
    return Path(__file__).resolve().parents[2] / "models" / name


def trusted_hashes() -> dict:
    """sha256 of each shipped model's manifest.json, from models/MANIFEST.json (shipped with the package)."""
    p = shipped_model_dir().parent / "MANIFEST.json"
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def eager_folders(path=None, cable_path=None, cables_only: bool = False, cable_soon: bool = False) -> list[Path]:
    """The model folders Suggester.load(path, cable_path=cable_path, cables_only=cables_only) reads at once, and
    with cable_soon the shipped whole-cable model it loads on first use (when the caller will read a whole cable
    at once: the command line's --cable)."""
    shipped_cable = path is None and CABLE_MODEL in trusted_hashes()
    if cables_only and (cable_path is not None or shipped_cable):
        return [Path(cable_path) if cable_path is not None else shipped_model_dir(CABLE_MODEL)]
    return [Path(path) if path is not None else shipped_model_dir()] + \
        ([Path(cable_path)] if cable_path is not None else []) + \
        ([shipped_model_dir(CABLE_MODEL)] if cable_soon and cable_path is None and shipped_cable else [])

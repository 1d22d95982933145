"""cabletags on Dask: the JSON Lines batch contracts over a dask.bag, for archives past one machine.

    >>> import dask.bag as db
    >>> from cabletags.dask import normalize_records, suggest_records
    >>> bag = db.read_text("cables-*.jsonl", blocksize="64MiB").map(json.loads)
    >>> suggest_records(bag, "body", "id", limit=10).map(json.dumps).to_textfiles("out/*.jsonl")

Each function takes a bag of dicts and returns a bag of exactly the records the CLI's ``--jsonl`` modes
write (cabletags.surfaces.batch), partition by partition and in order. The taxonomy and the model are loaded once
per worker process, on its first partition, and kept for the next ones: tasks carry only the model's path,
never the model. Results are identical to one process. Needs the ``dask`` extra
(``pip install 'cabletags[dask]'``); docs/scale.md says when to use Dask and when ``--jobs``.
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["normalize_records", "parse_records", "suggest_records", "worker_state"]


def worker_state() -> dict:
    """How many times this process loaded a taxonomy and a model (for tests and monitoring): its Workspace's
    counts."""
    from .workspace import default_workspace

    loads = default_workspace().loads
    return {"taxonomy": loads["taxonomy"], "model": loads["model"]}


def _taxonomy(taxonomy, overlay):
    from .workspace import default_workspace

    return default_workspace().load_taxonomy(taxonomy, overlay)


def _suggester(model, cable_model, taxonomy, overlay):
    from .workspace import default_workspace

    # one Suggester per worker reads both bodies and whole cables (its whole-cable model loaded on first use)
    return default_workspace().suggester(model, cable_model, taxonomy=_taxonomy(taxonomy, overlay))


def _path(p) -> str | None:
    return None if p is None else str(Path(p).resolve())  # workers may run elsewhere: no relative paths


def _normalize_part(records, field, taxonomy, overlay):
    from .surfaces.batch import normalize_records as run

    return list(run(records, field, _taxonomy(taxonomy, overlay)))


def _parse_part(records, field, taxonomy, overlay):
    from .surfaces.batch import parse_records as run

    return list(run(records, field, _taxonomy(taxonomy, overlay)))


def _suggest_part(records, text_field, id_field, limit, cable, model, cable_model, taxonomy, overlay):
    from .surfaces.batch import suggest_records as run

    return list(run(records, _suggester(model, cable_model, taxonomy, overlay), text_field, id_field, limit,
                    cable=cable))


def normalize_records(bag, field: str = "tags", taxonomy=None, overlay=None):
    """A bag of the records with their ``normalized`` field (as ``cabletags normalize --jsonl``).

    bag: dask.bag of dicts; field: the raw TAGS field; taxonomy, overlay: paths, as the CLI's
    --taxonomy and --taxonomy-overlay (None: the shipped taxonomy)."""
    return bag.map_partitions(_normalize_part, field, _path(taxonomy), _path(overlay))


def parse_records(bag, field: str = "text", taxonomy=None, overlay=None):
    """A bag of the records with their ``parsed`` field (as ``cabletags parse --jsonl``)."""
    return bag.map_partitions(_parse_part, field, _path(taxonomy), _path(overlay))


def suggest_records(bag, text_field: str = "body", id_field: str = "id", limit: int = 10, cable: bool = False,
                    model=None, taxonomy=None, overlay=None, cable_model=None):
    """A bag of ``{"id", "tags"}`` records (as ``cabletags suggest --jsonl``; cable=True as ``--jsonl
    --cable``). model: a model folder (None: the shipped model); cable_model: the model that reads whole cables
    (None: the shipped whole-cable model without `model`, else `model`), as the CLI's --model and --cable-model;
    each loaded once per worker."""
    return bag.map_partitions(_suggest_part, text_field, id_field, int(limit), bool(cable), _path(model),
                              _path(cable_model), _path(taxonomy), _path(overlay))

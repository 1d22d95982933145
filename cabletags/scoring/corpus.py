"""The cable corpus: reading JSON Lines (plain or gzip) and a deterministic validation split.

Records follow ../shared/corpus: id, date, origin, classification, tags, subject, body, preamble ...
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable, Iterator

from ..textio import InputError, Stats, iter_jsonl

__all__ = ["read_corpus", "default_corpus_path", "is_validation", "require_corpus", "corpus_or_exit", "export_annif"]


def default_corpus_path() -> Path:
    """../shared/corpus/cables.jsonl.gz beside the project (the developers' and CI's layout)."""
    return Path(__file__).resolve().parents[3] / "shared" / "corpus" / "cables.jsonl.gz"


def require_corpus(path: str | Path | None) -> Path:
    p = Path(path) if path else default_corpus_path()
    if not p.is_file():
        raise InputError(f"corpus not found: {p} (pass --corpus PATH; the shared corpus lives in ../shared/corpus)")
    return p


def corpus_or_exit(path: str | Path | None) -> Path:
    """require_corpus() for scripts: a clear one-line message and exit 1 when the corpus is absent."""
    try:
        return require_corpus(path)
    except InputError as e:
        raise SystemExit(f"error: {e}") from None


def read_corpus(path: str | Path | None = None, stats: Stats | None = None) -> Iterator[dict]:
    """Every good record of a JSON Lines corpus (.gz or plain); bad lines are counted in `stats`."""
    stats = stats if stats is not None else Stats()
    for _, rec, _ in iter_jsonl(str(require_corpus(path)), stats):
        if rec is not None:
            yield rec


HELD_OUT_SHARE, HELD_OUT_SEED = 0.2, 0  # the one documented held-out split (docs/benchmarks.md)


def is_held_out(cable_id: str) -> bool:
    """Whether a corpus cable is in the project's one held-out split, which every benchmark and model card score
    on: is_validation(id, HELD_OUT_SHARE, HELD_OUT_SEED), about 3,500 of the 17,730 cables."""
    return is_validation(cable_id, HELD_OUT_SHARE, HELD_OUT_SEED)


def is_validation(cable_id: str, share: float = 0.2, seed: int = 0) -> bool:
    """True for the `share` of ids that form the validation split (a stable hash of seed and id)."""
    h = hashlib.sha256(f"{seed}:{cable_id}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64 < share


def export_annif(records: Iterable[dict], directory: str | Path, taxonomy=None, text_field: str = "body",
                 tags_field: str = "tags", base_uri: str | None = None, check=None) -> tuple[int, int]:
    """Write records as Annif's short-text document corpus (`corpus.tsv`: text, tab, subject URIs) with its
    vocabulary (`vocab.tsv`) into `directory`; returns (documents written, records skipped for lack of text
    or tags). Subjects are the normalized tags as the concept URIs of `cabletags taxonomy export`.
    check(), when given, runs after the last record and before corpus.tsv is committed (it may raise)."""
    from ..textio import atomic_output
    from ..vocabulary.catalog import BASE_URI, concept_uri, export
    from ..vocabulary.normalizer import get_normalizer

    norm = get_normalizer(taxonomy)
    base = base_uri or BASE_URI
    d = Path(directory)
    if d.exists() and not d.is_dir():
        raise InputError(f"{directory}: exists and is not a directory")
    n = skipped = 0  # the folder is made by atomic_output, and removed by it again when the run fails
    with atomic_output(str(d / "corpus.tsv")) as out:
        for rec in records:
            text, raw = rec.get(text_field), rec.get(tags_field)
            codes = norm.normalize(raw if isinstance(raw, str) else "").codes
            if not isinstance(text, str) or not text.strip() or not codes:
                skipped += 1
                continue
            out.write(" ".join(text.split()) + "\t" + " ".join(f"<{concept_uri(c, base)}>" for c in codes) + "\n")
            n += 1
        if check is not None:
            check()
    with atomic_output(str(d / "vocab.tsv")) as out:
        out.write(export(norm.tax, "annif", base))
    return n, skipped

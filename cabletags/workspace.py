"""The session object: the one owner of loaded state.

A Workspace loads, on first use, the taxonomy (with its overlay and options), its normalizer and the models (each
verified as it loads), and keeps each under a key of what it was made from: a taxonomy by its folder and the digest
of its files' bytes, a model by its folder and the sha256 of its manifest (so an edited file or a retrained model
is a new key, never a stale hit). What is made from a taxonomy alone (its normalizer, its posts table) is kept
with the taxonomy itself (Taxonomy.derived). Nothing else in the package keeps state between calls.

The command line makes one Workspace per run from its global options; the service one per application; each Dask
worker and each ``--jobs`` worker process uses its process's default one (default_workspace). The library's own
functions (cabletags.normalize, decode, read_cable, suggest_many, load_taxonomy) use the default one too.

    >>> ws = Workspace(taxonomy="my-taxonomy/", overlay="fixes.yaml", model="models/mine")
    >>> ws.normalize("TAGS: PGOV, OSCEPREF").codes
    ['PGOV', 'OSCE', 'PREF']
    >>> ws.suggester().suggest(text, limit=5)
"""
from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

from .vocabulary.taxonomy import Taxonomy, load_taxonomy, taxonomy_source

__all__ = ["Workspace", "default_workspace", "use_workspace"]

_CONFIGURED = object()  # "the workspace's own setting" (None means the shipped one)


def _folder(path) -> str | None:
    return None if path is None else str(Path(path).resolve())


def _manifest_digest(path) -> str:
    """sha256 of a model folder's manifest.json (which holds the sha256 of every other file), or "" when absent
    (loading then says what is wrong)."""
    try:
        return hashlib.sha256((Path(path) / "manifest.json").read_bytes()).hexdigest()
    except OSError:
        return ""


class Workspace:
    """Loaded state for one session, loaded lazily and keyed by what it was made from.

    taxonomy, overlay: paths (None: $CABLETAGS_TAXONOMY or the shipped taxonomy; no overlay), as the CLI's
    --taxonomy and --taxonomy-overlay; typo_aliases: False drops the taxonomy's typo aliases; model,
    cable_model: model folders (None: the shipped models), as the CLI's --model and --cable-model.
    `loads` counts what this workspace loaded ("taxonomy", "model"), for tests and monitoring.
    """

    def __init__(self, taxonomy: str | Path | None = None, overlay: str | Path | None = None, *,
                 typo_aliases: bool = True, model: str | Path | None = None, cable_model: str | Path | None = None):
        self.taxonomy_path = None if taxonomy is None else str(taxonomy)
        self.overlay = None if overlay is None else str(overlay)
        self.typo_aliases = typo_aliases
        self.model_path = None if model is None else str(model)
        self.cable_model_path = None if cable_model is None else str(cable_model)
        self.loads: Counter = Counter()
        self._taxonomies: dict[tuple, Taxonomy] = {}
        self._own: Taxonomy | None = None  # this workspace's taxonomy, once loaded
        self._suggesters: dict[tuple, object] = {}
        self.checked: dict = {}  # validated taxonomy files by the sha256 of their bytes (validate_taxonomy's memo)
        self.lane_cancel = None  # in the service's heavy-lane process: the shared id of a request whose client left

    def __repr__(self) -> str:
        return (f"Workspace(taxonomy={self.taxonomy_path!r}, overlay={self.overlay!r}, "
                f"typo_aliases={self.typo_aliases}, model={self.model_path!r}, cable_model={self.cable_model_path!r})")

    # --- the vocabulary ---------------------------------------------------------------------------------
    def load_taxonomy(self, path: str | Path | None = None, overlay: str | Path | None = None,
                      typo_aliases: bool = True) -> Taxonomy:
        """The taxonomy at `path` with `overlay`, loaded once per content: the files are hashed on each call
        (an edited file loads anew). Raises TaxonomyError (exit 4) naming the file and the entry."""
        src = taxonomy_source(path, overlay)
        key = src.key()
        if key not in self._taxonomies:
            self._taxonomies[key] = load_taxonomy(source=src, memo=self.checked)
            self.loads["taxonomy"] += 1
        tax = self._taxonomies[key]
        return tax if typo_aliases else tax.without_typo_aliases()

    @property
    def taxonomy(self) -> Taxonomy:
        """This workspace's taxonomy (its folder, overlay and typo option), loaded on first use and then kept:
        edits to its files after that are seen by a new Workspace."""
        if self._own is None:
            self._own = self.load_taxonomy(self.taxonomy_path, self.overlay, self.typo_aliases)
        return self._own

    def normalizer(self, taxonomy: Taxonomy | None = None, *, typo_aliases: bool | None = None):
        """The Normalizer of `taxonomy` (None: this workspace's), with or without its typo aliases (None: this
        workspace's option)."""
        from .vocabulary.normalizer import get_normalizer

        typo = self.typo_aliases if typo_aliases is None else typo_aliases
        return get_normalizer(taxonomy if taxonomy is not None else self.taxonomy, typo_aliases=typo)

    # --- the models -------------------------------------------------------------------------------------
    def suggester(self, model=_CONFIGURED, cable_model=_CONFIGURED, *, cables_only: bool = False,
                  taxonomy: Taxonomy | None = None, cable_soon: bool = False):
        """The Suggester of `model` (and `cable_model` for whole cables; default: this workspace's, None: the
        shipped ones) over `taxonomy` (None: this workspace's), loaded and verified once per model content.
        cables_only: only whole cables will be read (Suggester.load); cable_soon: a whole cable will be read at once,
        so the shipped whole-cable model's files are read early too. Raises ModelError (exit 4)."""
        model = self.model_path if model is _CONFIGURED else model
        cable_model = self.cable_model_path if cable_model is _CONFIGURED else cable_model
        tax = taxonomy if taxonomy is not None else self.taxonomy
        key = (_folder(model), model and _manifest_digest(model), _folder(cable_model),
               cable_model and _manifest_digest(cable_model), bool(cables_only), tax.source, tax.version,
               tax.typo_aliases)
        hit = self._suggesters.get(key)
        if hit is None or hit.taxonomy is not tax:
            from .scoring.modelfiles import prefetch_all
            from .scoring.shipped import eager_folders

            # the model files read and inflated on other threads while the scoring modules are imported here
            prefetched = prefetch_all(eager_folders(model, cable_model, cables_only, cable_soon))
            from .scoring.suggester import Suggester

            hit = self._suggesters[key] = Suggester.load(model, taxonomy=tax, cable_path=cable_model,
                                                          cables_only=cables_only, prefetched=prefetched)
            self.loads["model"] += 1
        return hit

    # --- the library's verbs over this workspace (cabletags.normalize and the others are these, on the process's)
    def normalize(self, raw: str | None, min_confidence: float = 0.0, taxonomy: Taxonomy | None = None):
        """cabletags.normalize with this workspace's taxonomy (or `taxonomy`)."""
        return next(self.normalize_many([raw], min_confidence, taxonomy))

    def normalize_many(self, lines, min_confidence: float = 0.0, taxonomy: Taxonomy | None = None):
        """cabletags.normalize_many with this workspace's taxonomy (or `taxonomy`): lazily and in order, one result
        per item."""
        norm = self.normalizer(taxonomy)
        for raw in lines:
            n = norm.normalize(raw)
            yield n.trusted(min_confidence, raw) if min_confidence > 0 else n

    def decode(self, items, era: str = "cablegate", taxonomy: Taxonomy | None = None):
        """cabletags.decode with this workspace's taxonomy (or `taxonomy`)."""
        from .vocabulary.decoder import decode

        return decode(items, self.normalizer(taxonomy).tax, era)

    def read_cable(self, source, era: str = "auto", *, name: str | None = None, taxonomy: Taxonomy | None = None):
        """cabletags.read_cable with this workspace's taxonomy (or `taxonomy`)."""
        from .reading import read_cable

        return read_cable(source, self.normalizer(taxonomy).tax, era, name=name)

    def suggest_many(self, texts, limit: int = 10, batch_size: int = 256, threshold: float | None = None,
                     model=_CONFIGURED, kinds=None):
        """cabletags.suggest_many with this workspace's model (or `model`) and taxonomy."""
        yield from self.suggester(model).suggest_many(texts, limit, batch_size, threshold, kinds)


_default: Workspace | None = None  # the process's session: the one module-level state of the package


def default_workspace() -> Workspace:
    """The process's Workspace (the shipped taxonomy and models, or $CABLETAGS_TAXONOMY), made on first use."""
    global _default
    if _default is None:
        _default = Workspace()
    return _default


def use_workspace(ws: Workspace) -> Workspace:
    """Make `ws` the process's Workspace (a worker process set up for one run); returns it."""
    global _default
    _default = ws
    return ws

"""Saving and loading a TagModel as data: model.json and arrays.npz, never pickle.

``model.json`` holds the format, settings, labels, vocabulary and the scalar calibration; ``arrays.npz``
holds idf, the pruned weights (float16), intercepts, offsets and the reference index, read with
``allow_pickle=False``, so loading a model file cannot run code. model.json records the sha256 of
arrays.npz, checked on load.
"""
from __future__ import annotations

import hashlib
import io
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import scipy.sparse as sp

__all__ = ["MODEL_FORMAT", "ModelError", "save_model", "load_model"]

MODEL_FORMAT = "cabletags-tagmodel/1"


class ModelError(Exception):
    """A model directory that is missing, corrupt, tampered with or of another format."""


def save_model(model, directory: str | Path) -> dict:
    """Write model.json + arrays.npz into `directory`; returns the model.json document."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    w = model.weights.tocsr()
    cal = model.calibration
    arrays_path = d / "arrays.npz"
    tmp = d / "arrays.tmp.npz"
    refs = model.references.to_arrays() if model.references is not None else {}
    offsets = cal.offsets if cal.offsets is not None else np.zeros(len(model.labels))
    np.savez_compressed(tmp, **refs, idf=model.idf.astype(np.float32), w_data=w.data.astype(np.float16),
                        w_indices=w.indices.astype(np.int32), w_indptr=w.indptr.astype(np.int32),
                        intercept=model.intercept.astype(np.float32), offsets=offsets.astype(np.float32))
    tmp.replace(arrays_path)
    sha = hashlib.sha256(arrays_path.read_bytes()).hexdigest()
    doc = {"format": MODEL_FORMAT, "settings": asdict(model.settings), "labels": model.labels,
           "scale": cal.scale, "select_score": cal.select_score, "vocabulary": model.vocabulary,
           "shape": [len(model.labels), len(model.vocabulary)], "ref_weights": list(cal.ref_weights),
           "reference_posts": model.references.posts if model.references is not None else None,
           "arrays_sha256": sha, "info": model.info}
    tmpj = d / "model.tmp.json"
    tmpj.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    tmpj.replace(d / "model.json")
    return doc


def load_model(directory: str | Path, verify: bool = True):
    """The TagModel saved in `directory`. Only JSON and plain arrays are read (never pickle).

    Raises ModelError (one line) for a missing, corrupt, modified or foreign model.
    """
    from .calibration import Calibration
    from .model import ModelSettings, TagModel
    from .references import ReferenceIndex

    d = Path(directory)
    mj, arr = d / "model.json", d / "arrays.npz"
    if not d.is_dir():
        raise ModelError(f"{d}: model directory not found")
    if not mj.is_file() or not arr.is_file():
        raise ModelError(f"{d}: not a cabletags model (needs model.json and arrays.npz)")
    try:
        doc = json.loads(mj.read_text(encoding="utf-8"))
    except (ValueError, OSError) as e:
        raise ModelError(f"{mj}: unreadable model description ({e.__class__.__name__})") from None
    if not isinstance(doc, dict) or doc.get("format") != MODEL_FORMAT:
        got = doc.get("format") if isinstance(doc, dict) else None
        raise ModelError(f"{mj}: model format {got!r} is not {MODEL_FORMAT!r} (retrain or upgrade cabletags)")
    data = arr.read_bytes()
    if verify and hashlib.sha256(data).hexdigest() != doc.get("arrays_sha256"):
        raise ModelError(f"{arr}: sha256 does not match model.json (corrupt or modified file)")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            a = {k: z[k] for k in z.files}
        L, V = doc["shape"]
        weights = sp.csr_matrix((a["w_data"].astype(np.float32), a["w_indices"], a["w_indptr"]), shape=(L, V))
        settings = dict(doc["settings"])
        # one selection rule since format 1.1 of the code: models of the older per-tag rule need retraining
        if settings.pop("selection", "global") != "global" or doc.get("select_score") is None:
            raise ModelError(f"{d}: saved with the retired per-tag selection rule; retrain it")
        settings.setdefault("nb_scaling", 0.0)  # models saved before naive Bayes scaling
        cal = Calibration(offsets=a["offsets"], scale=float(doc["scale"]), select_score=float(doc["select_score"]))
        m = TagModel(settings=ModelSettings(**settings), labels=list(doc["labels"]),
                     vocabulary=list(doc["vocabulary"]), idf=a["idf"], weights=weights,
                     intercept=a["intercept"], calibration=cal, info=doc.get("info", {}))
        if doc.get("reference_posts") is not None:  # models saved before the reference index have none
            m.references = ReferenceIndex.from_arrays([str(p) for p in doc["reference_posts"]], a, L)
            wa, wb = doc.get("ref_weights") or (0.0, 0.0)
            cal.ref_weights = (float(wa), float(wb))
    except (KeyError, ValueError, TypeError, OSError) as e:
        raise ModelError(f"{d}: corrupt model ({e.__class__.__name__}: {str(e)[:80]})") from None
    if len(m.labels) != L or len(m.vocabulary) != V or len(m.idf) != V or len(cal.offsets) != L:
        raise ModelError(f"{d}: corrupt model (array sizes disagree with model.json)")
    return m

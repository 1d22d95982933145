"""What a suggest request computes, wherever it runs: in the server's threads or in the heavy lane's process.

The results of POST /v1/suggest for a text and of Annif's suggest and suggest-batch, the request's deadline and the
errors that end its work, and the JSON encoding of a result.
"""
from __future__ import annotations

import threading
import time

from ..errors import CabletagsError, InputError

MAX_PARAGRAPHS = 1000  # paragraphs scored in one request (`paragraphs`: true); more is refused with 422


class DeadlineExceeded(CabletagsError):
    """A request's work ran past the service's deadline (answered 503)."""


class ClientGone(CabletagsError):
    """The client went away before its answer was ready: the work stops (nobody is answered)."""


class TooManyParagraphs(InputError):
    """More paragraphs than MAX_PARAGRAPHS in one request (answered 422)."""


def suggest_text(s, tax, text: str, limit: int, threshold, explain: bool, paragraphs: bool, kinds=None,
                 check=None) -> dict:
    """The result of POST /v1/suggest for a text (not a whole cable): a page pasted whole is read for the cable it
    holds, never its menus; with `paragraphs`, each paragraph scored too (at most MAX_PARAGRAPHS); kinds: only tags
    of these kinds in the lists."""
    from ..reading import scoring_text
    from ..scoring.results import text_result

    text = scoring_text(text, tax)
    paras = None
    if paragraphs:
        paras = s.paragraphs(text)
        if len(paras) > MAX_PARAGRAPHS:
            raise TooManyParagraphs(f"{len(paras)} paragraphs: at most {MAX_PARAGRAPHS} are scored in a request")
    return text_result(s, text, limit, threshold, explain, paras, check=check, kinds=kinds)


def annif_results(row, threshold: float) -> list[dict]:
    """Suggestions as Annif answers them: uri, label, notation, score (>= threshold)."""
    from ..vocabulary.catalog import concept_uri

    return [{"uri": concept_uri(x.tag), "label": x.title or x.tag, "notation": x.tag,
             "score": round(float(x.score), 4)} for x in row if x.score >= threshold]


def annif_batch(s, texts: list[str], limit: int, threshold: float) -> list[list[dict]]:
    """Annif's suggest-batch: the results of each text (none for an empty one)."""
    rows = s.suggest_batch(texts, limit)
    return [annif_results(row, threshold) if text.strip() else [] for text, row in zip(texts, rows)]


def json_bytes(result) -> bytes:
    """A result as JSON, encoded at once (FastAPI's encoder walks a large result for a quarter of a second)."""
    import orjson

    return orjson.dumps(result, option=orjson.OPT_SERIALIZE_NUMPY)


class Deadline:
    """When a request's work must end: check() raises DeadlineExceeded once `seconds` have passed, and ClientGone
    once `gone` (the request's threading.Event, set when its client disconnects) is set."""

    def __init__(self, seconds: float, gone: threading.Event | None = None, ends: float | None = None):
        # ends: a deadline set elsewhere (the heavy lane's child gets its request's: the monotonic clock is the
        # machine's, so the time the request waited counts)
        self.seconds, self.gone = seconds, gone
        self.ends = time.monotonic() + seconds if ends is None else ends

    def check(self) -> None:
        if self.gone is not None and self.gone.is_set():
            raise ClientGone("the client went away; the work was stopped")
        if time.monotonic() > self.ends:
            raise DeadlineExceeded(f"the request took longer than the service's limit of {self.seconds:g} s")

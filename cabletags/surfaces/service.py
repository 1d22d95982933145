"""`cabletags serve`: an Annif-compatible REST API, cabletags' own endpoints, and a web page.

Built on FastAPI (request validation, the OpenAPI schema and interactive docs come from the type hints) and
served by uvicorn (a real ASGI server: worker processes, graceful shutdown on SIGTERM). The model and the
taxonomy are loaded once, when the app is made; requests share them (the scoring code holds no per-request
state).

Annif's API, under /v1/ (existing clients such as annif-client work unchanged): ``GET /v1/``,
``GET /v1/projects``, ``GET /v1/projects/{project_id}``, ``POST /v1/projects/{project_id}/suggest`` (form
fields text, limit, threshold) and ``.../suggest-batch`` (JSON documents, at most 32). A result is
``{uri, label, notation, score}``: the SKOS export's concept URI, the title, the code.

cabletags' endpoints: ``GET /v1/decode``, ``POST /v1/normalize``, ``POST /v1/parse``, ``POST /v1/suggest``,
``GET /v1/taxonomy`` (search or list) and ``GET /v1/taxonomy/{code}``; the schema is at /v1/openapi.json and
the docs at /v1/docs (served with the package: they work without internet). The page at / uses them.

Limits: a request body of at most 2 MB (413 past it); at most 32 documents a batch and 1,000 paragraphs a
request (422); a request's paragraph work stops after 20 s (503), or as soon as its client goes away; a client
must send its request within 30 s (the connection is closed) and its body within 30 s (answered 408 or 400); at
most 200 connections at once (503). Long requests (whole cables, paragraphs, explanations, batches) run in child
processes at a lower CPU priority, so that short ones never wait behind them: while one text of many paragraphs is
being scored and another waits, a third is answered 429 with Retry-After (try again in a few seconds).
"""
from __future__ import annotations

import asyncio
import json
import os
import threading
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Literal

from fastapi import FastAPI, File, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from uvicorn.protocols.http.h11_impl import H11Protocol

from .. import __version__
from ..errors import EXIT_DATA, EXIT_INPUT, EXIT_USAGE, CabletagsError
from ..vocabulary.taxonomy import ERAS, KINDS
from .work import Deadline, DeadlineExceeded, annif_batch, annif_results, json_bytes, suggest_text

__all__ = ["create_app", "create_app_from_env", "serve", "PROJECT_ID", "MAX_REQUEST_BYTES"]

PROJECT_ID = "cabletags"
MAX_REQUEST_BYTES = 2 << 20  # a whole cable is rarely over 100 KB; a batch of 32 fits easily
MAX_BATCH = 32
DEADLINE_SECONDS = 20.0  # a request's scoring work past this is stopped and answered 503
READ_TIMEOUT_SECONDS = 30.0  # a client must send its request line, headers and body within this
MAX_CONNECTIONS = 200  # connections (and requests in flight) at once; past it, 503
HEAVY_AT_ONCE = 1  # long requests computed at once in a server process (the others wait their turn)
LONG_TEXT = 20_000  # characters past which a plain text counts as a long request


class _SizeLimit:
    """ASGI middleware: a request body over `limit` bytes (0: no limit) gets 413, declared or not; a body
    that stops coming is answered; and once the body is read, a client that goes away is noticed
    (scope["cabletags.gone"], a threading.Event the endpoints' long work checks between blocks)."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or {}).get(b"content-length")
        if self.limit and declared is not None and declared.isdigit() and int(declared) > self.limit:
            return await _too_large(send, self.limit)
        seen, watcher = 0, None
        gone = threading.Event()
        scope = dict(scope, **{"cabletags.gone": gone})

        async def watch():  # the next message after the body can only be the client going away
            message = await receive()
            if message["type"] == "http.disconnect":
                gone.set()
            return message

        async def limited():
            nonlocal seen, watcher
            if watcher is not None:  # the body is read: what comes next is what the watcher hears
                return await watcher
            try:  # a body that stops coming is not waited on forever
                message = await asyncio.wait_for(receive(), READ_TIMEOUT_SECONDS)
            except asyncio.TimeoutError:
                raise _ReadTimeout() from None
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if self.limit and seen > self.limit:
                    raise _TooLarge()
                if not message.get("more_body"):
                    watcher = asyncio.ensure_future(watch())
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await _too_large(send, self.limit)
        except _ReadTimeout:
            await _answer(send, 408, "request body not received in %g s" % READ_TIMEOUT_SECONDS)
        finally:
            if watcher is not None and not watcher.done():
                watcher.cancel()


class _TooLarge(Exception):
    pass


class TimedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a read deadline on a new connection: one that has not sent a whole request
    line and headers within READ_TIMEOUT_SECONDS is closed (uvicorn waits for it forever; its keep-alive timer
    covers only the time between requests). A body that stops coming is ended by _SizeLimit."""

    def connection_made(self, transport):
        super().connection_made(transport)
        self._read_timer = self.loop.call_later(READ_TIMEOUT_SECONDS, self._no_request_yet)

    def _no_request_yet(self):
        if self.cycle is None and not self.transport.is_closing():
            self.transport.close()

    def connection_lost(self, exc):
        self._read_timer.cancel()
        super().connection_lost(exc)


class _ReadTimeout(Exception):
    pass


async def _too_large(send, limit: int):
    await _answer(send, 413, "request body over %d bytes" % limit)


async def _answer(send, status: int, detail: str):
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class Document(BaseModel):
    text: str = Field(description="The document's text.")
    document_id: str | None = Field(default=None, description="Echoed back with its results.")


class Documents(BaseModel):
    documents: list[Document] = Field(max_length=MAX_BATCH, description=f"At most {MAX_BATCH} documents.")


class SuggestRequest(BaseModel):
    text: str = Field(min_length=1, description="A paragraph, a text, or a whole cable.")
    limit: int = Field(default=10, ge=1, le=100)
    cable: bool = Field(default=False, description="Read the text as a whole cable, beside its own tags.")
    paragraphs: bool = Field(default=False, description="Also score each paragraph.")
    explain: bool = Field(default=False, description="Name the terms and cited cables behind each tag.")
    threshold: float | None = Field(default=None, ge=0, le=1, description="Select the tags scoring at least this, "
                                    "instead of the model's calibrated cut.")
    kinds: list[Literal["subject", "program", "geographic", "organization"]] | None = Field(
        default=None, max_length=4, description="Only tags of these kinds in the lists (the scores and the selected "
                                                "set stay the whole ranking's).")


class NormalizeRequest(BaseModel):
    line: str | None = Field(default=None, description="One raw TAGS line.")
    lines: list[str] | None = Field(default=None, max_length=1000, description="Several raw TAGS lines.")


class ParseRequest(BaseModel):
    text: str = Field(min_length=1, description="A whole cable (or a page holding one).")


def create_app(model: str | Path | None = None, taxonomy: str | Path | None = None,
               overlay: str | Path | None = None, max_request_bytes: int = MAX_REQUEST_BYTES,
               heavy_process: bool = False):
    """The ASGI app, with the model (None: the shipped one) and the taxonomy loaded now, once, from the process's
    Workspace (app.state.workspace; keyed by content, so apps of the same files share them). heavy_process: the
    long requests run in child processes at a lower CPU priority (surfaces/heavylane.py; `cabletags serve` does),
    else in the server's threads, one at a time."""
    import orjson

    from ..reading import ReadError, read_cable, read_document
    from ..scoring.results import cable_result
    from ..vocabulary.catalog import concept_uri, search
    from ..vocabulary.decoder import decode, era_meaning
    from ..workspace import default_workspace

    ws = default_workspace()
    tax = ws.load_taxonomy(taxonomy, overlay)
    suggester = ws.suggester(model, None, taxonomy=tax)
    suggester.suggest("warm up")  # builds the lookup tables before the first request, not during it
    if not heavy_process:  # (with lanes, whole cables are read in the medium lane, whose child loads it)
        suggester.cable_model  # and loads (and checks) the whole-cable model now: a bad one stops the start
    norm = ws.normalizer(tax)
    project = {"project_id": PROJECT_ID, "name": "cabletags: TAGS codes of US diplomatic cables",
               "language": "en", "backend": {"backend_id": "cabletags-svm"}, "is_trained": True,
               "modification_time": None}

    lanes = {}
    if heavy_process:
        from .heavylane import HeavyLane

        # two lanes, so that a whole cable (tens of ms) never waits behind a text of a thousand paragraphs (seconds)
        # (a long request takes seconds: one waits its turn, the next is told to come back, so that none runs into
        # the deadline while it waits; the medium ones take tens of ms and wait as a queue would)
        lanes = {"medium": HeavyLane(model, taxonomy, overlay, workers=HEAVY_AT_ONCE, waiting=MAX_CONNECTIONS,
                                     cables=True),
                 "long": HeavyLane(model, taxonomy, overlay, workers=HEAVY_AT_ONCE, waiting=1)}

    @asynccontextmanager
    async def lifespan(app):
        yield
        for lane in lanes.values():  # the lanes' children stop with the server
            lane.close()

    app = FastAPI(title="cabletags", version=__version__, openapi_url="/v1/openapi.json", docs_url=None,
                  redoc_url=None, description=__doc__.split("\n\n", 1)[1], lifespan=lifespan)
    _offline_docs(app)
    app.state.workspace, app.state.suggester, app.state.taxonomy, app.state.lanes = ws, suggester, tax, lanes
    # the long requests (whole cables, paragraphs, explanations, batches) take turns, one at a time a process: the
    # short ones (a paragraph, a TAGS line) then share the cores with one long request, not with all of them
    heavy = threading.BoundedSemaphore(HEAVY_AT_ONCE)

    def long_work(what: str, args: tuple, request: Request | None, local, lane: str = "medium"):
        """A long request: in a heavy lane's child when there are lanes ("medium": whole cables, batches, a short
        text explained; "long": paragraphs, long texts), else here, one at a time; the result as JSON bytes,
        encoded where it was computed."""
        deadline = Deadline(DEADLINE_SECONDS, request.scope.get("cabletags.gone") if request is not None else None)
        if lanes:
            return lanes[lane].run(what, args, deadline)
        with heavy:
            return json_bytes(local(deadline))

    def check_project(project_id: str):
        if project_id != PROJECT_ID:
            raise HTTPException(404, f"Project '{project_id}' not found")

    def check_text(text: str):
        if not text or not text.strip():
            raise HTTPException(400, "text is empty")

    def entry_dict(code: str) -> dict:
        # a Cablegate entry, or the 1974 entry of a code of the 1970s only (UR, SEATO)
        e = tax.entries[code] if code in tax.entries else era_meaning(tax, code, "1970s")[0]
        d = e.to_dict()
        d.update(uri=concept_uri(code), verified=e.verified)
        return d

    # --- Annif-compatible API ---------------------------------------------------------------------
    @app.get("/v1/", tags=["annif"])
    def api_info():
        """Basic information about this API."""
        return {"title": "cabletags REST API (Annif-compatible)", "version": __version__}

    @app.get("/v1/projects", tags=["annif"])
    def projects():
        """The projects this server offers: one, the cabletags model."""
        return {"projects": [project]}

    @app.get("/v1/projects/{project_id}", tags=["annif"])
    def get_project(project_id: str):
        check_project(project_id)
        return project

    @app.post("/v1/projects/{project_id}/suggest", tags=["annif"])
    def annif_suggest(project_id: str, text: Annotated[str, Form()] = "",
                      limit: Annotated[int, Form(ge=1, le=1000)] = 10,
                      threshold: Annotated[float, Form(ge=0, le=1)] = 0.0):
        """Suggest tags for a text (form fields, as Annif): results best first, score >= threshold."""
        check_project(project_id)
        check_text(text)
        return Response(json_bytes({"results": annif_results(suggester.suggest(text, limit), threshold)}),
                        media_type="application/json")

    @app.post("/v1/projects/{project_id}/suggest-batch", tags=["annif"])
    def annif_suggest_batch(project_id: str, body: Documents, limit: Annotated[int, Query(ge=1, le=1000)] = 10,
                            threshold: Annotated[float, Query(ge=0, le=1)] = 0.0):
        """Suggest tags for up to 32 documents (JSON, as Annif); limit and threshold as query parameters."""
        check_project(project_id)
        args = ([d.text for d in body.documents], limit, threshold)
        rows = orjson.loads(long_work("batch", args, None, lambda _: annif_batch(suggester, *args)))
        return [{"document_id": d.document_id, "results": row} for d, row in zip(body.documents, rows)]

    # --- cabletags endpoints ----------------------------------------------------------------------
    @app.get("/v1/decode", tags=["cabletags"])
    def decode_items(item: Annotated[list[str], Query(min_length=1, max_length=100,
                                                      description="Codes or raw TAGS lines")],
                     era: Annotated[Literal[ERAS],
                                    Query(description="Read the codes as in that era")] = "cablegate"):
        """Decode codes (KTIP, AJ) or whole raw TAGS lines, in an era (Cablegate's by default)."""
        out = []
        for d in decode(item, tax, era=era):
            row = d.to_dict()
            row.update(title=d.title, notes=d.notes())
            if d.entry is not None:
                row["uri"] = concept_uri(d.entry.code)
            out.append(row)
        return {"results": out, "taxonomy_version": tax.version}

    @app.post("/v1/normalize", tags=["cabletags"])
    def normalize_lines(body: NormalizeRequest):
        """Clean one raw TAGS line (`line`) or several (`lines`): codes, names, unknown items, repairs."""
        lines = ([body.line] if body.line is not None else []) + (body.lines or [])
        if not lines:
            raise HTTPException(400, "give 'line' or 'lines'")
        results = [dict(norm.normalize(x).to_dict(), input=x) for x in lines]
        return {"results": results, "taxonomy_version": tax.version}

    @app.post("/v1/parse", tags=["cabletags"])
    def parse(body: ParseRequest):
        """Read a whole cable: header fields, TAGS (raw and normalized), subject, references, paragraphs."""
        check_text(body.text)
        return read_cable(body.text, tax).to_dict()

    @app.post("/v1/read", tags=["cabletags"])
    def read_file(file: Annotated[bytes, File(description="A cable as a file: bare text in any encoding, a "
                                                          "saved page (cablegate, PlusD, others) or a PDF")]):
        """Read an uploaded file as one cable (the reader stage, as `cabletags parse` reads files): the cable's
        fields and `text`, what it holds of the cable (a page's cable text without menus or indexes, a PDF's
        text layer, Windows-1252 decoded)."""
        doc = read_document(file, "upload")  # a ReadError is answered by the handler below
        if not doc.text.strip():  # as `cabletags parse` answers an empty file (exit 3)
            raise ReadError("upload: empty input: expected a cable")
        return {"text": doc.text, "layout": doc.layout, "encoding": doc.encoding,
                "cable": read_cable(doc, tax).to_dict()}

    @app.post("/v1/suggest", tags=["cabletags"])
    def suggest(body: SuggestRequest, request: Request):
        """Tags for a text or a whole cable, with titles, the selected set and, on request, the terms behind
        each tag and the scores of each paragraph."""
        check_text(body.text)
        kinds = tuple(body.kinds) if body.kinds else None
        if body.cable:
            args = (body.text, body.limit, body.threshold, body.explain, kinds)
            return Response(long_work("cable", args, request, lambda _: cable_result(suggester, *args)),
                            media_type="application/json")
        args = (body.text, body.limit, body.threshold, body.explain, body.paragraphs, kinds)
        if body.paragraphs or body.explain or len(body.text) > LONG_TEXT:
            lane = "long" if body.paragraphs or len(body.text) > LONG_TEXT else "medium"

            def work(d):  # in this process's thread lane; a heavy lane's child runs the same with its own check
                return suggest_text(suggester, tax, *args, check=d.check)

            return Response(long_work("text", args, request, work, lane), media_type="application/json")
        return suggest_text(suggester, tax, *args)

    @app.get("/v1/taxonomy", tags=["cabletags"])
    def taxonomy_list(q: Annotated[str | None, Query(max_length=200, description="Words to search for")] = None,
                      kind: Annotated[str | None, Query(pattern="^(" + "|".join(KINDS) + ")$")] = None,
                      limit: Annotated[int, Query(ge=1, le=2000)] = 50):
        """Search the taxonomy (`q`) or list its codes, optionally of one kind."""
        if q:
            hits = [h for h in search(tax, q, limit * 4) if not kind or h["kind"] == kind][:limit]
        else:
            hits = [{"code": c, "kind": e.kind, "title": e.title} for c, e in sorted(tax.entries.items())
                    if not kind or e.kind == kind][:limit]
        for h in hits:
            h["uri"] = concept_uri(h["code"])
        return {"results": hits, "taxonomy_version": tax.version}

    @app.get("/v1/taxonomy/{code}", tags=["cabletags"])
    def taxonomy_show(code: str):
        """Everything known about one code (an alias is followed to its code)."""
        c = code.strip().upper()[:64]
        if c not in tax.entries and c in tax.aliases:
            c = tax.aliases[c][0]
        if c not in tax.entries and c not in tax.era_codes("1970s"):
            raise HTTPException(404, f"unknown code {code[:40]!r}")
        d = entry_dict(c)
        # what the code meant in the other eras, where it differs (the page shows it beside the entry)
        others = []
        for era in ERAS[1:]:
            entry, title, notes = era_meaning(tax, c, era)
            if entry is not None and entry is not tax.entries.get(c):  # another meaning altogether (WTO, 1970s)
                title = title or entry.title
            if title or notes:
                others.append(f"{era}: " + "; ".join(([title] if title else []) + notes))
        if others:
            d["era_meanings"] = others
        return d

    # --- the page -------------------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page():
        from .webpage import PAGE

        return PAGE.replace("{{version}}", __version__)

    @app.exception_handler(CabletagsError)
    async def refused(request: Request, exc: CabletagsError):  # the one map of the error family to HTTP statuses
        name = type(exc).__name__  # the heavy lane's errors (its module is imported only when the lanes run)
        status = 503 if isinstance(exc, DeadlineExceeded) or name == "LaneStopped" else \
            429 if name == "LaneBusy" else _HTTP_STATUS.get(exc.exit_code, 400)
        headers = {"Retry-After": "5"} if status == 429 else None
        return JSONResponse({"detail": str(exc).removeprefix("upload: ")[:300]}, status_code=status, headers=headers)

    @app.exception_handler(ValueError)
    async def bad_value(request: Request, exc: ValueError):  # bad input that slipped past validation: 400
        return JSONResponse({"detail": str(exc)[:200]}, status_code=400)

    return _SizeLimit(app, max_request_bytes)  # 0: no size limit; the read timeout and disconnect watch apply still


def _offline_docs(app) -> None:
    """/v1/docs with Swagger UI 5's files served from the package fastapi-offline (the serve extra; Swagger UI 4
    cannot read OpenAPI 3.1): the page asks no other host for anything, so the docs work without internet."""
    from importlib.resources import files

    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.staticfiles import StaticFiles

    assets = "/v1/static/swagger-ui"
    app.mount(assets, StaticFiles(directory=str(files("fastapi_offline") / "static")), name="swagger-ui")

    @app.get("/v1/docs", include_in_schema=False)
    def docs():
        return get_swagger_ui_html(openapi_url="/v1/openapi.json", title="cabletags API",
                                   swagger_js_url=f"{assets}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{assets}/swagger-ui.css",
                                   swagger_favicon_url=f"{assets}/favicon.png",
                                   swagger_ui_parameters={"validatorUrl": None})  # no badge from swagger.io


# exit code of the error family -> HTTP status: a kind of input the service cannot read (JSON Lines, a PDF without
# the pdf extra) 415, an input it cannot use 422, its own taxonomy or model unusable 503
_HTTP_STATUS = {EXIT_USAGE: 415, EXIT_INPUT: 422, EXIT_DATA: 503}


def create_app_from_env():
    """create_app() configured by CABLETAGS_SERVE_MODEL / _TAXONOMY / _OVERLAY (for uvicorn's workers)."""
    env = os.environ.get
    return create_app(env("CABLETAGS_SERVE_MODEL") or None, env("CABLETAGS_TAXONOMY") or None,
                      env("CABLETAGS_TAXONOMY_OVERLAY") or None, heavy_process=True)


def serve(host: str = "127.0.0.1", port: int = 8000, model=None, taxonomy=None, overlay=None,
          workers: int = 1) -> None:
    """Run the app on uvicorn until SIGTERM or Ctrl-C (requests in flight are finished first)."""
    import uvicorn

    # bounded: a connection that has not sent a request within READ_TIMEOUT_SECONDS is closed, idle keep-alive
    # connections after 5 s, and past MAX_CONNECTIONS at once the answer is 503
    bounds = dict(http=TimedH11Protocol, limit_concurrency=MAX_CONNECTIONS, timeout_keep_alive=5)
    if workers == 1:
        uvicorn.run(create_app(model, taxonomy, overlay, heavy_process=True), host=host, port=port,
                    log_level="info", **bounds)
        return
    for name, value in (("CABLETAGS_SERVE_MODEL", model), ("CABLETAGS_TAXONOMY", taxonomy),
                        ("CABLETAGS_TAXONOMY_OVERLAY", overlay)):
        if value:
            os.environ[name] = str(Path(value).resolve())
    uvicorn.run("cabletags.surfaces.service:create_app_from_env", factory=True, host=host, port=port, workers=workers,
                log_level="info", **bounds)

"""`cabletags serve`: the REST API and the web page (cabletags.surfaces.service.serve)."""
from __future__ import annotations

import click

from ..errors import MissingExtra
from .common import get_taxonomy, model_option

SERVE_PARTS = ("fastapi", "starlette", "uvicorn", "h11", "multipart", "python_multipart", "pydantic",
               "fastapi_offline")  # the serve extra


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@model_option
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1),
              help="Server processes, each loading the model once.")
@click.pass_context
def serve(ctx, host, port, model_path, workers):
    """Serve the Annif-compatible REST API (/v1/), its OpenAPI docs (/v1/docs) and a web page (/).

    Stops on Ctrl-C or SIGTERM after finishing the requests in flight.
    """
    try:
        from ..surfaces.service import serve as run
    except ImportError as e:  # a light install: the server's parts are the serve extra
        if e.name and e.name.split(".")[0] in SERVE_PARTS:
            raise MissingExtra.needs("serve", "cabletags serve") from None
        raise

    get_taxonomy(ctx)  # a bad --taxonomy fails here with exit 4, before the server starts
    root = ctx.find_root().obj or {}
    run(host, port, model_path, root.get("taxonomy"), root.get("overlay"), workers)

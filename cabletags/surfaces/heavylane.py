"""The service's heavy lane: long requests computed in a child process that the operating system serves last.

Why a process: a long request (a whole cable, a batch, a text of many paragraphs with explanations) holds the
interpreter lock for tens of milliseconds to seconds, and in the server's own process every short request (a
paragraph, a TAGS line) waits its turns behind it. In a child process at a lower CPU priority (nice +10) the short
requests run in the server's process at once, and the long ones get the CPU they leave.

The child is started with "spawn" (a fresh interpreter: forking a server that runs threads is not safe) and loads
the same model and taxonomy through its own Workspace. Work in the child still ends at the request's deadline, and
stops when the client goes away: the server writes the id of that request into a shared value the child's check
reads between blocks of paragraphs.
"""
from __future__ import annotations

import gc
import itertools
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from ..errors import CabletagsError

NICE = 10  # the child's CPU priority below the server's: short requests first
POLL_SECONDS = 0.2  # how often a waiting server thread looks whether its client went away
WATCH_SECONDS = 1.0  # how often a child looks whether its server is still there
WAITING = 4  # requests a lane holds waiting their turn by default; one more is refused (429, retry later)


class LaneStopped(CabletagsError):
    """The heavy lane's child process died (the request is answered 503; the lane starts a new child)."""


class LaneBusy(CabletagsError):
    """The lane's queue is full (answered 429 with Retry-After: the client may try again)."""


def _start(model, taxonomy, overlay, cancel, nice, server: int) -> None:
    """In the child: a lower priority, its own Workspace for the server's model and taxonomy (_ready loads them),
    and a watch that ends the child when its server process is gone (however the server ended)."""
    from ..workspace import Workspace, use_workspace

    threading.Thread(target=_watch, args=(server,), daemon=True, name="cabletags-lane-watch").start()
    try:
        os.nice(nice)
    except OSError:  # not permitted: the lane still works, at the server's priority
        pass
    ws = use_workspace(Workspace(taxonomy=taxonomy, overlay=overlay, model=model))
    ws.lane_cancel = cancel


def _watch(server: int) -> None:
    """Exit as soon as the server process that started this child is no longer its parent (it ended, even by
    SIGKILL, and the child was handed to another process)."""
    while os.getppid() == server:
        time.sleep(WATCH_SECONDS)
    os._exit(0)


def _ready(cables: bool) -> int:
    """In the child, before any request: the model (and the whole-cable model when the lane reads cables) loaded
    and checked; what goes wrong (a bad model: ModelError) is raised in the server, which then does not start."""
    from ..workspace import default_workspace

    s = default_workspace().suggester()
    s.suggest("warm up")
    if cables:
        s.cable_model
    return os.getpid()


def _call(task: int, what: str, args: tuple, seconds: float, ends: float) -> bytes:
    """In the child: one long request, its result as JSON bytes. what: "text" (work.suggest_text), "cable"
    (cable_result) or "batch" (work.annif_batch)."""
    from ..scoring.results import cable_result
    from ..workspace import default_workspace
    from .work import ClientGone, Deadline, annif_batch, json_bytes, suggest_text

    ws = default_workspace()
    s = ws.suggester()
    deadline = Deadline(seconds, ends=ends)  # the request's own: the time it waited counts

    def check():
        if ws.lane_cancel.value == task:
            raise ClientGone("the client went away; the work was stopped")
        deadline.check()

    if what == "text":
        return json_bytes(suggest_text(s, ws.taxonomy, *args, check=check))
    if what == "cable":
        return json_bytes(cable_result(s, *args))
    if what == "batch":
        return json_bytes(annif_batch(s, *args))
    raise ValueError(f"unknown heavy request {what!r}")


class HeavyLane:
    """Runs long requests in `workers` child processes (one by default) at a lower CPU priority `nice`, holding
    at most `waiting` more in its queue; `cables`: the children load the whole-cable model at start. (A client
    gone marks one shared task id: meant for one worker.)

    run(what, args, deadline) blocks the calling thread (a server thread) until the child answers with the result
    as JSON bytes; it raises what the child raised (DeadlineExceeded, ClientGone, an InputError), LaneBusy when
    `waiting` requests wait already, LaneStopped when the child died."""

    def __init__(self, model=None, taxonomy=None, overlay=None, workers: int = 1, waiting: int = WAITING,
                 nice: int = NICE, cables: bool = False):
        self._spec = (None if model is None else str(model), None if taxonomy is None else str(taxonomy),
                      None if overlay is None else str(overlay))
        self._workers = workers
        self._ctx = multiprocessing.get_context("spawn")
        self._cancel = self._ctx.Value("q", 0, lock=False)  # the id of the task whose client went away
        self._ids = itertools.count(1)
        self._waiting, self._nice, self._cables = waiting, nice, cables
        self._places = threading.BoundedSemaphore(workers + waiting)
        self._renew = threading.Lock()  # one new pool when the child died, however many threads saw it
        self._pool = self._new_pool()

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._renew:
            if self._pool is broken:
                self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(self._workers, mp_context=self._ctx, initializer=_start,
                                   initargs=(*self._spec, self._cancel, self._nice, os.getpid()))
        try:
            pool.submit(_ready, self._cables).result()  # the child has loaded the models before the first request
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        return pool

    def run(self, what: str, args: tuple, deadline) -> bytes:
        if not self._places.acquire(blocking=False):
            raise LaneBusy(f"the service is busy with {self._waiting} long requests waiting; try again in a few "
                           "seconds")
        try:
            return self._run(what, args, deadline)
        finally:
            self._places.release()

    def _run(self, what: str, args: tuple, deadline) -> bytes:
        deadline.check()  # a client gone already, or a deadline past: no work starts
        task = next(self._ids)
        pool = self._pool
        try:
            future = pool.submit(_call, task, what, args, deadline.seconds, deadline.ends)
        except RuntimeError:  # a broken pool (its child died while idle): start a new one
            self._replace(pool)
            pool = self._pool
            future = pool.submit(_call, task, what, args, deadline.seconds, deadline.ends)
        while True:
            try:
                return future.result(timeout=POLL_SECONDS)
            except FutureTimeout:
                if deadline.gone is not None and deadline.gone.is_set():
                    self._cancel.value = task  # the child stops at its next check
                    future.cancel()  # or never starts
                    deadline.check()  # raises ClientGone
                if time.monotonic() > deadline.ends + 5:  # the child's own deadline should have ended it
                    future.cancel()
                    deadline.check()  # raises DeadlineExceeded
            except Exception as e:
                from concurrent.futures.process import BrokenProcessPool

                if isinstance(e, BrokenProcessPool):
                    self._replace(pool)
                    raise LaneStopped("the long-request process stopped; try again") from e
                raise

    def close(self) -> None:
        """Stop the children: an idle one leaves when told, a busy one is ended (what it computes is for a client the
        server no longer answers)."""
        processes = list((getattr(self._pool, "_processes", None) or {}).values())
        self._pool.shutdown(wait=False, cancel_futures=True)
        for p in processes:
            p.join(timeout=2)
            if p.is_alive():
                p.terminate()
                p.join(timeout=5)
        self._pool.shutdown(wait=True)  # the children are gone: the pool's own thread ends and its queues close
        # its queues' semaphores are released when collected, not at exit: collect them now (else the resource
        # tracker warns of "leaked semaphore objects" when a uvicorn worker process ends)
        self._pool = None
        gc.collect()

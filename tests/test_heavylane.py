"""The service's heavy lanes: long requests computed in child processes at a lower CPU priority (issue 29).

Slow: each lane's child is a fresh interpreter that loads the model. The answers must be those the server's own
threads give; the bounds (paragraph limit, deadline, a client gone, a full queue, a child that died) must hold there
too."""
import json
import os
import signal
import threading
import time

import pytest

pytest.importorskip("fastapi")
pytestmark = pytest.mark.slow

from fastapi.testclient import TestClient  # noqa: E402

from cabletags.surfaces import work  # noqa: E402
from cabletags.surfaces.heavylane import HeavyLane, LaneBusy, LaneStopped  # noqa: E402
from cabletags.surfaces.service import PROJECT_ID, create_app  # noqa: E402

CABLE = """UNCLASSIFIED
SUBJECT: TRAFFICKING IN PERSONS REPORT
TAGS: KTIP, PHUM, PGOV, AJ

1. Summary: the government arrested traffickers and opened shelters for victims of trafficking in persons.

2. Labor inspectors found forced labor at construction sites; prosecutors opened cases against recruiters.
"""


@pytest.fixture(scope="module")
def clients():
    threads, lanes = create_app(), create_app(heavy_process=True)
    with TestClient(lanes) as c:  # the context runs the app's shutdown: the lanes' children stop
        yield TestClient(threads), c


def test_the_lanes_answer_as_the_threads_do(clients):
    threads, lanes = clients
    for body in ({"text": CABLE, "cable": True, "explain": True}, {"text": CABLE, "paragraphs": True},
                 {"text": CABLE, "explain": True}, {"text": CABLE, "paragraphs": True, "kinds": ["geographic"]},
                 {"text": CABLE, "cable": True, "kinds": ["subject", "program"]}):
        a, b = threads.post("/v1/suggest", json=body), lanes.post("/v1/suggest", json=body)
        assert a.status_code == b.status_code == 200 and a.json() == b.json(), body
    docs = {"documents": [{"text": CABLE, "document_id": "1"}, {"text": " ", "document_id": "2"}]}
    a = threads.post(f"/v1/projects/{PROJECT_ID}/suggest-batch", json=docs)
    b = lanes.post(f"/v1/projects/{PROJECT_ID}/suggest-batch", json=docs)
    assert a.json() == b.json() and b.json()[1]["results"] == []


def test_the_bounds_hold_in_the_lanes(clients):
    _, lanes = clients
    many = "\n\n".join(f"Further prose block number {n} about the trafficking cases." for n in range(1100))
    r = lanes.post("/v1/suggest", json={"text": many, "paragraphs": True})
    assert r.status_code == 422 and "at most" in r.json()["detail"]  # raised in the child, answered here


def test_deadline_client_gone_busy_and_a_dead_child():
    lane = HeavyLane(waiting=0)
    try:
        args = (CABLE, 5, None, False, True)
        # past its deadline before it starts: the child stops at its first check
        with pytest.raises(work.DeadlineExceeded):
            lane.run("text", args, work.Deadline(-1.0))
        # the client went away: the server thread returns at once, the child is told to stop
        gone = threading.Event()
        gone.set()
        t = time.monotonic()
        with pytest.raises(work.ClientGone):
            lane.run("text", args, work.Deadline(20.0, gone))
        assert time.monotonic() - t < 2
        # a full lane (one running, none may wait) refuses the next at once
        many = "\n\n".join(f"{n}. Traffickers were arrested, report {n}." for n in range(1, 999))
        slow = (many, 10, None, True, True)
        first = threading.Thread(target=lambda: lane.run("text", slow, work.Deadline(20.0)))
        first.start()
        time.sleep(0.3)
        with pytest.raises(LaneBusy):
            lane.run("text", args, work.Deadline(20.0))
        first.join()
        # the child died during a request: that one is answered as a stopped lane, the next one by a new child
        failed = []

        def doomed():
            try:
                lane.run("text", slow, work.Deadline(20.0))
            except LaneStopped as e:
                failed.append(e)

        victim = threading.Thread(target=doomed)
        victim.start()
        time.sleep(0.3)
        os.kill(next(iter(lane._pool._processes)), signal.SIGKILL)
        victim.join()
        assert failed
        assert json.loads(lane.run("text", args, work.Deadline(20.0)))["tags"]
    finally:
        lane.close()


def test_the_children_end_with_their_server():
    # a server that ends without closing its lanes (killed, say): the children notice and leave
    import subprocess
    import sys

    code = ("import os, sys; from cabletags.surfaces.heavylane import HeavyLane\n"
            "lane = HeavyLane()\n"
            "print(*[p.pid for p in lane._pool._processes.values()], flush=True)\n"
            "os._exit(0)\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    pids = [int(x) for x in p.stdout.split()]
    assert pids
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in pids)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True

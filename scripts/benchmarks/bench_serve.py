"""`cabletags serve` under load, on the loopback only: --requests suggest requests from --threads threads.

Starts `cabletags serve` on a free port of 127.0.0.1 (the shipped model), waits until it answers, sends the
requests (Annif's form-encoded suggest, the first substantive paragraph of corpus cables, limit 10), and
prints throughput, p50/p99 latency, errors and the server's peak memory (VmHWM); then stops it with
SIGTERM. Bounded: the requests are counted, each has a 60 s timeout, and the run stops after --max-seconds.

With --mixed, --threads clients (say 32) keep asking for --seconds (say 60): Annif's suggest for a paragraph
(70%), POST /v1/suggest for a whole cable (10%), Annif's suggest-batch of 8 paragraphs (10%) and hostile requests
(10%: bytes that are not JSON, a body over the size limit, a text of 5,000 paragraphs with explain); it prints, per
kind, the answers by status (-1: the connection closed by the server after it refused an oversized body while the
client was still sending it), p50/p99 latency, and the server errors (5xx or no answer, which must be none).

usage: python scripts/benchmarks/bench_serve.py [--corpus PATH] [--requests 400] [--threads 16] [--workers 1]
       python scripts/benchmarks/bench_serve.py --mixed --threads 32 --seconds 60
"""
from __future__ import annotations

import argparse
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from cabletags.cableformat import split_paragraphs  # noqa: E402
from cabletags.scoring.corpus import corpus_or_exit, read_corpus  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus")
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--max-seconds", type=float, default=300)
    ap.add_argument("--mixed", action="store_true", help="paragraphs, whole cables, batches and hostile bodies")
    ap.add_argument("--seconds", type=float, default=60, help="how long --mixed runs")
    ap.add_argument("--client-processes", type=int, default=1,
                    help="--mixed: spread the clients over this many processes (one Python process holding 32 client "
                         "threads adds its own lock waits to the latencies it measures)")
    a = ap.parse_args(argv)
    paras, cables = [], []
    for r in read_corpus(corpus_or_exit(a.corpus)):
        p = [q.text for q in split_paragraphs(r.get("body") or "") if len(q.text) >= 300]
        if p:
            paras.append(p[0])
            cables.append((r.get("preamble") or "") + "\n" + (r.get("body") or ""))
        if len(paras) == a.requests:
            break
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "cabletags", "serve", "--port", str(port), "--workers",
                               str(a.workers)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=str(ROOT))
    try:
        t0 = time.monotonic()
        while True:
            try:
                urllib.request.urlopen(base + "/v1/", timeout=2).read()
                break
            except OSError:
                if time.monotonic() - t0 > 60:
                    sys.exit("error: the server did not start within 60 s")
                time.sleep(0.1)
        start_s = time.monotonic() - t0
        deadline = time.monotonic() + a.max_seconds

        def ask(text):
            if time.monotonic() > deadline:
                return None, False
            data = urllib.parse.urlencode({"text": text, "limit": 10}).encode()
            t = time.perf_counter()
            try:
                with urllib.request.urlopen(base + "/v1/projects/cabletags/suggest", data=data, timeout=60) as r:
                    ok = r.status == 200 and bool(r.read())
            except OSError:
                ok = False
            return time.perf_counter() - t, ok

        if a.mixed:
            _mixed(base, paras, cables, a.threads, a.seconds, a.client_processes)
            peak = _peak_mb(server.pid, a.workers)
            print(f"server peak memory (VmHWM, all processes): {peak:.0f} MB")
            return
        t = time.perf_counter()
        with ThreadPoolExecutor(a.threads) as pool:
            answers = list(pool.map(ask, paras))
        wall = time.perf_counter() - t
        done = [x for x in answers if x[0] is not None]
        lat = sorted(x[0] for x in done)
        errors = sum(not ok for _, ok in done)
        peak = _peak_mb(server.pid, a.workers)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            code = "killed"
    print(f"server start (model load included)  : {start_s:.2f} s")
    print(f"{len(done)} suggest requests from {a.threads} threads, {a.workers} server process(es): {wall:.2f} s = "
          f"{len(done) / wall:,.0f} requests/s, {errors} error(s)")
    print(f"latency p50 {statistics.median(lat) * 1000:.0f} ms, p99 {lat[int(0.99 * (len(lat) - 1))] * 1000:.0f} ms")
    print(f"server peak memory (VmHWM, all processes): {peak:.0f} MB; exit code after SIGTERM: {code}")


def _post(url: str, data: bytes, content_type: str) -> int:
    req = urllib.request.Request(url, data=data, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except urllib.error.URLError as e:
        # the server answered (413 on the declared size) and closed while the client was still sending
        return -1 if isinstance(e.reason, (BrokenPipeError, ConnectionResetError)) else 0
    except (BrokenPipeError, ConnectionResetError):
        return -1
    except OSError:
        return 0  # no answer at all


def _clients(base: str, paras, cables, seeds, end: float):
    """Clients `seeds` (one thread each) asking until the monotonic clock passes `end`: (latencies, statuses) per
    kind of request."""
    import json
    import random
    import threading
    from collections import Counter, defaultdict

    lat, status = defaultdict(list), defaultdict(Counter)
    lock = threading.Lock()
    huge = "\n\n".join(f"{n}. Traffickers were arrested, report {n}." for n in range(1, 5001))

    def client(seed: int):
        rnd = random.Random(seed)
        while time.monotonic() < end:
            x = rnd.random()
            if x < 0.7:
                kind, url = "paragraph", base + "/v1/projects/cabletags/suggest"
                data, ctype = urllib.parse.urlencode({"text": rnd.choice(paras), "limit": 10}).encode(), \
                    "application/x-www-form-urlencoded"
            elif x < 0.8:
                kind, url = "whole cable", base + "/v1/suggest"
                data, ctype = json.dumps({"text": rnd.choice(cables), "cable": True}).encode(), "application/json"
            elif x < 0.9:
                kind, url = "batch of 8", base + "/v1/projects/cabletags/suggest-batch?limit=10"
                docs = [{"text": rnd.choice(paras), "document_id": str(i)} for i in range(8)]
                data, ctype = json.dumps({"documents": docs}).encode(), "application/json"
            else:
                kind, url, ctype = "hostile", base + "/v1/suggest", "application/json"
                data = rnd.choice([bytes(rnd.randrange(256) for _ in range(2000)), b"x" * (3 << 20),
                                   json.dumps({"text": huge, "paragraphs": True, "explain": True}).encode()])
            t = time.perf_counter()
            code = _post(url, data, ctype)
            with lock:
                lat[kind].append(time.perf_counter() - t)
                status[kind][code] += 1

    with ThreadPoolExecutor(len(seeds)) as pool:
        list(pool.map(client, seeds))
    return dict(lat), {k: dict(v) for k, v in status.items()}


def _mixed(base: str, paras, cables, threads: int, seconds: float, processes: int = 1) -> None:
    from collections import Counter, defaultdict
    from concurrent.futures import ProcessPoolExecutor

    lat, status = defaultdict(list), defaultdict(Counter)
    end = time.monotonic() + seconds
    groups = [list(range(threads))[i::processes] for i in range(processes)]
    t0 = time.perf_counter()
    if processes == 1:
        parts = [_clients(base, paras, cables, groups[0], end)]
    else:
        with ProcessPoolExecutor(processes) as pool:
            parts = list(pool.map(_clients, [base] * processes, [paras] * processes, [cables] * processes, groups,
                                  [end] * processes))
    wall = time.perf_counter() - t0
    for part_lat, part_status in parts:
        for k, v in part_lat.items():
            lat[k].extend(v)
        for k, v in part_status.items():
            status[k].update(v)
    total = sum(len(v) for v in lat.values())
    print(f"{total} requests from {threads} clients ({processes} client process(es)) in {wall:.1f} s = "
          f"{total / wall:,.1f} requests/s")
    server_errors = 0
    for kind in ("paragraph", "whole cable", "batch of 8", "hostile"):
        xs = sorted(lat[kind])
        if not xs:
            continue
        server_errors += sum(n for c, n in status[kind].items() if c >= 500 or c == 0)  # -1: closed on a refusal
        print(f"  {kind:12s} {len(xs):6d}  p50 {statistics.median(xs) * 1000:7.0f} ms  "
              f"p99 {xs[int(0.99 * (len(xs) - 1))] * 1000:7.0f} ms  statuses {dict(sorted(status[kind].items()))}")
    print(f"server errors (5xx or no answer): {server_errors}")


def _peak_mb(pid: int, workers: int) -> float:
    """Peak resident memory (VmHWM) of the server and every process under it: uvicorn's workers, the heavy lanes'
    children (the children of any of a process's threads), the resource tracker."""
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        for task in Path(f"/proc/{p}/task").glob("*") if Path(f"/proc/{p}/task").is_dir() else []:
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except (OSError, ValueError):
                pass
    total = 0.0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


if __name__ == "__main__":
    main()

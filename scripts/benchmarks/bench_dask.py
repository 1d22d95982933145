"""cabletags on Dask: the corpus x N through a LocalCluster of 1 and then 2 worker processes.

For each of normalize_records and suggest_records (whole cables, the shipped model): seconds, records/s and
the ratio of 2 workers to 1, on this machine; the output is checked against one process on a sample.
Workers are started before the clock (a real cluster is long-lived); each loads the model on its first
partition, which is timed.

usage: python scripts/benchmarks/bench_dask.py [--corpus PATH] [--copies 4] [--partitions 16]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cabletags.scoring.corpus import corpus_or_exit, read_corpus  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus")
    ap.add_argument("--copies", type=int, default=4)
    ap.add_argument("--partitions", type=int, default=16)
    a = ap.parse_args(argv)
    import dask.bag as db
    from distributed import Client, LocalCluster

    from cabletags import dask as ctdask
    from cabletags.scoring.suggester import Suggester
    from cabletags.surfaces import batch

    recs = [{"id": r["id"], "tags": r.get("tags"), "body": r.get("body") or ""}
            for r in read_corpus(corpus_or_exit(a.corpus))] * a.copies
    print(f"{len(recs)} records ({a.copies} copies of the corpus), {a.partitions} partitions")
    sample = recs[:300]
    want_n = list(batch.normalize_records(sample))
    want_s = list(batch.suggest_records(sample, Suggester.load(), limit=10))
    times = {}
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
                Client(cl) as client:
            bag = db.from_sequence(recs, npartitions=a.partitions)
            for what, run in (("normalize_records", lambda b: ctdask.normalize_records(b)),
                              ("suggest_records", lambda b: ctdask.suggest_records(b, "body", "id", limit=10))):
                t = time.perf_counter()
                n = run(bag).count().compute()
                times[(what, workers)] = time.perf_counter() - t
                assert n == len(recs)
            check = db.from_sequence(sample, npartitions=3)
            assert ctdask.normalize_records(check).compute() == want_n
            assert ctdask.suggest_records(check, "body", "id", limit=10).compute() == want_s
            loads = client.run(ctdask.worker_state)
            print(f"{workers} worker(s): model loads per worker {sorted(v['model'] for v in loads.values())}")
    print(f"{'':<20} {'1 worker':>18} {'2 workers':>18} {'ratio':>7}")
    for what in ("normalize_records", "suggest_records"):
        t1, t2 = times[(what, 1)], times[(what, 2)]
        print(f"{what:<20} {t1:>6.1f} s {len(recs) / t1:>7,.0f}/s {t2:>6.1f} s {len(recs) / t2:>7,.0f}/s {t1 / t2:>6.2f}x")
    print("(outputs equal to one process on a 300-record sample; LocalCluster, processes, 1 thread each)")


if __name__ == "__main__":
    main()

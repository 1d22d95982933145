"""cabletags.dask on a real LocalCluster of two worker processes: the same records as one process, the
model loaded once per worker."""
import json

import pytest
from tiny_corpus import make_records

# a real LocalCluster of worker processes per module: CI's slow step runs it (python -m pytest -m slow)
pytestmark = pytest.mark.slow

db = pytest.importorskip("dask.bag")
distributed = pytest.importorskip("distributed")

from cabletags import Suggester  # noqa: E402
from cabletags import dask as ctdask  # noqa: E402
from cabletags.surfaces import batch  # noqa: E402

CABLE = ("CONFIDENTIAL BAKU 000123\n\nTAGS: PREL, KTIP, AJ\nSUBJECT: SHELTERS OPEN\n\n"
         "1. (C) Trafficking victims reached two new shelters; traffickers face prosecution.\n")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def test_normalize_and_parse_records_are_what_one_process_gives(client):
    recs = [{"id": i, "tags": t, "text": CABLE if i % 3 == 0 else ""} for i, t in
            enumerate(["PGOV, prel", "OSCEPREF", None, "KTIPP, TERRORISM", "OVIP (POWELL, COLIN)"] * 8)]
    bag = db.from_sequence(recs, npartitions=5)
    assert ctdask.normalize_records(bag).compute() == list(batch.normalize_records(recs))
    assert ctdask.parse_records(bag).compute() == list(batch.parse_records(recs))


def test_suggest_records_load_the_model_once_per_worker(client, tiny):
    recs = make_records(n=60, seed=9) + [{"id": "c", "body": CABLE}, {"id": "none"}]
    s = Suggester.load(tiny / "model")
    want = list(batch.suggest_records(recs, s, limit=4))
    bag = db.from_sequence(recs, npartitions=12)
    got = ctdask.suggest_records(bag, "body", "id", limit=4, model=tiny / "model").compute()
    assert json.dumps(got) == json.dumps(want)  # the same records, byte for byte once serialized
    loads = client.run(ctdask.worker_state)
    assert sum(v["model"] for v in loads.values()) <= len(loads)  # 12 partitions, at most one load a worker
    cables = ctdask.suggest_records(bag, "body", "id", limit=4, cable=True, model=tiny / "model").compute()
    assert cables == list(batch.suggest_records(recs, s, limit=4, cable=True))
    assert all(v["model"] <= 1 for v in client.run(ctdask.worker_state).values())


def test_suggest_records_take_the_whole_cable_model(client, tiny_cable):
    from tiny_corpus import make_cables

    recs = [{"id": r["id"], "body": r["preamble"] + "\n" + r["body"]} for r in make_cables(n=12, seed=4)]
    model, cable_model = tiny_cable / "model", tiny_cable / "cable_model"
    bag = db.from_sequence(recs, npartitions=3)
    got = ctdask.suggest_records(bag, "body", "id", limit=4, cable=True, model=model, cable_model=cable_model).compute()
    want = list(batch.suggest_records(recs, Suggester.load(model, cable_path=cable_model), limit=4, cable=True))
    text_model = list(batch.suggest_records(recs, Suggester.load(model), limit=4, cable=True))
    assert got == want and got != text_model  # the whole-cable model read them, not the text model

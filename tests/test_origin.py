"""A whole cable's origin country (cabletags.scoring.origin): fitted share, raised scores, a country outside the
label space ranked beside the model's tags; bodies and models without the rule unchanged. Cables written here."""
import json
import shutil

import numpy as np
import pytest
from conftest import craft_model_json, run_cli

from cabletags import Suggester
from cabletags.scoring.model import TagModel
from cabletags.scoring.origin import MIN_CABLES, fit_origin_score, raise_origins


def _cable(post: str, serial: int, words: str) -> str:
    return (f"R 011200Z JAN 09\nFM AMEMBASSY {post}\nTO SECSTATE WASHDC\nUNCLAS {post} {serial:06d}\n\n"
            f"E.O. 12958: N/A\nTAGS: PREL\nSUBJECT: A MEETING\n\n1. (U) {words}\n\n2. (U) {words} again.\n")


BAKU = _cable("BAKU", 12, "military cooperation defense minister troops exercises navy army talks")
KL = _cable("KUALA LUMPUR", 34, "military cooperation defense minister troops exercises navy army talks")


def test_the_score_is_the_share_of_cables_carrying_their_origin_country():
    origins = ["AJ"] * 40 + ["MY"] * 20 + [None] * 30
    labels = [["AJ", "PREL"]] * 38 + [["PREL"]] * 2 + [["MY"]] * 17 + [["PREL"]] * 3 + [["AJ"]] * 30
    assert fit_origin_score(origins, labels) == round(55 / 60, 4)
    assert fit_origin_score(origins[:MIN_CABLES - 1], labels[:MIN_CABLES - 1]) is None  # too few to be a rate


def test_raise_origins_raises_and_selects_only_where_the_row_has_evidence():
    P = np.array([[0.9, 0.1, 0.2], [0.1, 0.95, 0.3], [0.2, 0.1, 0.1]], dtype=np.float32)
    S = P >= 0.5
    S[2] = False  # no evidence
    raise_origins(P, S, ["C", "B", "C"], ["A", "B", "C"], 0.8, 0.6)
    assert P[0, 2] == pytest.approx(0.8) and S[0, 2]
    assert P[1, 1] == pytest.approx(0.95) and S[1, 1]  # never lowered
    assert P[2, 2] == pytest.approx(0.8) and not S[2].any()


@pytest.fixture(scope="module")
def with_origin(tiny_cable, tmp_path_factory):
    d = tmp_path_factory.mktemp("origin") / "cable_model"
    shutil.copytree(tiny_cable / "cable_model", d)
    return craft_model_json(d, lambda doc: doc.update(origin_score=0.93))


def test_a_whole_cable_ranks_its_origin_country_label_or_not(tiny_cable, with_origin):
    plain = Suggester.load(tiny_cable / "model", cable_path=tiny_cable / "cable_model")
    s = Suggester.load(tiny_cable / "model", cable_path=with_origin)
    assert TagModel.load(with_origin).calibration.origin_score == pytest.approx(0.93)
    # Baku's country is a label: its score is raised to the origin score and it is selected
    before = {x["tag"]: x for x in plain.suggest_cable(BAKU, 10)["whole"]}
    after = {x["tag"]: x for x in s.suggest_cable(BAKU, 10)["whole"]}
    assert after["AJ"]["score"] == pytest.approx(max(0.93, before.get("AJ", {"score": 0})["score"]), abs=1e-4)
    assert after["AJ"]["selected"]
    assert {t: x["score"] for t, x in after.items() if t != "AJ"} == \
        {t: x["score"] for t, x in before.items() if t != "AJ" and t in after}
    # Malaysia has no label: it is ranked beside the model's tags, by its score, and is no longer "not in the model"
    d = s.suggest_cable(KL.replace("TAGS: PREL", "TAGS: PREL, MY, GM, IZ, AJ, KTIP, PHUM"), 5)
    json.dumps(d)  # plain numbers: what the CLI and the service print
    assert {x["tag"] for x in d["own_below"]} == {"PREL", "MY", "GM", "IZ", "AJ", "KTIP", "PHUM"} - \
        {x["tag"] for x in d["whole"]}
    ranks = [x["rank"] for x in d["own_below"]]
    assert len(set(ranks)) == len(ranks) and min(ranks) > 5
    tags = [x["tag"] for x in d["whole"]]
    assert "MY" in tags and len(tags) == 5 and "MY" not in d["not_in_model"]
    assert [x["score"] for x in d["whole"]] == sorted((x["score"] for x in d["whole"]), reverse=True)
    assert plain.suggest_cable(KL, 5)["whole"] != d["whole"]
    because = {x["tag"]: x["because"] for x in s.suggest_cable(KL, 5, explain=True)["whole"]}
    assert because["MY"][0] == "sent from Embassy Kuala Lumpur"
    # only for whole cables: a body is ranked as before; kinds without geographic codes leave it out
    assert s.suggest("military cooperation defense minister", 5) == plain.suggest("military cooperation defense "
                                                                                  "minister", 5)
    assert "MY" not in [x["tag"] for x in s.suggest_cable(KL, 5, kinds=["subject"])["whole"]]


def test_suggest_jsonl_cable_holds_the_origin_country(tiny_cable, with_origin, tmp_path):
    f = tmp_path / "cables.jsonl"
    f.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in (("a", BAKU), ("b", KL))))
    p = run_cli("suggest", "--jsonl", "--text-field", "text", "--cable", "--model", str(tiny_cable / "model"),
                "--cable-model", str(with_origin), str(f))
    assert p.returncode == 0, p.stderr
    rows = [json.loads(line) for line in p.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["a", "b"]
    assert "AJ" in [t["tag"] for t in rows[0]["tags"][:5]] and "MY" in [t["tag"] for t in rows[1]["tags"]]
    # the same records without --cable are bodies: no origin country
    p = run_cli("suggest", "--jsonl", "--text-field", "text", "--model", str(tiny_cable / "model"), str(f))
    assert "MY" not in p.stdout


def test_training_a_whole_cable_model_fits_the_origin_score(tmp_path):
    from tiny_corpus import make_records, write_jsonl

    recs = make_records(80, seed=3)
    posts = {"AJ": "BAKU", "GM": "BERLIN", "IZ": "BAGHDAD"}
    for i, r in enumerate(recs):
        place = r["tags"].split(", ")[-1]
        own = place if i % 4 else "PREL"  # three in four cables carry their post's country
        r["tags"] = r["tags"] if own == place else r["tags"].replace(f", {place}", "")
        r["preamble"] = f"FM AMEMBASSY {posts[place]}\nUNCLAS {posts[place]} {i:06d}\n\n{r['tags']}\nSUBJECT: TALKS"
    corpus = write_jsonl(tmp_path / "c.jsonl", recs)
    p = run_cli("train", "--jobs", "1", "--corpus", str(corpus), "--out", str(tmp_path / "m"), "--min-label-count",
                "5", "--validation-share", "0.3", "--reading", "cable")
    assert p.returncode == 0, p.stderr
    want = sum(1 for i in range(80) if i % 4) / 80
    assert TagModel.load(tmp_path / "m").calibration.origin_score == pytest.approx(want, abs=1e-4)
    assert "Origin country" in (tmp_path / "m" / "MODEL_CARD.md").read_text()

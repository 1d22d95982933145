"""`cabletags serve`: the API through the ASGI test client, annif-client against a live server on
127.0.0.1, the page in a real headless browser, and the server's own process (SIGTERM)."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import ROOT

from cabletags.surfaces.service import MAX_BATCH, PROJECT_ID, create_app

TRAFFICKING = ("Police arrested a ring of traffickers who forced young women into prostitution, and the government "
               "opened two shelters for trafficking victims.")
CABLE = ("CONFIDENTIAL ANKARA 000123\n\nTAGS: PREL, TU, IZ\nSUBJECT: TURKEY AND IRAQ DISCUSS BORDER SECURITY\n\n"
         "1. (C) Turkish officials met their Iraqi counterparts to discuss the security of the border.\n")


@pytest.fixture(scope="module")
def app():
    return create_app(max_request_bytes=200_000)


@pytest.fixture(scope="module")
def client(app):
    from fastapi.testclient import TestClient

    return TestClient(app)


def test_annif_api_shapes(client):
    assert client.get("/v1/").json()["title"].startswith("cabletags")
    projects = client.get("/v1/projects").json()["projects"]
    assert [p["project_id"] for p in projects] == [PROJECT_ID]
    assert client.get(f"/v1/projects/{PROJECT_ID}").json()["language"] == "en"
    r = client.post(f"/v1/projects/{PROJECT_ID}/suggest", data={"text": TRAFFICKING, "limit": 4})
    results = r.json()["results"]
    assert r.status_code == 200 and len(results) == 4 and results[0]["notation"] == "PHUM"
    assert results[0]["uri"].endswith("/PHUM") and results[0]["label"] == "Human Rights"
    assert [x["score"] for x in results] == sorted((x["score"] for x in results), reverse=True)
    high = client.post(f"/v1/projects/{PROJECT_ID}/suggest", data={"text": TRAFFICKING, "threshold": 0.9}).json()
    assert high["results"] and all(x["score"] >= 0.9 for x in high["results"])
    docs = {"documents": [{"text": TRAFFICKING, "document_id": "a"}, {"text": "budget deficit and inflation"}]}
    batch = client.post(f"/v1/projects/{PROJECT_ID}/suggest-batch?limit=2", json=docs).json()
    assert [d["document_id"] for d in batch] == ["a", None] and all(len(d["results"]) == 2 for d in batch)
    assert batch[0]["results"] == results[:2]


def test_bad_requests_get_clear_4xx_never_500(client):
    cases = [
        (client.get("/v1/projects/nope"), 404),
        (client.post("/v1/projects/nope/suggest", data={"text": "x"}), 404),
        (client.post(f"/v1/projects/{PROJECT_ID}/suggest", data={"text": "   "}), 400),
        (client.post(f"/v1/projects/{PROJECT_ID}/suggest", data={"text": "x", "limit": "many"}), 422),
        (client.post(f"/v1/projects/{PROJECT_ID}/suggest-batch", content=b"{not json",
                     headers={"content-type": "application/json"}), 422),
        (client.post(f"/v1/projects/{PROJECT_ID}/suggest-batch",
                     json={"documents": [{"text": "x"}] * (MAX_BATCH + 1)}), 422),
        (client.post("/v1/suggest", json={"text": ""}), 422),
        (client.post("/v1/suggest", json={"text": "x" * 300_000}), 413),
        (client.post("/v1/normalize", json={}), 400),
        (client.get("/v1/taxonomy/NOSUCHCODE"), 404),
        (client.get("/v1/taxonomy", params={"kind": "planet"}), 422),
        (client.get("/v1/decode"), 422),
    ]
    for i, (r, status) in enumerate(cases):
        assert r.status_code == status, (i, r.status_code, r.text[:200])
        assert isinstance(r.json()["detail"], (str, list))


def test_cabletags_endpoints(client):
    d = client.post("/v1/suggest", json={"text": TRAFFICKING, "explain": True, "limit": 3}).json()
    assert d["tags"][0]["tag"] == "PHUM" and d["tags"][0]["title"] == "Human Rights" and d["tags"][0]["because"]
    c = client.post("/v1/suggest", json={"text": CABLE, "cable": True, "limit": 5}).json()
    assert c["own_tags"] == ["PREL", "TU", "IZ"] and c["whole"][0]["tag"] in ("TU", "IZ") and c["whole"][0]["own"]
    p = client.post("/v1/suggest", json={"text": "1. (C) Troops.\n\n2. (U) Budget.", "paragraphs": True}).json()
    assert [x["number"] for x in p["paragraphs"]] == [1, 2]
    n = client.post("/v1/normalize", json={"lines": ["OSCEPREF, KTIPP", "prel"]}).json()["results"]
    assert n[0]["codes"] == ["OSCE", "PREF", "KTIP"] and n[1]["codes"] == ["PREL"]
    dec = client.get("/v1/decode", params={"item": ["KTIP", "AJ"]}).json()["results"]
    assert [x["title"] for x in dec] == ["Trafficking in Persons", "Azerbaijan"]
    old = client.get("/v1/decode", params={"item": ["UR", "CH"], "era": "1970s"}).json()["results"]
    assert [x["title"] for x in old] == ["Soviet Union", "China (Mainland)"]
    assert client.get("/v1/decode", params={"item": "CH", "era": "1990s"}).status_code == 422
    assert client.get("/v1/taxonomy/RU").json()["code"] == "RS"
    hits = client.get("/v1/taxonomy", params={"q": "trafficking", "limit": 5}).json()["results"]
    assert "KTIP" in [h["code"] for h in hits]
    assert client.get("/v1/taxonomy", params={"kind": "program", "limit": 3}).json()["results"][0]["kind"] == "program"
    assert client.post("/v1/parse", json={"text": CABLE}).json()["subject"].startswith("TURKEY AND IRAQ")
    paths = client.get("/v1/openapi.json").json()["paths"]
    assert {"/v1/projects/{project_id}/suggest", "/v1/suggest", "/v1/taxonomy/{code}"} <= set(paths)
    page = client.get("/").text
    assert "<label for=\"text\">" in page
    # nothing loaded from elsewhere: no external scripts, styles, images or fonts
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page) and "@import" not in page


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live(app):
    """The app on a real uvicorn server on 127.0.0.1 (a free port), stopped after the tests."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_annif_client_against_a_live_server(live):
    from annif_client import AnnifClient

    annif = AnnifClient(api_base=live + "/v1/")
    assert annif.api_info["version"]
    assert [p["project_id"] for p in annif.projects] == [PROJECT_ID]
    assert annif.get_project(PROJECT_ID)["project_id"] == PROJECT_ID
    with pytest.raises(ValueError, match="not found"):
        annif.get_project("nope")
    results = annif.suggest(PROJECT_ID, TRAFFICKING, limit=3)
    assert [r["notation"] for r in results][0] == "PHUM" and {"uri", "label", "notation", "score"} <= set(results[0])
    batch = annif.suggest_batch(PROJECT_ID, [{"text": TRAFFICKING, "document_id": "d1"}], limit=3)
    assert batch[0]["document_id"] == "d1" and batch[0]["results"] == results


def test_concurrent_requests_share_one_model(live):
    def ask(i):
        data = json.dumps({"text": TRAFFICKING if i % 2 else "budget deficit and inflation", "limit": 3}).encode()
        req = urllib.request.Request(live + "/v1/suggest", data=data, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())["tags"][0]["tag"]

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(ask, range(48)))
    assert all(s == 200 for s, _ in answers)
    assert {t for i, (_, t) in enumerate(answers) if i % 2} == {"PHUM"}
    assert {t for i, (_, t) in enumerate(answers) if not i % 2} == {"ECON"}


CHROMIUM, CHROMEDRIVER = shutil.which("chromium") or "/usr/bin/chromium", shutil.which("chromedriver") or ""


needs_browser = pytest.mark.skipif(not (os.path.exists(CHROMIUM) and CHROMEDRIVER),
                                   reason="needs Debian's chromium and chromium-driver (.ci/run installs them)")


@needs_browser
@pytest.mark.slow
def test_the_page_in_a_real_browser(live):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,1400"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    try:
        driver.get(live + "/")
        assert "cabletags" in driver.title
        driver.find_element(By.ID, "text").send_keys(TRAFFICKING)
        driver.find_element(By.ID, "suggest-button").click()
        wait = WebDriverWait(driver, 30)
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#suggest-out td.tag")))
        tags = [td.text for td in driver.find_elements(By.CSS_SELECTOR, "#suggest-out td.tag")]
        assert tags[0] == "PHUM" and len(tags) == 10
        # the TAGS-line form, driven by the keyboard: Enter submits it
        line = driver.find_element(By.ID, "tags-line")
        line.send_keys("TAGS: PGOV, PRELL, OSCEPREF\n")
        wait.until(EC.text_to_be_present_in_element((By.ID, "repaired-codes"), "PGOV"))
        assert driver.find_element(By.ID, "repaired-codes").text == "PGOV, PREL, OSCE, PREF"
        assert "typo: PRELL" in driver.find_element(By.ID, "repair-out").text
        # a taxonomy lookup: a readable entry (words and fields a reader knows), never the record's raw JSON
        driver.find_element(By.CSS_SELECTOR, "#suggest-out td.tag a").click()
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#browse-out dl.entry")))
        entry = driver.find_element(By.ID, "browse-out").text
        assert "PHUM: Human Rights" in entry and "Kind" in entry and "Source" in entry and "{" not in entry
        # a cable uploaded as a file (Windows-1252), read whole: its own tags and paragraph by paragraph
        upload = ROOT / "test-artifacts" / "cable.txt"
        upload.parent.mkdir(exist_ok=True)
        upload.write_bytes(("UNCLAS BAKU 000123\n\nTAGS: PREL, KTIP, AJ\nSUBJECT: SHELTERS \u2013 OPEN\n\n1. (U) " +
                            TRAFFICKING + "\n\n2. (U) The ministers discussed the elections.\n").encode("cp1252"))
        driver.find_element(By.ID, "file").send_keys(str(upload))
        wait.until(lambda d: "SHELTERS" in d.find_element(By.ID, "text").get_attribute("value"))
        assert "SHELTERS \u2013 OPEN" in driver.find_element(By.ID, "text").get_attribute("value")  # cp1252 read
        driver.find_element(By.ID, "cable").click()
        driver.find_element(By.ID, "suggest-button").click()
        wait.until(EC.text_to_be_present_in_element((By.ID, "suggest-out"), "Paragraph by paragraph"))
        out = driver.find_element(By.ID, "suggest-out").text
        assert "Its own tags: PREL, KTIP, AJ" in out
        assert len(driver.find_elements(By.CSS_SELECTOR, "#suggest-out h3 + table tbody tr")) == 2
        artifacts = ROOT / "test-artifacts"
        artifacts.mkdir(exist_ok=True)
        driver.save_screenshot(str(artifacts / "webpage.png"))
        assert (artifacts / "webpage.png").stat().st_size > 10_000
    finally:
        driver.quit()


@needs_browser
@pytest.mark.slow
def test_the_api_docs_render_with_the_network_cut(live, client):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    html = client.get("/v1/docs").text
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)  # every asset from this server
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    # no name resolves but this machine's: a page that needed a CDN would stay blank
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu",
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    try:
        driver.get(live + "/v1/docs")
        WebDriverWait(driver, 30).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".opblock")))
        paths = {e.text for e in driver.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
        assert {"/v1/suggest", "/v1/normalize", "/v1/decode", "/v1/projects/{project_id}/suggest"} <= paths
    finally:
        driver.quit()


@pytest.mark.slow
def test_serve_stops_cleanly_on_sigterm(tmp_path):
    port = _free_port()
    p = subprocess.Popen([sys.executable, "-m", "cabletags", "serve", "--port", str(port)], cwd=str(ROOT),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("server did not start")
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=20) == 0
        assert b"Traceback" not in p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()


def test_read_an_uploaded_file_as_the_cli_reads_it(client):
    from test_reading import TELEGRAM, cablegate_2011

    r = client.post("/v1/read", files={"file": ("x.txt", TELEGRAM.encode("cp1252"))})
    d = r.json()
    assert r.status_code == 200 and d["encoding"] == "cp1252" and "\ufffd" not in d["text"]
    assert d["cable"]["reference_id"] == "09PARIS77" and [p["number"] for p in d["cable"]["paragraphs"]] == [1, 2, 3]
    page = client.post("/v1/read", files={"file": ("p.html", cablegate_2011(TELEGRAM).encode())}).json()
    assert page["layout"] == "cablegate" and "Browse by tag" not in page["text"]  # the cable, not the page
    bad = client.post("/v1/read", files={"file": ("c.jsonl", b'{"id": 1}\n{"id": 2}\n')})
    assert bad.status_code == 415 and "--jsonl" in bad.json()["detail"]
    # what the CLI refuses, the service refuses the same way: nothing to read, another format's document
    for data, words in ((b"  \n ", "empty input"), (b"{\\rtf1 TAGS: PREL}", "RTF"), (b"PK\x03\x04" + bytes(20), "ZIP")):
        r = client.post("/v1/read", files={"file": ("f", data)})
        assert r.status_code == 422 and words in r.json()["detail"], data


@pytest.mark.slow
def test_endpoints_take_any_text_and_bytes_without_a_server_error(client):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from cabletags.surfaces.service import PROJECT_ID

    texts = st.one_of(st.text(max_size=400), st.sampled_from(["TAGS: ", "1. ", "<pre>", "\u00b6", "{"]).map(
        lambda m: m * 500))

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(texts, st.binary(max_size=400))
    def check(text, data):
        answers = [client.post("/v1/suggest", json={"text": text, "limit": 3, "paragraphs": True}),
                   client.post("/v1/suggest", json={"text": text, "cable": True, "limit": 3}),
                   client.post("/v1/parse", json={"text": text}),
                   client.post("/v1/normalize", json={"line": text}),
                   client.get("/v1/decode", params={"code": text[:50] or "X"}),
                   client.post(f"/v1/projects/{PROJECT_ID}/suggest", data={"text": text}),
                   client.post("/v1/read", files={"file": ("f", data)})]
        for r in answers:
            assert r.status_code < 500, (r.request.url, r.status_code, r.text[:200])

    check()


def test_paragraph_work_is_bounded(client, monkeypatch):
    from cabletags.surfaces import service, work

    text = "\n\n".join(f"{n}. Traffickers were arrested in the capital, report {n}." for n in range(1, 13))
    monkeypatch.setattr(work, "MAX_PARAGRAPHS", 5)
    r = client.post("/v1/suggest", json={"text": text, "paragraphs": True})
    assert r.status_code == 422 and "at most 5" in r.json()["detail"]
    monkeypatch.setattr(work, "MAX_PARAGRAPHS", 1000)
    monkeypatch.setattr(service, "DEADLINE_SECONDS", -1.0)  # past before it starts: stopped at the first check
    r = client.post("/v1/suggest", json={"text": text, "paragraphs": True, "explain": True})
    assert r.status_code == 503 and "longer than" in r.json()["detail"]
    monkeypatch.setattr(service, "DEADLINE_SECONDS", 20.0)
    r = client.post("/v1/suggest", json={"text": text, "paragraphs": True, "explain": True})
    assert r.status_code == 200 and len(r.json()["paragraphs"]) == 12
    assert all("because" in t for p in r.json()["paragraphs"] for t in p["tags"])


@pytest.mark.slow
def test_half_sent_requests_are_closed(app, monkeypatch):
    import uvicorn

    from cabletags.surfaces import service

    monkeypatch.setattr(service, "READ_TIMEOUT_SECONDS", 1.0)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           http=service.TimedH11Protocol))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        with socket.create_connection(("127.0.0.1", port)) as s:  # headers begun, never finished
            s.sendall(b"POST /v1/suggest HTTP/1.1\r\nHost: x\r\n")
            s.settimeout(10)
            t0 = time.monotonic()
            assert s.recv(1024) == b"" and time.monotonic() - t0 < 5  # closed by the server
        with socket.create_connection(("127.0.0.1", port)) as s:  # a body that stops coming
            s.sendall(b"POST /v1/suggest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 100\r\n\r\n{\"text\": ")
            s.settimeout(10)
            answer = s.recv(4096)
            assert answer.split(b" ")[1] in (b"400", b"408")  # answered, never waited on forever
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_one_result_for_the_cli_the_api_and_the_service(client):
    """The same input gives the same JSON from `suggest --format json`, the Python API and POST /v1/suggest."""
    from conftest import run_cli

    from cabletags import Suggester
    from cabletags.scoring.results import cable_result, text_result

    text = TRAFFICKING + "\n\n2. Officials met the visiting delegation to discuss the elections."
    s = Suggester.load()
    for flags, body in (([], {}), (["--paragraphs"], {"paragraphs": True}), (["--explain"], {"explain": True}),
                        (["--paragraphs", "--explain"], {"paragraphs": True, "explain": True})):
        cli = run_cli("suggest", "-", "--format", "json", "--limit", "7", *flags, input=text)
        assert cli.returncode == 0, cli.stderr
        api = text_result(s, text, 7, None, "explain" in body, s.paragraphs(text) if "paragraphs" in body else None)
        service = client.post("/v1/suggest", json={"text": text, "limit": 7, **body}).json()
        assert json.loads(cli.stdout) == api == service, flags
    cable = ("UNCLAS BAKU 000123\n\nSIPDIS\n\nE.O. 12958: N/A\nTAGS: PREL, KTIP, AJ\nSUBJECT: SHELTERS OPEN\n\n"
             "1. (U) " + TRAFFICKING + "\n")
    cli = run_cli("suggest", "--cable", "-", "--format", "json", "--limit", "6", "--explain", input=cable)
    service = client.post("/v1/suggest", json={"text": cable, "limit": 6, "cable": True, "explain": True}).json()
    assert json.loads(cli.stdout) == cable_result(s, cable, 6, None, True) == service
    assert all(w["because"] and "uri" in w for w in service["whole"])


@pytest.mark.slow
def test_work_stops_when_the_client_goes_away(monkeypatch):
    import uvicorn

    from cabletags.scoring import results
    from cabletags.surfaces import work

    stopped = []
    original = results.text_result

    def recording(*args, **kwargs):
        try:
            return original(*args, **kwargs)
        except work.ClientGone:
            stopped.append(time.monotonic())
            raise

    monkeypatch.setattr(results, "text_result", recording)
    app = create_app()
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        text = "\n\n".join(f"{n}. Traffickers were arrested in the capital, report {n}." for n in range(1, 1001))
        body = json.dumps({"text": text, "paragraphs": True, "explain": True}).encode()
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(b"POST /v1/suggest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: %d\r\n\r\n" % len(body) + body)
            time.sleep(0.2)  # the work has begun; the client leaves
        gone_at = time.monotonic()
        while not stopped and time.monotonic() - gone_at < 10:
            time.sleep(0.05)
        assert stopped and stopped[0] - gone_at < 5  # stopped at the next block, not run to its end
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_the_page_form_is_labelled_for_assistive_technology():
    """WCAG 2.1 AA basics the markup must hold: the language declared, every form control labelled (1.3.1, 4.1.2),
    every button named, result regions announced (4.1.3), errors as alerts."""
    from lxml import html

    from cabletags.surfaces.webpage import PAGE

    doc = html.fromstring(PAGE)
    assert doc.get("lang") == "en"
    labels = {label.get("for") for label in doc.iter("label")}
    controls = doc.xpath("//input|//select|//textarea")
    assert controls and all(c.get("id") in labels or c.get("aria-label") for c in controls)
    assert all((b.text or "").strip() or b.get("aria-label") for b in doc.xpath("//button"))
    assert {d.get("id") for d in doc.xpath("//*[@aria-live]")} >= {"suggest-out", "repair-out", "browse-out"}
    assert "role=alert" in PAGE  # errors are announced, not only coloured

"""The HTTP service: through FastAPI's TestClient, and as a real `verbalize serve` process."""

from __future__ import annotations

import base64
import io
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser_fixtures import FAST, ROOT, fast_config, free_port, image_service, serve_process, wait_healthy
from fastapi.testclient import TestClient
from PIL import Image

from verbalize.pipeline.image.samples import sample_path
from verbalize.service.app import ServiceSettings, create_app
from verbalize.store import Store

TOKEN = "test-token-4f8a"


def _app(tmp: Path, **kwargs: Any):
    settings = kwargs.pop("settings", ServiceSettings(max_concurrency=1, max_request_mb=1, input_roots=[str(tmp)]))
    return create_app(fast_config(), runs_dir=tmp / "runs", settings=settings, image_service=image_service(), **kwargs)


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("service")


@pytest.fixture(scope="module")
def client(tmp: Path):
    with TestClient(_app(tmp, api_token="")) as c:
        yield c


@pytest.fixture(scope="module")
def secured(tmp: Path):
    with TestClient(_app(tmp / "secured", api_token=TOKEN)) as c:
        yield c


def _upload(name: str = "chelsea", **form: str) -> dict[str, Any]:
    return {"files": {"file": (f"{name}.png", sample_path(name).read_bytes(), "image/png")}, "data": form}


def _wait_job(get, job_id: str, until: Any, timeout: float = 300.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = get(f"/v1/jobs/{job_id}").json()
        if until(job):
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not get there in {timeout} s: {job}")


def test_explain_image_round_trip_and_503_when_saturated(client: TestClient) -> None:
    gate = client.app.state.gate
    answers: dict[str, httpx.Response] = {}
    first = threading.Thread(target=lambda: answers.setdefault("first", client.post(
        "/v1/explain/image", **_upload(method="gradcam", segmenter="grabcut", verbalizer="template"))))
    first.start()
    deadline = time.monotonic() + 30
    while gate.in_flight == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gate.in_flight == 1
    busy = client.post("/v1/explain/image", **_upload("coffee"))
    assert busy.status_code == 503
    assert int(busy.headers["Retry-After"]) >= 1
    assert "busy" in busy.json()["error"]
    first.join(timeout=300)
    r = answers["first"]
    assert r.status_code == 200, r.text
    body = r.json()
    ex = body["explanation"]
    assert ex["prediction"]["label"] == "Egyptian cat"
    assert ex["attribution"]["method"] == "gradcam" and ex["segment"]["method"] == "grabcut"
    assert ex["verbalizations"][0]["verbalizer"] == "template"
    assert ex["verbalizations"][0]["verification"]["fidelity"] == 1.0
    for key in ("overlay_png", "segment_png"):
        picture = Image.open(io.BytesIO(base64.b64decode(body[key])))
        assert picture.format == "PNG" and picture.size == (451, 300)
    assert gate.in_flight == 0


def test_options_are_checked_before_any_work(client: TestClient) -> None:
    cases = {"not json": ({"options": "{nope"}, "options: not JSON"),
             "unknown key": ({"options": '{"colour": "red"}'}, "colour"),
             "unknown method": ({"method": "telepathy"}, "unknown saliency method"),
             "bad segmenter": ({"options": '{"segmenter": "scissors"}'}, "segmenter")}
    for name, (form, needle) in cases.items():
        r = client.post("/v1/explain/image", **_upload(**form))
        assert r.status_code == 400, name
        assert needle in r.json()["error"], (name, r.json())


def test_bad_uploads_get_a_json_4xx(client: TestClient) -> None:
    not_image = client.post("/v1/explain/image", files={"file": ("cat.png", b"GIF89a but not really", "image/png")})
    assert not_image.status_code == 422
    assert not_image.json() == {"error": "cat.png: not an image (unrecognised format)"}
    empty = client.post("/v1/explain/image", files={"file": ("../../etc/passwd", b"", "image/png")})
    assert empty.status_code == 422 and empty.json()["error"] == "passwd: empty upload (0 bytes)"
    missing = client.post("/v1/explain/image", data={"method": "gradcam"})
    assert missing.status_code == 422 and "file" in missing.json()["error"]
    wrong_type = client.post("/v1/explain/image", **_upload(seed="seven"))
    assert wrong_type.status_code == 422 and "seed" in wrong_type.json()["error"]
    for r in (not_image, empty, missing, wrong_type):
        assert "Traceback" not in r.text and r.headers["content-type"] == "application/json"


def test_request_size_limit_gives_413(client: TestClient) -> None:
    big = b"\x89PNG" + b"0" * 1_100_000
    r = client.post("/v1/explain/image", files={"file": ("big.png", big, "image/png")})
    assert r.status_code == 413 and "1 MB limit" in r.json()["error"]

    def chunks():  # no Content-Length: the body is counted as it streams in
        for _ in range(12):
            yield b"x" * 100_000

    r = client.post("/v1/jobs", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"].startswith("request body over")


def test_bearer_token_guards_every_v1_route(secured: TestClient) -> None:
    for method, path in (("get", "/v1/jobs"), ("post", "/v1/explain/image"), ("post", "/v1/explain/text"),
                         ("get", "/v1/jobs/x/report")):
        r = getattr(secured, method)(path)
        assert r.status_code == 401, path
        assert r.headers["WWW-Authenticate"] == "Bearer"
        assert r.json() == {"error": "missing or wrong bearer token"}
    assert secured.get("/v1/jobs", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert secured.get("/v1/jobs", headers={"Authorization": TOKEN}).status_code == 401  # scheme required
    ok = secured.get("/v1/jobs", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200 and ok.json() == []
    health = secured.get("/healthz")
    assert health.status_code == 200 and TOKEN not in health.text
    assert secured.get("/").status_code == 200  # the page loads; its API calls carry the token


class _Texts:
    """A stand-in text processor that fails on demand: the error handling is what is tested."""

    def explain_text(self, text: str, label: str | None, options: dict[str, Any]) -> dict[str, Any]:
        if text == "boom":
            raise RuntimeError("secret detail from /srv/models")
        return {"text": text, "label": label, "options": options, "tokens": text.split()}

    def self_explanations(self, texts: list[str], options: dict[str, Any]) -> dict[str, Any]:
        return {"n": len(texts)}


def test_text_routes_run_the_text_journey(tmp: Path) -> None:
    app = _app(tmp / "text")
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.post("/v1/explain/text", json={"text": "The movie was great but the ending was awful",
                                               "options": {"model": "vader", "methods": ["occlusion"], "target": "positive"}})
        assert r.status_code == 200, r.text
        body = r.json()
        scores = dict(zip(body["tokens"], body["attributions"][0]["scores"], strict=True))
        assert scores["great"] > 0 > scores["awful"] and scores["movie"] == 0
        r = c.post("/v1/self-explanations", json={
            "texts": ["A wonderful, moving film."],
            "options": {"strategies": ["predict-only"], "methods": ["occlusion"], "max_tokens": 8}})
        assert r.status_code == 200, r.text
        item = r.json()["items"][0]
        assert item["text"] == "A wonderful, moving film." and item["tokens"] == ["A", "wonderful,", "moving", "film."]
        bad = c.post("/v1/explain/text", json={"text": "fine", "options": {"model": "/etc/passwd"}})
        assert bad.status_code == 400 and "not served here" in bad.json()["error"]
        assert c.post("/v1/explain/text", json={"text": "fine", "options": {"nope": 1}}).status_code == 400


def test_text_route_errors_are_json_without_tracebacks(tmp: Path) -> None:
    app = _app(tmp / "text-errors")
    with TestClient(app, raise_server_exceptions=False) as c:
        app.state.text_processor = _Texts()  # a processor that fails on demand
        r = c.post("/v1/explain/text", json={"text": "a fine film", "label": "positive", "options": {"k": 1}})
        assert r.status_code == 200
        assert r.json() == {"text": "a fine film", "label": "positive", "options": {"k": 1}, "tokens": ["a", "fine", "film"]}
        assert c.post("/v1/self-explanations", json={"texts": ["a", "b"]}).json() == {"n": 2}
        assert c.post("/v1/explain/text", json={"text": ""}).status_code == 422
        assert c.post("/v1/explain/text", json={"text": "x" * 20_001}).status_code == 400
        boom = c.post("/v1/explain/text", json={"text": "boom"})
        assert boom.status_code == 500
        assert boom.json() == {"error": "internal error; the server log has the details"}
        assert "secret detail" not in boom.text and "Traceback" not in boom.text


def test_job_create_status_report(client: TestClient, tmp: Path) -> None:
    folder = tmp / "job-images"
    folder.mkdir()
    shutil.copy(sample_path("chelsea"), folder / "chelsea.png")
    (folder / "broken.png").write_bytes(b"not an image")
    r = client.post("/v1/jobs", json={"input": str(folder), "name": "cats", "options": {"method": "gradcam"},
                                      "config": FAST})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["id"] == "cats" and job["progress"]["total"] == 2 and job["report_url"] == "/v1/jobs/cats/report"
    job = _wait_job(client.get, "cats", lambda j: j["status"] == "done")
    assert job["progress"] == {"total": 2, "done": 1, "failed": 1, "pending": 0}
    assert [j["id"] for j in client.get("/v1/jobs").json()] == ["cats"]
    report = client.get("/v1/jobs/cats/report")
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    assert "script-src" not in report.headers["content-security-policy"]  # default-src 'none': no scripts
    assert "Egyptian cat" in report.text and "not an image" in report.text
    assert (tmp / "runs" / "cats" / "run.json").is_file()  # `verbalize report runs/cats` finds it too

    assert client.post("/v1/jobs", json={"input": str(folder), "name": "cats"}).status_code == 409
    assert client.get("/v1/jobs/nope").status_code == 404
    outside = client.post("/v1/jobs", json={"input": "/etc"})
    assert outside.status_code == 403 and "outside the folders" in outside.json()["error"]
    unsafe = client.post("/v1/jobs", json={"input": str(folder), "config": {"model.name": "/tmp/evil.pt"}})
    assert unsafe.status_code == 400 and "cannot be set per job" in unsafe.json()["error"]
    assert client.post("/v1/jobs", json={"input": str(folder), "name": "../x"}).status_code == 400
    assert client.post("/v1/jobs", json={"input": str(tmp / "missing")}).status_code == 422


def test_job_from_uploaded_files_keeps_names_inside_the_run(client: TestClient, tmp: Path) -> None:
    r = client.post("/v1/jobs/upload", files=[("files", ("../../../escape.png", b"not an image", "image/png"))],
                    data={"name": "uploads", "method": "gradcam"})
    assert r.status_code == 202, r.text
    job = _wait_job(client.get, "uploads", lambda j: j["status"] == "done")
    assert job["progress"]["failed"] == 1
    assert [p.name for p in (tmp / "runs" / "uploads" / "inputs").iterdir()] == ["0001-escape.png"]
    assert not (tmp / "escape.png").exists()


# ---------------------------------------------------------------- a real `verbalize serve`


def test_real_uvicorn_process_serves_healthz_explain_and_docs(tmp_path: Path) -> None:
    port = free_port()
    proc = serve_process(port, tmp_path / "runs", config={"facts": {"curve_steps": 4}})
    base = f"http://127.0.0.1:{port}"
    try:
        health = wait_healthy(base, proc=proc)
        assert health["model"] == "efficientnet-lite0" and health["text"] is True
        r = httpx.post(f"{base}/v1/explain/image", timeout=300,
                       files={"file": ("coffee.png", sample_path("coffee").read_bytes(), "image/png")})
        assert r.status_code == 200, r.text
        assert r.json()["explanation"]["prediction"]["label"] == "espresso"
        docs = httpx.get(f"{base}/docs")
        assert docs.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in docs.text
        assert httpx.get(f"{base}/docs-assets/swagger-ui-bundle.js").status_code == 200
        assert "/v1/explain/image" in httpx.get(f"{base}/openapi.json").json()["paths"]
    finally:
        proc.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal it caught: exit status -SIGTERM.
        assert proc.wait(timeout=60) in (0, -signal.SIGTERM)


def test_serve_refuses_a_public_address_without_a_token() -> None:
    env = {k: v for k, v in os.environ.items() if k != "VERBALIZE_API_TOKEN"}
    r = subprocess.run([sys.executable, "-m", "verbalize.cli", "serve", "--host", "0.0.0.0"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert r.stderr.strip() == ("error: refusing to listen on 0.0.0.0 without VERBALIZE_API_TOKEN: "
                                "set a token, or use --host 127.0.0.1")


def test_a_job_cut_off_by_a_restart_resumes_and_finishes(tmp_path: Path) -> None:
    images = tmp_path / "images"
    images.mkdir()
    for n, name in enumerate(["chelsea", "coffee", "chelsea"]):
        shutil.copy(sample_path(name), images / f"{n}-{name}.png")
    runs = tmp_path / "runs"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"VERBALIZE_API_TOKEN": TOKEN}
    auth = {"Authorization": f"Bearer {TOKEN}"}
    first = serve_process(port, runs, "--input-root", str(images), env=env)
    try:
        wait_healthy(base, proc=first)
        r = httpx.post(f"{base}/v1/jobs", headers=auth, json={"input": str(images), "name": "restart", "config": FAST})
        assert r.status_code == 202, r.text
        job = _wait_job(lambda p: httpx.get(base + p, headers=auth), "restart",
                        lambda j: j["progress"]["done"] >= 1)
        assert job["progress"]["pending"] >= 1, "the job must still be running when the service is killed"
    finally:
        first.kill()  # SIGKILL: no shutdown handler runs
        first.wait(timeout=30)
    second = serve_process(port, runs, "--input-root", str(images), env=env)
    try:
        wait_healthy(base, proc=second)
        job = _wait_job(lambda p: httpx.get(base + p, headers=auth), "restart", lambda j: j["status"] == "done")
        assert job["progress"] == {"total": 3, "done": 3, "failed": 0, "pending": 0}
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=60)
    with Store(f"sqlite:///{runs / 'service.sqlite'}") as store:
        items = list(store.items(store.get_run("restart").id))
    assert sorted(i.item_key for i in items) == ["0-chelsea.png", "1-coffee.png", "2-chelsea.png"]
    assert [i.result["prediction"]["label"] for i in items] == ["Egyptian cat", "espresso", "Egyptian cat"]


def test_a_gradient_method_and_best_run_through_the_service(client) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/v1/explain/image", **_upload(method="integrated-gradients", segmenter="grabcut"))
    assert r.status_code == 200, r.text
    ex = r.json()["explanation"]
    assert ex["attribution"]["method"] == "integrated-gradients" and ex["attribution"]["params"]["baseline"] == "black"
    bad = client.post("/v1/explain/image", **_upload(method="no-such-method"))
    assert bad.status_code == 400 and "integrated-gradients" in bad.json()["error"]

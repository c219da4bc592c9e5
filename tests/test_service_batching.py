"""Many clients at once: the micro-batcher, `--workers N` model processes and Ray Serve replicas.

Real models throughout (the shared `image_service()`); batches are seen in the provenance
(`forward_passes.shared_by_images`) and in /healthz's batch count.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import CancelledError
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser_fixtures import ROOT, fast_config, free_port, image_service, serve_process, wait_healthy
from fastapi.testclient import TestClient

from verbalize.pipeline.image.samples import sample_path
from verbalize.service.app import ServiceSettings, create_app
from verbalize.service.batcher import LocalModels, MicroBatcher
from verbalize.service.jobs import ExplainOptions

LOCAL = "http://127.0.0.1:8000"
FORM = {"method": "gradcam", "segmenter": "grabcut", "verbalizer": "template"}


def _client(tmp: Path, **settings: Any) -> TestClient:
    values = {"max_concurrency": 8, "input_roots": [str(tmp)], **settings}
    app = create_app(fast_config(), runs_dir=tmp / "runs", settings=ServiceSettings(**values),
                     image_service=image_service(), api_token="", jobs_autostart=False)
    return TestClient(app, base_url=LOCAL)


def _together(client: TestClient, requests: list[tuple[str, bytes, dict[str, str]]]) -> list[httpx.Response]:
    """POST every (file name, bytes, form) at once, each from its own thread; the answers in order."""
    answers: list[Any] = [None] * len(requests)

    def post(i: int, name: str, data: bytes, form: dict[str, str]) -> None:
        answers[i] = client.post("/v1/explain/image", files={"file": (name, data, "image/png")}, data=form)

    threads = [threading.Thread(target=post, args=(i, *r)) for i, r in enumerate(requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    return answers


def _close(a: Any, b: Any, tol: float = 1e-4) -> bool:
    """Equal JSON values, numbers within `tol`."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], tol) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y, tol) for x, y in zip(a, b, strict=True))
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        return abs(a - b) <= tol
    return bool(a == b)


def _image(name: str) -> bytes:
    return sample_path(name).read_bytes()


def test_requests_with_the_same_options_share_one_batch_with_the_one_at_a_time_results(tmp_path: Path) -> None:
    # A long window and max_batch 2: the batch starts as soon as both requests are in.
    with _client(tmp_path, max_batch=2, batch_window_ms=5_000) as client:
        together = _together(client, [("chelsea.png", _image("chelsea"), FORM), ("coffee.png", _image("coffee"), FORM)])
        assert client.get("/healthz").json()["batches"] == 1
    alone = [image_service().explain(_image(n), f"{n}.png", ExplainOptions(**FORM)) for n in ("chelsea", "coffee")]
    for shared, single in zip(together, alone, strict=True):
        assert shared.status_code == 200, shared.text
        got, want = shared.json()["explanation"], single.explanation
        assert got["provenance"]["forward_passes"]["shared_by_images"] == 2
        assert got["attribution"]["params"]["shared_by_images"] == 2
        assert "shared_by_images" not in want["provenance"]["forward_passes"]
        # A batch of two runs other kernels than a batch of one: equal up to float rounding.
        assert _close(got["prediction"], want["prediction"])
        assert _close(got["facts"], want["facts"])
        assert got["verbalizations"][0]["text"] == want["verbalizations"][0]["text"]
        assert got["segment"]["bbox_xyxy"] == want["segment"]["bbox_xyxy"]
    assert [r.json()["explanation"]["prediction"]["label"] for r in together] == ["Egyptian cat", "espresso"]


def test_requests_with_different_options_run_in_separate_batches(tmp_path: Path) -> None:
    other = {**FORM, "method": "layercam"}
    with _client(tmp_path, max_batch=2, batch_window_ms=1_000) as client:
        answers = _together(client, [("a.png", _image("chelsea"), FORM), ("b.png", _image("chelsea"), other)])
        assert client.get("/healthz").json()["batches"] == 2
    methods = []
    for r in answers:
        assert r.status_code == 200, r.text
        ex = r.json()["explanation"]
        assert "shared_by_images" not in ex["provenance"]["forward_passes"]
        methods.append(ex["attribution"]["method"])
    assert methods == ["gradcam", "layercam"]


def test_one_bad_image_in_a_batch_fails_alone(tmp_path: Path) -> None:
    with _client(tmp_path, max_batch=3, batch_window_ms=5_000) as client:
        answers = _together(client, [("chelsea.png", _image("chelsea"), FORM),
                                     ("broken.png", b"\x89PNG but not really", FORM),
                                     ("coffee.png", _image("coffee"), FORM)])
        assert client.get("/healthz").json()["batches"] == 1
    good, bad, also_good = answers
    assert bad.status_code == 422 and bad.json() == {"error": "broken.png: not an image (unrecognised format)"}
    for r in (good, also_good):
        assert r.status_code == 200, r.text
        assert r.json()["explanation"]["provenance"]["forward_passes"]["shared_by_images"] == 2


def test_a_request_cancelled_before_its_batch_starts_is_dropped() -> None:
    batcher = MicroBatcher(LocalModels(image_service()), window_s=0.0, max_batch=1)
    try:
        options = ExplainOptions(**FORM)
        first = batcher.submit(options, _image("chelsea"), "chelsea.png")
        deadline = time.monotonic() + 60
        while not first.running() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert first.running()
        second = batcher.submit(options, _image("coffee"), "coffee.png")
        assert second.cancel()  # the client went away while the models were busy
        assert first.result(timeout=300).explanation["prediction"]["label"] == "Egyptian cat"
        with pytest.raises(CancelledError):
            second.result(timeout=1)
        third = batcher.submit(options, _image("coffee"), "coffee.png")
        assert third.result(timeout=300).explanation["prediction"]["label"] == "espresso"
        assert batcher.batches == 2  # the cancelled request never ran
    finally:
        batcher.close()


def test_batching_off_runs_one_request_at_a_time(tmp_path: Path) -> None:
    with _client(tmp_path, max_batch=1, batch_window_ms=1_000) as client:
        answers = _together(client, [("a.png", _image("chelsea"), FORM), ("b.png", _image("coffee"), FORM)])
        assert client.get("/healthz").json()["batches"] == 2
    for r in answers:
        assert r.status_code == 200, r.text
        assert "shared_by_images" not in r.json()["explanation"]["provenance"]["forward_passes"]


def _serve_and_explain(tmp_path: Path, *flags: str, clients: int = 3) -> dict[str, Any]:
    port = free_port()
    proc = serve_process(port, tmp_path / "runs", *flags, "--max-concurrency", "8",
                         config={"facts": {"curve_steps": 4}})
    base = f"http://127.0.0.1:{port}"
    try:
        health = wait_healthy(base, timeout=600, proc=proc)
        names = ["chelsea", "coffee", "chelsea"][:clients]
        answers: list[Any] = [None] * len(names)

        def post(i: int) -> None:
            answers[i] = httpx.post(f"{base}/v1/explain/image", timeout=600,
                                    files={"file": (f"{names[i]}.png", _image(names[i]), "image/png")})

        threads = [threading.Thread(target=post, args=(i,)) for i in range(len(names))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)
        for r in answers:
            assert r.status_code == 200, r.text
        labels = [r.json()["explanation"]["prediction"]["label"] for r in answers]
        assert labels == [{"chelsea": "Egyptian cat", "coffee": "espresso"}[n] for n in names]
        return {**health, "after": httpx.get(f"{base}/healthz").json()}
    finally:
        proc.send_signal(signal.SIGTERM)
        # uvicorn re-raises the signal it caught after a graceful shutdown: -SIGTERM, or exit
        # status 15 where Ray's driver handler (installed by ray.init) takes it.
        assert proc.wait(timeout=120) in (0, -signal.SIGTERM, signal.SIGTERM)


def test_workers_2_serves_requests_from_two_model_processes(tmp_path: Path) -> None:
    health = _serve_and_explain(tmp_path, "--workers", "2", "--max-batch", "4")
    assert health["model"] == "efficientnet-lite0" and health["model_slots"] == 2
    assert health["after"]["batches"] >= 2  # three requests spread over the two idle workers


def _model_workers(server_pid: int) -> list[int]:
    """The spawned model processes of `verbalize serve --workers N` (children running spawn_main)."""
    pids = []
    for child in Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split():
        cmdline = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
        if b"spawn_main" in cmdline:
            pids.append(int(child))
    return pids


def test_a_model_worker_that_dies_fails_its_batch_and_is_replaced(tmp_path: Path) -> None:
    port = free_port()
    proc = serve_process(port, tmp_path / "runs", "--workers", "2", config={"facts": {"curve_steps": 4}})
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, timeout=600, proc=proc)
        workers = _model_workers(proc.pid)
        assert len(workers) == 2
        answer: dict[str, httpx.Response] = {}
        running = threading.Thread(target=lambda: answer.setdefault("r", httpx.post(
            f"{base}/v1/explain/image", timeout=600, files={"file": ("chelsea.png", _image("chelsea"), "image/png")})))
        running.start()
        deadline = time.monotonic() + 60
        while httpx.get(f"{base}/healthz").json()["batches"] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        for pid in workers:  # whichever of the two runs the batch
            os.kill(pid, signal.SIGKILL)
        running.join(timeout=600)
        assert answer["r"].status_code == 500
        assert answer["r"].json() == {"error": "internal error; the server log has the details"}
        again = httpx.post(f"{base}/v1/explain/image", timeout=600,
                           files={"file": ("coffee.png", _image("coffee"), "image/png")})
        assert again.status_code == 200, again.text
        assert again.json()["explanation"]["prediction"]["label"] == "espresso"
        assert len(_model_workers(proc.pid)) == 2 and not set(_model_workers(proc.pid)) & set(workers)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=120) in (0, -signal.SIGTERM)


def test_ray_serve_replicas_serve_requests(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    health = _serve_and_explain(tmp_path, "--ray-address", "local", "--workers", "1", "--max-batch", "4", clients=2)
    assert health["model"] == "efficientnet-lite0" and health["model_slots"] == 1
    assert health["after"]["batches"] >= 1


def test_an_unreachable_ray_address_is_one_line_and_exit_2(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    port = free_port()  # nothing listens there
    r = subprocess.run([sys.executable, "-m", "verbalize.cli", "serve", "--ray-address", f"127.0.0.1:{port}",
                        "--runs-dir", str(tmp_path / "runs")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert r.stderr.strip() == f"error: cannot start or reach Ray at 127.0.0.1:{port}: Connection refused"

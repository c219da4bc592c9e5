"""LLM backends: the openai backend against a real llama.cpp server (through a fault-injecting
proxy), the local transformers backend with the embedded SmolLM2, LangChain's fake chat models, the
prompt files, and contract tests of the request bodies where no real peer exists offline (images)."""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import math

import llm_fixtures
import numpy as np
import pytest
import torch
from langchain_core.language_models.fake_chat_models import (
    FakeListChatModel,
    GenericFakeChatModel,
    ParrotFakeChatModel,
)
from langchain_core.messages import AIMessage
from llm_fixtures import FaultProxy, chat_completion
from PIL import Image

from verbalize.adapters.llm import LLMError, make_backend
from verbalize.adapters.llm.base import label_mass, parse_label
from verbalize.adapters.llm.cache import ResponseCache
from verbalize.adapters.llm.langchain import LangChainBackend
from verbalize.adapters.llm.local import LocalBackend
from verbalize.adapters.llm.openai import OpenAIBackend
from verbalize.adapters.llm.reliability import RetryPolicy, retry_after_s
from verbalize.core.config import LLMConfig
from verbalize.core.errors import UserError
from verbalize.prompts import list_prompts, load_prompt

LABELS = ["positive", "negative"]
REVIEWS = [
    "I loved this movie, it was wonderful.",
    "Terrible, boring and far too long.",
    "An okay film.",
    "What a masterpiece of cinema.",
    "The plot was dull and the actors were bad.",
    "Great fun for the whole family!",
    "I want my money back.",
]
TASK = "Classify the sentiment of the movie review."

# Fixtures live in tests/llm_fixtures.py (not conftest.py, which other suites share).
llama_server = llm_fixtures.llama_server
proxy = llm_fixtures.proxy
canned_proxy = llm_fixtures.canned_proxy


def classify(texts: list[str], labels: list[str] = LABELS) -> list[list[dict[str, str]]]:
    prompt = load_prompt("classify_label")
    return [prompt.format(task=TASK, labels=", ".join(labels), input=t) for t in texts]


@pytest.fixture(autouse=True)
def _isolated_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("VERBALIZE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("VERBALIZE_OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


def remote(url: str, tmp_path, **kw) -> OpenAIBackend:
    kw.setdefault("cache", ResponseCache(tmp_path / "responses.sqlite"))
    return OpenAIBackend("smollm2", base_url=url, **kw)


# ---- openai backend against llama.cpp ------------------------------------------------------------


def test_chat_returns_text_and_records_the_call(proxy: FaultProxy, tmp_path):
    backend = remote(proxy.url, tmp_path)
    prompt = load_prompt("feldhus_instruct")
    messages = prompt.format(scored_text="great (0.81) movie (0.10) , (0.01) loved (0.62) it (0.02)", label="positive")
    g = backend.generate(messages, prompt_id=prompt.id, max_tokens=12)
    assert g.ok and g.text.strip()
    call = g.call
    assert (call.backend, call.model, call.kind) == ("openai", "smollm2", "generate")
    assert (call.prompt_name, call.prompt_version) == ("feldhus_instruct", "2")
    assert call.params == {"temperature": 0.0, "max_tokens": 12}
    assert call.prompt_tokens and call.prompt_tokens > 50 and 0 < call.completion_tokens <= 12
    assert call.latency_s > 0 and call.retries == 0 and not call.cached
    assert backend.calls == [call]
    (req,) = proxy.requests
    assert req["body"]["messages"][-1]["content"].startswith("text with importance scores: great (0.81)")
    assert "briefly explain why the classifier predicted this text as 'positive'" in req["body"]["messages"][-1]["content"]


def test_label_probabilities_come_from_logprobs(proxy: FaultProxy, tmp_path):
    backend = remote(proxy.url, tmp_path, cache=None)
    scores = backend.label_scores(classify(REVIEWS[:2]), LABELS, prompt_id="classify_label@1")
    assert scores.sources == ["logprobs", "logprobs"]
    assert np.allclose(scores.probs.sum(axis=1), 1.0)
    assert ((scores.mass > 0) & (scores.mass <= 1)).all()
    # The weak 135M model still rates the glowing review as more positive than the scathing one.
    assert scores.probs[0, 0] > scores.probs[1, 0]
    assert all(r["body"]["logprobs"] is True and r["body"]["top_logprobs"] == 20 and r["body"]["max_tokens"] == 1
               for r in proxy.requests)
    assert [c.label_probability_source for c in backend.calls] == ["logprobs", "logprobs"]
    assert sorted(c.label_mass for c in backend.calls) == pytest.approx(sorted(scores.mass))


def test_concurrency_is_limited_sync_and_async(proxy: FaultProxy, tmp_path):
    backend = remote(proxy.url, tmp_path, cache=None, concurrency=3)
    backend.label_probabilities(classify(REVIEWS[:5]), LABELS)
    assert proxy.peak_in_flight == 3  # llama.cpp answers one at a time: the rest wait in line
    proxy.peak_in_flight = 0
    backend = remote(proxy.url, tmp_path, cache=None, concurrency=2)
    probs = asyncio.run(backend.alabel_probabilities(classify(REVIEWS[:3]), LABELS))
    assert probs.shape == (3, 2) and proxy.peak_in_flight == 2


def test_rerun_is_served_from_the_cache_with_zero_requests(proxy: FaultProxy, tmp_path):
    first = remote(proxy.url, tmp_path)
    g1 = first.generate([{"role": "user", "content": "Name a colour."}], max_tokens=8)
    p1 = first.label_probabilities(classify(REVIEWS[:3]), LABELS, prompt_id="classify_label@1")
    sent = len(proxy.requests)
    assert sent >= 4
    rerun = remote(proxy.url, tmp_path)  # a new process would build a new backend on the same file
    g2 = rerun.generate([{"role": "user", "content": "Name a colour."}], max_tokens=8)
    p2 = asyncio.run(rerun.alabel_probabilities(classify(REVIEWS[:3]), LABELS, prompt_id="classify_label@1"))
    assert len(proxy.requests) == sent and rerun.requests == 0
    assert g2.text == g1.text and np.array_equal(p1, p2, equal_nan=True)
    assert all(c.cached for c in rerun.calls) and len(rerun.calls) == 4
    # Another prompt version is another key: it is asked again.
    rerun.label_probabilities(classify(REVIEWS[:1]), LABELS, prompt_id="classify_label@2")
    assert len(proxy.requests) == sent + 1


def test_retry_honours_retry_after_on_503(proxy: FaultProxy, tmp_path):
    backend = remote(proxy.url, tmp_path, cache=None)
    proxy.faults.extend(["503:1"])
    g = backend.generate([{"role": "user", "content": "Say hi."}], max_tokens=4)
    assert g.ok and g.call.retries == 1
    failed, retried = proxy.requests
    assert failed["fault"] == "503:1" and retried["time"] - failed["time"] >= 1.0


def test_retry_after_dropped_connection_and_timeout(proxy: FaultProxy, tmp_path):
    backend = remote(proxy.url, tmp_path, cache=None, timeout_s=5)
    backend.policy.base_delay_s = 0.05
    proxy.faults.extend(["drop", "hang:7"])
    g = backend.generate([{"role": "user", "content": "Say hi."}], max_tokens=2)
    assert g.ok and g.call.retries == 2 and 5 <= g.call.latency_s
    assert [r["fault"] for r in proxy.requests] == ["drop", "hang:7", None] and proxy.forwarded == 1


def test_exhausted_retries_fail_with_a_record_or_one_clear_error(proxy: FaultProxy, tmp_path):
    backend = remote(proxy.url, tmp_path, cache=None, max_retries=2)
    proxy.faults.extend(["503:0"] * 3)
    g = backend.generate([{"role": "user", "content": "Say hi."}], max_tokens=4)
    assert not g.ok and "HTTP 503" in g.error and g.call.retries == 2 and not g.call.ok
    proxy.faults.extend(["429:0"] * 3)
    with pytest.raises(LLMError) as e:
        backend.label_scores(classify(REVIEWS[:1]), LABELS)
    assert isinstance(e.value, UserError) and "\n" not in str(e.value) and "HTTP 429" in str(e.value)
    assert "after 2 retries" in str(e.value)
    assert proxy.forwarded == 0


def test_empty_answer_is_repaired_once(proxy: FaultProxy, tmp_path):
    backend = remote(proxy.url, tmp_path, cache=None)
    proxy.faults.append("empty")
    g = backend.generate([{"role": "user", "content": "Name a fruit."}], max_tokens=8)
    assert g.ok and g.text and g.call.repaired
    repair = proxy.requests[1]["body"]["messages"]
    assert repair[-2] == {"role": "assistant", "content": "(empty)"}
    assert "could not be used: the answer was empty" in repair[-1]["content"]


def test_unusable_answer_after_repair_is_a_recorded_failure_with_the_raw_text(proxy: FaultProxy, tmp_path):
    backend = remote(proxy.url, tmp_path)
    g = backend.generate([{"role": "user", "content": "Name a fruit."}], max_tokens=8,
                         validate=lambda text: "the answer must be a JSON object" if not text.startswith("{") else None)
    assert not g.ok and g.text == "" and g.raw and "JSON object" in g.error
    assert g.call.repaired and g.call.raw == g.raw and len(proxy.requests) == 2
    # Failures are not cached: a rerun asks again.
    backend.generate([{"role": "user", "content": "Name a fruit."}], max_tokens=8,
                     validate=lambda text: None)
    assert len(proxy.requests) == 3
    proxy.faults.extend(["empty", "empty"])
    g = backend.generate([{"role": "user", "content": "Name a vegetable."}], max_tokens=8)
    assert not g.ok and g.raw == "" and "empty" in g.error


# ---- contract tests: request bodies where no real peer exists offline ----------------------------


@pytest.mark.contract
def test_contract_images_go_as_base64_data_url_parts(canned_proxy: FaultProxy, tmp_path):
    backend = remote(canned_proxy.url, tmp_path)
    photo = Image.new("RGB", (8, 6), (200, 30, 40))
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (0, 90, 255)).save(buf, format="PNG")
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is shown?"}]
    g = backend.generate(messages, images=[photo, buf.getvalue()], prompt_id="image_facts_vlm@1")
    assert g.ok and g.call.images == 2
    body = canned_proxy.requests[0]["body"]
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    text, *parts = body["messages"][1]["content"]
    assert text == {"type": "text", "text": "What is shown?"}
    assert [p["type"] for p in parts] == ["image_url", "image_url"]
    urls = [p["image_url"]["url"] for p in parts]
    assert all(u.startswith("data:image/png;base64,") for u in urls)
    decoded = [Image.open(io.BytesIO(base64.b64decode(u.split(",", 1)[1]))) for u in urls]
    assert decoded[0].size == (8, 6) and decoded[0].getpixel((3, 3)) == (200, 30, 40)
    assert base64.b64decode(urls[1].split(",", 1)[1]) == buf.getvalue()
    # Same text with another image is another cache key.
    backend.generate(messages, images=[Image.new("RGB", (8, 6))], prompt_id="image_facts_vlm@1")
    assert len(canned_proxy.requests) == 2


@pytest.mark.contract
def test_contract_server_without_logprobs_falls_back_to_the_named_label(canned_proxy: FaultProxy, tmp_path):
    sent = canned_proxy.requests
    # A server that ignores the parameter: the answer is parsed; once its first answers all came
    # without logprobs (three, not one: one odd answer changes nothing), they are not asked for again.
    canned_proxy.canned = chat_completion("Negative. The review complains.")
    backend = remote(canned_proxy.url, tmp_path, cache=None, concurrency=1)
    scores = backend.label_scores(classify(REVIEWS[1:2]), LABELS)
    assert scores.sources == ["fallback-no-logprobs"] and scores.probs.tolist() == [[0.0, 1.0]]
    assert sent[0]["body"]["max_tokens"] == 1 and sent[0]["body"]["logprobs"] is True
    assert backend.logprobs_supported is None
    backend.label_scores(classify(REVIEWS[:2]), LABELS)
    assert backend.logprobs_supported is False and len(sent) == 3
    backend.label_scores(classify(REVIEWS[:1]), LABELS)
    assert "logprobs" not in sent[-1]["body"] and len(sent) == 4 and sent[-1]["body"]["max_tokens"] > 1
    # A server that rejects the parameter (400): asked again without it, and never asked for it again.
    backend = remote(canned_proxy.url, tmp_path, cache=None, concurrency=1)
    canned_proxy.faults.append("reject-logprobs")
    scores = backend.label_scores(classify(REVIEWS[:2]), LABELS)
    assert backend.logprobs_supported is False and scores.probs[:, 1].tolist() == [1.0, 1.0]
    assert [("logprobs" in r["body"]) for r in sent[4:]] == [True, False, False]
    # Logprobs given, but no label among the top tokens: the whole answer is read and parsed.
    canned_proxy.canned_next.extend([chat_completion("The", logprobs=[("The", -0.1), ("I", -2.5)]),
                                     chat_completion("The review is positive")])
    backend = remote(canned_proxy.url, tmp_path, cache=None)
    scores = backend.label_scores(classify(REVIEWS[:1]), LABELS)
    assert scores.sources == ["fallback-label-not-in-top-logprobs"] and scores.probs.tolist() == [[1.0, 0.0]]
    assert [r["body"]["max_tokens"] for r in sent[-2:]] == [1, 5] and "logprobs" not in sent[-1]["body"]
    # No label at all, even after the repair turn: NaN, recorded with the raw answer, not a guess.
    canned_proxy.canned = chat_completion("I cannot say.")
    backend = remote(canned_proxy.url, tmp_path, cache=None)  # (one that has not seen logprobs yet)
    scores = backend.label_scores(classify(REVIEWS[:1]), LABELS)
    assert np.isnan(scores.probs).all() and scores.sources == ["unparsed"]
    assert backend.calls[-1].raw == "I cannot say." and backend.calls[-1].repaired


@pytest.mark.contract
def test_contract_api_key_only_from_the_environment_and_never_recorded(canned_proxy, tmp_path, monkeypatch, caplog):
    with pytest.raises(UserError, match="OPENAI_API_KEY"):
        make_backend("openai:gpt-4o-mini", cache=False)
    secret = "sk-test-0123456789abcdef"
    monkeypatch.setenv("VERBALIZE_OPENAI_API_KEY", secret)
    caplog.set_level(logging.DEBUG)
    backend = make_backend(f"openai:some-model@{canned_proxy.url}", cache_path=tmp_path / "c.sqlite")
    canned_proxy.faults.append("503:0")
    g = backend.generate([{"role": "user", "content": "hi"}])
    assert g.ok and g.call.retries == 1
    assert canned_proxy.requests[0]["headers"]["authorization"] == f"Bearer {secret}"
    for text in (repr(backend), g.model_dump_json(), caplog.text, (tmp_path / "c.sqlite").read_bytes().decode("latin-1")):
        assert secret not in text


# ---- local backend: the embedded SmolLM2 ---------------------------------------------------------


@pytest.fixture
def one_torch_thread():
    """torch's threads spin-wait on each other; on a shared 2-core machine one thread was 4x faster
    (measured). Set for the local tests only, and restored: it changes speed, not results."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def local_backend(tmp_path_factory: pytest.TempPathFactory) -> LocalBackend:
    """Loaded from the GGUF into a fresh cache dir, so the dequantize-and-save path runs every session."""
    return LocalBackend(batch_size=4, cache_root=tmp_path_factory.mktemp("weights"))


def test_local_batched_label_probabilities_equal_one_at_a_time(one_torch_thread, local_backend: LocalBackend):
    labels = ["positive", "negative", "not sure"]  # "not sure" is two tokens: summed log-probabilities
    prompts = classify(REVIEWS[:5], labels)
    before = local_backend.forward_passes
    batched = local_backend.label_scores(prompts, labels, prompt_id="classify_label@1")
    call = local_backend.calls[-1]
    # The batch plan: one sequence per prompt for every single-token label form, plus one per prompt
    # and multi-token form ("not sure", "Not sure": prompt + all but the label's last token), 4 a pass.
    tok = local_backend.tokenizer
    multi = {tuple(tok(f, add_special_tokens=False)["input_ids"]) for f in ("not sure", "Not sure")}
    assert all(len(m) > 1 for m in multi)
    sequences = len(prompts) * (1 + len(multi))
    assert call.forward_passes == local_backend.forward_passes - before == math.ceil(sequences / 4)
    assert call.n_prompts == 5 and call.label_probability_source == "logits" and not call.cached
    single = np.stack([local_backend.label_scores([p], labels).raw[0] for p in prompts])
    np.testing.assert_allclose(batched.raw, single, atol=1e-4, rtol=0)
    np.testing.assert_allclose(batched.probs, single / single.sum(axis=1, keepdims=True), atol=1e-4, rtol=0)
    assert np.allclose(batched.probs.sum(axis=1), 1) and (batched.mass < 1).all()
    assert batched.probs[0, 0] > batched.probs[1, 0]


def test_local_dequantized_weights_are_cached_and_reused(one_torch_thread, local_backend: LocalBackend):
    assert local_backend.loaded_from.suffix == ".gguf"  # the session fixture started from a cold cache
    (saved,) = (local_backend.cache_root / "models").iterdir()  # one copy, no half-written leftovers
    assert (saved / "model.safetensors").is_file() and (saved / "tokenizer.json").is_file()
    again = LocalBackend(batch_size=4, cache_root=local_backend.cache_root)
    assert again.loaded_from == saved
    prompts = classify(REVIEWS[:2])
    np.testing.assert_allclose(again.label_probabilities(prompts, LABELS),
                               local_backend.label_probabilities(prompts, LABELS), atol=1e-6)


def test_local_generate_and_cache(one_torch_thread, local_backend: LocalBackend, tmp_path):
    local_backend.cache = ResponseCache(tmp_path / "local.sqlite")
    try:
        g = local_backend.generate([{"role": "user", "content": "What colour is the sky?"}], max_tokens=8)
        assert g.ok and g.text and g.call.completion_tokens <= 8 and g.call.backend == "local"
        again = local_backend.generate([{"role": "user", "content": "What colour is the sky?"}], max_tokens=8)
        assert again.call.cached and again.text == g.text
        passes = local_backend.forward_passes
        local_backend.label_scores(classify(REVIEWS[:2]), LABELS)
        local_backend.label_scores(classify(REVIEWS[:2]), LABELS)
        assert local_backend.calls[-1].cached and local_backend.forward_passes == passes + 1
        blind = local_backend.generate([{"role": "user", "content": "Describe it."}], images=[Image.new("RGB", (4, 4))])
        assert not blind.ok and "cannot see images" in blind.error
    finally:
        local_backend.cache = None


# ---- LangChain ------------------------------------------------------------------------------------


def test_langchain_model_with_repair_and_records():
    backend = make_backend(FakeListChatModel(responses=["", "A cat, sitting on a mat."]), cache=False)
    g = backend.generate([{"role": "user", "content": "What is in the picture?"}], prompt_id="x@2")
    assert g.ok and g.text == "A cat, sitting on a mat." and g.call.repaired
    assert (g.call.backend, g.call.model, g.call.prompt_version) == ("langchain", "fake-list-chat-model", "2")


def test_langchain_label_probabilities_by_parsing_the_answer():
    model = FakeListChatModel(responses=["Negative, clearly.", "positive", "hmm", "no idea"])
    backend = LangChainBackend(model, concurrency=1)
    scores = backend.label_scores(classify(REVIEWS[:3]), LABELS)
    assert scores.sources == ["fallback-generate", "fallback-generate", "unparsed"]
    assert scores.probs[:2].tolist() == [[0.0, 1.0], [1.0, 0.0]] and np.isnan(scores.probs[2]).all()
    # A provider that reports OpenAI-style logprobs in response_metadata is read like the openai backend.
    top = [{"token": "Pos", "logprob": np.log(0.6)}, {"token": "Neg", "logprob": np.log(0.2)}]
    msg = AIMessage(content="Positive", response_metadata={"logprobs": {"content": [{"token": "Pos", "logprob": np.log(0.6), "top_logprobs": top}]}})
    lp = LangChainBackend(GenericFakeChatModel(messages=iter([msg])))
    scores = lp.label_scores(classify(REVIEWS[:1]), LABELS)
    assert scores.sources == ["logprobs"] and scores.probs[0] == pytest.approx([0.75, 0.25])


def test_langchain_timeout_is_retried_then_recorded():
    backend = LangChainBackend(FakeListChatModel(responses=["late"], sleep=1.0), timeout_s=0.2, max_retries=1)
    backend.policy.base_delay_s = 0.01
    g = backend.generate([{"role": "user", "content": "hi"}])
    assert not g.ok and "TimeoutError" in g.error and g.call.retries == 1
    g = asyncio.run(backend.agenerate([{"role": "user", "content": "hi"}]))
    assert not g.ok and g.call.retries == 1
    backend.close()


def test_langchain_images_reach_the_model_as_content_parts():
    backend = LangChainBackend(ParrotFakeChatModel())
    g = backend.generate([{"role": "user", "content": "Look:"}], images=[Image.new("RGB", (2, 2))])
    assert g.ok and g.text == "Look:"  # the parrot echoes the text parts of the message it got
    assert backend.calls[-1].images == 1


# ---- make_backend, prompts, pure helpers ----------------------------------------------------------


def test_make_backend_specs(tmp_path):
    for bad, words in [("gpt4", "unknown LLM backend"), ("openai:", "name the model"),
                       ("openai:m@ftp://x", "http(s) URL"), ("local:/no/such/model.gguf", "no such model"),
                       ("langchain:", "langchain:package.module:NAME")]:
        with pytest.raises(UserError, match=words.replace("(", r"\(").replace(")", r"\)")) as e:
            make_backend(bad, cache=False)
        assert "\n" not in str(e.value)
    b = make_backend(LLMConfig(backend="openai:llama3:8b@http://127.0.0.1:11434/v1", concurrency=7, timeout_s=5),
                     cache_path=tmp_path / "c.sqlite")
    assert isinstance(b, OpenAIBackend) and b.model == "llama3:8b" and b.base_url == "http://127.0.0.1:11434/v1"
    assert b.concurrency == 7 and b.policy.timeout_s == 5 and b.cache is not None
    lc = make_backend("langchain:llm_fixtures:FAKE_CHAT", cache=False)
    assert isinstance(lc, LangChainBackend) and lc.generate([{"role": "user", "content": "?"}]).text == "positive"


def test_prompt_files_load_render_and_can_be_overridden(tmp_path):
    assert {"vale_explain_object", "feldhus_instruct", "image_facts_llm", "image_facts_vlm", "classify_label",
            "repair"} <= set(list_prompts())
    vale = load_prompt("vale_explain_object")
    assert vale.id == "vale_explain_object@1"
    assert vale.format(label="tabby cat") == [{"role": "user", "content": "Explain the object in the image: 'tabby cat'"}]
    facts = load_prompt("image_facts_llm").format(label="espresso", facts="p = 0.82", grid="0.1 0.2 0.0")
    assert facts[0]["role"] == "system" and "p = 0.82" in facts[1]["content"] and "'espresso'" in facts[1]["content"]
    assert set(load_prompt("image_facts_vlm").input_variables) == {"facts", "grid", "label"}
    with pytest.raises(UserError, match="missing variables label"):
        vale.format()
    (tmp_path / "vale_explain_object.yaml").write_text(
        "name: vale_explain_object\nversion: 7\nmessages:\n  - role: user\n    template: 'What is the {label}?'\n")
    (tmp_path / "my_prompt.yaml").write_text("name: my_prompt\nversion: a\nmessages:\n  - role: user\n    template: hi\n")
    mine = load_prompt("vale_explain_object", tmp_path)
    assert mine.id == "vale_explain_object@7" and mine.format(label="dog")[0]["content"] == "What is the dog?"
    assert load_prompt("my_prompt", tmp_path).id == "my_prompt@a" and "my_prompt" in list_prompts(tmp_path)
    (tmp_path / "broken.yaml").write_text("name: broken\nmessages: []\n")
    with pytest.raises(UserError, match="broken.yaml: invalid prompt at 'version'"):
        load_prompt("broken", tmp_path)
    with pytest.raises(UserError, match="not found"):
        load_prompt("nope")


def test_a_pinned_prompt_version_loads_the_archived_wording(tmp_path):
    """classify_label moved to version 2 (instruction first, "Answer:" after the input); a run that
    recorded classify_label@1 can still load that exact wording, and a user's file still wins."""
    current, old = load_prompt("classify_label"), load_prompt("classify_label@1")
    assert current.id == "classify_label@2" and load_prompt("classify_label@2").path == current.path
    assert old.id == "classify_label@1" and old.path.parent.name == "archive"
    new_text = current.format(task="T", labels="a, b", input="X")[0]["content"]
    old_text = old.format(task="T", labels="a, b", input="X")[0]["content"]
    assert new_text.startswith("T Answer with exactly one of these labels: a, b.") and new_text.endswith("Input: X\nAnswer:")
    assert old_text.startswith("T\n\nInput: X\n\n") and old_text.endswith("write nothing before it.")
    assert "classify_label@1" not in list_prompts()
    with pytest.raises(UserError, match="prompt 'classify_label' has no version '9' \\(found: 2\\)"):
        load_prompt("classify_label@9")
    with pytest.raises(UserError, match="invalid prompt name"):
        load_prompt("classify_label@")
    (tmp_path / "classify_label.yaml").write_text(
        "name: classify_label\nversion: mine\nmessages:\n  - role: user\n    template: '{task} {labels} {input}'\n")
    assert load_prompt("classify_label", tmp_path).id == "classify_label@mine"
    assert load_prompt("classify_label@1", tmp_path).path == old.path  # the user's dir has no @1: the package's
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "classify_label@1.yaml").write_text(
        "name: classify_label\nversion: '2'\nmessages:\n  - role: user\n    template: '{input}'\n")
    with pytest.raises(UserError, match="prompt version '2' must match the file name's '1'"):
        load_prompt("classify_label@1", tmp_path)


def test_label_parsing_and_top_logprob_matching():
    assert parse_label("  **Positive** because", LABELS) == 0
    assert parse_label("I think it is negative.", LABELS) == 1
    assert parse_label("Is it positive or negative?", LABELS) is None
    assert parse_label("positively", ["positive", "negative"]) is None
    assert parse_label("Egyptian cat", ["cat", "Egyptian cat"]) == 1
    mass = label_mass([("Pos", np.log(0.5)), (" negative", np.log(0.2)), ("The", np.log(0.2)), ("n", np.log(0.1))],
                      ["positive", "negative", "neutral"])
    assert mass == pytest.approx([0.5, 0.25, 0.05])


def test_retry_after_header_forms():
    class Resp:
        def __init__(self, headers):
            self.headers = headers

    class Err(Exception):
        def __init__(self, headers):
            self.response = Resp(headers)

    assert retry_after_s(Err({"retry-after": "3"})) == 3.0
    assert retry_after_s(Err({"retry-after-ms": "250", "retry-after": "9"})) == 0.25
    assert 0 < retry_after_s(Err({"retry-after": "Wed, 21 Oct 2099 07:28:00 GMT"}))
    policy = RetryPolicy(max_retry_after_s=5)
    assert 5 <= policy.wait_s(Err({"retry-after": "600"}), 1) <= 5.25
    assert all(0 <= policy.wait_s(None, 3) <= 2.0 for _ in range(20))

"""Text classifiers behind `TextClassifier`: VADER (known answers), a Hugging Face sequence
classifier saved to local files, and the embedded SmolLM2 as an LLM classifier (the shared-prefix
fast path against the backend's plain batched path, the batch plan, stated confidence)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from verbalize.adapters.llm import make_backend
from verbalize.adapters.llm.langchain import LangChainBackend
from verbalize.adapters.text import (
    HFSequenceClassifier,
    LLMClassifier,
    VaderClassifier,
    load_text_classifier,
    stated_probabilities,
)
from verbalize.core.errors import UserError
from verbalize.pipeline.text.methods import attribute_text

SENTENCE = "The movie was great but the ending was awful"

# --------------------------------------------------------------------------- VADER


def vader_pos(text: str) -> float:
    return (SentimentIntensityAnalyzer().polarity_scores(text)["compound"] + 1) / 2


def test_vader_occlusion_equals_direct_vader_differences() -> None:
    tokens = SENTENCE.split()
    a = attribute_text("occlusion", VaderClassifier(), tokens, 1)
    expected = [vader_pos(SENTENCE) - vader_pos(" ".join(tokens[:i] + tokens[i + 1 :])) for i in range(len(tokens))]
    assert a.scores == pytest.approx(expected, abs=1e-12)
    by_word = dict(zip(tokens, a.scores, strict=False))
    assert by_word["great"] > 0.05 and by_word["awful"] < -0.05
    for i, word in enumerate(tokens):
        if word.lower() in {"the", "movie", "was", "ending"}:
            assert a.scores[i] == 0.0, word
    assert a.forward_passes == 1 and a.target_label == "positive"


def test_vader_probabilities_and_empty_text() -> None:
    clf = VaderClassifier()
    probs = clf.predict_proba(["great", "awful", "a table"])
    assert probs[:, 1] == pytest.approx([vader_pos("great"), vader_pos("awful"), 0.5])
    assert probs.sum(axis=1) == pytest.approx(1.0)
    scorer = clf.scorer(8)
    out = scorer([(), ("great",)])
    assert out[0] == pytest.approx([0.5, 0.5])  # the empty text: uniform, never scored by the model
    assert clf.predict(SENTENCE).label == "negative"
    assert clf.label_index("Positive") == 1
    with pytest.raises(UserError):
        clf.label_index("neutral")


# --------------------------------------------------------------------------- Hugging Face from local files

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "movie", "was", "great", "awful", "but", "ending",
         "good", "bad", "plot", "."]


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised 3-label BERT and its word-piece tokenizer, saved as a user would."""
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    path = tmp_path_factory.mktemp("tiny-bert")
    tokenizer = BertTokenizer(vocab={w: i for i, w in enumerate(VOCAB)})
    config = BertConfig(vocab_size=len(VOCAB), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64, initializer_range=0.5,
                        id2label={0: "negative", 1: "neutral", 2: "positive"},
                        label2id={"negative": 0, "neutral": 1, "positive": 2})
    torch.manual_seed(0)
    BertForSequenceClassification(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def test_hf_classifier_batched_equals_one_at_a_time(tiny_bert: Path) -> None:
    clf = load_text_classifier(str(tiny_bert))
    assert isinstance(clf, HFSequenceClassifier)
    assert clf.labels == ["negative", "neutral", "positive"] and clf.probability_source == "logits"
    texts = ["the movie was great", "awful", "the plot was good but the ending was bad .", "movie"]
    batched = clf.predict_proba(texts)  # padded to the longest text
    single = np.concatenate([clf.predict_proba([t]) for t in texts])
    assert batched == pytest.approx(single, abs=1e-6)
    assert batched.sum(axis=1) == pytest.approx(1.0)
    assert np.ptp(batched[:, 2]) > 1e-3  # the texts really score differently

    tokens = texts[2].split()
    a = attribute_text("occlusion", clf, tokens, 2)
    direct = clf.predict_proba([texts[2]] + [" ".join(tokens[:i] + tokens[i + 1 :]) for i in range(len(tokens))])
    assert a.scores == pytest.approx(list(direct[0, 2] - direct[1:, 2]), abs=1e-9)
    assert a.forward_passes == 1


def test_hf_classifier_bad_paths_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no such model directory"):
        HFSequenceClassifier(tmp_path / "missing")
    with pytest.raises(UserError, match="no config.json"):
        HFSequenceClassifier(tmp_path)
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(UserError, match="cannot load") as err:
        HFSequenceClassifier(tmp_path)
    assert "\n" not in str(err.value)


# --------------------------------------------------------------------------- the embedded LLM

OCCLUDE = "The food was really good".split()
LABELS = ["negative", "positive"]


@pytest.fixture(scope="module")
def smollm2():  # type: ignore[no-untyped-def]
    return make_backend("local", cache=False, batch_size=16)


@pytest.fixture(scope="module")
def occlusion_inputs() -> list[str]:
    return [" ".join(OCCLUDE)] + [" ".join(OCCLUDE[:i] + OCCLUDE[i + 1 :]) for i in range(len(OCCLUDE))]


@pytest.fixture(scope="module")
def plain_probs(smollm2, occlusion_inputs: list[str]) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The backend's own batched path (left-padded full prompts): the reference."""
    clf = LLMClassifier(smollm2, LABELS, kv_prefix=False)
    assert not clf.uses_kv_prefix
    return clf.predict_proba(occlusion_inputs)


def test_shared_prefix_path_equals_plain_batched_path(smollm2, occlusion_inputs, plain_probs) -> None:  # type: ignore[no-untyped-def]
    fast = LLMClassifier(smollm2, LABELS)
    assert fast.uses_kv_prefix
    assert fast.predict_proba(occlusion_inputs) == pytest.approx(plain_probs, abs=1e-4)
    raw_fast = fast.label_raw_kv(occlusion_inputs[:3])
    raw_plain = smollm2.label_scores([fast.messages(t) for t in occlusion_inputs[:3]], LABELS).raw
    assert raw_fast == pytest.approx(raw_plain, abs=1e-4, rel=1e-3)
    assert fast.probability_source == "logits"


def test_shared_prefix_path_multi_token_label(smollm2) -> None:  # type: ignore[no-untyped-def]
    labels = ["very negative", "positive"]  # "very negative" is several tokens: summed log-probs
    texts = ["good food", "bad food"]
    fast = LLMClassifier(smollm2, labels).label_raw_kv(texts)
    plain = smollm2.label_scores([LLMClassifier(smollm2, labels).messages(t) for t in texts], labels).raw
    assert fast == pytest.approx(plain, abs=1e-4, rel=1e-3)


def test_occlusion_runs_padded_batches_never_one_prompt_per_pass(smollm2, plain_probs) -> None:  # type: ignore[no-untyped-def]
    clf = LLMClassifier(smollm2, LABELS)
    scorer = clf.scorer(batch_size=4)
    calls_before = len(smollm2.calls)
    a = attribute_text("occlusion", scorer, OCCLUDE, 1, labels=LABELS)
    n = len(OCCLUDE)
    assert scorer.stats.forward_passes == math.ceil((n + 1) / 4) == a.forward_passes
    assert scorer.stats.inputs_scored == n + 1
    calls = smollm2.calls[calls_before:]
    assert [c.n_prompts for c in calls] == [4, 2]  # one batched call per scorer batch
    assert all(c.params["method"] == "logits-shared-prefix" for c in calls)
    assert a.scores == pytest.approx(list(plain_probs[0, 1] - plain_probs[1:, 1]), abs=1e-4)


def test_packaged_prompt_ends_with_the_text_and_leaves_more_label_mass(smollm2) -> None:  # type: ignore[no-untyped-def]
    """classify_label@2 puts the instruction before the text: perturbations recompute only what
    follows their first change (9 tokens after the text, not v1's 32), and SmolLM2 puts more of
    its probability on the labels. Provenance records which version scored."""
    new, old = LLMClassifier(smollm2, LABELS), LLMClassifier(smollm2, LABELS, prompt="classify_label@1")
    assert (new.describe()["prompt"], old.describe()["prompt"]) == ("classify_label@2", "classify_label@1")
    text = " ".join(OCCLUDE)

    def after_text(clf: LLMClassifier) -> int:
        full = smollm2.prompt_text(clf.messages(text))
        return len(smollm2.tokenizer(full[full.index(text) + len(text) :], add_special_tokens=False)["input_ids"])

    assert (after_text(new), after_text(old)) == (9, 32)
    reviews = ["What a masterpiece of cinema.", "I want my money back.", text, "The plot was dull."]
    assert new.label_raw_kv(reviews).sum(axis=1).mean() > 1.5 * old.label_raw_kv(reviews).sum(axis=1).mean()
    tokens = {}
    for clf in (new, old):
        attribute_text("occlusion", clf.scorer(), OCCLUDE, 1)
        call = smollm2.calls[-1]
        assert call.prompt_name == "classify_label" and call.prompt_version == clf.prompt.version
        tokens[clf.prompt.version] = call.params["tokens_computed"]
    assert tokens["2"] < 0.5 * tokens["1"]  # measured 66 vs 181


def test_forest_shares_branches_after_the_same_start_and_lists_ancestors_first() -> None:
    from verbalize.adapters.llm.local.prefix import _forest

    # rows 0-2 leave the anchor at position 3 and share "7" (and rows 0-1 "7 8"); row 3 leaves it at 4
    tokens, positions, roots, end, paths = _forest([[7, 8, 9], [7, 8, 5], [7, 1], [7, 8]], [3, 3, 3, 4])
    assert tokens == [7, 1, 8, 5, 9, 7, 8] and positions == [3, 4, 4, 5, 5, 4, 5]
    assert roots == [3, 3, 3, 3, 3, 4, 4] and end == [5, 2, 5, 4, 5, 7, 7]
    assert paths == [[0, 2, 4], [0, 2, 3], [0, 1], [5, 6]]


def test_shared_prefix_path_computes_each_distinct_prefix_once(smollm2) -> None:  # type: ignore[no-untyped-def]
    """LIME-like samples (several words dropped) through a fresh engine: the tokens it runs are
    exactly the distinct prefixes of the prompts, none twice and no padding."""
    clf = LLMClassifier(smollm2, ["positive", "negative"], label_forms="exact", normalize=False)
    words = "the food was really good and the staff kind".split()
    keep = [[1] * 9, [1, 1, 0, 1, 1, 1, 1, 1, 1], [1, 1, 0, 1, 1, 0, 1, 1, 1], [1, 1, 0, 1, 0, 1, 1, 1, 1],
            [0, 1, 1, 1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1, 0, 0, 1]]
    texts = [" ".join(w for w, k in zip(words, row, strict=True) if k) for row in keep]
    raw = clf.label_raw_kv(texts)
    prompts = [clf._token_ids(clf.messages(t)) for t in texts]
    assert len(smollm2.tokenizer("positive", add_special_tokens=False)["input_ids"]) == 1  # one job per prompt
    distinct = {tuple(p[:j]) for p in prompts for j in range(1, len(p) + 1)}
    assert smollm2.calls[-1].params["tokens_computed"] == len(distinct) < sum(map(len, prompts)) // 3
    assert raw.shape == (len(texts), 2)
    shared = LLMClassifier(smollm2, LABELS).predict_proba(texts)  # branches shared after the first change
    assert shared == pytest.approx(LLMClassifier(smollm2, LABELS, kv_prefix=False).predict_proba(texts), abs=1e-4)


def test_stated_probabilities_follow_huang_et_al() -> None:
    assert stated_probabilities("positive, 0.9", LABELS) == pytest.approx([0.1, 0.9])
    assert stated_probabilities("Negative (85%)", LABELS) == pytest.approx([0.85, 0.15])
    assert stated_probabilities("positive", LABELS) == pytest.approx([0.0, 1.0])
    assert stated_probabilities("(positive, .75)", LABELS) == pytest.approx([0.25, 0.75])
    assert stated_probabilities("neutral, 0.6", ["negative", "neutral", "positive"]) == pytest.approx([0.2, 0.6, 0.2])
    assert stated_probabilities("I cannot tell.", LABELS) is None


def test_backend_without_logprobs_falls_back_to_stated_confidence() -> None:
    chat = FakeListChatModel(responses=["positive, 0.8"])  # a real langchain-core chat model, no logprobs
    clf = LLMClassifier(LangChainBackend(chat, concurrency=1), LABELS)
    probs = clf.predict_proba(["a fine film", "a dull film"])
    assert probs == pytest.approx(np.array([[0.2, 0.8], [0.2, 0.8]]))
    assert clf.probability_source == "stated-confidence"
    assert clf.source_counts["stated-confidence"] == 2
    kinds = [c.kind for c in clf.backend.calls]
    assert kinds[:2] == ["label_probabilities"] * 2 and kinds[2:] == ["generate"] * 2
    clf.predict_proba(["another film"])  # switched for good: no more label_probabilities calls
    assert [c.kind for c in clf.backend.calls][4:] == ["generate"]


def test_embedded_llm_stated_confidence(smollm2) -> None:  # type: ignore[no-untyped-def]
    clf = LLMClassifier(smollm2, LABELS, probability="stated-confidence")
    assert not clf.uses_kv_prefix
    probs = clf.predict_proba(["I loved this film"])
    assert probs.sum() == pytest.approx(1.0) and ((probs >= 0) & (probs <= 1)).all()
    assert clf.probability_source == "stated-confidence"
    assert smollm2.calls[-1].kind == "generate" and smollm2.calls[-1].prompt_name == "classify_confidence"


def test_load_text_classifier_specs(tmp_path: Path) -> None:
    assert isinstance(load_text_classifier("vader"), VaderClassifier)
    with pytest.raises(UserError):
        load_text_classifier(str(tmp_path / "nope"))
    with pytest.raises(UserError, match="llm: models"):
        load_text_classifier("vader-ish/none", labels=["a", "b"])


def test_explain_text_takes_a_pipeline_or_a_model_and_tokenizer_pair(tiny_bert: Path) -> None:
    """The objects a notebook holds, not a path: the same tiny BERT three ways gives the same scores."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

    import verbalize

    text = "the movie was great but the ending bad ."
    by_path = verbalize.explain_text(text, model=str(tiny_bert), methods=["occlusion"], target="positive")
    net = AutoModelForSequenceClassification.from_pretrained(tiny_bert, local_files_only=True)
    tok = AutoTokenizer.from_pretrained(tiny_bert, local_files_only=True)
    by_pair = verbalize.explain_text(text, model=(net, tok), methods=["occlusion"], target="positive")
    by_pipe = verbalize.explain_text(text, model=pipeline("text-classification", model=net, tokenizer=tok),
                                     methods=["occlusion"], target="positive")
    for ex in (by_pair, by_pipe):
        assert ex.target_label == "positive" and ex.tokens == by_path.tokens
        np.testing.assert_allclose(ex.attributions[0].scores, by_path.attributions[0].scores, atol=1e-6)
    with pytest.raises(UserError, match="model=: expected"):
        verbalize.explain_text(text, model=42)


def test_load_text_classifier_reads_the_users_prompts_dir(tmp_path: Path) -> None:
    """explain-text, verbalize-text and the text service build their LLM classifier here: a user's own
    classify_label.yaml in `llm.prompts_dir` must win over the packaged one, as it does in the study."""
    (tmp_path / "classify_label.yaml").write_text(
        "name: classify_label\nversion: mine\nmessages:\n  - role: user\n    template: '{task} {labels}: {input}'\n")
    clf = load_text_classifier("llm:local", prompts_dir=str(tmp_path))
    assert isinstance(clf, LLMClassifier) and clf.describe()["prompt"] == "classify_label@mine"
    assert load_text_classifier("llm:local").describe()["prompt"] == "classify_label@2"  # the packaged one

"""Text classifiers behind one interface (`TextClassifier`): an LLM asked to classify, a Hugging Face
sequence classifier from local files, and the VADER lexicon. See `base` for the conventions every
method and metric relies on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from verbalize.adapters.text.base import SENTIMENT_LABELS, TextClassifier, TokenSeq
from verbalize.adapters.text.hf import HFSequenceClassifier
from verbalize.adapters.text.llm import LLMClassifier, confidence_prompt, stated_probabilities
from verbalize.adapters.text.vader import VaderClassifier
from verbalize.core.errors import UserError


def load_text_classifier(
    spec: str,
    *,
    labels: Sequence[str] | None = None,
    task_prompt: str | None = None,
    batch_size: int = 32,
    prompts_dir: str | None = None,
) -> TextClassifier:
    """`vader`, `llm:BACKEND_SPEC` (e.g. `llm:local`, `llm:openai:MODEL@URL`) or a path to a
    Hugging Face sequence classifier (a directory, or ORG/NAME in the HF cache). `prompts_dir`: the
    config's `llm.prompts_dir`, where a user's own `classify_label.yaml` overrides the packaged one."""
    spec = spec.strip()
    if spec.lower() == "vader":
        return VaderClassifier()
    if spec.startswith("llm:"):
        from verbalize.adapters.llm import make_backend

        backend = make_backend(spec[4:] or "local")
        return LLMClassifier(backend, labels or SENTIMENT_LABELS, task_prompt, batch_size=batch_size,
                             prompts_dir=prompts_dir)
    if labels:
        raise UserError("--labels applies to llm: models; a sequence classifier has its own labels")
    return HFSequenceClassifier(spec, batch_size=batch_size)


def as_text_classifier(model: Any, *, labels: Sequence[str] | None = None, task_prompt: str | None = None,
                       batch_size: int = 32) -> TextClassifier:
    """A text classifier from whatever a user holds: a spec as `load_text_classifier` takes, a
    `TextClassifier`, a transformers text-classification `pipeline`, or a (model, tokenizer) pair."""
    if isinstance(model, str):
        return load_text_classifier(model, labels=labels, task_prompt=task_prompt, batch_size=batch_size)
    if isinstance(model, TextClassifier):
        return model
    if isinstance(model, tuple | list) and len(model) == 2:
        first, second = model
        net, tok = (first, second) if hasattr(getattr(first, "config", None), "id2label") else (second, first)
        return HFSequenceClassifier.from_objects(net, tok, batch_size=batch_size)
    if hasattr(model, "model") and hasattr(model, "tokenizer") and type(model).__module__.startswith("transformers"):
        if getattr(model, "tokenizer", None) is None:
            raise UserError("model=: this transformers pipeline has no tokenizer")
        return HFSequenceClassifier.from_objects(model.model, model.tokenizer, batch_size=batch_size)
    raise UserError(f"model=: expected 'vader', 'llm:SPEC', a model directory, a transformers pipeline or a "
                    f"(model, tokenizer) pair, got {type(model).__name__}")


__all__ = [
    "as_text_classifier",
    "HFSequenceClassifier",
    "LLMClassifier",
    "SENTIMENT_LABELS",
    "TextClassifier",
    "TokenSeq",
    "VaderClassifier",
    "confidence_prompt",
    "load_text_classifier",
    "stated_probabilities",
]

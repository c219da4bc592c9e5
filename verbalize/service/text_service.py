"""The text journey behind the service's /v1/explain/text and /v1/self-explanations routes.

The language model loads once (lazily, on the first text request, so an image-only service starts
as fast as before) and is shared by both routes; a lock serialises use of the local model, whose
batched forward passes are not safe to interleave.
"""

from __future__ import annotations

import threading
from typing import Any

from verbalize.core.config import Config
from verbalize.core.errors import UserError

_EXPLAIN_OPTIONS = {"model", "methods", "target", "labels", "task_prompt", "seed", "lime_samples", "shap_max_evals"}
_STUDY_OPTIONS = {"labels", "task_prompt", "strategies", "methods", "lime_samples", "shap_max_evals", "max_tokens",
                  "explained_label"}


def _check(options: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise UserError(f"options: unknown {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})")


class TextService:
    """Implements the service's `TextProcessor` protocol with the text journey's own functions."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._backend: Any = None
        self._lock = threading.Lock()

    def backend(self) -> Any:
        if self._backend is None:
            from verbalize.adapters.llm import make_backend

            self._backend = make_backend(self.config.llm)
        return self._backend

    def explain_text(self, text: str, label: str | None, options: dict[str, Any]) -> dict[str, Any]:
        """Occlusion / LIME / SHAP on one text. `options.model`: 'llm' (the service's LLM, default),
        'vader'; loading other models per request is not offered (they would load on every call)."""
        from verbalize.adapters.text import LLMClassifier, TextClassifier, load_text_classifier
        from verbalize.pipeline.text.methods import explain_text_tokens
        from verbalize.pipeline.text.tokens import tokenize

        _check(options, _EXPLAIN_OPTIONS)
        model = options.get("model", "llm")
        labels = options.get("labels") or ["negative", "positive"]
        with self._lock:
            clf: TextClassifier
            if model == "llm":
                clf = LLMClassifier(self.backend(), labels, task_prompt=options.get("task_prompt"))
            elif model == "vader":
                clf = load_text_classifier("vader")
            else:
                raise UserError(f"options.model: {model!r} is not served here (use 'llm' or 'vader')")
            result = explain_text_tokens(
                clf, tokenize(text), methods=options.get("methods") or ["occlusion"],
                target=options.get("target") or label, seed=int(options.get("seed", self.config.seed)),
                lime_samples=options.get("lime_samples"), shap_max_evals=options.get("shap_max_evals"), text=text)
        return result.model_dump(mode="json")

    def self_explanations(self, texts: list[str], options: dict[str, Any]) -> dict[str, Any]:
        """Huang et al.'s study on a few texts with the service's LLM; same options as `self-explain`."""
        from verbalize.pipeline.text.study import compare_self_explanations

        _check(options, _STUDY_OPTIONS)
        opts = dict(options)
        kwargs: dict[str, Any] = {k: opts.pop(k) for k in ("labels", "strategies", "methods") if k in opts}
        with self._lock:
            result = compare_self_explanations(texts, self.config, backend=self.backend(), **kwargs, **opts)
        return result.model_dump(mode="json")

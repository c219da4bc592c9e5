"""The text journey behind the service's /v1/explain/text and /v1/self-explanations routes.

The language model loads once (lazily, on the first text request, so an image-only service starts
as fast as before) and is shared by both routes; a lock serialises use of the local model, whose
batched forward passes are not safe to interleave.

A request's options are validated by the pydantic models below, and every knob that scales work
(LIME samples, SHAP evaluations, tokens to write) is capped by the service's settings: a value
beyond a cap is a 422 naming the field, before any work starts. A request whose client has gone
stops at the next batch of model calls (`cancelled` is checked in the progress callbacks).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from verbalize.core.config import Config
from verbalize.core.errors import InputError, UserError
from verbalize.core.seeding import MAX_SEED
from verbalize.service.settings import ServiceSettings


class RequestGone(Exception):
    """The client disconnected: the work for it stops (raised from a progress callback)."""


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid")

    labels: list[str] | None = Field(default=None, min_length=2, max_length=20)
    task_prompt: str | None = Field(default=None, max_length=2_000)
    methods: list[str] | None = Field(default=None, min_length=1, max_length=8)
    lime_samples: int | None = Field(default=None, ge=1, description="capped by max_lime_samples")
    shap_max_evals: int | None = Field(default=None, ge=1, description="capped by max_shap_evals")


class TextExplainOptions(_Options):
    model: Literal["llm", "vader"] = Field(default="llm", description="loading other models per request is not offered")
    target: str | None = None
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED)


class StudyRequestOptions(_Options):
    strategies: list[str] | None = Field(default=None, min_length=1, max_length=8)
    max_tokens: int | None = Field(default=None, ge=1, description="capped by max_tokens")
    explained_label: str | None = None


def parse_options(model: type[BaseModel], options: dict[str, Any], settings: ServiceSettings) -> Any:
    """Options validated and capped; `InputError` (422) naming the field otherwise."""
    if "model" in options and model is TextExplainOptions and options["model"] not in ("llm", "vader"):
        raise UserError(f"options.model: {options['model']!r} is not served here (use 'llm' or 'vader')")
    try:
        parsed = model.model_validate(options)
    except ValidationError as e:
        first = e.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise InputError(f"options.{loc}: {first['msg']}") from None
    caps = {"lime_samples": settings.max_lime_samples, "shap_max_evals": settings.max_shap_evals,
            "max_tokens": settings.max_tokens}
    for field, cap in caps.items():
        value = getattr(parsed, field, None)
        if value is not None and value > cap:
            raise InputError(f"options.{field}: {value} is over this service's limit of {cap}")
    return parsed


class TextService:
    """Implements the service's `TextProcessor` protocol with the text journey's own functions."""

    def __init__(self, config: Config, settings: ServiceSettings | None = None) -> None:
        self.config = config
        self.settings = settings or ServiceSettings()
        self._backend: Any = None
        self._lock = threading.Lock()

    def backend(self) -> Any:
        if self._backend is None:
            from verbalize.adapters.llm import make_backend

            self._backend = make_backend(self.config.llm)
        return self._backend

    def explain_text(self, text: str, label: str | None, options: dict[str, Any],
                     cancelled: Callable[[], bool] | None = None) -> dict[str, Any]:
        """Occlusion / LIME / SHAP on one text. `options.model`: 'llm' (the service's LLM, default),
        'vader'; loading other models per request is not offered (they would load on every call)."""
        from verbalize.adapters.text import LLMClassifier, TextClassifier, load_text_classifier
        from verbalize.pipeline.text.methods import explain_text_tokens
        from verbalize.pipeline.text.tokens import tokenize

        opts: TextExplainOptions = parse_options(TextExplainOptions, options, self.settings)
        labels = opts.labels or ["negative", "positive"]

        def progress(_: str) -> Callable[[int, int], None]:
            def tick(_done: int, _total: int) -> None:
                if cancelled is not None and cancelled():
                    raise RequestGone()
            return tick

        with self._lock:
            clf: TextClassifier
            if opts.model == "llm":
                clf = LLMClassifier(self.backend(), labels, task_prompt=opts.task_prompt,
                                    prompts_dir=self.config.llm.prompts_dir)
            else:
                clf = load_text_classifier("vader")
            seed = opts.seed if opts.seed is not None else self.config.seed
            result = explain_text_tokens(
                clf, tokenize(text), methods=opts.methods or ["occlusion"], target=opts.target or label, seed=seed,
                lime_samples=opts.lime_samples, shap_max_evals=opts.shap_max_evals, text=text, progress=progress,
                batch_size=self.config.scorer.batch_size)
        return result.model_dump(mode="json")

    def self_explanations(self, texts: list[str], options: dict[str, Any],
                          cancelled: Callable[[], bool] | None = None) -> dict[str, Any]:
        """Huang et al.'s study on a few texts with the service's LLM; same options as `self-explain`."""
        from verbalize.pipeline.text.study import compare_self_explanations

        opts = parse_options(StudyRequestOptions, options, self.settings).model_dump(exclude_none=True)
        kwargs: dict[str, Any] = {k: opts.pop(k) for k in ("labels", "strategies", "methods") if k in opts}

        def progress(_done: int, _total: int, _what: str) -> None:
            if cancelled is not None and cancelled():
                raise RequestGone()

        with self._lock:
            result = compare_self_explanations(texts, self.config, backend=self.backend(), progress=progress,
                                               **kwargs, **opts)
        return result.model_dump(mode="json")

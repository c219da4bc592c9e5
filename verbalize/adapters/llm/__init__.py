"""Chat backends and the one function that picks one from a config or a `--llm` flag.

Specs:
    local                              embedded SmolLM2-135M-Instruct (offline)
    local:/path/model.gguf | /path/dir | ORG/NAME   a GGUF, a transformers dir, a model in the HF cache
    openai:MODEL                       OpenAI (key from OPENAI_API_KEY / VERBALIZE_OPENAI_API_KEY)
    openai:MODEL@http://host:port/v1   any OpenAI-compatible server: vLLM, Ollama, LM Studio, llama.cpp
    langchain:package.module:NAME      a langchain-core chat model object (or a factory returning one)

Adding a backend is one `ChatBackend` subclass plus one `@LLM_BACKENDS.register(...)` factory below.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any

from verbalize.adapters.llm.base import (
    ChatBackend,
    Generation,
    LabelScores,
    LLMCall,
    LLMError,
    Message,
    label_mass,
    parse_label,
)
from verbalize.adapters.llm.cache import ResponseCache, cache_dir
from verbalize.core.config import LLMConfig
from verbalize.core.errors import UserError
from verbalize.core.registry import Registry

BackendFactory = Callable[[str, str, dict[str, Any]], ChatBackend]
"""(rest of the spec, the whole spec, settings) -> a backend."""

SPEC_HELP = "use local, local:/path/or/file.gguf, openai:MODEL, openai:MODEL@http://host:port/v1 or langchain:module:object"


def _import_chat_model(target: str) -> Any:
    from langchain_core.language_models import BaseChatModel

    module_name, _, attr = target.partition(":")
    if not module_name or not attr:
        raise UserError(f"langchain:{target}: expected langchain:package.module:NAME")
    try:
        obj = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as e:
        raise UserError(f"langchain:{target}: cannot import ({e})") from e
    if not isinstance(obj, BaseChatModel) and callable(obj):
        obj = obj()
    if not isinstance(obj, BaseChatModel):
        raise UserError(f"langchain:{target}: is not a langchain-core chat model")
    return obj


def make_backend(
    spec: str | LLMConfig | Any,
    *,
    cache_path: str | os.PathLike[str] | None = None,
    **options: Any,
) -> ChatBackend:
    """A backend from a spec string, an `LLMConfig`, or a langchain-core chat model object.

    Settings (temperature, max_tokens, timeout_s, max_retries, concurrency, cache, prompts_dir) come
    from the `LLMConfig` (defaults for a bare string); `options` override them and may add
    backend-specific ones (`batch_size`, `device` for local). `cache_path` moves the response cache
    (default: `<user cache dir>/llm_responses.sqlite`).
    """
    from langchain_core.language_models import BaseChatModel

    config = spec if isinstance(spec, LLMConfig) else LLMConfig()
    settings: dict[str, Any] = {
        "temperature": config.temperature,
        "max_tokens": config.max_tokens,
        "timeout_s": config.timeout_s,
        "max_retries": config.max_retries,
        "concurrency": config.concurrency,
        "prompts_dir": config.prompts_dir,
    }
    use_cache = bool(options.pop("cache", config.cache))
    settings.update(options)
    cache_file = cache_path or getattr(config, "cache_path", None)
    settings["cache"] = ResponseCache(cache_file) if use_cache else None

    if isinstance(spec, BaseChatModel):
        from verbalize.adapters.llm.langchain import LangChainBackend

        return LangChainBackend(spec, **settings)
    text = (config.backend if isinstance(spec, LLMConfig) else str(spec)).strip()
    kind, _, rest = text.partition(":")
    if kind not in LLM_BACKENDS:
        raise UserError(f"unknown LLM backend '{text}': {SPEC_HELP}")
    return LLM_BACKENDS.get(kind).obj(rest, text, settings)


LLM_BACKENDS: Registry[BackendFactory] = Registry("LLM backend")
"""Every backend, by the prefix of its spec (``local:…``, ``openai:…``, ``langchain:…``). An entry's
`obj` builds the backend from the rest of the spec; its metadata names the spec prefix and the
backend's capabilities (images, logprobs, shared_prefix, json_schema: answers follow a JSON schema
passed as the ``json_schema`` generation parameter), so callers ask for a capability instead
of a backend's name."""


@LLM_BACKENDS.register("local", prefix="local:", capabilities=("logprobs", "shared_prefix", "json_schema"),
                       libraries=("torch", "transformers", "gguf", "lm-format-enforcer"),
                       description="in-process transformers model; the embedded SmolLM2-135M by default")
def _local(rest: str, text: str, settings: dict[str, Any]) -> ChatBackend:
    from verbalize.adapters.llm.local import LocalBackend

    return LocalBackend(rest or None, **settings)


@LLM_BACKENDS.register("openai", prefix="openai:", capabilities=("images", "logprobs", "json_schema"),
                       libraries=("openai",),
                       description="OpenAI or any OpenAI-compatible server (vLLM, Ollama, llama.cpp)")
def _openai(rest: str, text: str, settings: dict[str, Any]) -> ChatBackend:
    from verbalize.adapters.llm.openai import OpenAIBackend

    model, _, url = rest.partition("@")
    if not model:
        raise UserError(f"LLM backend '{text}': name the model, e.g. openai:gpt-4o-mini")
    if url and not url.startswith(("http://", "https://")):
        raise UserError(f"LLM backend '{text}': the endpoint must be an http(s) URL, e.g. openai:MODEL@http://localhost:8000/v1")
    return OpenAIBackend(model, base_url=url or None, **settings)


@LLM_BACKENDS.register("langchain", prefix="langchain:", capabilities=("images",), libraries=("langchain-core",),
                       description="any langchain-core chat model object")
def _langchain(rest: str, text: str, settings: dict[str, Any]) -> ChatBackend:
    from verbalize.adapters.llm.langchain import LangChainBackend

    if not rest:
        raise UserError("the langchain backend needs a model: langchain:package.module:NAME, "
                        "or make_backend(chat_model) / LangChainBackend(chat_model) from Python")
    return LangChainBackend(_import_chat_model(rest), **settings)


__all__ = [
    "ChatBackend",
    "Generation",
    "LabelScores",
    "LLMCall",
    "LLMError",
    "LLM_BACKENDS",
    "Message",
    "ResponseCache",
    "cache_dir",
    "label_mass",
    "make_backend",
    "parse_label",
]

"""Any langchain-core `BaseChatModel` as a backend: the door to every provider LangChain supports.

The user builds and configures the model (provider, key, temperature, its own timeouts); we add
what every backend gets: the cache, our retries and timeout, the repair turn and the records.
Images go as OpenAI-style `image_url` data-URL parts, LangChain's common format for vision input.

LangChain has no common interface for token log-probabilities, so label probabilities come from
the generated answer, parsed (`label_probability_source = "fallback-generate"`), unless the
provider puts OpenAI-style `logprobs` into the message's `response_metadata` (ChatOpenAI does when
the model is bound with `logprobs=True, top_logprobs=…`), which is then used.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, ClassVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from verbalize.adapters.llm.base import ChatBackend, Completion, Request
from verbalize.core.errors import UserError


def model_name(model: BaseChatModel) -> str:
    for attr in ("model_name", "model", "model_id"):
        value = getattr(model, attr, None)
        if isinstance(value, str) and value:
            return value
    return model._llm_type


def to_langchain_messages(request: Request) -> list[BaseMessage]:
    """Our messages as LangChain messages; images become parts of the last user message."""
    out: list[BaseMessage] = []
    last_user = max((i for i, m in enumerate(request.messages) if m["role"] == "user"), default=None)
    for i, m in enumerate(request.messages):
        if m["role"] == "system":
            out.append(SystemMessage(content=m["content"]))
        elif m["role"] == "assistant":
            out.append(AIMessage(content=m["content"]))
        elif i == last_user and request.images:
            parts: list[str | dict[str, Any]] = [{"type": "text", "text": m["content"]}]
            parts += [{"type": "image_url", "image_url": {"url": img.data_url}} for img in request.images]
            out.append(HumanMessage(content=parts))
        else:
            out.append(HumanMessage(content=m["content"]))
    if request.images and last_user is None:
        out.append(HumanMessage(content=[{"type": "image_url", "image_url": {"url": img.data_url}}
                                         for img in request.images]))
    return out


def _completion(message: BaseMessage) -> Completion:
    text = str(message.text)  # joins the text parts of list content
    usage = getattr(message, "usage_metadata", None) or {}
    top = None
    content = ((message.response_metadata or {}).get("logprobs") or {}).get("content")
    if content:
        first = content[0]
        top = [(t["token"], float(t["logprob"])) for t in first.get("top_logprobs") or []] or [
            (first["token"], float(first["logprob"]))
        ]
    return Completion(text=text, prompt_tokens=usage.get("input_tokens"),
                      completion_tokens=usage.get("output_tokens"), top_logprobs=top)


class LangChainBackend(ChatBackend):
    """Wraps a langchain-core chat model. Parameters given to `generate(**params)` are passed on to
    the model's call; the model's own settings (temperature, max tokens) are otherwise left alone."""

    backend: ClassVar[str] = "langchain"
    capabilities: ClassVar[frozenset[str]] = frozenset({"images"})
    no_logprobs_source: ClassVar[str] = "fallback-generate"

    def __init__(self, chat_model: BaseChatModel, **kwargs: Any) -> None:
        if not isinstance(chat_model, BaseChatModel):
            raise UserError(f"the langchain backend needs a langchain-core BaseChatModel, got {type(chat_model).__name__}")
        super().__init__(model_name(chat_model), **kwargs)
        self.chat_model = chat_model
        # Sync calls run on these threads so that a hung provider call can be abandoned at the timeout.
        self._pool = ThreadPoolExecutor(max_workers=self.concurrency + 2, thread_name_prefix="verbalize-lc")

    @property
    def endpoint(self) -> str:
        return f"langchain:{type(self.chat_model).__module__}.{type(self.chat_model).__name__}"

    def _generation_params(self, overrides: dict[str, Any]) -> dict[str, Any]:  # type: ignore[override]
        return {k: v for k, v in overrides.items() if v is not None}

    def _label_answer_params(self, labels: list[str]) -> dict[str, Any]:
        return {}  # the model's own settings apply

    def _complete(self, request: Request) -> Completion:
        future = self._pool.submit(self.chat_model.invoke, to_langchain_messages(request), **request.params)
        try:
            message = future.result(timeout=self.policy.timeout_s)
        except FutureTimeout as e:
            future.cancel()
            raise TimeoutError(f"no answer within {self.policy.timeout_s:g} s") from e
        return _completion(message)

    async def _acomplete(self, request: Request) -> Completion:
        try:
            message = await asyncio.wait_for(
                self.chat_model.ainvoke(to_langchain_messages(request), **request.params), self.policy.timeout_s
            )
        except TimeoutError as e:
            raise TimeoutError(f"no answer within {self.policy.timeout_s:g} s") from e
        return _completion(message)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


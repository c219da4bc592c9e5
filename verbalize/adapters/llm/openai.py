"""Any OpenAI-compatible chat endpoint through the official `openai` SDK.

One backend covers OpenAI itself and the servers that speak its protocol: vLLM, Ollama
(`http://localhost:11434/v1`), LM Studio, llama.cpp's server. Images go as base64 data-URL content
parts, which is what OpenAI and vLLM/Ollama vision models accept.

Label probabilities come from `logprobs` / `top_logprobs` of the first answer token where the
server gives them. Where it does not (the field is missing, or the server rejects the parameter,
or no label is among the top tokens), the answer text is parsed instead and the label it names gets
probability 1; the record says which (`label_probability_source`), so no one mistakes a parsed
answer for a probability.

The API key comes only from the environment (`VERBALIZE_OPENAI_API_KEY`, else `OPENAI_API_KEY`); it
is handed to the SDK client and kept nowhere else, so it cannot end up in a record, a log or a repr.
The SDK's own retries are off (`max_retries=0`): ours are counted in every record.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from typing import Any, ClassVar

import httpx
import openai

from verbalize.adapters.llm.base import ChatBackend, Completion, Request
from verbalize.core.errors import UserError

KEY_VARIABLES = ("VERBALIZE_OPENAI_API_KEY", "OPENAI_API_KEY")
TOP_LOGPROBS = 20  # OpenAI's maximum; enough to see every label of a small label set


def api_key_from_env(base_url: str | None) -> str:
    """The key from the environment; local servers need none, OpenAI itself does."""
    for name in KEY_VARIABLES:
        if os.environ.get(name):
            return os.environ[name]
    if base_url is None and not os.environ.get("OPENAI_BASE_URL"):
        raise UserError("the openai backend needs an API key: set OPENAI_API_KEY (or VERBALIZE_OPENAI_API_KEY)")
    return "not-needed"  # vLLM, Ollama, llama.cpp ignore it, but the SDK wants a value


def to_openai_messages(request: Request) -> list[dict[str, Any]]:
    """Chat messages in OpenAI's format; images become data-URL parts of the last user message."""
    messages: list[dict[str, Any]] = [dict(m) for m in request.messages]
    if not request.images:
        return messages
    parts = [{"type": "image_url", "image_url": {"url": img.data_url}} for img in request.images]
    last_user = next((i for i in range(len(messages) - 1, -1, -1) if messages[i]["role"] == "user"), None)
    if last_user is None:
        messages.append({"role": "user", "content": parts})
    else:
        text = messages[last_user]["content"]
        messages[last_user] = {"role": "user", "content": [{"type": "text", "text": text}, *parts]}
    return messages


def _has_logprobs(resp: Any) -> bool:
    choices = getattr(resp, "choices", None)
    return bool(choices) and getattr(choices[0], "logprobs", None) is not None  # type: ignore[index]


def _completion(resp: Any) -> Completion:
    choice = resp.choices[0] if getattr(resp, "choices", None) else None
    text = (choice.message.content or "") if choice is not None and choice.message is not None else ""
    top = None
    content = getattr(getattr(choice, "logprobs", None), "content", None)
    if content:
        top = [(t.token, float(t.logprob)) for t in (content[0].top_logprobs or [])]
        if not top:  # top_logprobs not returned: the chosen token alone is still evidence
            top = [(content[0].token, float(content[0].logprob))]
    usage = getattr(resp, "usage", None)
    return Completion(
        text=text,
        prompt_tokens=getattr(usage, "prompt_tokens", None),
        completion_tokens=getattr(usage, "completion_tokens", None),
        top_logprobs=top,
    )


def _rejects_logprobs(e: openai.BadRequestError) -> bool:
    return "logprob" in str(e).lower()


class OpenAIBackend(ChatBackend):
    """`openai:MODEL` (OpenAI) or `openai:MODEL@http://host:port/v1` (any compatible server)."""

    backend: ClassVar[str] = "openai"
    capabilities: ClassVar[frozenset[str]] = frozenset({"images", "logprobs", "json_schema"})
    call_errors: ClassVar[tuple[type[BaseException], ...]] = (openai.OpenAIError, httpx.HTTPError, OSError)

    def __init__(self, model: str, *, base_url: str | None = None, **kwargs: Any) -> None:
        super().__init__(model, **kwargs)
        key = api_key_from_env(base_url)
        timeout = httpx.Timeout(self.policy.timeout_s, connect=min(10.0, self.policy.timeout_s))
        self._client_args: dict[str, Any] = {"base_url": base_url, "timeout": timeout, "max_retries": 0}
        self._client = openai.OpenAI(api_key=key, **self._client_args)
        self._aclients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, openai.AsyncOpenAI] = (
            weakref.WeakKeyDictionary()
        )
        self.base_url = str(self._client.base_url).rstrip("/")
        self.schema_style = "json_schema"
        """How a ``json_schema`` parameter is sent: OpenAI's ``response_format`` json_schema, or
        llama-cpp-python's ``{"type": "json_object", "schema": …}`` once a server rejected the first."""
        self.logprobs_supported: bool | None = None
        """None until the server answered; False once it rejected or ignored `logprobs` (then they are
        not asked for again and label probabilities come from parsed answers)."""

    @property
    def endpoint(self) -> str:
        return self.base_url

    def _label_params(self, labels: list[str]) -> dict[str, Any]:
        if self.logprobs_supported is False:
            return self._label_answer_params(labels)
        # One token is all the logprobs path needs; llama.cpp's server, for one, spends ~0.25 s per
        # generated token on logprobs (measured), and OpenAI bills every token.
        return {"temperature": 0.0, "max_tokens": 1, "logprobs": True, "top_logprobs": TOP_LOGPROBS}

    def _note_logprobs(self, kwargs: dict[str, Any], resp: Any) -> None:
        if "logprobs" not in kwargs:
            return
        if not _has_logprobs(resp):
            self.logprobs_supported = False  # a server that ignores the parameter: stop asking
        elif self.logprobs_supported is None:
            self.logprobs_supported = True  # never undoes a rejection seen by a concurrent request

    def _aclient(self) -> openai.AsyncOpenAI:
        # An async HTTP client belongs to the event loop it was first used on.
        loop = asyncio.get_running_loop()
        client = self._aclients.get(loop)
        if client is None:
            client = openai.AsyncOpenAI(api_key=self._client.api_key, **self._client_args)
            self._aclients[loop] = client
        return client

    def _kwargs(self, request: Request) -> dict[str, Any]:
        params = dict(request.params)
        schema = params.pop("json_schema", None)
        if schema is not None:
            params["response_format"] = (
                {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}}
                if self.schema_style == "json_schema" else {"type": "json_object", "schema": schema})
        if self.logprobs_supported is False:
            params.pop("logprobs", None)
            params.pop("top_logprobs", None)
        return {"model": self.model, "messages": to_openai_messages(request), **params}

    def _rejects_schema(self, kwargs: dict[str, Any], e: openai.APIStatusError) -> bool:
        """A server that does not take OpenAI's json_schema form (llama-cpp-python): switch styles."""
        if (
            "response_format" in kwargs
            and self.schema_style == "json_schema"
            and (e.status_code in (400, 422) or "json_schema" in str(e))  # llama-cpp-python: a 500
        ):
            self.schema_style = "json_object"
            return True
        return False

    def _complete(self, request: Request) -> Completion:
        kwargs = self._kwargs(request)
        try:
            resp = self._client.chat.completions.create(**kwargs)
        except openai.APIStatusError as e:
            if self._rejects_schema(kwargs, e):
                return self._complete(request)
            if not isinstance(e, openai.BadRequestError) or "logprobs" not in kwargs or not _rejects_logprobs(e):
                raise
            self.logprobs_supported = False
            resp = self._client.chat.completions.create(**self._kwargs(request))
        self._note_logprobs(kwargs, resp)
        return _completion(resp)

    async def _acomplete(self, request: Request) -> Completion:
        client = self._aclient()
        kwargs = self._kwargs(request)
        try:
            resp = await client.chat.completions.create(**kwargs)
        except openai.APIStatusError as e:
            if self._rejects_schema(kwargs, e):
                return await self._acomplete(request)
            if not isinstance(e, openai.BadRequestError) or "logprobs" not in kwargs or not _rejects_logprobs(e):
                raise
            self.logprobs_supported = False
            resp = await client.chat.completions.create(**self._kwargs(request))
        self._note_logprobs(kwargs, resp)
        return _completion(resp)

    def close(self) -> None:
        self._client.close()

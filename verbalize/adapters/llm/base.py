"""One chat-model interface for every backend (OpenAI-compatible endpoints, local transformers, LangChain).

The pipeline needs two things from a language model: text (`generate`, for verbalizations and
self-explanations) and label probabilities for many prompts at once (`label_probabilities`, for the
scorer behind occlusion, LIME, SHAP and the faithfulness metrics). Everything around a call is the
same whatever the model is, so it lives here once:

- the response cache (a rerun makes no calls), retries with backoff, a concurrency limit;
- one repair turn for an empty or malformed answer, then a recorded failure that keeps the raw
  text: `generate` never raises for what a model or an endpoint does, it returns
  `Generation(ok=False, error=..., raw=...)`;
- an `LLMCall` record for every call (backend, model, parameters, prompt name@version, latency,
  tokens, cached, retries, where the label probabilities came from), kept in `backend.calls` so
  that pipelines can put them in provenance.

A backend implements `_complete` (one attempt at one chat completion) and, when it can do better
than one request per prompt, `label_scores` (the local backend runs one batched forward pass).

The call flows (`_generate_flow`, `_label_flow`) are generators that yield the requests they need
and receive the results, so that the same cache / repair / record logic drives both the sync and the
async entry points without being written twice.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import math
import re
import threading
import time
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, TypeAlias, TypeVar

import numpy as np
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from verbalize.adapters.llm.cache import ResponseCache, cache_key
from verbalize.adapters.llm.reliability import CallFailed, RetryPolicy, describe
from verbalize.core.errors import UserError
from verbalize.prompts import load_prompt

T = TypeVar("T")

Role = Literal["system", "user", "assistant"]


class LLMError(UserError):
    """An endpoint that kept failing (after retries) where no partial result makes sense."""


class Message(BaseModel):
    """One chat message. Plain `{"role": ..., "content": ...}` dicts are accepted everywhere too."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    content: str


MessageLike: TypeAlias = Message | Mapping[str, Any]
ImageLike: TypeAlias = bytes | Image.Image
Validator: TypeAlias = Callable[[str], str | None]
"""Checks an answer; returns what is wrong with it (sent back in the repair turn) or None."""


def as_messages(messages: Sequence[MessageLike]) -> list[dict[str, str]]:
    """Validated messages as plain dicts (the form the cache key and every SDK want)."""
    out = []
    for m in messages:
        msg = m if isinstance(m, Message) else Message.model_validate(dict(m))
        out.append({"role": msg.role, "content": msg.content})
    if not out:
        raise ValueError("a chat call needs at least one message")
    return out


_MAGIC = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg", b"GIF8": "image/gif", b"RIFF": "image/webp"}


@dataclass(frozen=True)
class EncodedImage:
    """An image as the bytes that go over the wire, with its MIME type and hash (for the cache key)."""

    data: bytes
    mime: str

    @classmethod
    def of(cls, image: ImageLike) -> EncodedImage:
        if isinstance(image, Image.Image):
            buf = io.BytesIO()
            image.save(buf, format="PNG")
            return cls(buf.getvalue(), "image/png")
        if isinstance(image, bytes | bytearray | memoryview):
            data = bytes(image)
            for magic, mime in _MAGIC.items():
                if data.startswith(magic):
                    return cls(data, mime)
        raise ValueError("images must be PIL images or PNG/JPEG/GIF/WebP bytes")

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def data_url(self) -> str:
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class LLMCall(BaseModel):
    """The record of one call: enough to reproduce it and to account for it in provenance."""

    model_config = ConfigDict(protected_namespaces=())

    backend: str
    model: str
    kind: Literal["generate", "label_probabilities"]
    params: dict[str, Any] = Field(default_factory=dict)
    prompt_name: str | None = None
    prompt_version: str | None = None
    started: str = Field(default_factory=_now)
    latency_s: float = 0.0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached: bool = False
    retries: int = 0
    repaired: bool = Field(default=False, description="a repair turn was needed")
    ok: bool = True
    error: str | None = None
    raw: str | None = Field(default=None, description="the model's unusable answer, on failure")
    images: int = 0
    label_probability_source: str | None = Field(
        default=None,
        description="'logits' (local), 'logprobs' (remote top_logprobs), 'fallback-…' (answer parsed, "
        "probability 1 for the named label), 'unparsed' (no label named: NaN)",
    )
    label_mass: float | None = Field(
        default=None, description="unnormalised probability of all labels together (1 - mass = 'something else')"
    )
    n_prompts: int = 1
    forward_passes: int = 0

    def _add_tokens(self, c: Completion) -> None:
        if c.prompt_tokens is not None:
            self.prompt_tokens = (self.prompt_tokens or 0) + c.prompt_tokens
        if c.completion_tokens is not None:
            self.completion_tokens = (self.completion_tokens or 0) + c.completion_tokens

    @property
    def prompt_id(self) -> str | None:
        return f"{self.prompt_name}@{self.prompt_version}" if self.prompt_name else None


class Generation(BaseModel):
    """The answer to `generate`: usable text (`ok`), or the error and the raw answer."""

    text: str
    ok: bool = True
    error: str | None = None
    raw: str | None = None
    call: LLMCall


@dataclass
class LabelScores:
    """Label probabilities for n prompts.

    `probs` is renormalised over the labels (rows sum to 1); `raw` is the unnormalised probability
    of each label (for logprobs/logits; one-hot for parsed answers), so `mass = raw.sum(1)` says how
    much of the model's belief went to any label at all. Rows are NaN where the model named no label
    even after a repair turn (see `sources` and the `LLMCall` records).
    """

    labels: list[str]
    raw: np.ndarray
    sources: list[str]

    @property
    def probs(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.raw / self.raw.sum(axis=1, keepdims=True)

    @property
    def mass(self) -> np.ndarray:
        return self.raw.sum(axis=1)


@dataclass
class Completion:
    """What one attempt returned. `top_logprobs`: the first answer token's alternatives, if given."""

    text: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    top_logprobs: list[tuple[str, float]] | None = None


@dataclass
class Request:
    messages: list[dict[str, str]]
    images: list[EncodedImage] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Result:
    completion: Completion
    retries: int


def check_labels(labels: Sequence[str]) -> list[str]:
    out = [str(label).strip() for label in labels]
    if not out or any(not label for label in out) or len(set(out)) != len(out):
        raise ValueError(f"labels must be non-empty and distinct, got {list(labels)!r}")
    return out


def parse_label(text: str, labels: Sequence[str]) -> int | None:
    """Index of the label an answer names: the label it starts with, else the only label it mentions."""
    t = text.strip().lstrip("\"'*`#:([- \n").lower()
    for j in sorted(range(len(labels)), key=lambda j: -len(labels[j])):
        lab = labels[j].lower()
        if t.startswith(lab) and (len(t) == len(lab) or not t[len(lab)].isalnum()):
            return j
    found = {j for j, lab in enumerate(labels) if re.search(rf"(?<!\w){re.escape(lab.lower())}(?!\w)", t)}
    return found.pop() if len(found) == 1 else None


def label_mass(top_logprobs: Sequence[tuple[str, float]], labels: Sequence[str]) -> np.ndarray:
    """Unnormalised p(answer starts with label) from the first token's top alternatives.

    A remote server does not tell us how it tokenises a label, so a token counts for a label when
    its text (case and surrounding spaces ignored) is a prefix of the label, or is the whole label
    followed by punctuation. A token that fits several labels ("ne" for "negative" and "neutral") is
    split evenly between them. Labels whose first tokens coincide cannot be told apart this way.
    """
    lower = [label.lower() for label in labels]
    mass = np.zeros(len(labels))
    for token, logprob in top_logprobs:
        s = token.strip().lower()
        if not s:
            continue
        hits = [
            j for j, lab in enumerate(lower)
            if lab.startswith(s) or (s.startswith(lab) and not s[len(lab)].isalnum())
        ]
        for j in hits:
            mass[j] += math.exp(logprob) / len(hits)
    return mass


def _problem(text: str, validate: Validator | None) -> str | None:
    if not text.strip():
        return "the answer was empty"
    if validate is None:
        return None
    try:
        return validate(text)
    except Exception as e:  # a validator that raises is a validator that says no
        return describe(e)


class ChatBackend(ABC):
    """The interface every chat backend implements; see the module docstring for what it adds."""

    backend: ClassVar[str] = "?"
    capabilities: ClassVar[frozenset[str]] = frozenset()
    """What this backend can do beyond chat: "images" (image content parts), "logprobs" (token
    log-probabilities, so label probabilities are measured rather than parsed), "shared_prefix"
    (an in-process model whose KV cache `shared_prefix_engine()` reuses across prompts)."""
    call_errors: ClassVar[tuple[type[BaseException], ...]] = (Exception,)
    """Exceptions from `_complete` that mean "the model/endpoint failed" (recorded, not raised)."""
    no_logprobs_source: ClassVar[str] = "fallback-no-logprobs"

    def __init__(
        self,
        model: str,
        *,
        temperature: float = 0.0,
        max_tokens: int = 256,
        timeout_s: float = 60.0,
        max_retries: int = 4,
        concurrency: int = 4,
        cache: ResponseCache | None = None,
        prompts_dir: str | None = None,
    ) -> None:
        self.model = model
        self.defaults: dict[str, Any] = {"temperature": temperature, "max_tokens": max_tokens}
        self.policy = RetryPolicy(max_retries=max_retries, timeout_s=timeout_s)
        self.concurrency = max(1, int(concurrency))
        self.cache = cache
        self.calls: list[LLMCall] = []
        self.requests = 0
        """Attempts sent to the model (cache hits excluded, retries and repairs included)."""
        self._repair = load_prompt("repair", prompts_dir)
        self._count_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(self.concurrency)
        self._aslots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    # ---- what a backend provides -------------------------------------------------------------

    @abstractmethod
    def _complete(self, request: Request) -> Completion:
        """One attempt at one chat completion. Raise on failure; retries happen around it."""

    async def _acomplete(self, request: Request) -> Completion:
        return await asyncio.to_thread(self._complete, request)

    @property
    def endpoint(self) -> str:
        """Where the model runs, for cache keys and messages (the OpenAI backend adds its URL)."""
        return self.backend

    def _generation_params(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in {**self.defaults, **overrides}.items() if v is not None}

    def _label_answer_params(self, labels: list[str]) -> dict[str, Any]:
        """Greedy, and just long enough to write the longest label: for reading the answer's text."""
        return {"temperature": 0.0, "max_tokens": min(32, 3 + max(len(lab) for lab in labels) // 3)}

    def _label_params(self, labels: list[str]) -> dict[str, Any]:
        """The first request for label probabilities. Backends with logprobs ask for one token and
        its alternatives (cheaper: servers compute logprobs per generated token); others, for the
        answer itself."""
        return self._label_answer_params(labels)

    @property
    def supports_images(self) -> bool:
        return "images" in self.capabilities

    def close(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing to release
        """Release connections and files. The backend is unusable afterwards."""

    def __enter__(self) -> ChatBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model!r}, endpoint={self.endpoint!r})"

    # ---- public API --------------------------------------------------------------------------

    def generate(
        self,
        messages: Sequence[MessageLike],
        *,
        images: Sequence[ImageLike] | None = None,
        prompt_id: str | None = None,
        validate: Validator | None = None,
        **params: Any,
    ) -> Generation:
        """Answer a chat. Images are attached to the last user message. Never raises for model or
        endpoint failures: those come back as `ok=False` with the error and the raw answer."""
        return self._drive(self._generate_flow(messages, images, prompt_id, validate, params))

    async def agenerate(
        self,
        messages: Sequence[MessageLike],
        *,
        images: Sequence[ImageLike] | None = None,
        prompt_id: str | None = None,
        validate: Validator | None = None,
        **params: Any,
    ) -> Generation:
        return await self._adrive(self._generate_flow(messages, images, prompt_id, validate, params))

    def label_scores(
        self, prompts: Sequence[Sequence[MessageLike]], labels: Sequence[str], *, prompt_id: str | None = None
    ) -> LabelScores:
        """Label probabilities with the raw mass and their sources; requests run `concurrency` at a time."""
        labs = check_labels(labels)
        flows = [self._label_flow(p, labs, prompt_id) for p in prompts]
        if len(flows) <= 1 or self.concurrency == 1:
            rows = [self._drive(f) for f in flows]
        else:
            with ThreadPoolExecutor(max_workers=min(self.concurrency, len(flows))) as pool:
                rows = list(pool.map(self._drive, flows))
        return _scores(labs, rows)

    async def alabel_scores(
        self, prompts: Sequence[Sequence[MessageLike]], labels: Sequence[str], *, prompt_id: str | None = None
    ) -> LabelScores:
        labs = check_labels(labels)
        tasks = [asyncio.ensure_future(self._adrive(self._label_flow(p, labs, prompt_id))) for p in prompts]
        try:
            rows = await asyncio.gather(*tasks)
        except BaseException:
            for t in tasks:
                t.cancel()
            raise
        return _scores(labs, list(rows))

    def label_probabilities(
        self, prompts: Sequence[Sequence[MessageLike]], labels: Sequence[str], *, prompt_id: str | None = None
    ) -> np.ndarray:
        """(n_prompts, n_labels): p(the answer starts with each label), renormalised over the labels."""
        return self.label_scores(prompts, labels, prompt_id=prompt_id).probs

    async def alabel_probabilities(
        self, prompts: Sequence[Sequence[MessageLike]], labels: Sequence[str], *, prompt_id: str | None = None
    ) -> np.ndarray:
        return (await self.alabel_scores(prompts, labels, prompt_id=prompt_id)).probs

    def drain_calls(self) -> list[LLMCall]:
        """The calls recorded so far, removed from `calls` (for a pipeline's provenance)."""
        out, self.calls[:] = list(self.calls), []
        return out

    # ---- records and cache keys --------------------------------------------------------------

    def _record(self, kind: Literal["generate", "label_probabilities"], params: dict[str, Any],
                prompt_id: str | None, **extra: Any) -> LLMCall:
        name, _, version = (prompt_id or "").partition("@")
        return LLMCall(backend=self.backend, model=self.model, kind=kind, params=dict(params),
                       prompt_name=name or None, prompt_version=version or None, **extra)

    def _finish(self, call: LLMCall, t0: float) -> LLMCall:
        call.latency_s = round(time.perf_counter() - t0, 6)
        self.calls.append(call)
        return call

    def _key(self, kind: str, messages: list[dict[str, str]], images: list[EncodedImage],
             params: dict[str, Any], prompt_id: str | None, labels: list[str] | None = None) -> str:
        return cache_key(kind=kind, endpoint=self.endpoint, model=self.model, prompt=prompt_id,
                         messages=messages, images=[i.sha256 for i in images], params=params, labels=labels)

    # ---- the call flows (shared by sync and async) -------------------------------------------

    def _generate_flow(
        self,
        messages: Sequence[MessageLike],
        images: Sequence[ImageLike] | None,
        prompt_id: str | None,
        validate: Validator | None,
        overrides: Mapping[str, Any],
    ) -> Generator[Request, _Result, Generation]:
        t0 = time.perf_counter()
        msgs = as_messages(messages)
        imgs = [EncodedImage.of(i) for i in images or ()]
        params = self._generation_params(overrides)
        call = self._record("generate", params, prompt_id, images=len(imgs))

        def done(text: str, error: str | None = None, raw: str | None = None) -> Generation:
            call.ok, call.error, call.raw = error is None, error, raw
            return Generation(text=text, ok=error is None, error=error, raw=raw, call=self._finish(call, t0))

        if imgs and "images" not in self.capabilities:
            return done("", f"the {self.backend} backend ({self.model}) cannot see images; "
                            "use a vision model through openai:MODEL@URL")
        key = self._key("generate", msgs, imgs, params, prompt_id)
        if self.cache is not None and (hit := self.cache.get(key)) is not None:
            call.cached = True
            call.prompt_tokens, call.completion_tokens = hit.get("prompt_tokens"), hit.get("completion_tokens")
            return done(hit["text"])
        try:
            result = yield Request(msgs, imgs, params)
            call.retries += result.retries
            call._add_tokens(result.completion)
            text = result.completion.text
            problem = _problem(text, validate)
            if problem is not None:
                call.repaired = True
                repair = [*msgs, {"role": "assistant", "content": text or "(empty)"},
                          *self._repair.format(problem=problem)]
                result = yield Request(repair, imgs, params)
                call.retries += result.retries
                call._add_tokens(result.completion)
                text = result.completion.text
                problem = _problem(text, validate)
                if problem is not None:
                    return done("", f"unusable answer after one repair: {problem}", text)
        except CallFailed as failed:
            call.retries += failed.retries
            return done("", f"{self.backend} call failed: {failed}")
        if self.cache is not None:
            self.cache.put(key, {"text": text.strip(), "prompt_tokens": call.prompt_tokens,
                                 "completion_tokens": call.completion_tokens})
        return done(text.strip())

    def _read_labels(self, completion: Completion, labels: list[str]) -> tuple[np.ndarray | None, str]:
        """Label mass from the first token's logprobs, else the label the answer names."""
        if completion.top_logprobs is not None:
            mass = label_mass(completion.top_logprobs, labels)
            if mass.sum() > 0:
                return mass, "logprobs"
            return self._parse_answer(completion, labels, "fallback-label-not-in-top-logprobs")
        return self._parse_answer(completion, labels, self.no_logprobs_source)

    @staticmethod
    def _parse_answer(completion: Completion, labels: list[str], source: str) -> tuple[np.ndarray | None, str]:
        j = parse_label(completion.text, labels)
        if j is None:
            return None, source
        row = np.zeros(len(labels))
        row[j] = 1.0
        return row, source

    def _label_flow(
        self, messages: Sequence[MessageLike], labels: list[str], prompt_id: str | None
    ) -> Generator[Request, _Result, tuple[np.ndarray, str]]:
        t0 = time.perf_counter()
        msgs = as_messages(messages)
        params = self._label_params(labels)
        call = self._record("label_probabilities", params, prompt_id)
        key = self._key("label_probabilities", msgs, [], params, prompt_id, labels)
        if self.cache is not None and (hit := self.cache.get(key)) is not None:
            cached_row = np.asarray([np.nan if v is None else v for v in hit["raw"]], dtype=float)
            call.cached, call.label_probability_source = True, hit["source"]
            if hit["source"] == "unparsed":
                call.ok, call.error = False, "no label in the (cached) answer"
            else:
                call.label_mass = float(cached_row.sum())
            self._finish(call, t0)
            return cached_row, hit["source"]
        answer_params = self._label_answer_params(labels)
        try:
            result = yield Request(msgs, [], params)
            call.retries += result.retries
            call._add_tokens(result.completion)
            row, source = self._read_labels(result.completion, labels)
            if row is None and "logprobs" in params:
                # The first request read one token's alternatives and found no label among them:
                # read the whole answer before judging it.
                result = yield Request(msgs, [], answer_params)
                call.retries += result.retries
                call._add_tokens(result.completion)
                row, source = self._parse_answer(result.completion, labels, source)
            if row is None:
                call.repaired = True
                problem = f"it did not start with one of the labels ({', '.join(labels)})"
                repair = [*msgs, {"role": "assistant", "content": result.completion.text or "(empty)"},
                          *self._repair.format(problem=problem)]
                result = yield Request(repair, [], answer_params)
                call.retries += result.retries
                call._add_tokens(result.completion)
                row, source = self._parse_answer(result.completion, labels, source)
        except CallFailed as failed:
            call.retries += failed.retries
            call.ok, call.error = False, str(failed)
            self._finish(call, t0)
            after = f" after {failed.retries} retries" if failed.retries else ""
            raise LLMError(f"{self.backend}:{self.model} at {self.endpoint}: {failed}{after}") from failed.cause
        call.label_probability_source = source if row is not None else "unparsed"
        if row is None:
            call.ok, call.error, call.raw = False, "no label in the answer, even after a repair turn", result.completion.text
            row = np.full(len(labels), np.nan)
        else:
            call.label_mass = float(row.sum())
        if self.cache is not None:
            # An unparsed answer is cached too: label scoring is greedy, so asking again gives the
            # same answer; only transport failures (raised above) are worth a new call.
            self.cache.put(key, {"raw": row.tolist(), "source": call.label_probability_source})
        self._finish(call, t0)
        return row, call.label_probability_source

    # ---- drivers -----------------------------------------------------------------------------

    def _count(self) -> None:
        with self._count_lock:
            self.requests += 1

    def _attempt(self, request: Request) -> _Result:
        def once() -> Completion:
            with self._slots:
                self._count()
                return self._complete(request)

        completion, retries = self.policy.call(once)
        return _Result(completion, retries)

    async def _aattempt(self, request: Request) -> _Result:
        loop = asyncio.get_running_loop()
        slots = self._aslots.setdefault(loop, asyncio.Semaphore(self.concurrency))

        async def once() -> Completion:
            async with slots:
                self._count()
                return await self._acomplete(request)

        completion, retries = await self.policy.acall(once)
        return _Result(completion, retries)

    def _drive(self, flow: Generator[Request, _Result, T]) -> T:
        try:
            request = next(flow)
            while True:
                try:
                    result = self._attempt(request)
                except CallFailed as failed:
                    if not isinstance(failed.cause, self.call_errors):
                        raise failed.cause from None
                    request = flow.throw(failed)
                else:
                    request = flow.send(result)
        except StopIteration as stop:
            return stop.value

    async def _adrive(self, flow: Generator[Request, _Result, T]) -> T:
        try:
            request = next(flow)
            while True:
                try:
                    result = await self._aattempt(request)
                except CallFailed as failed:
                    if not isinstance(failed.cause, self.call_errors):
                        raise failed.cause from None
                    request = flow.throw(failed)
                else:
                    request = flow.send(result)
        except StopIteration as stop:
            return stop.value


def _scores(labels: list[str], rows: list[tuple[np.ndarray, str]]) -> LabelScores:
    raw = np.stack([r for r, _ in rows]) if rows else np.zeros((0, len(labels)))
    return LabelScores(labels=labels, raw=raw, sources=[s for _, s in rows])

"""Retries for every backend: which failures are worth another try, and how long to wait.

Remote endpoints fail in ordinary ways (rate limits, restarts behind a load balancer, a dropped
connection, a slow answer). One policy for all backends means one place to tune and one retry
count in every `LLMCall` record. The backends' own retry loops (the openai SDK has one) are turned
off so that every attempt is ours and is counted.

Waits: exponential backoff with full jitter (so that many workers that failed together do not
retry together), except that a server's `Retry-After` / `retry-after-ms` header is honoured (up to
`max_retry_after_s`, so a misconfigured server cannot park us for an hour).
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from tenacity import AsyncRetrying, RetryCallState, Retrying, retry_if_exception, stop_after_attempt

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
"""HTTP statuses worth another try: timeouts, conflicts, rate limits, and server errors."""


def status_code(exc: BaseException) -> int | None:
    """The HTTP status behind an exception, for the openai SDK's, httpx's and most providers' errors."""
    for obj in (exc, getattr(exc, "response", None)):
        code = getattr(obj, "status_code", None)
        if isinstance(code, int):
            return code
    return None


def retry_after_s(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait (`retry-after-ms` or `Retry-After`), if it said so."""
    headers = getattr(getattr(exc, "response", None), "headers", None)
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        when = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, when.timestamp() - time.time()) if when else None


class MalformedResponse(Exception):
    """An endpoint answered, but not with what its protocol promises: a 200 whose body is not JSON,
    JSON that is no chat completion, a truncated body, logprobs missing from a server that gives
    them. Worth another try (a proxy or a worker in a bad state), then a recorded failure."""


def is_retryable(exc: BaseException) -> bool:
    """Transient failures: 429 / 5xx and friends, timeouts, dropped or refused connections, and
    answers that are not what the protocol promises (`MalformedResponse`)."""
    if isinstance(exc, MalformedResponse):
        return True
    code = status_code(exc)
    if code is not None:
        return code in RETRY_STATUS or code >= 500
    try:  # the openai SDK is optional for the other backends
        import openai

        if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
            return True
    except ImportError:  # pragma: no cover - openai is a dependency
        pass
    return isinstance(exc, TimeoutError | ConnectionError | httpx.TimeoutException | httpx.TransportError)


def describe(exc: BaseException) -> str:
    """One line for records and messages. Exception texts from the SDKs never carry the API key."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    code = status_code(exc)
    prefix = f"HTTP {code}" if code is not None else type(exc).__name__
    return f"{prefix}: {text[:300]}" if text else prefix


class CallFailed(Exception):
    """A call that failed for good: the last error (`cause`) and how many retries were spent on it."""

    def __init__(self, cause: BaseException, retries: int) -> None:
        super().__init__(describe(cause))
        self.cause = cause
        self.retries = retries


@dataclass
class RetryPolicy:
    """How many times to retry and how long to wait; `timeout_s` bounds each attempt."""

    max_retries: int = 4
    timeout_s: float = 60.0
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    max_retry_after_s: float = 120.0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def wait_s(self, exc: BaseException | None, attempt: int) -> float:
        """Wait before retry number `attempt` (1-based) after `exc`."""
        asked = retry_after_s(exc) if exc is not None else None
        if asked is not None:
            # Honour the server, plus a little jitter so a crowd of clients spreads out.
            return min(asked, self.max_retry_after_s) + self.rng.uniform(0, self.base_delay_s / 2)
        cap = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
        return self.rng.uniform(0, cap)  # "full jitter"

    def _tenacity_args(self) -> dict[str, Any]:
        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            return self.wait_s(exc, state.attempt_number)

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            log.info("LLM call failed (%s); retry %d of %d", describe(exc) if exc else "?",
                     state.attempt_number, self.max_retries)

        return {
            "stop": stop_after_attempt(self.max_retries + 1),
            "wait": wait,
            "retry": retry_if_exception(is_retryable),
            "before_sleep": before_sleep,
            "reraise": True,
        }

    def call(self, fn: Callable[[], T]) -> tuple[T, int]:
        """Run `fn` with retries; return its result and the number of retries it took.

        Raises `CallFailed` carrying the last error and the retry count when no attempt succeeds.
        """
        attempts = 0
        try:
            for attempt in Retrying(**self._tenacity_args()):
                with attempt:
                    attempts += 1
                    result = fn()
        except Exception as e:
            raise CallFailed(e, attempts - 1) from e
        return result, attempts - 1

    async def acall(self, fn: Callable[[], Awaitable[T]]) -> tuple[T, int]:
        """Async `call`: the waits are `asyncio.sleep`, so other requests proceed meanwhile."""
        attempts = 0
        try:
            async for attempt in AsyncRetrying(**self._tenacity_args()):
                with attempt:
                    attempts += 1
                    result = await fn()
        except Exception as e:
            raise CallFailed(e, attempts - 1) from e
        return result, attempts - 1

"""The micro-batcher: explain requests that arrive together share the model's passes.

Requests queue here. A dispatcher thread waits for a free model slot, takes the oldest request,
gathers the requests with the same options for up to `batch_window_ms` (at most `max_batch`) and
hands them to the models as one batch (`ImageExplainer.explain_many`: shared prediction, CAM and
fact-sheet passes). Requests with other options wait for their own batch. On an idle service the
window costs a few milliseconds; on a busy one the requests that queued while the models worked
are the next batch, so batches grow with the load without waiting longer.

Where the models run is a `Models` backend: in this process (`LocalModels`), in N spawned
processes (`verbalize.service.workers`) or on Ray Serve replicas (`verbalize.service.ray_serve`).
A backend runs `slots` batches at once, each in its own model copy, so hooks of two batches never
meet in one model.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from verbalize.service.jobs import ExplainOptions

if TYPE_CHECKING:
    from verbalize.service.app import ExplainImageResponse, ImageService

log = logging.getLogger("verbalize.service.batcher")

Upload = tuple[bytes, str]
"""An uploaded image and its (safe) file name."""

Outcome = Any
"""An `ExplainImageResponse`, or the exception that image met (answered as its error)."""


class Models(Protocol):
    """Where the image models run; `run` explains one batch with one set of options (blocking)."""

    slots: int
    model_name: str

    def run(self, options: ExplainOptions, uploads: Sequence[Upload]) -> list[Outcome]: ...

    def close(self) -> None: ...


class LocalModels:
    """The models in this process: one copy, one batch at a time (`ImageService.lock`)."""

    slots = 1

    def __init__(self, service: ImageService) -> None:
        self.service = service
        self.model_name = service.base.classifier.name

    def run(self, options: ExplainOptions, uploads: Sequence[Upload]) -> list[Outcome]:
        return self.service.explain_batch(options, uploads)

    def close(self) -> None:
        pass


class ServiceStopping(Exception):
    """The service stopped before the request's batch ran."""


@dataclass
class _Request:
    options: ExplainOptions
    upload: Upload
    key: str
    future: Future[ExplainImageResponse] = field(default_factory=Future)
    queued: float = field(default_factory=time.perf_counter)


class MicroBatcher:
    """Gathers explain requests into batches per options and runs them on `models`' slots.

    `max_batch=1` turns batching off: every request runs alone, as the service did before
    (the benchmark's baseline). An error of one image is that request's answer only; an error of
    the whole batch (a model process that died) is every request's answer in that batch.
    """

    def __init__(self, models: Models, *, window_s: float = 0.005, max_batch: int = 8) -> None:
        self.models = models
        self.window_s = window_s
        self.max_batch = max_batch
        self.batches = 0
        self._queue: deque[_Request] = deque()
        self._cond = threading.Condition()
        self._slots = threading.Semaphore(models.slots)
        self._idle = models.slots  # slots not running a batch (the dispatcher's count, under _cond)
        self._closed = False
        self._thread = threading.Thread(target=self._dispatch, name="verbalize-batcher", daemon=True)
        self._thread.start()

    @property
    def queued(self) -> int:
        return len(self._queue)

    def submit(self, options: ExplainOptions, data: bytes, filename: str) -> Future[ExplainImageResponse]:
        """Queue one image; the future holds its response or its error. Cancel it to drop the
        request before its batch starts (a client that went away)."""
        request = _Request(options, (data, filename), options.model_dump_json())
        with self._cond:
            if self._closed:
                raise ServiceStopping("the service is stopping; retry later")
            self._queue.append(request)
            self._cond.notify_all()
        return request.future

    def close(self) -> None:
        """Stop taking requests; those still queued get `ServiceStopping` (503). Running batches are
        not waited for: their requests are closed with the server."""
        with self._cond:
            self._closed = True
            left = list(self._queue)
            self._queue.clear()
            self._cond.notify_all()
        for r in left:
            if r.future.set_running_or_notify_cancel():
                r.future.set_exception(ServiceStopping("the service is stopping; retry later"))
        self._slots.release()  # wake the dispatcher if it waits for a slot
        self._thread.join(timeout=5)

    def _dispatch(self) -> None:
        while True:
            self._slots.acquire()
            batch = self._gather()
            if batch is None:
                return
            # A daemon thread per batch (at most `slots` at once): a batch still running when the
            # server stops does not hold the process up past its grace period.
            threading.Thread(target=self._run, args=(batch,), name="verbalize-batch", daemon=True).start()

    def _gather(self) -> list[_Request] | None:
        """The oldest request and up to `max_batch - 1` more with its options, waiting at most the
        window for them and leaving some for the other idle slots; None once closed."""
        with self._cond:
            while not self._queue and not self._closed:
                self._cond.wait()
            if self._closed:
                return None
            key = self._queue[0].key
            deadline = time.perf_counter() + self.window_s
            while sum(r.key == key for r in self._queue) < self.max_batch and not self._closed:
                left = deadline - time.perf_counter()
                if left <= 0:
                    break
                self._cond.wait(left)
            same = [r for r in self._queue if r.key == key]
            # Spread the waiting requests over the idle slots: on CPUs a second model copy at work
            # is worth more than a bigger batch in one.
            batch = same[: min(self.max_batch, -(-len(same) // max(1, self._idle)))]
            self._idle -= 1
            taken = {id(r) for r in batch}
            self._queue = deque(r for r in self._queue if id(r) not in taken)
            return batch

    def _run(self, batch: list[_Request]) -> None:
        try:
            live = [r for r in batch if r.future.set_running_or_notify_cancel()]  # drops cancelled ones
            if not live:
                return
            self.batches += 1
            try:
                outcomes = self.models.run(live[0].options, [r.upload for r in live])
                if len(outcomes) != len(live):
                    raise RuntimeError(f"the models answered {len(outcomes)} results for a batch of {len(live)}")
            except Exception as e:  # noqa: BLE001 - the whole batch failed: every request hears why
                log.exception("a batch of %d failed", len(live))
                outcomes = [e] * len(live)
            for r, outcome in zip(live, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    r.future.set_exception(outcome)
                else:
                    r.future.set_result(outcome)
        finally:
            with self._cond:
                self._idle += 1
            self._slots.release()

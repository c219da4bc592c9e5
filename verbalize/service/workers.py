"""`--workers N`: N model processes behind the one HTTP front.

Each worker is a spawned process that loads the image models once and then explains the batches
the micro-batcher sends it over a pipe, one at a time; the front keeps the HTTP server, the
admission gate and the jobs (one store). Spawned, not forked: the front has threads (uvicorn, the
batcher, the job worker) and torch does not survive a fork with them. Each worker gets the
machine's cores ($OMP_NUM_THREADS when set) divided by N as torch and OpenCV threads, so N workers
do not fight over the same cores.

A worker that dies fails the batch it was running (those requests get a 500; the server log names
the exit code) and is started again; one found dead while idle is replaced before it gets a batch.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import pickle
import queue
import threading
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

from verbalize.core.config import Config
from verbalize.core.errors import UserError
from verbalize.service.batcher import Outcome, Upload
from verbalize.service.jobs import ExplainOptions

log = logging.getLogger("verbalize.service.workers")

START_TIMEOUT_S = 600.0
"""How long a worker may take to load the models (spawning imports torch afresh)."""
STOP_GRACE_S = 3.0
"""How long the workers get to leave when the service stops; a batch still running is cut off."""


def portable(outcome: Any) -> Any:
    """What crosses the pipe: responses, and errors as they are where they pickle (a user's error
    stays a 4xx in the front); an unexpected one is logged here, with its traceback, first."""
    if not isinstance(outcome, Exception):
        return outcome
    if not isinstance(outcome, UserError):
        log.error("worker %d: an image failed", os.getpid(), exc_info=outcome)
    try:
        pickle.loads(pickle.dumps(outcome))
        return outcome
    except Exception:  # noqa: BLE001
        return (UserError if isinstance(outcome, UserError) else RuntimeError)(f"{type(outcome).__name__}: {outcome}")


def _worker_main(config: Config, threads: int, conn: Connection) -> None:
    """A worker's body: load the models, say so, then explain batches until the pipe closes."""
    import cv2  # noqa: F401 - loaded here so that limit_threads reaches it (GrabCut runs on OpenCV)
    import torch  # noqa: F401

    from verbalize.pipeline.batch.runner import limit_threads
    from verbalize.service.app import ImageService

    limit_threads(threads)  # torch and OpenCV alike, as batch workers do: N workers, not N x cores OpenCV threads
    try:
        service = ImageService(config)
    except Exception as e:  # noqa: BLE001 - reported to the front, which refuses to start
        conn.send(("failed", f"{type(e).__name__}: {e}"))
        return
    conn.send(("ready", service.base.classifier.name))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        options, uploads = message
        try:
            outcomes = [portable(o) for o in service.explain_batch(options, uploads)]
        except Exception as e:  # noqa: BLE001 - the batch's error, for every request in it
            outcomes = [portable(e)] * len(uploads)
        conn.send(outcomes)


def thread_budget() -> int:
    """The torch threads the service may use in all: $OMP_NUM_THREADS when set, else every core."""
    value = os.environ.get("OMP_NUM_THREADS", "")
    return int(value) if value.isdigit() and int(value) > 0 else (os.cpu_count() or 1)


class _Worker:
    """One spawned model process and the front's end of its pipe."""

    def __init__(self, ctx: Any, config: Config, threads: int) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(config, threads, child), daemon=True,
                                   name="verbalize-model-worker")
        self.process.start()
        child.close()

    def wait_ready(self) -> str:
        if not self.conn.poll(START_TIMEOUT_S):
            raise UserError(f"a model worker did not load the models in {START_TIMEOUT_S:.0f} s")
        try:
            status, detail = self.conn.recv()
        except EOFError:
            raise UserError(f"a model worker exited while loading the models (exit code {self.process.exitcode})") from None
        if status != "ready":
            raise UserError(f"a model worker could not load the models: {detail}")
        return str(detail)

    def ask_to_stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass

    def stop(self, deadline: float) -> None:
        """Wait until `deadline` (monotonic) for the worker to leave, then kill it (a batch in the middle)."""
        self.process.join(timeout=max(0.0, deadline - time.monotonic()))
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self.conn.close()


class ProcessModels:
    """`workers` model processes; `run` hands a batch to an idle one and waits for its answer."""

    def __init__(self, config: Config, *, workers: int) -> None:
        self.config = config
        self.slots = workers
        self._ctx = mp.get_context("spawn")
        self._threads = max(1, thread_budget() // workers)
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False
        started = [self._start() for _ in range(workers)]
        try:
            names = {w.wait_ready() for w in started}
        except BaseException:
            self.close()
            raise
        self.model_name = names.pop()
        for w in started:
            self._idle.put(w)

    def _start(self) -> _Worker:
        worker = _Worker(self._ctx, self.config, self._threads)
        with self._lock:
            self._all.append(worker)
        return worker

    def run(self, options: ExplainOptions, uploads: Sequence[Upload]) -> list[Outcome]:
        worker = self._idle.get()
        while not worker.process.is_alive():  # died while idle: replaced, and the batch goes elsewhere
            self._replace(worker)
            worker = self._idle.get()
        try:
            worker.conn.send((options, list(uploads)))
            outcomes: list[Outcome] = worker.conn.recv()
        except (EOFError, OSError):
            code = self._replace(worker)
            raise RuntimeError(f"the model worker running this batch died (exit code {code})") from None
        self._idle.put(worker)
        return outcomes

    def _replace(self, worker: _Worker) -> int | None:
        """Start a worker in place of a dead one (it joins the idle ones once loaded); its exit code."""
        worker.process.join(timeout=5)
        code = worker.process.exitcode
        with self._lock:
            if self._closed:
                raise RuntimeError("the service stopped while this batch ran")
            self._all.remove(worker)
        log.error("a model worker died (exit code %s); starting another", code)
        replacement = self._start()
        threading.Thread(target=self._when_ready, args=(replacement,), daemon=True).start()
        return code

    def _when_ready(self, worker: _Worker) -> None:
        try:
            worker.wait_ready()
        except UserError as e:
            log.error("a replacement model worker failed: %s", e)
            return
        self._idle.put(worker)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers, self._all = list(self._all), []
        for w in workers:
            w.ask_to_stop()
        deadline = time.monotonic() + STOP_GRACE_S
        for w in workers:
            w.stop(deadline)

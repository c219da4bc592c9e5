"""Batch runs: many inputs → one stored result (or failure) per item, resumable after any crash.

`run()` reads INPUT into keyed items, opens the run's store (SQLite in the run folder, or the
URL given), and processes the items still pending, writing each outcome as it finishes. Resume
and exactly-once therefore live in the store, not here: a rerun asks the store what is pending,
and the store refuses a second result for an item. Both engines feed the same recording loop in
the driver:

- `local`: one process, the models loaded once;
- `ray`: an `ActorPool` of N actors, each loading the models once; results (JSON + PNG bytes)
  come back to the driver, which writes them, so a Ray task retried or lost changes nothing.

What processes an item is looked up by kind in a small registry: `image` is built in; the text
journey's processor is one entry in `verbalize.pipeline.batch.kinds.BATCH_KINDS`.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, computed_field

from verbalize.core.config import Config, load_config
from verbalize.core.errors import UserError
from verbalize.core.redact import redact_argv
from verbalize.pipeline.batch.inputs import discover
from verbalize.pipeline.batch.kinds import Processor, processor_factory
from verbalize.store import ItemRecord, RunRecord, Store, lease_owner, safe_url

log = logging.getLogger(__name__)

EngineName = Literal["local", "ray"]


@dataclass(frozen=True)
class WorkItem:
    """What travels to a worker: plain data, cheap to pickle."""

    item_key: str
    input: dict[str, Any]
    label: str | None = None




@dataclass
class Outcome:
    """One finished item, success or failure, as it comes back to the driver."""

    item_key: str
    ok: bool
    result: dict[str, Any] | None = None
    artifacts: dict[str, bytes] = field(default_factory=dict)
    reason: str | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class BatchProgress:
    """Sent to the `progress` callback once at the start (item_key None) and after every item."""

    total: int
    completed: int
    failed_now: int
    item_key: str | None = None
    ok: bool | None = None
    reason: str | None = None


class FailedItem(BaseModel):
    item_key: str
    reason: str


class BatchSummary(BaseModel):
    name: str
    run_id: int
    kind: str
    engine: str
    workers: int
    store: str
    total: int
    done: int
    failed: int
    pending: int
    processed: int = 0
    failed_now: int = 0
    seconds: float = 0.0
    processing_seconds: float = 0.0
    failures: list[FailedItem] = []
    out_dir: str | None = None

    def to_pandas(self, store_url: str | None = None) -> Any:
        """Every item of the run as a pandas DataFrame, one row per item: the columns of
        `verbalize report --export csv` (give `store_url` again for a store with a password)."""
        if self.out_dir is None:
            raise UserError("this summary has no run folder to read (it came from process_pending)")
        return run_to_pandas(self.out_dir, store_url)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def items_per_minute(self) -> float | None:
        """Throughput of this call once the models were loaded (None when nothing was processed)."""
        if not self.processed or self.processing_seconds <= 0:
            return None
        return 60.0 * self.processed / self.processing_seconds


# -- processors ------------------------------------------------------------------------------

def _reason(e: BaseException) -> str:
    """One line: a user error's own message; anything else its type and message (traceback in the debug log)."""
    if isinstance(e, UserError):
        return str(e)
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0]}" if text else type(e).__name__


def process_one(processor: Processor, item: WorkItem) -> Outcome:
    """Run one item; every exception becomes a failed Outcome so one bad input never ends the run."""
    t0 = time.perf_counter()
    try:
        result, artifacts = processor(item)
    except Exception as e:  # noqa: BLE001 - recorded as the item's failure, the run goes on
        log.debug("item %s failed", item.item_key, exc_info=True)
        return Outcome(item.item_key, ok=False, reason=_reason(e), seconds=time.perf_counter() - t0)
    return Outcome(item.item_key, ok=True, result=result, artifacts=artifacts, seconds=time.perf_counter() - t0)


# -- engines ---------------------------------------------------------------------------------

Handle = Callable[[Outcome], None]


def _run_local(kind: str, config: Config, items: list[WorkItem], handle: Handle, ready: Callable[[], None],
               processor: Processor | None = None) -> None:
    processor = processor or processor_factory(kind)(config)
    ready()
    for item in items:
        handle(process_one(processor, item))


def limit_threads(n: int) -> dict[str, int]:
    """Give torch and OpenCV `n` threads each, when they are loaded; what each has now.

    A Ray actor reserves `num_cpus` cores, and Ray sets OMP_NUM_THREADS to match, but OpenCV keeps
    one thread per core of the machine: N actors on N cores would run N x N OpenCV threads.
    """
    threads: dict[str, int] = {}
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        torch.set_num_threads(n)
        threads["torch"] = torch.get_num_threads()
    if "cv2" in sys.modules:
        cv2 = sys.modules["cv2"]
        cv2.setNumThreads(n)
        threads["cv2"] = cv2.getNumThreads()
    return threads


class _Worker:
    """A Ray actor's body: builds the processor once, then processes items sent to it.

    A failure to build (bad config, missing checkpoint) is kept and reported by `ready()`,
    because an exception in an actor's constructor reaches the driver only as a dead actor.
    """

    def __init__(self, kind: str, config_json: dict[str, Any], threads: int = 1) -> None:
        self.error: str | None = None
        self.processor: Processor | None = None
        try:
            self.processor = processor_factory(kind)(Config.model_validate(config_json))
        except Exception as e:  # noqa: BLE001 - sent back by ready()
            self.error = _reason(e)
        self.thread_counts = limit_threads(threads)

    def ready(self) -> str | None:
        return self.error

    def threads(self) -> dict[str, int]:
        """The torch and OpenCV thread counts this worker runs with."""
        return self.thread_counts

    def process(self, item: WorkItem) -> Outcome:
        assert self.processor is not None, "process() called on a worker that failed to start"
        return process_one(self.processor, item)


def local_ray_options(workers: int, object_store_mb: int) -> dict[str, Any]:
    """`ray.init` arguments for the Ray instance `--engine ray` starts on this machine.

    Ray starts its workers at niceness 15 (so that its own daemons stay responsive), which on a
    machine doing anything else hands the workers a small share of the cores while the local engine
    runs at 0: measured with other work on the same 2 cores, each of two workers got ~47% of a core
    where the local engine got all of one. The workers here are the batch's whole point, so they run
    at niceness 0 like the local engine. (A cluster given with --ray-address keeps its own setting.)
    """
    return {"address": "local", "num_cpus": workers, "object_store_memory": object_store_mb * 1024 * 1024,
            "_system_config": {"worker_niceness": 0}}


def _unreachable(address: str) -> str | None:
    """Why nothing answers at a HOST:PORT (or ray://HOST:PORT) address; None when something does,
    or when the address is another form Ray understands."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return None
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
    except OSError as e:
        return e.strerror or type(e).__name__
    return None


def ray_connect(address: str | None, *, workers: int, object_store_mb: int = 256) -> bool:
    """Join the Ray cluster at `address`, or start a local one with `workers` CPUs; True when
    started here (the caller shuts it down). Unreachable or refused: one `UserError` line."""
    import ray

    if ray.is_initialized():
        return False
    options: dict[str, Any] = {"include_dashboard": False, "logging_level": logging.WARNING, "log_to_driver": False}
    problem = _unreachable(address) if address and address not in ("auto", "local") else None
    if problem:  # ray.init would retry an address nobody answers at for minutes
        raise UserError(f"cannot start or reach Ray at {address}: {problem}")
    try:
        if address and address != "local":
            ray.init(address=address, **options)
        else:
            ray.init(**local_ray_options(workers, object_store_mb), **options)
    except (ConnectionError, RuntimeError, ValueError) as e:
        raise UserError(f"cannot start or reach Ray{f' at {address}' if address else ''}: "
                        f"{str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__}") from None
    return True


def _run_ray(kind: str, config: Config, items: list[WorkItem], handle: Handle, ready: Callable[[], None], *,
             workers: int, address: str | None, object_store_mb: int, start_timeout_s: float = 900.0) -> None:
    try:
        import ray
        from ray.exceptions import GetTimeoutError
        from ray.util import ActorPool
    except ModuleNotFoundError as e:
        raise UserError("--engine ray needs Ray: pip install 'verbalize[ray]'") from e

    started_here = ray_connect(address, workers=workers, object_store_mb=object_store_mb)
    actors: list[Any] = []
    try:
        actor_class = ray.remote(num_cpus=1)(_Worker)
        config_json = config.model_dump(mode="json")
        actors = [actor_class.remote(kind, config_json, 1) for _ in range(min(workers, len(items)))]
        try:
            errors = ray.get([a.ready.remote() for a in actors], timeout=start_timeout_s)
        except GetTimeoutError:
            raise UserError(f"Ray could not start {len(actors)} worker(s) in {start_timeout_s:.0f} s "
                            "(each needs 1 CPU; is the cluster big enough?)") from None
        failed = [e for e in errors if e]
        if failed:
            raise UserError(f"a Ray worker could not load the models: {failed[0]}")
        ready()
        pool = ActorPool(actors)
        for item in items:
            pool.submit(lambda actor, it: actor.process.remote(it), item)
        while pool.has_next():
            handle(pool.get_next_unordered())
    finally:
        for a in actors:
            ray.kill(a)
        if started_here:
            ray.shutdown()


# -- the run ---------------------------------------------------------------------------------

def _config_diff(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> list[str]:
    keys = sorted(set(old) | set(new))
    diffs = []
    for k in keys:
        a, b = old.get(k), new.get(k)
        if isinstance(a, dict) and isinstance(b, dict):
            diffs += _config_diff(a, b, f"{prefix}{k}.")
        elif a != b:
            diffs.append(f"{prefix}{k}: {a!r} → {b!r}")
    return diffs


def _provenance(source: str, engine: str, workers: int, store: Store) -> dict[str, Any]:
    from verbalize import __version__

    return {"input": source, "engine": engine, "workers": workers, "store": store.display_url,
            "started": datetime.now(UTC).isoformat(timespec="seconds"), "host": platform.node(),
            "python": platform.python_version(), "verbalize": __version__, "argv": redact_argv(sys.argv[1:])}


def _write_run_json(out_dir: Path, data: dict[str, Any]) -> None:
    """run.json tells `verbalize report runs/NAME` where the run's store is; written whole or not at all."""
    out_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".run.json.")
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2)
    os.chmod(tmp, 0o644)  # mkstemp makes it private; it holds no secret (the store URL has no password)
    os.replace(tmp, out_dir / "run.json")


def store_url_for(out_dir: str | Path) -> str:
    """The store a run folder points at: run.json's `store`, else the folder's own store.sqlite."""
    folder = Path(out_dir)
    meta = folder / "run.json"
    if meta.is_file():
        try:
            return str(json.loads(meta.read_text())["store"])
        except (ValueError, KeyError) as e:
            raise UserError(f"{meta}: not a run description ({e})") from None
    return f"sqlite:///{folder.resolve() / 'store.sqlite'}"


def run_to_pandas(run_dir: str | Path, store_url: str | None = None) -> Any:
    """A batch run as a pandas DataFrame: one row per item, the columns of `verbalize report --export csv`."""
    from verbalize.core.frames import data_frame
    from verbalize.pipeline.batch.rows import as_report_item, flatten_item

    store, record = open_run(run_dir, store_url)
    with store:
        return data_frame([flatten_item(as_report_item(i)) for i in store.items(record.id)])


def open_run(out_dir: str | Path, store_url: str | None = None) -> tuple[Store, RunRecord]:
    """The store and run record behind a run folder (for reports); UserError when there is none."""
    folder = Path(out_dir)
    url = store_url or store_url_for(folder)
    if url.startswith("sqlite:") and not (folder / "store.sqlite").is_file() and not (folder / "run.json").is_file():
        raise UserError(f"{folder}: no batch run here (no store.sqlite or run.json)")
    name = folder.name
    if (folder / "run.json").is_file():
        name = json.loads((folder / "run.json").read_text()).get("name", name)
    store = Store(url)
    record = store.get_run(name)
    if record is None:
        store.close()
        raise UserError(f"{folder}: the store {safe_url(url)} has no run named {name!r}")
    return store, record


def run(input: str | Path, config: Config | str | Path | None, out_dir: str | Path, *,
        engine: EngineName = "local", workers: int = 1, store_url: str | None = None,
        progress: Callable[[BatchProgress], None] | None = None, name: str | None = None,
        ray_address: str | None = None, retry_failed: bool = False,
        ray_object_store_mb: int = 256) -> BatchSummary:
    """Process every pending item of INPUT into the run `out_dir` (resuming it if it exists).

    The run's name is the folder's name unless given; with a shared PostgreSQL store the name is
    what identifies the run. Failed items are kept as failed on a rerun unless `retry_failed`.
    """
    t_start = time.perf_counter()
    cfg = config if isinstance(config, Config) else load_config(config)
    if engine not in ("local", "ray"):
        raise UserError(f"unknown engine {engine!r}; choose local or ray")
    if workers < 1:
        raise UserError("--workers must be at least 1")
    if engine == "local" and workers != 1:
        raise UserError("--workers applies to --engine ray (the local engine runs one item at a time)")
    batch = discover(input)
    processor_factory(batch.kind)  # a kind nobody can process is an input error, before anything is written
    out = Path(out_dir)
    run_name = name or out.resolve().name
    url = store_url or store_url_for(out)  # a rerun without --store finds the store the run began in
    out.mkdir(parents=True, exist_ok=True)
    with Store(url) as store:
        config_json = cfg.model_dump(mode="json")
        existing = store.get_run(run_name)
        if existing is not None and existing.config != config_json:
            diff = _config_diff(existing.config, config_json)
            raise UserError(f"run {run_name!r} was started with a different config ({'; '.join(diff[:3])}); "
                            "rerun with the original config or choose another --out")
        record = store.create_or_resume_run(run_name, batch.kind, config_json,  # type: ignore[arg-type]
                                            _provenance(batch.source, engine, workers, store), batch.items)
        _write_run_json(out, {"name": run_name, "store": store.display_url, "kind": batch.kind,
                              "input": batch.source})
        summary = process_pending(store, record, cfg, engine=engine, workers=workers, ray_address=ray_address,
                                  progress=progress, retry_failed=retry_failed,
                                  ray_object_store_mb=ray_object_store_mb)
    summary.seconds = time.perf_counter() - t_start
    summary.out_dir = str(out)
    return summary


def process_pending(store: Store, record: RunRecord, config: Config, *, engine: EngineName = "local",
                    workers: int = 1, ray_address: str | None = None,
                    progress: Callable[[BatchProgress], None] | None = None, retry_failed: bool = False,
                    ray_object_store_mb: int = 256, processor: Processor | None = None) -> BatchSummary:
    """Process the run's pending items with the chosen engine, recording each as it finishes.

    Usable on its own by the service, whose jobs already live in the store; `processor` (local
    engine only) reuses models the caller has loaded already, e.g. `image_processor(explainer)`.
    """
    if processor is not None and engine != "local":
        raise ValueError("a ready-made processor can only be used with the local engine")
    t_start = time.perf_counter()
    pending: list[ItemRecord] = store.pending_items(record.id, include_failed=retry_failed)
    total = store.progress(record.id)["total"]
    state: dict[str, Any] = {"completed": total - len(pending), "failed_now": 0, "processed": 0,
                             "t_ready": time.perf_counter()}
    owner = lease_owner()
    if pending:
        store.acquire_lease(record.id, owner)  # one runner per run: a second one stops here with one line
    if progress:
        progress(BatchProgress(total=total, completed=state["completed"], failed_now=0))

    def ready() -> None:
        state["t_ready"] = time.perf_counter()
        store.acquire_lease(record.id, owner)

    def handle(outcome: Outcome) -> None:
        store.acquire_lease(record.id, owner)  # renewed with every item: a live runner keeps its run
        if outcome.ok:
            store.record_result(record.id, outcome.item_key, outcome.result or {}, outcome.artifacts)
        else:
            store.record_failure(record.id, outcome.item_key, outcome.reason or "failed")
            state["failed_now"] += 1
        state["completed"] += 1
        state["processed"] += 1
        if progress:
            progress(BatchProgress(total=total, completed=state["completed"], failed_now=state["failed_now"],
                                   item_key=outcome.item_key, ok=outcome.ok, reason=outcome.reason))

    if pending:
        work = [WorkItem(i.item_key, i.input, i.label) for i in pending]
        store.set_status(record.id, "running")
        try:
            if engine == "ray":
                _run_ray(record.kind, config, work, handle, ready, workers=workers, address=ray_address,
                         object_store_mb=ray_object_store_mb)
            else:
                _run_local(record.kind, config, work, handle, ready, processor)
        except BaseException:
            _mark(store, record.id, "interrupted")
            raise
        finally:
            _release(store, record.id, owner)
    counts = store.progress(record.id)
    _mark(store, record.id, "done" if counts["pending"] == 0 else "interrupted")
    failures = [FailedItem(item_key=i.item_key, reason=i.failure or "failed")
                for i in store.failed_items(record.id, limit=20)]
    return BatchSummary(name=record.name, run_id=record.id, kind=record.kind, engine=engine, workers=workers,
                        store=store.display_url, total=counts["total"], done=counts["done"],
                        failed=counts["failed"], pending=counts["pending"], processed=state["processed"],
                        failed_now=state["failed_now"], seconds=time.perf_counter() - t_start,
                        processing_seconds=time.perf_counter() - state["t_ready"] if pending else 0.0,
                        failures=failures)


def _release(store: Store, run_id: int, owner: str) -> None:
    try:
        store.release_lease(run_id, owner)
    except Exception:  # noqa: BLE001 - an unreleased lease lapses on its own
        log.debug("could not release the lease of run %s", run_id, exc_info=True)


def _mark(store: Store, run_id: int, status: str) -> None:
    """Best effort: when the store itself is what failed, the original error is the one to show."""
    try:
        store.set_status(run_id, status)
    except Exception:  # noqa: BLE001
        log.debug("could not set run %s to %s", run_id, status, exc_info=True)

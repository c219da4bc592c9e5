"""Batch jobs for the service: runs in the store, worked through by one background thread.

A job *is* a run in the store: the run is created (with its items) when the job is accepted, so
it is visible and durable at once, and its provenance carries the job's request (`job`: input,
config overrides). The worker calls `verbalize.pipeline.batch.run`, which writes each item's
result as it finishes and skips finished ones — so a job cut off by a restart simply resumes:
at start-up every service job whose run is not finished is queued again.

Jobs run one after another in one thread: the machine's cores already go to the models, and a
second job at once would only make both slower.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import re
import secrets
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import HTTPException
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from verbalize.core.config import SEGMENTER_KINDS, Config, SegmenterConfig, SegmenterKind
from verbalize.core.errors import InputError, UserError
from verbalize.core.files import write_atomic
from verbalize.core.seeding import MAX_SEED
from verbalize.service.settings import ServiceSettings
from verbalize.store import RunRecord, Store

log = logging.getLogger("verbalize.service.jobs")

FINISHED = {"done", "failed", "cancelled"}
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # used with fullmatch: "$" would accept "ok\n"
# Segmenter knobs a request may turn (explain options and job config): prompts, refinement, objects.
SEGMENTER_KNOBS = ("points", "point_min_distance", "use_box", "threshold", "negative_points", "negative_threshold",
                   "refine_rounds", "refine_iou", "max_objects", "min_object_share")
# Config keys a client may override. Not the model, checkpoints, a Hugging Face segmenter folder
# (segmenter.kind takes SEGMENTER_KINDS only) or LLM endpoints: those name files the server would
# load (torch.load runs code) or hosts it would call.
SAFE_OVERRIDES = ("seed", "verbalizers", "saliency.", "facts.", "scorer.batch_size", "segmenter.kind",
                  *(f"segmenter.{k}" for k in SEGMENTER_KNOBS))


def _like_config(name: str) -> Any:
    """An optional request field with the bounds and description of `SegmenterConfig.<name>` (one source)."""
    source = SegmenterConfig.model_fields[name]
    bounds = {k: getattr(m, k) for m in source.metadata for k in ("ge", "gt", "le", "lt") if hasattr(m, k)}
    return Field(default=None, description=f"segmenter.{name}: {source.description}", **bounds)


def check_segmenter_caps(max_objects: int | None, refine_rounds: int | None, limits: ServiceSettings) -> None:
    """The segmenter knobs that multiply work, against this service's caps (InputError: a 422 naming both)."""
    for knob, value, (setting, cap) in (("max_objects", max_objects, ("max_objects", limits.max_objects)),
                                        ("refine_rounds", refine_rounds, ("max_refine_rounds", limits.max_refine_rounds))):
        if value is not None and value > cap:
            raise InputError(f"segmenter.{knob} = {value} is over this service's limit of {cap} ({setting})")


def _check_segmenter_kind(value: Any, where: str) -> None:
    """A client names a segmenter, never a folder: `hf:/…` (or anything else) is one line naming `where`."""
    if value is not None and value not in SEGMENTER_KINDS:
        raise UserError(f"{where}: {value!r} is not a segmenter this service lets a request choose (one of "
                        f"{', '.join(SEGMENTER_KINDS)}; a Hugging Face model folder is set in the server's config)")


class ExplainOptions(BaseModel):
    """What a request may choose (explain routes and jobs); everything else is the service's config."""

    model_config = ConfigDict(extra="forbid")

    method: str | None = Field(default=None, description="a saliency method (GET /healthz lists them; `verbalize methods`)")
    segmenter: SegmenterKind | None = Field(
        default=None, description="a Hugging Face model folder (hf:) only as the server's own segmenter.kind")
    verbalizer: str | None = Field(default=None, description="template, llm, vlm, all, or a comma-separated list")
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED, description="0 … 2³²−1")
    negative_points: int | None = _like_config("negative_points")
    refine_rounds: int | None = _like_config("refine_rounds")
    refine_iou: float | None = _like_config("refine_iou")
    max_objects: int | None = _like_config("max_objects")

    def overrides(self) -> dict[str, Any]:
        verbalizers = None
        if self.verbalizer:
            v = self.verbalizer.strip()
            from verbalize.pipeline.image.verbalize import IMAGE_VERBALIZERS

            verbalizers = IMAGE_VERBALIZERS.names() if v == "all" else [p.strip() for p in v.split(",") if p.strip()]
        return {"saliency.method": self.method, "segmenter.kind": self.segmenter, "verbalizers": verbalizers,
                "seed": self.seed, "segmenter.negative_points": self.negative_points,
                "segmenter.refine_rounds": self.refine_rounds, "segmenter.refine_iou": self.refine_iou,
                "segmenter.max_objects": self.max_objects}


class JobRequest(BaseModel):
    """A batch job: a server-side folder / manifest / text file (or uploaded files), plus options."""

    model_config = ConfigDict(extra="forbid")

    input: str | None = Field(default=None, max_length=4096,
                              description="a folder of images, a .jsonl/.csv manifest or a .txt file on the server")
    name: str | None = Field(default=None, description="job id (letters, digits, . _ -); generated when left out")
    options: ExplainOptions = Field(default_factory=ExplainOptions)
    config: dict[str, Any] = Field(default_factory=dict, description="dotted config overrides, e.g. {'saliency.occlusion_window': 24}")

    @field_validator("input")
    @classmethod
    def _no_nul(cls, value: str | None) -> str | None:
        if value is not None and "\x00" in value:
            raise ValueError("a path cannot contain a NUL character")
        return value


class JobInfo(BaseModel):
    id: str
    status: str
    kind: str
    created: datetime
    updated: datetime
    input: str | None = None
    progress: dict[str, int] = Field(default_factory=dict, description="total, done, failed, pending")
    error: str | None = None
    report_url: str


class JobCancelled(BaseException):
    """Raised from the progress callback when a client cancelled the running job (DELETE)."""


class JobStopped(BaseException):
    """Raised from the progress callback to leave a job when the service shuts down.

    A BaseException, like KeyboardInterrupt, so no per-item `except Exception` records it as the
    item's failure: the item stays pending and the job resumes at the next start.
    """


def read_inside(path: Path, roots: list[Path]) -> bytes:
    """The file's bytes, opened without following a final symlink and checked, through the open
    descriptor, to lie under one of `roots`; `InputError` (the item fails) otherwise."""
    resolved = path.resolve()
    if not any(resolved == r or resolved.is_relative_to(r) for r in roots):
        raise InputError(f"{path.name}: outside the folders this service may read")
    try:
        fd = os.open(resolved, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as e:
        raise InputError(f"{path.name}: cannot open ({e.strerror})") from None
    try:
        opened = Path(os.readlink(f"/proc/self/fd/{fd}")) if Path("/proc/self/fd").is_dir() else resolved
        if not any(opened == r or opened.is_relative_to(r) for r in roots):
            raise InputError(f"{path.name}: outside the folders this service may read")
        with os.fdopen(fd, "rb") as f:
            fd = -1
            return f.read()
    finally:
        if fd >= 0:
            os.close(fd)


def _new_name() -> str:
    return f"job-{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def _safe_upload_name(n: int, filename: str) -> str:
    base = re.split(r"[\\/]", filename)[-1]
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).lstrip(".")[:100] or "upload"
    return f"{n:04d}-{base}"


class JobManager:
    """Accepts jobs, keeps them in the store, and works through them in a background thread."""

    def __init__(self, *, config: Config, runs_dir: Path, store_url: str, input_roots: list[Path],
                 settings: ServiceSettings | None = None) -> None:
        self.config = config
        self.settings = settings or ServiceSettings()
        self._cancel: set[str] = set()
        self.runs_dir = runs_dir
        self.store_url = store_url
        self.input_roots = [p.resolve() for p in input_roots]
        self._store: Store | None = None
        self._queue: queue.Queue[str] = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._errors: dict[str, str] = {}
        self._submitting = threading.Lock()  # name check + create as one step: two posts, one job
        self.current: str | None = None

    @property
    def store(self) -> Store:
        if self._store is None:  # opened on first use: create_app stays cheap and side-effect free
            self._store = Store(self.store_url)
        return self._store

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Queue every unfinished service job again (a restart resumes them), then start the worker."""
        self._stop.clear()
        for run in self.store.list_runs():
            if "job" in run.provenance and run.status not in FINISHED:
                log.info("resuming job %s (%s)", run.name, run.status)
                self.store.set_status(run.id, "queued")
                self._queue.put(run.name)
        self._thread = threading.Thread(target=self._work, name="verbalize-jobs", daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        """Ask the running job to stop after its current item (it stays queued for the next start)."""
        self._stop.set()
        self._queue.put("")  # wake the worker

    def stop(self, timeout: float = 5.0) -> None:
        """`request_stop`, then wait for the worker; a job still inside an item is marked queued, so
        the next start resumes it (its finished items are in the store already)."""
        self.request_stop()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        current = self.current
        if current is not None:
            run = self.store.get_run(current)
            if run is not None and run.status not in FINISHED:
                self.store.set_status(run.id, "queued")

    # -- submitting --------------------------------------------------------------------------

    def _job_config(self, spec: JobRequest) -> Config:
        for key in spec.config:
            if not any(key == p or (p.endswith(".") and key.startswith(p)) for p in SAFE_OVERRIDES):
                raise UserError(f"config: {key!r} cannot be set per job (allowed: {', '.join(SAFE_OVERRIDES)})")
        _check_segmenter_kind(spec.config.get("segmenter.kind"), "config: segmenter.kind")
        overrides = {**spec.config, **{k: v for k, v in spec.options.overrides().items() if v is not None}}
        cfg = self.config.with_overrides(**overrides)
        from verbalize.pipeline.image.methods import check_sections, method_entry, method_params

        method_entry(cfg.saliency.method)
        check_sections(cfg.saliency)  # 'saliency.foo.bar', a bad value in any method's section: one line now
        limits = self.settings
        caps = {("lime", "samples"): ("max_lime_samples", limits.max_lime_samples),
                ("shap", "max_evals"): ("max_shap_evals", limits.max_shap_evals)}
        for (method, leaf), (knob, cap) in caps.items():
            value = getattr(method_params(cfg.saliency, method), leaf)
            if value > cap:
                raise InputError(f"config: saliency.{method}.{leaf} = {value} is over this service's limit of {cap} "
                                 f"({knob})")
        check_segmenter_caps(cfg.segmenter.max_objects, cfg.segmenter.refine_rounds, limits)
        if cfg.facts.curve_steps > limits.max_curve_steps:
            raise InputError(f"config: facts.curve_steps = {cfg.facts.curve_steps} is over this service's limit of "
                             f"{limits.max_curve_steps} (max_curve_steps)")
        return cfg

    def _check_inside_roots(self, path: Path, what: str) -> None:
        resolved = path.resolve()
        if not any(resolved == root or resolved.is_relative_to(root) for root in self.input_roots):
            raise HTTPException(403, f"{what}: outside the folders this service may read (see --input-root)")

    def _name(self, spec: JobRequest) -> str:
        name = spec.name or _new_name()
        if not NAME_RE.fullmatch(name):
            raise UserError("name: use 1-64 letters, digits, '.', '_' or '-' (not starting with '.', '_' or '-')")
        if self.store.get_run(name) is not None:
            raise HTTPException(409, f"job {name!r} already exists")
        return name

    def submit(self, spec: JobRequest) -> JobInfo:
        """Accept a job over a server-side input; the run and its items are stored before this returns."""
        if not spec.input:
            raise UserError("input: give a folder, manifest or text file on the server (or upload files)")
        self._check_inside_roots(Path(spec.input), "input")
        with self._submitting:
            return self._accept(spec, self._name(spec), Path(spec.input), check_items=True)

    def submit_uploads(self, spec: JobRequest, uploads: Iterable[tuple[str, bytes]]) -> JobInfo:
        """Accept a job over uploaded images, saved under runs/NAME/inputs/ with sanitised names."""
        files = [(f, data) for f, data in uploads if data]
        if not files:
            raise InputError("files: upload at least one non-empty image")
        if len(files) > self.settings.max_job_files:
            raise InputError(f"files: {len(files)} files; this service takes at most {self.settings.max_job_files} "
                             "per job (max_job_files)")
        if spec.input:
            raise UserError("input: give a server-side input or upload files, not both")
        self._job_config(spec)  # refuse bad options before writing anything
        with self._submitting:
            name = self._name(spec)
            folder = self.runs_dir / name / "inputs"
            folder.mkdir(parents=True, exist_ok=True)
            for n, (filename, data) in enumerate(files, start=1):
                (folder / _safe_upload_name(n, filename)).write_bytes(data)
            return self._accept(spec, name, folder, check_items=False)

    def _accept(self, spec: JobRequest, name: str, input_path: Path, *, check_items: bool) -> JobInfo:
        from verbalize.pipeline.batch.inputs import discover
        from verbalize.pipeline.batch.kinds import processor_factory

        cfg = self._job_config(spec)
        batch = discover(input_path)
        processor_factory(batch.kind)  # texts without the text journey: refused now, not failed later
        if check_items:  # a manifest may point anywhere: every path in it must be readable by policy too
            for item in batch.items:
                if "path" in item.input:
                    self._check_inside_roots(Path(item.input["path"]), f"item {item.item_key}")
        job = {"input": batch.source, "overrides": spec.config, "options": spec.options.model_dump(exclude_none=True),
               "submitted": datetime.now(UTC).isoformat(timespec="seconds")}
        run = self.store.create_or_resume_run(name, batch.kind, cfg.model_dump(mode="json"),  # type: ignore[arg-type]
                                              {"job": job}, batch.items)
        self.store.set_status(run.id, "queued")
        # run.json makes `verbalize report runs/NAME` find this job's run in the service's store.
        write_atomic(self.runs_dir / name / "run.json", json.dumps(
            {"name": name, "store": self.store.display_url, "kind": batch.kind, "input": batch.source},
            indent=2).encode())
        self._queue.put(name)
        return self.get(name)

    # -- reading -----------------------------------------------------------------------------

    def _run(self, job_id: str) -> RunRecord:
        run = self.store.get_run(job_id)
        if run is None or "job" not in run.provenance:
            raise HTTPException(404, f"no job {job_id!r}")
        return run

    def _info(self, run: RunRecord) -> JobInfo:
        return JobInfo(id=run.name, status=run.status, kind=run.kind, created=run.created, updated=run.updated,
                       input=run.provenance["job"].get("input"), progress=self.store.progress(run.id),
                       error=self._errors.get(run.name), report_url=f"/v1/jobs/{run.name}/report")

    def get(self, job_id: str) -> JobInfo:
        return self._info(self._run(job_id))

    def list(self) -> list[JobInfo]:
        return [self._info(r) for r in reversed(self.store.list_runs()) if "job" in r.provenance]

    def counts(self) -> dict[str, Any]:
        return {"queued": self._queue.qsize(), "running": self.current is not None}

    def report(self, job_id: str) -> str:
        from verbalize.report.run import render_report

        run = self._run(job_id)
        return render_report(self.store.items(run.id, with_artifacts=True), run)

    # -- working -----------------------------------------------------------------------------

    def _work(self) -> None:
        while not self._stop.is_set():
            name = self._queue.get()
            if not name or self._stop.is_set():
                continue
            run = self.store.get_run(name)
            if run is None or run.status in FINISHED:
                continue
            self.current = name
            try:
                self._execute(run)
            except JobCancelled:
                self.store.set_status(run.id, "cancelled")
                log.info("job %s cancelled", name)
            except JobStopped:
                self.store.set_status(run.id, "queued")
                log.info("job %s stopped; it resumes at the next start", name)
            except UserError as e:
                self._errors[name] = str(e)
                self.store.set_status(run.id, "failed")
            except Exception as e:  # noqa: BLE001 - a job must never take the worker thread down
                log.exception("job %s failed", name)
                self._errors[name] = f"internal error ({type(e).__name__}); see the server log"
                self.store.set_status(run.id, "failed")
            finally:
                self.current = None
                self._cancel.discard(name)

    def _execute(self, run: RunRecord) -> None:
        from verbalize.pipeline.batch.kinds import processor_factory
        from verbalize.pipeline.batch.runner import BatchProgress, WorkItem, process_pending

        try:
            cfg = Config.model_validate(run.config)
        except ValidationError as e:
            raise UserError(f"job {run.name}: stored config no longer valid ({e.errors()[0]['msg']})") from None

        def progress(_: BatchProgress) -> None:
            if run.name in self._cancel:
                raise JobCancelled()
            if self._stop.is_set():
                raise JobStopped()

        inner = processor_factory(run.kind)(cfg)
        roots = [*self.input_roots, self.runs_dir.resolve()]

        def guarded(item: WorkItem) -> Any:
            # The item's file is opened here, at read time, under the roots: a symlink swapped in
            # after the job was accepted cannot make it read anything else.
            if isinstance(item.input.get("path"), str):
                data = read_inside(Path(item.input["path"]), roots)
                item = WorkItem(item.item_key, {**item.input, "path": data}, item.label)
            return inner(item)

        process_pending(self.store, run, cfg, engine="local", progress=progress, processor=guarded)

    # -- cancelling --------------------------------------------------------------------------

    def cancel(self, job_id: str) -> JobInfo:
        """Cancel a queued or running job: finished items stay, the rest are not computed. A running
        job stops after its current item (the worker checks between items)."""
        with self._submitting:
            run = self._run(job_id)
            if run.status in FINISHED:
                raise HTTPException(409, f"job {job_id!r} is already {run.status}")
            self._cancel.add(run.name)
            if self.current != run.name:
                self.store.set_status(run.id, "cancelled")  # the worker skips it when its turn comes
        return self.get(job_id)

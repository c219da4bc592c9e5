"""The HTTP service: explain an image (or a text) per request, run batches as background jobs.

`create_app(config)` builds the FastAPI app; `verbalize serve` runs it under uvicorn. Models load
once, in the lifespan (or in `--workers` processes / Ray Serve replicas started before it), and every
request reuses them; image requests that arrive together are explained as one batch (batcher.py).
Three guards keep one busy client from taking the service down: a request-size limit (413), an
admission gate on the explain routes that answers 503 with Retry-After instead of queueing without
bound, and bearer-token auth on /v1.
Every error is a JSON object `{"error": "..."}`; an unexpected exception is logged here and
answered with a generic 500 — tracebacks stay in the server log, never in a response.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Annotated, Any, Protocol, TypeVar

from fastapi import APIRouter, Depends, FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from verbalize import __version__
from verbalize.core.config import SEGMENTER_KINDS, Config
from verbalize.core.errors import InputError, UserError
from verbalize.service.auth import TOKEN_ENV, AuthError, cross_site_problem, require_token
from verbalize.service.batcher import Models
from verbalize.service.jobs import ExplainOptions, JobInfo, JobManager, JobRequest, check_segmenter_caps
from verbalize.service.settings import ServiceSettings, service_settings
from verbalize.service.text_service import RequestGone, TextService

T = TypeVar("T")

log = logging.getLogger("verbalize.service")
HERE = Path(__file__).parent
SHARED_CSS = HERE.parent / "report" / "templates" / "verbalize.css"


# ---------------------------------------------------------------- admission and size limits


class Saturated(Exception):
    """The explain routes have `max_concurrency` requests in flight."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("the service is busy; retry later")
        self.retry_after = retry_after


class Gate:
    """At most `limit` explain requests in flight; the next one is told when to come back.

    The models serve a few batches at a time (see `batcher.MicroBatcher`), so a bounded number of
    requests may wait; beyond that a quick 503 is kinder than a queue whose wait nobody can predict.
    Retry-After is the running mean of recent request times.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight = 0
        self.mean_seconds = 10.0
        self._lock = threading.Lock()

    @contextmanager
    def admit(self) -> Iterator[None]:
        with self._lock:
            if self.in_flight >= self.limit:
                raise Saturated(max(1, math.ceil(self.mean_seconds)))
            self.in_flight += 1
        t0 = time.perf_counter()
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1
                self.mean_seconds = 0.7 * self.mean_seconds + 0.3 * (time.perf_counter() - t0)


class BodyLimit:
    """ASGI middleware: 413 for bodies over `max_bytes`, by Content-Length or by counting a stream.

    A chunked upload has no Content-Length, so the body is counted as it arrives; once over the
    limit the app sees a disconnect and its response is replaced by the 413.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await self._too_large(send)
            return
        seen = 0
        over = False
        started = False

        async def counted() -> Message:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if over:
                if not started:
                    started = True
                    await self._too_large(send)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not over:  # the app failing on the cut-off body (ClientDisconnect) is expected; anything else is not
                raise
        if over and not started:
            await self._too_large(send)

    async def _too_large(self, send: Send) -> None:
        body = json.dumps({"error": f"request body over the {self.max_bytes / 1e6:g} MB limit"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


SECURITY_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]


class SiteGuard:
    """ASGI middleware: loopback `Host` and own `Origin` when there is no token (see
    `auth.cross_site_problem`), and the headers every answer carries (no MIME sniffing, no referrer)."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        problem = cross_site_problem(scope["method"], headers.get("host"), headers.get("origin"),
                                     scope.get("scheme", "http"), self.token)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        if problem is not None:
            body = json.dumps({"error": problem}).encode()
            await with_headers({"type": "http.response.start", "status": 403, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, with_headers)


# ---------------------------------------------------------------- the image journey, loaded once


class ExplainImageResponse(BaseModel):
    explanation: dict[str, Any] = Field(description="the Explanation, as `verbalize explain` writes explanation.json")
    overlay_png: str = Field(description="the saliency overlay, base64-encoded PNG")
    segment_png: str = Field(description="the segment outline, base64-encoded PNG")
    seconds: float


class ImageService:
    """The image models, loaded once; explainers for other options share the loaded classifier.

    One lock serialises model use: CAM methods hook the classifier's layers, so two batches in
    the same model at once would read each other's activations. Requests share the model inside
    one batch instead (`explain_batch`), where the passes are shared, not interleaved.
    """

    MAX_EXPLAINERS = 8

    def __init__(self, config: Config) -> None:
        from verbalize.pipeline.image.explainer import ImageExplainer

        self.config = config
        self.base = ImageExplainer(config)
        if _uses_llm(config):
            _ = self.base.llm  # load the language model now, not on the first request
        self.base.warm_up()  # the CAM library's first-call cost (seconds) belongs to start-up, not to a request
        self.lock = threading.Lock()
        self._explainers: OrderedDict[tuple[Any, ...], Any] = OrderedDict({self._key(config): self.base})

    @staticmethod
    def _key(cfg: Config) -> tuple[Any, ...]:
        # The whole segmenter section: a request's max_objects or refine_rounds needs an explainer of its own.
        return cfg.saliency.method, tuple(sorted(cfg.segmenter.model_dump().items())), tuple(cfg.verbalizers), cfg.seed

    def explainer(self, options: ExplainOptions) -> Any:
        from verbalize.pipeline.image.explainer import ImageExplainer

        cfg = self.config.with_overrides(**options.overrides())
        key = self._key(cfg)
        if key in self._explainers:
            self._explainers.move_to_end(key)
            return self._explainers[key]
        # The base explainer's language model, loaded once and shared by all explainers.
        explainer = ImageExplainer(cfg, classifier=self.base.classifier,
                                   llm=self.base.llm if _uses_llm(cfg) else None)
        self._explainers[key] = explainer
        while len(self._explainers) > self.MAX_EXPLAINERS:  # least recently used first
            self._explainers.popitem(last=False)
        return explainer

    def explain(self, data: bytes, filename: str, options: ExplainOptions) -> ExplainImageResponse:
        t0 = time.perf_counter()
        with self.lock:
            result = self.explainer(options).explain(data, name=filename)
        return _response(result, t0)

    def explain_batch(self, options: ExplainOptions, uploads: Sequence[tuple[bytes, str]]) -> list[Any]:
        """Explain uploads sharing `options` in one batch (`ImageExplainer.explain_many`): a response or
        the image's own exception each. A batch of one runs exactly as `explain` (batching off)."""
        t0 = time.perf_counter()
        if len(uploads) == 1:
            try:
                return [self.explain(*uploads[0], options)]
            except Exception as e:  # noqa: BLE001 - handed back as this request's error
                return [e]
        with self.lock:
            results = self.explainer(options).explain_many([d for d, _ in uploads], names=[n for _, n in uploads])
        return [r if isinstance(r, Exception) else _response(r, t0) for r in results]


def _response(result: Any, t0: float) -> ExplainImageResponse:
    return ExplainImageResponse(
        explanation=result.explanation.model_dump(mode="json"),
        overlay_png=base64.b64encode(result.overlay_png()).decode("ascii"),
        segment_png=base64.b64encode(result.segment_png()).decode("ascii"),
        seconds=round(time.perf_counter() - t0, 3))


# ---------------------------------------------------------------- the text journey, plugged in


class TextProcessor(Protocol):
    """What the text journey provides to the service (set `app.state.text_processor`).

    `cancelled()` turns true when the client has gone or the service is stopping: the work stops
    at its next progress tick."""

    def explain_text(self, text: str, label: str | None, options: dict[str, Any],
                     cancelled: Callable[[], bool] | None = None) -> dict[str, Any]: ...

    def self_explanations(self, texts: list[str], options: dict[str, Any],
                          cancelled: Callable[[], bool] | None = None) -> dict[str, Any]: ...


async def run_watched(request: Request, fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args, cancelled=...)` in a worker thread; `cancelled()` turns true once the client
    disconnects or the service is stopping, so abandoned work does not hold the models."""
    gone = threading.Event()
    stopping: threading.Event = request.app.state.stopping
    task = asyncio.ensure_future(run_in_threadpool(fn, *args, cancelled=lambda: gone.is_set() or stopping.is_set()))
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=0.25)
            if done:
                break
            if await request.is_disconnected():
                gone.set()
        return task.result()
    except RequestGone:
        raise HTTPException(503, "the request was cancelled (client gone or service stopping)") from None
    except asyncio.CancelledError:
        # uvicorn cancels what is still running when its graceful-shutdown time is over (one model
        # call can outlast it): answer 503 rather than die with a traceback in the log.
        if not stopping.is_set():
            raise
        raise HTTPException(503, "the service is stopping; retry later") from None
    finally:
        gone.set()


async def await_batched(request: Request, future: Future[T]) -> T:
    """The micro-batcher's answer to this request; a client that goes away before its batch starts
    is dropped from the queue (a running batch finishes for the others)."""
    from verbalize.service.batcher import ServiceStopping

    waiting = asyncio.wrap_future(future)
    try:
        while True:
            done, _ = await asyncio.wait({waiting}, timeout=0.25)
            if done:
                return waiting.result()
            if await request.is_disconnected():
                future.cancel()
                raise HTTPException(503, "the request was cancelled (client gone)")
    except ServiceStopping as e:
        raise HTTPException(503, str(e)) from None


class TextRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1)
    label: str | None = Field(default=None, description="the expected label, if known")
    options: dict[str, Any] = Field(default_factory=dict)


class SelfExplanationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    texts: list[str] = Field(min_length=1, max_length=10_000, description="at most max_texts (default 100)")
    options: dict[str, Any] = Field(default_factory=dict)


# ---------------------------------------------------------------- errors


def _uses_llm(cfg: Config) -> bool:
    """Whether any configured verbalizer needs a language model (the registry says which do)."""
    from verbalize.pipeline.image.verbalize import IMAGE_VERBALIZERS

    return any(IMAGE_VERBALIZERS.get(v).meta.get("uses_llm") for v in cfg.verbalizers if v in IMAGE_VERBALIZERS)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _validation_message(errors: list[Any]) -> str:
    first = errors[0] if errors else {}
    loc = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
    return f"{loc}: {first.get('msg', 'invalid request')}" if loc else str(first.get("msg", "invalid request"))


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AuthError)
    async def _auth(_: Request, __: AuthError) -> JSONResponse:
        return _error(401, "missing or wrong bearer token", {"WWW-Authenticate": "Bearer"})

    @app.exception_handler(Saturated)
    async def _busy(_: Request, e: Saturated) -> JSONResponse:
        return _error(503, str(e), {"Retry-After": str(e.retry_after)})

    @app.exception_handler(InputError)
    async def _input(_: Request, e: InputError) -> JSONResponse:
        return _error(422, str(e))

    @app.exception_handler(UserError)
    async def _user(_: Request, e: UserError) -> JSONResponse:
        return _error(400, str(e))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, e: RequestValidationError) -> JSONResponse:
        return _error(422, _validation_message(list(e.errors())))

    @app.exception_handler(StarletteHTTPException)  # FastAPI's HTTPException is a subclass
    async def _http(_: Request, e: StarletteHTTPException) -> JSONResponse:
        return _error(e.status_code, str(e.detail), dict(e.headers or {}))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, e: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return _error(500, "internal error; the server log has the details")


# ---------------------------------------------------------------- routes


def _safe_filename(name: str | None) -> str:
    base = re.split(r"[\\/]", name or "")[-1]
    return re.sub(r"[^A-Za-z0-9._-]+", "_", base)[:120] or "upload"


def _parse_options(options: str | None, **fields: Any) -> ExplainOptions:
    merged: dict[str, Any] = {}
    if options:
        try:
            loaded = json.loads(options)
        except json.JSONDecodeError as e:
            raise UserError(f"options: not JSON ({e.msg})") from None
        if not isinstance(loaded, dict):
            raise UserError("options: must be a JSON object")
        merged.update(loaded)
    merged.update({k: v for k, v in fields.items() if v not in (None, "")})
    try:
        parsed = ExplainOptions.model_validate(merged)
    except ValidationError as e:
        raise UserError(f"options: {_validation_message(list(e.errors()))}") from None
    if parsed.method:
        from verbalize.pipeline.image.methods import method_entry

        method_entry(parsed.method)
    return parsed


def _api_router() -> APIRouter:
    router = APIRouter(prefix="/v1", dependencies=[Depends(require_token)])

    @router.post("/explain/image", response_model=ExplainImageResponse, tags=["explain"],
                 summary="Explain one uploaded image")
    async def explain_image(
        request: Request,
        file: Annotated[UploadFile, File(description="the image (PNG, JPEG, …)")],
        method: Annotated[str | None, Form()] = None,
        segmenter: Annotated[str | None, Form(description=" | ".join(SEGMENTER_KINDS))] = None,
        verbalizer: Annotated[str | None, Form(description="template, llm, vlm, all or a comma-separated list")] = None,
        seed: Annotated[int | None, Form()] = None,
        options: Annotated[str | None, Form(description='the same keys as a JSON object, plus the segmenter knobs '
                                            '(negative_points, refine_rounds, refine_iou, max_objects), '
                                            'e.g. {"method": "gradcam", "max_objects": 2}')] = None,
    ) -> ExplainImageResponse:
        state = request.app.state
        opts = _parse_options(options, method=method, segmenter=segmenter, verbalizer=verbalizer, seed=seed)
        check_segmenter_caps(opts.max_objects, opts.refine_rounds, state.settings)
        with state.gate.admit():
            data = await file.read()
            if not data:
                raise InputError(f"{_safe_filename(file.filename)}: empty upload (0 bytes)")
            return await await_batched(request, state.batcher.submit(opts, data, _safe_filename(file.filename)))

    def _text(request: Request) -> TextProcessor:
        processor = getattr(request.app.state, "text_processor", None)
        if processor is None:
            raise HTTPException(501, "the text journey is not available in this service")
        return processor

    @router.post("/explain/text", tags=["explain"], summary="Explain a classifier's prediction on a text")
    async def explain_text(request: Request, body: TextRequest) -> dict[str, Any]:
        processor = _text(request)
        if len(body.text) > request.app.state.settings.max_text_chars:
            raise UserError(f"text: over the {request.app.state.settings.max_text_chars}-character limit")
        with request.app.state.gate.admit():
            return await run_watched(request, processor.explain_text, body.text, body.label, body.options)

    @router.post("/self-explanations", tags=["explain"],
                 summary="Compare an LLM's self-explanations with occlusion / LIME / SHAP")
    async def self_explanations(request: Request, body: SelfExplanationRequest) -> dict[str, Any]:
        processor = _text(request)
        limit = request.app.state.settings.max_text_chars
        if any(len(t) > limit for t in body.texts):
            raise UserError(f"texts: each text must be at most {limit} characters")
        if len(body.texts) > request.app.state.settings.max_texts:
            raise InputError(f"texts: {len(body.texts)} texts; this service takes at most "
                             f"{request.app.state.settings.max_texts} per request (max_texts)")
        with request.app.state.gate.admit():
            return await run_watched(request, processor.self_explanations, body.texts, body.options)

    @router.post("/jobs", response_model=JobInfo, status_code=202, tags=["jobs"],
                 summary="Start a batch job over a server-side folder, manifest or text file")
    async def create_job(request: Request, spec: JobRequest) -> JobInfo:
        return await run_in_threadpool(request.app.state.jobs.submit, spec)

    @router.post("/jobs/upload", response_model=JobInfo, status_code=202, tags=["jobs"],
                 summary="Start a batch job over uploaded images")
    async def create_upload_job(
        request: Request,
        files: Annotated[list[UploadFile], File(description="the images")],
        name: Annotated[str | None, Form(description="job id; generated when left out")] = None,
        method: Annotated[str | None, Form()] = None,
        segmenter: Annotated[str | None, Form()] = None,
        verbalizer: Annotated[str | None, Form()] = None,
        seed: Annotated[int | None, Form()] = None,
        options: Annotated[str | None, Form(description="the same option keys as a JSON object")] = None,
    ) -> JobInfo:
        opts = _parse_options(options, method=method, segmenter=segmenter, verbalizer=verbalizer, seed=seed)
        uploads = [(f.filename or "", await f.read()) for f in files]
        spec = JobRequest(name=name or None, options=opts)
        return await run_in_threadpool(request.app.state.jobs.submit_uploads, spec, uploads)

    @router.get("/jobs", response_model=list[JobInfo], tags=["jobs"], summary="All jobs, newest first")
    async def list_jobs(request: Request) -> list[JobInfo]:
        return await run_in_threadpool(request.app.state.jobs.list)

    @router.get("/jobs/{job_id}", response_model=JobInfo, tags=["jobs"], summary="A job's status and progress")
    async def get_job(request: Request, job_id: str) -> JobInfo:
        return await run_in_threadpool(request.app.state.jobs.get, job_id)

    @router.delete("/jobs/{job_id}", response_model=JobInfo, tags=["jobs"],
                   summary="Cancel a queued or running job (finished items are kept; 409 when already finished)")
    async def cancel_job(request: Request, job_id: str) -> JobInfo:
        return await run_in_threadpool(request.app.state.jobs.cancel, job_id)

    @router.get("/jobs/{job_id}/report", response_class=HTMLResponse, tags=["jobs"],
                summary="The job's HTML report (as far as it has got)")
    async def job_report(request: Request, job_id: str) -> HTMLResponse:
        html = await run_in_threadpool(request.app.state.jobs.report, job_id)
        return HTMLResponse(html, headers={"Content-Security-Policy": REPORT_CSP})

    return router


PAGE_CSP = ("default-src 'self'; img-src 'self' data: blob:; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "frame-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'")
REPORT_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'"


def _pages(app: FastAPI, templates: Jinja2Templates) -> None:
    def context() -> dict[str, Any]:
        from verbalize.pipeline.image.methods import SALIENCY_METHODS
        from verbalize.pipeline.image.verbalize import IMAGE_VERBALIZERS

        return {"methods": SALIENCY_METHODS.names(), "segmenters": list(SEGMENTER_KINDS),
                "verbalizers": [*IMAGE_VERBALIZERS.names(), "all"], "version": __version__,
                "auth_required": bool(app.state.api_token),
                "default_method": app.state.config.saliency.method,
                # the configured segmenter by name only: an hf: folder's path is the server's business
                "default_segmenter": app.state.config.segmenter.kind.split(":", 1)[0]}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index(request: Request) -> Response:
        return templates.TemplateResponse(request, "index.html", context(), headers={"Content-Security-Policy": PAGE_CSP})

    @app.get("/jobs", response_class=HTMLResponse, include_in_schema=False)
    async def jobs_page(request: Request) -> Response:
        return templates.TemplateResponse(request, "jobs.html", context(), headers={"Content-Security-Policy": PAGE_CSP})

    @app.get("/healthz", tags=["service"], summary="Liveness and what is loaded (no auth)")
    async def healthz(request: Request) -> dict[str, Any]:
        state = request.app.state
        batcher = getattr(state, "batcher", None)
        return {"status": "ok" if batcher is not None else "starting", "version": __version__,
                "model": batcher.models.model_name if batcher is not None else None,
                "text": getattr(state, "text_processor", None) is not None,
                "in_flight": state.gate.in_flight, "max_concurrency": state.gate.limit,
                "model_slots": batcher.models.slots if batcher is not None else None,
                "batches": batcher.batches if batcher is not None else 0,
                "jobs": state.jobs.counts()}


def _docs(app: FastAPI) -> None:
    """Swagger UI from local files (fastapi-offline ships them): these machines have no CDN."""
    from fastapi.openapi.docs import get_swagger_ui_html

    try:
        import fastapi_offline

        assets = Path(fastapi_offline.__file__).parent / "static"
        app.mount("/docs-assets", StaticFiles(directory=assets), name="docs-assets")
        js, css = "/docs-assets/swagger-ui-bundle.js", "/docs-assets/swagger-ui.css"
    except ImportError:  # the default CDN copies, where there is internet
        js, css = ("https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js",
                   "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="verbalize API", swagger_js_url=js,
                                   swagger_css_url=css)


def start_models(config: Config, settings: ServiceSettings, image_service: ImageService | None = None) -> Models:
    """Where the image models run: Ray Serve replicas (`ray_address`), `workers` spawned processes,
    or this process (the default, and whenever an `image_service` is handed over)."""
    from verbalize.service.batcher import LocalModels

    if settings.ray_address and image_service is None:
        from verbalize.service.ray_serve import RayModels

        return RayModels(config, replicas=settings.workers, address=settings.ray_address)
    if settings.workers > 1 and image_service is None:
        from verbalize.service.workers import ProcessModels

        return ProcessModels(config, workers=settings.workers)
    return LocalModels(image_service or ImageService(config))


def create_app(config: Config | None = None, *, store_url: str | None = None, runs_dir: str | Path = "runs",
               settings: ServiceSettings | None = None, api_token: str | None = None,
               image_service: ImageService | None = None, models: Models | None = None,
               text_processor: TextProcessor | None = None,
               jobs_autostart: bool = True) -> FastAPI:
    """The service. `store_url` defaults to `runs_dir/service.sqlite`; the token to $VERBALIZE_API_TOKEN.

    `image_service` lets tests and embedders hand over already-loaded models, `models` already-started
    model workers (`start_models`; `verbalize serve` starts them before listening); `text_processor`
    replaces the text journey (default: `TextService`, whose LLM loads on the first text request).
    """
    import os

    config = config or Config()
    settings = settings or service_settings()
    runs = Path(runs_dir).resolve()
    token = api_token if api_token is not None else (os.environ.get(TOKEN_ENV) or None)
    jobs = JobManager(config=config, runs_dir=runs,
                      store_url=store_url or f"sqlite:///{runs / 'service.sqlite'}",
                      input_roots=[Path(p) for p in settings.input_roots] if settings.input_roots else [Path.cwd()],
                      settings=settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from verbalize.service.batcher import LocalModels, MicroBatcher

        models = app.state.models or await run_in_threadpool(start_models, config, settings, app.state.image_service)
        if isinstance(models, LocalModels):
            app.state.image_service = models.service
        app.state.batcher = MicroBatcher(models, window_s=settings.batch_window_ms / 1000, max_batch=settings.max_batch)
        if jobs_autostart:
            jobs.start()
        try:
            yield
        finally:
            jobs.stop()
            app.state.batcher.close()
            models.close()

    app = FastAPI(title="verbalize", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Explain model predictions and check the words against the numbers.")
    app.state.config = config
    app.state.settings = settings
    app.state.api_token = token
    app.state.gate = Gate(settings.max_concurrency)
    app.state.jobs = jobs
    app.state.image_service = image_service
    app.state.models = models
    app.state.batcher = None  # set in the lifespan, once the models are loaded
    app.state.stopping = threading.Event()  # set on SIGTERM (see `verbalize serve`): running text work stops
    if text_processor is None:
        text_processor = TextService(config, settings)
    app.state.text_processor = text_processor
    app.add_middleware(BodyLimit, max_bytes=int(settings.max_request_mb * 1_000_000))  # type: ignore[arg-type]
    app.add_middleware(SiteGuard, token=token)  # type: ignore[arg-type]
    _install_error_handlers(app)
    app.include_router(_api_router())
    templates = Jinja2Templates(directory=HERE / "templates")
    _pages(app, templates)
    _docs(app)

    @app.get("/static/verbalize.css", include_in_schema=False)
    async def shared_stylesheet() -> Response:
        # The reports' own stylesheet (verbalize/report/templates/verbalize.css): one file, two users.
        return Response(SHARED_CSS.read_bytes(), media_type="text/css")

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    return app


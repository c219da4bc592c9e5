"""`verbalize report` and `verbalize serve`. Thin: flags → `report.run` / `service.app`.

"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from verbalize.cli.console import console
from verbalize.core.errors import UserError


def _formats(values: list[str] | None) -> list[str]:
    """--export csv --export parquet, or --export csv,parquet."""
    from verbalize.report.export import EXPORT_FORMATS as FORMATS

    out: list[str] = []
    for v in values or []:
        for f in v.split(","):
            f = f.strip().lower()
            if not f:
                continue
            if f not in FORMATS:
                raise UserError(f"--export: unknown format {f!r}; choose {', '.join(FORMATS)}")
            if f not in out:
                out.append(f)
    return out


def report(
    run_dir: Annotated[Path, typer.Argument(help="the run folder given to `verbalize batch --out` (e.g. runs/NAME)")],
    export: Annotated[list[str] | None, typer.Option(help="also write results.jsonl / .csv / .parquet (repeat or comma-separate)")] = None,
    store: Annotated[str | None, typer.Option(help="store URL when the run lives elsewhere (default: run.json / store.sqlite in the folder)")] = None,
    out: Annotated[Path | None, typer.Option(help="report file (default: RUN_DIR/report.html)")] = None,
) -> None:
    """Write one self-contained HTML report of a run (summary, plots, every item) and optional exports."""
    from verbalize.pipeline.batch.runner import open_run
    from verbalize.report.export import as_report_item, write_export
    from verbalize.report.run import render_report, write_report

    formats = _formats(export)
    db, record = open_run(run_dir, store)
    with db:
        html = render_report(db.items(record.id, with_artifacts=True), record)
        path = write_report(html, out or run_dir / "report.html")
        written = [path]
        for fmt in formats:
            written.append(write_export([as_report_item(i) for i in db.items(record.id)], run_dir, fmt))
        counts = db.progress(record.id)
    console.print(f"{record.name}: {counts['done']} done, {counts['failed']} failed, {counts['pending']} pending "
                  f"of {counts['total']} · wrote {', '.join(str(p) for p in written)}", highlight=False, markup=False)


GRACE_S = 3
"""Seconds `serve` waits for open requests after SIGTERM before closing them."""


def serve(
    host: Annotated[str, typer.Option(help="address to listen on; anything but loopback needs VERBALIZE_API_TOKEN")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    config: Annotated[Path | None, typer.Option(help="YAML config file (the models loaded at start-up)")] = None,
    store: Annotated[str | None, typer.Option(help="store URL for jobs (default: sqlite in --runs-dir)")] = None,
    runs_dir: Annotated[Path, typer.Option(help="folder for job runs and uploaded job inputs")] = Path("runs"),
    input_root: Annotated[list[Path] | None, typer.Option(help="folder jobs may read server-side inputs from (repeatable; default: the working directory)")] = None,
    max_request_mb: Annotated[float | None, typer.Option(help="larger request bodies get 413 (default 20)")] = None,
    max_concurrency: Annotated[int | None, typer.Option(help="explain requests in flight before 503 (default 16)")] = None,
    workers: Annotated[int | None, typer.Option(help="model copies: N > 1 runs N model processes behind this front "
                                                     "(default 1: the models in the server process)")] = None,
    max_batch: Annotated[int | None, typer.Option(help="image requests with the same options explained as one batch, "
                                                       "at most (default 8; 1 = one at a time)")] = None,
    batch_window_ms: Annotated[float | None, typer.Option(help="how long a batch waits for more requests (default 5)")] = None,
    ray_address: Annotated[str | None, typer.Option(help="run the --workers model copies as Ray Serve replicas on "
                                                         "this cluster (HOST:PORT, ray://HOST:10001, auto or local)")] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level")] = "info",
) -> None:
    """Serve the HTTP API, the web page at / and the jobs page at /jobs (FastAPI + uvicorn)."""
    from verbalize.service.auth import TOKEN_ENV, check_bind

    token = os.environ.get(TOKEN_ENV) or None
    check_bind(host, token)  # before loading anything: a refused start costs nothing

    import uvicorn

    from verbalize.core.config import load_config
    from verbalize.service.app import create_app, service_settings, start_models

    overrides: dict[str, Any] = {"max_request_mb": max_request_mb, "max_concurrency": max_concurrency,
                 "workers": workers, "max_batch": max_batch, "batch_window_ms": batch_window_ms,
                 "ray_address": ray_address,
                 "input_roots": [str(p.resolve()) for p in input_root] if input_root else None}
    settings = service_settings(**{k: v for k, v in overrides.items() if v is not None})
    cfg = load_config(config)
    # Model processes or Ray replicas start before listening, so a failure is one line and exit 2;
    # the models of a single-process service load in the app's lifespan (/healthz says "starting").
    models = start_models(cfg, settings) if settings.workers > 1 or settings.ray_address else None
    app = create_app(cfg, store_url=store, runs_dir=runs_dir, settings=settings, api_token=token, models=models)
    console.print(f"verbalize serving on http://{host}:{port} (auth {'on' if token else 'off'}; "
                  f"docs at /docs)", highlight=False, markup=False)

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            # SIGTERM / Ctrl-C: running text work stops at its next tick and the running job after
            # its current item (it stays queued and resumes at the next start); uvicorn then waits
            # at most GRACE_S for open connections.
            app.state.stopping.set()
            app.state.jobs.request_stop()
            super().handle_exit(sig, frame)

    Server(uvicorn.Config(app, host=host, port=port, log_level=log_level,
                          timeout_graceful_shutdown=GRACE_S)).run()


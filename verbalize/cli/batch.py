"""`verbalize batch`: many inputs into a stored, resumable run. Thin: flags → `pipeline.batch.run`.

Exit codes: 0 when every item of the run succeeded, 1 when some failed (the summary says how
many and why), 2 for a bad INPUT, config or store (one line, from `cli.main`).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from verbalize.cli.console import console, err_console


class EngineChoice(StrEnum):
    local = "local"
    ray = "ray"


class _RateColumn(ProgressColumn):
    """Items per minute: the unit people size batch jobs in."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("-- items/min" if not speed else f"{speed * 60:.1f} items/min", style="progress.data.speed")


@contextlib.contextmanager
def _progress_bar(name: str) -> Iterator[Callable[[object], None]]:
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), _RateColumn(),
                  TextColumn("{task.fields[failed]}"), TimeElapsedColumn(), TextColumn("ETA"),
                  TimeRemainingColumn(), console=err_console, transient=False,
                  disable=not err_console.is_terminal) as bar:
        task = bar.add_task(name, total=None, failed="")

        def update(event: object) -> None:
            from verbalize.pipeline.batch.runner import BatchProgress

            assert isinstance(event, BatchProgress)
            if event.item_key is None:  # the start: count what earlier runs finished, so the rate is this run's
                bar.reset(task, total=event.total, completed=event.completed)
                return
            bar.update(task, completed=event.completed, failed=f"[red]{event.failed_now} failed" if event.failed_now else "")

        yield update


def batch(
    input: Annotated[Path, typer.Argument(
        help="a folder of images, a .jsonl/.csv manifest (a 'path' or 'text' per row, optional 'label' and 'id'), "
             "or a .txt file (image paths or texts, one per line)")],
    out: Annotated[Path, typer.Option(help="run folder, e.g. runs/NAME: holds store.sqlite and run.json; "
                                           "rerunning with the same folder resumes")],
    config: Annotated[Path | None, typer.Option(help="YAML config file (defaults: embedded, offline)")] = None,
    engine: Annotated[EngineChoice, typer.Option(help="local: one process; ray: an actor pool of --workers")] = EngineChoice.local,
    workers: Annotated[int, typer.Option(min=1, help="Ray actors, each loading the models once")] = 1,
    store: Annotated[str | None, typer.Option(help="store URL, e.g. postgresql://USER@HOST:5432/DB "
                                                   "(default: sqlite in the run folder)")] = None,
    ray_address: Annotated[str | None, typer.Option(help="an existing Ray cluster (HOST:PORT or ray://HOST:10001); "
                                                         "default: start a local one")] = None,
    name: Annotated[str | None, typer.Option(help="run name in the store (default: the --out folder's name)")] = None,
    retry_failed: Annotated[bool, typer.Option(help="process failed items again instead of keeping their failure")] = False,
) -> None:
    """Explain every input of INPUT into a stored run; each result is saved as it finishes, reruns resume."""
    from verbalize.core.config import load_config
    from verbalize.pipeline.batch.runner import run

    cfg = load_config(config)
    run_name = name or out.resolve().name
    with _progress_bar(run_name) as update:
        summary = run(input, cfg, out, engine=engine.value, workers=workers, store_url=store, progress=update,
                      name=name, ray_address=ray_address, retry_failed=retry_failed)
    rate = summary.items_per_minute
    console.print(
        f"{summary.name}: {summary.done} done, {summary.failed} failed, {summary.pending} pending of {summary.total} "
        f"· {summary.processed} processed now in {summary.seconds:.1f} s"
        + (f" ({rate:.1f} items/min after start-up)" if rate else "")
        + f" · store {summary.store}", highlight=False, markup=False, soft_wrap=True)
    if summary.failed:
        for f in summary.failures:
            # An input error's message already starts with the item's name; don't say it twice.
            line = f.reason if f.reason.startswith(f"{f.item_key}:") else f"{f.item_key}: {f.reason}"
            err_console.print(f"failed: {line}", markup=False, highlight=False, soft_wrap=True)
        more = summary.failed - len(summary.failures)
        if more > 0:
            err_console.print(f"… and {more} more", highlight=False)
        err_console.print(f"{summary.failed} of {summary.total} item(s) failed", highlight=False)
        # SystemExit, not typer.Exit: cli.main runs the app with standalone_mode=False, where click
        # turns typer.Exit into a return value that main() does not pass on.
        sys.exit(1)


"""The CLI's one console (stdout), one error console (stderr), its progress bars and config loading."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from verbalize.core.errors import UserError

console = Console()
err_console = Console(stderr=True)

STATUS_STYLE = {"supported": "green", "contradicted": "bold red", "unverifiable": "yellow"}
"""How a claim's status is shown in tables."""


def bars(**progress_options: Any) -> Progress:
    """A rich progress display on stderr, hidden when stderr is not a terminal (logs stay clean)."""
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TimeRemainingColumn(), console=err_console, transient=True,
                    disable=not err_console.is_terminal, **progress_options)


@contextlib.contextmanager
def progress_factory(wanted: Callable[[str], bool] = lambda _: True) -> Iterator[Callable[[str], Any]]:
    """A factory of progress callbacks: one bar per long step whose name `wanted` accepts."""
    with bars() as progress:
        def factory(name: str) -> Any:
            if not wanted(name):
                return None
            task = progress.add_task(name, total=None)
            return lambda done, total: progress.update(task, completed=done, total=total)

        yield factory


def load_config(config: Path | None, **overrides: object) -> Any:
    """The config file (or defaults) with the environment, then the flags that were given."""
    from verbalize.core.config import load_config as load

    return load(config).with_overrides(**overrides)


def split_list(value: str | None) -> list[str] | None:
    """'a, b,c' -> ['a', 'b', 'c']; None stays None; an empty list is a user error."""
    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    if not items:
        raise UserError(f"empty list: {value!r}")
    return items

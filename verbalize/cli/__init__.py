"""The `verbalize` command. Thin: parse flags, call the pipeline, print with rich.

One module per journey (`image`, `text`, `explain_text`, `batch`, `service`), one console
(`console`), and one `COMMANDS` list below that builds the Typer app. Errors a user can cause print
one line on stderr and exit with code 2; `--debug` (or VERBALIZE_DEBUG=1) shows the traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import click
import typer

from verbalize.cli import batch, explain_text, image, service, text
from verbalize.cli.console import console, err_console
from verbalize.core.errors import UserError

COMMANDS: list[tuple[str, Callable[..., Any]]] = [
    ("explain", image.explain),
    ("verify", image.verify),
    ("explain-text", explain_text.explain_text),
    ("self-explain", text.self_explain),
    ("compare", text.compare),
    ("verbalize-text", text.verbalize_text),
    ("batch", batch.batch),
    ("report", service.report),
    ("serve", service.serve),
]
"""Every top-level command, in the order `--help` lists them."""

MODEL_COMMANDS: list[tuple[str, Callable[..., Any]]] = [("pull", image.models_pull), ("list", image.models_list)]


def methods() -> None:
    """List what can be plugged in: saliency methods, text methods, LLM backends, verbalizers, metrics."""
    from verbalize.adapters.llm import LLM_BACKENDS
    from verbalize.eval.agreement import AGREEMENT_METRICS
    from verbalize.eval.faithfulness import FAITHFULNESS_METRICS
    from verbalize.pipeline.image.methods import SALIENCY_METHODS
    from verbalize.pipeline.image.verbalize import IMAGE_VERBALIZERS
    from verbalize.pipeline.text.methods import TEXT_METHODS

    for title, registry in (("image saliency methods (--method)", SALIENCY_METHODS),
                            ("text attribution methods (--methods)", TEXT_METHODS),
                            ("image verbalizers (--verbalizer)", IMAGE_VERBALIZERS),
                            ("LLM backends (--llm)", LLM_BACKENDS),
                            ("agreement metrics", AGREEMENT_METRICS),
                            ("faithfulness metrics", FAITHFULNESS_METRICS)):
        console.print(f"[bold]{title}[/]")
        for e in registry:
            aliases = f" [dim](also {', '.join(e.aliases)})[/]" if e.aliases else ""
            console.print(f"  {e.name}{aliases}: {e.description}", highlight=False)


COMMANDS.append(("methods", methods))


def build_app() -> typer.Typer:
    """The Typer app with every command of `COMMANDS` and the `models` group."""
    root = typer.Typer(
        help="Explain model predictions and put the explanations into words that are checked against the numbers.",
        no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
    for name, fn in COMMANDS:
        root.command(name)(fn)
    models = typer.Typer(help="Manage model checkpoints in the user cache (SAM).", no_args_is_help=True)
    for name, fn in MODEL_COMMANDS:
        models.command(name)(fn)
    root.add_typer(models, name="models")
    return root


app = build_app()


def main() -> None:
    debug = "--debug" in sys.argv or os.environ.get("VERBALIZE_DEBUG") == "1"
    if "--debug" in sys.argv:
        sys.argv.remove("--debug")
    try:
        rc = app(standalone_mode=False)  # in this mode click returns typer.Exit's code instead of exiting
    except UserError as e:
        if debug:
            raise
        err_console.print(f"error: {e}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except click.exceptions.Abort:
        sys.exit(1)
    except click.exceptions.ClickException as e:  # usage errors: click's own message, exit 2
        e.show()
        sys.exit(e.exit_code)
    if isinstance(rc, int) and rc:
        sys.exit(rc)


if __name__ == "__main__":
    main()

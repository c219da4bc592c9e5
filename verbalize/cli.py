"""The `verbalize` command. Thin: parse flags, call the pipeline, print with rich.

Errors a user can cause print one line on stderr and exit with code 2; `--debug` (or
VERBALIZE_DEBUG=1) shows the traceback instead.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import click
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from verbalize.cli_batch import register as register_batch
from verbalize.cli_service import register as register_service
from verbalize.cli_text import register as register_text
from verbalize.cli_text_explain import register as register_explain_text
from verbalize.errors import UserError

app = typer.Typer(
    help="Explain model predictions and put the explanations into words that are checked against the numbers.",
    no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
models_app = typer.Typer(help="Manage model checkpoints in the user cache (SAM).", no_args_is_help=True)
app.add_typer(models_app, name="models")

console = Console()
err_console = Console(stderr=True)

STATUS_STYLE = {"supported": "green", "contradicted": "bold red", "unverifiable": "yellow"}


class Segmenter(StrEnum):
    auto = "auto"
    sam = "sam"
    grabcut = "grabcut"


@contextlib.contextmanager
def _progress_bars() -> Iterator[object]:
    """A factory of progress callbacks, one bar per long step (SHAP, occlusion, LIME)."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=err_console, transient=True,
                  disable=not err_console.is_terminal) as progress:
        def factory(name: str):  # type: ignore[no-untyped-def]
            from verbalize.pipeline.attribution.image import PERTURBATION_METHODS

            if name not in PERTURBATION_METHODS:
                return None
            task = progress.add_task(name, total=None)
            return lambda done, total: progress.update(task, completed=done, total=total)

        yield factory


def _load_config(config: Path | None, **overrides: object):  # type: ignore[no-untyped-def]
    from verbalize.config import load_config

    return load_config(config).with_overrides(**overrides)


def _out_dirs(out: Path, names: list[str]) -> list[Path]:
    if len(names) == 1:
        return [out]
    seen: dict[str, int] = {}
    dirs = []
    for n in names:
        stem = Path(n).stem or "image"
        seen[stem] = seen.get(stem, 0) + 1
        dirs.append(out / (stem if seen[stem] == 1 else f"{stem}-{seen[stem]}"))
    return dirs


@app.command()
def explain(
    images: Annotated[list[str] | None, typer.Argument(help="image files (several reuse the loaded models)")] = None,
    method: Annotated[str | None, typer.Option(help="gradcam, gradcam++, eigencam, scorecam, layercam, shap, occlusion, lime")] = None,
    segmenter: Annotated[Segmenter | None, typer.Option(help="sam needs a checkpoint; auto uses SAM when one is configured, else GrabCut")] = None,
    out: Annotated[Path, typer.Option(help="output folder (one sub-folder per image when several)")] = Path("verbalize-out"),
    config: Annotated[Path | None, typer.Option(help="YAML config file")] = None,
    seed: Annotated[int | None, typer.Option(help="random seed for SHAP, LIME and sampling")] = None,
    model: Annotated[str | None, typer.Option(help="classifier: efficientnet-lite0 (embedded), a torchvision name, timm:NAME, hf:NAME or a path")] = None,
    layer: Annotated[str | None, typer.Option(help="target layer for CAMs, e.g. layer4.-1 (auto by default)")] = None,
    verbalizer: Annotated[str | None, typer.Option(help="template, llm, vlm or all (comma-separated)")] = None,
    llm: Annotated[str | None, typer.Option(help="local | local:/path.gguf | openai:MODEL[@URL]")] = None,
    sam_checkpoint: Annotated[str | None, typer.Option(help="SAM checkpoint file (or VERBALIZE_SAM_CHECKPOINT)")] = None,
    sample: Annotated[str | None, typer.Option(help="explain a packaged sample image: chelsea, coffee, astronaut, rocket, grace_hopper, china")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the explanation JSON instead of the summary")] = False,
) -> None:
    """Classify each image, compute a saliency map, segment the salient object and explain it in words."""
    from verbalize.samples import sample_path

    sources = list(images or [])
    if sample:
        sources.append(str(sample_path(sample)))
    if not sources:
        raise UserError("give at least one image file (or --sample chelsea)")
    verbalizers = None
    if verbalizer:
        verbalizers = ["template", "llm", "vlm"] if verbalizer == "all" else [v.strip() for v in verbalizer.split(",") if v.strip()]
    cfg = _load_config(config, **{"saliency.method": method, "segmenter.kind": segmenter.value if segmenter else None,
                                  "seed": seed, "model.name": model, "model.target_layer": layer,
                                  "verbalizers": verbalizers, "llm.backend": llm,
                                  "segmenter.sam_checkpoint": sam_checkpoint})
    # Check every file before loading models: a typo costs a second, not a model load.
    from verbalize.pipeline.images import load_image

    for s in sources:
        load_image(s, max_pixels=cfg.max_image_pixels)
    from verbalize.pipeline.image import ImageExplainer

    with console.status("loading models", spinner="dots") if console.is_terminal else contextlib.nullcontext():
        explainer = ImageExplainer(cfg)
    failures = 0
    for source, out_dir in zip(sources, _out_dirs(out, sources), strict=True):
        try:
            with _progress_bars() as factory:
                result = explainer.explain(source, progress=factory)  # type: ignore[arg-type]
            result.write(out_dir)
        except UserError as e:
            err_console.print(f"error: {e}", markup=False, highlight=False)
            failures += 1
            continue
        if as_json:
            console.print_json(result.explanation.model_dump_json())
        else:
            _print_summary(result.explanation, out_dir)
    if failures:
        raise typer.Exit(2)


def _print_summary(ex, out_dir: Path) -> None:  # type: ignore[no-untyped-def]
    p = ex.prediction
    console.rule(f"[bold]{Path(ex.image.path).name if ex.image.path else 'image'}")
    console.print(f"[bold]{p.label}[/] {p.probability:.1%}   "
                  + "  ".join(f"{a.label} {a.probability:.1%}" for a in p.alternatives[:3]), highlight=False)
    f = ex.facts
    n = ex.provenance.forward_passes.get("total", 0)
    console.print(f"saliency: {ex.attribution.method} · {n} forward pass{'es' if n != 1 else ''} in all · "
                  f"most in the {f.saliency_region} · segment: {ex.segment.method}, {f.segment_area:.0%} of the image, "
                  f"{f.saliency_in_segment:.0%} of the saliency · deletion AUC {f.deletion_auc:.3f} · "
                  f"insertion AUC {f.insertion_auc:.3f}", highlight=False)
    for v in ex.verbalizations:
        fid = v.verification.fidelity if v.verification else None
        tag = f"fidelity {fid:.2f} ({v.verification.supported}/{v.verification.supported + v.verification.contradicted})" \
            if fid is not None else "fidelity n/a"
        console.print(f"\n[bold]{v.verbalizer}[/] [dim]{tag}[/]")
        console.print(v.text if v.ok else f"[red]failed:[/] {v.error}", markup=not v.ok, highlight=False)
    console.print(f"\n[dim]wrote {out_dir}/explanation.json, overlay.png, segment.png "
                  f"in {ex.timings['total']:.1f} s[/]", highlight=False)


@app.command()
def verify(
    explanation: Annotated[Path, typer.Argument(help="an explanation.json written by `verbalize explain`")],
    text: Annotated[str | None, typer.Option(help="the text to check")] = None,
    text_file: Annotated[Path | None, typer.Option(help="read the text from this file")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the verification as JSON")] = False,
) -> None:
    """Check any text (yours, an LLM's, another tool's) claim by claim against an explanation's fact sheet."""
    from pydantic import ValidationError

    from verbalize.adapters.vision import imagenet_labels
    from verbalize.pipeline.verification import verify_text
    from verbalize.types import Explanation

    if (text is None) == (text_file is None):
        raise UserError("give exactly one of --text or --text-file")
    if text_file is not None:
        if not text_file.is_file():
            raise UserError(f"{text_file}: file not found")
        text = text_file.read_text(encoding="utf-8", errors="replace")
    if not explanation.is_file():
        raise UserError(f"{explanation}: file not found")
    try:
        ex = Explanation.model_validate_json(explanation.read_bytes())
    except ValidationError as e:
        raise UserError(f"{explanation}: not an explanation.json ({e.errors()[0]['msg']})") from None
    result = verify_text(text or "", ex.facts, imagenet_labels())
    if as_json:
        console.print_json(result.model_dump_json())
        return
    table = Table("claim", "kind", "mark", "why")
    for c in result.claims:
        table.add_row(c.text, c.kind, f"[{STATUS_STYLE[c.status]}]{c.status}[/]", c.reason)
    console.print(table)
    fid = "n/a (no checkable claims)" if result.fidelity is None else f"{result.fidelity:.2f}"
    console.print(f"fidelity {fid}: {result.supported} supported, {result.contradicted} contradicted, "
                  f"{result.unverifiable} unverifiable", highlight=False)


@models_app.command("pull")
def models_pull(name: Annotated[str, typer.Argument(help="sam-vit-b, sam-vit-l or sam-vit-h")]) -> None:
    """Download an official SAM checkpoint into the user cache (checksum checked)."""
    from verbalize.adapters.model_store import pull

    with Progress(TextColumn(name), BarColumn(), MofNCompleteColumn(), console=err_console, transient=True) as progress:
        task = progress.add_task(name, total=None)
        path = pull(name, progress=lambda done, total: progress.update(task, completed=done, total=total))
    console.print(f"{name}: {path}")


@models_app.command("list")
def models_list() -> None:
    """Show which checkpoints are in the user cache."""
    from verbalize.adapters.model_store import list_checkpoints

    for name, path in list_checkpoints().items():
        console.print(f"{name}: {path or '[dim]not downloaded[/]'}")


register_batch(app)
register_service(app)
register_explain_text(app)
register_text(app)


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

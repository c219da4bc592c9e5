"""`verbalize explain`, `verify` and `models`: the image journey on the command line. Thin: flags → pipeline."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from verbalize.cli.console import STATUS_STYLE, bars, console, err_console, load_config, progress_factory
from verbalize.core.errors import UserError
from verbalize.pipeline.image.localize import parse_box


def _perturbs(method: str) -> bool:
    from verbalize.pipeline.image.methods import SALIENCY_METHODS

    return method in SALIENCY_METHODS and SALIENCY_METHODS.get(method).perturbs


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


def explain(
    images: Annotated[list[str] | None, typer.Argument(help="image files (several reuse the loaded models)")] = None,
    method: Annotated[str | None, typer.Option(help="saliency method (default gradcam); see `verbalize methods`")] = None,
    segmenter: Annotated[str | None, typer.Option(help="auto | grabcut | sam | sam2 (need a checkpoint) | hf:/folder (a local Hugging Face SamModel or Sam2Model); auto uses SAM when a checkpoint is configured, else GrabCut")] = None,
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
    box: Annotated[str | None, typer.Option(help="ground truth x0,y0,x1,y1 (original pixels): adds the pointing "
                                            "game and the saliency mass inside it")] = None,
    mask: Annotated[Path | None, typer.Option(help="ground truth mask image (non-zero = the object), as --box")] = None,
    signed: Annotated[bool, typer.Option("--signed", help="overlay.png in red (for the class) and blue (against) instead of a positive-only heatmap")] = False,
) -> None:
    """Classify each image, compute a saliency map, segment the salient object and explain it in words."""
    from verbalize.pipeline.image.samples import sample_path

    sources = list(images or [])
    if sample:
        sources.append(str(sample_path(sample)))
    if not sources:
        raise UserError("give at least one image file (or --sample chelsea)")
    verbalizers = None
    if verbalizer:
        from verbalize.pipeline.image.verbalize import IMAGE_VERBALIZERS

        verbalizers = IMAGE_VERBALIZERS.names() if verbalizer == "all" else [v.strip() for v in verbalizer.split(",") if v.strip()]
    cfg = load_config(config, **{"saliency.method": method, "segmenter.kind": segmenter,
                                  "seed": seed, "model.name": model, "model.target_layer": layer,
                                  "verbalizers": verbalizers, "llm.backend": llm,
                                  "segmenter.sam_checkpoint": sam_checkpoint})
    box_xyxy = parse_box(box) if box else None
    if mask is not None and not mask.is_file():
        raise UserError(f"{mask}: mask file not found")
    # Check every file before loading models: a typo costs a second, not a model load.
    from verbalize.pipeline.image.io import load_image

    for s in sources:
        load_image(s, max_pixels=cfg.max_image_pixels)
    from verbalize.pipeline.image.explainer import ImageExplainer

    with console.status("loading models", spinner="dots") if console.is_terminal else contextlib.nullcontext():
        explainer = ImageExplainer(cfg)
    failures = 0
    for source, out_dir in zip(sources, _out_dirs(out, sources), strict=True):
        try:
            with progress_factory(_perturbs) as factory:
                result = explainer.explain(source, progress=factory, box=box_xyxy, mask=mask)  # type: ignore[arg-type]
            result.signed = signed
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
    if ex.localization is not None:
        loc = ex.localization
        console.print(f"ground truth: pointing game {'hit' if loc.pointing_game else 'miss'} · "
                      f"{loc.relevance_mass:.0%} of the positive saliency inside it", highlight=False)
    for v in ex.verbalizations:
        fid = v.verification.fidelity if v.verification else None
        tag = f"fidelity {fid:.2f} ({v.verification.supported}/{v.verification.supported + v.verification.contradicted})" \
            if fid is not None else "fidelity n/a"
        console.print(f"\n[bold]{v.verbalizer}[/] [dim]{tag}[/]")
        console.print(v.text if v.ok else f"[red]failed:[/] {v.error}", markup=not v.ok, highlight=False)
    console.print(f"\n[dim]wrote {out_dir}/explanation.json, overlay.png, segment.png, mask.png, arrays.npz · "
                  f"explaining took {ex.timings['total']:.1f} s (start-up and model loading not counted)[/]",
                  highlight=False)


def verify(
    explanation: Annotated[Path, typer.Argument(help="an explanation.json written by `verbalize explain`")],
    text: Annotated[str | None, typer.Option(help="the text to check")] = None,
    text_file: Annotated[Path | None, typer.Option(help="read the text from this file")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the verification as JSON")] = False,
    extractor: Annotated[str | None, typer.Option(help="rules (default, offline) or llm (reads the claims with "
                                                       "--llm / llm.backend; the same rules check them)")] = None,
    llm: Annotated[str | None, typer.Option(help="local | local:/path.gguf | openai:MODEL[@URL]")] = None,
    config: Annotated[Path | None, typer.Option(help="a YAML config file")] = None,
) -> None:
    """Check any text (yours, an LLM's, another tool's) claim by claim against an explanation's fact sheet."""
    from verbalize.pipeline.image.verify import verify as verify_explanation

    if (text is None) == (text_file is None):
        raise UserError("give exactly one of --text or --text-file")
    if text_file is not None:
        if not text_file.is_file():
            raise UserError(f"{text_file}: file not found")
        text = text_file.read_text(encoding="utf-8", errors="replace")
    cfg = load_config(config, **{"verification.extractor": extractor, "llm.backend": llm})
    backend = None
    if cfg.verification.extractor == "llm":
        from verbalize.adapters.llm import make_backend

        backend = make_backend(cfg.llm)
    result = verify_explanation(text or "", explanation, extractor=cfg.verification.extractor, backend=backend,
                                prompts_dir=cfg.llm.prompts_dir)
    if as_json:
        console.print_json(result.model_dump_json())
        return
    table = Table("claim", "kind", "subject", "fact", "mark", "why")
    for c in result.claims:
        table.add_row(c.text, c.kind, c.subject or "", c.fact or "", f"[{STATUS_STYLE[c.status]}]{c.status}[/]",
                      c.reason)
    console.print(table)
    fid = "n/a (no checkable claims)" if result.fidelity is None else f"{result.fidelity:.2f}"
    console.print(f"fidelity {fid}: {result.supported} supported, {result.contradicted} contradicted, "
                  f"{result.unverifiable} unverifiable ({result.extractor} extractor)", highlight=False)


def models_pull(name: Annotated[str, typer.Argument(
        help="sam-vit-b, sam-vit-l, sam-vit-h, sam2.1-hiera-tiny, sam2.1-hiera-small, sam2-hiera-tiny, "
             "sam2-hiera-small or sam2-hiera-base-plus")]) -> None:
    """Download an official SAM or SAM 2 checkpoint into the user cache (SHA-256 checked)."""
    from verbalize.adapters.model_store import pull

    with bars() as progress:
        task = progress.add_task(name, total=None)
        path = pull(name, progress=lambda done, total: progress.update(task, completed=done, total=total))
    console.print(f"{name}: {path}")


def models_list() -> None:
    """Show which checkpoints are in the user cache."""
    from verbalize.adapters.model_store import list_checkpoints

    for name, path in list_checkpoints().items():
        console.print(f"{name}: {path or '[dim]not downloaded[/]'}")

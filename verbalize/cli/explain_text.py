"""`verbalize explain-text`: token attributions for one text. Thin: flags → `explain_text_tokens`.

    verbalize explain-text "The movie was great but the ending was awful" --model vader
    verbalize explain-text "…" --model llm:local --methods occlusion,lime --target positive --out out/
    verbalize explain-text "…" --model ./my-sst2-distilbert --json

Prints the prediction and each method's score per token (green: towards the target label, red:
against it); `--json` prints the `TextExplanation` instead, `--out DIR` writes it to
DIR/text_explanation.json. Verbalizing the attributions (Feldhus et al.) is a separate stage that
fills `verbalizations`; this command prints the attributions only.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from verbalize.cli.console import console, progress_factory
from verbalize.core.errors import UserError

OUT_FILE = "text_explanation.json"


def _cell(score: float, scale: float) -> Text:
    """A score coloured by sign, stronger for larger magnitudes (relative to the method's largest)."""
    strength = abs(score) / scale if scale > 0 else 0.0
    style = ("green" if score > 0 else "red" if score < 0 else "dim") + (" bold" if strength >= 0.5 else "")
    return Text(f"{score:+.4f}", style=style)


def _table(explanation) -> Table:  # type: ignore[no-untyped-def]
    table = Table(title=f"attributions towards '{explanation.target_label}'", title_justify="left")
    table.add_column("#", justify="right", style="dim")
    table.add_column("token")
    scales = []
    for a in explanation.attributions:
        table.add_column(a.method, justify="right")
        scales.append(max((abs(s) for s in a.scores), default=0.0))
    for i, tok in enumerate(explanation.tokens):
        table.add_row(str(i), tok, *[_cell(a.scores[i], sc) for a, sc in zip(explanation.attributions, scales, strict=True)])
    return table


def _write(path: Path, data: str) -> None:
    """Write to a temporary file beside `path`, then rename: never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def explain_text(
    text: Annotated[str, typer.Argument(help="the text to explain")],
    model: Annotated[str, typer.Option("--model", "-m", help="vader, llm:SPEC (llm:local = embedded SmolLM2, "
                                       "llm:openai:MODEL@URL, …) or a Hugging Face classifier directory")] = "llm:local",
    methods: Annotated[str, typer.Option(help="comma-separated: occlusion, lime, shap")] = "occlusion,lime,shap",
    target: Annotated[str | None, typer.Option(help="label (name or index) to explain; default: the predicted one")] = None,
    labels: Annotated[str | None, typer.Option(help="llm: models only: comma-separated labels")] = None,
    task: Annotated[str | None, typer.Option(help="llm: models only: the task wording in the prompt")] = None,
    tokens: Annotated[str, typer.Option(help="whitespace (words as written) or punct (punctuation apart)")] = "whitespace",
    seed: Annotated[int, typer.Option(help="seed for LIME and SHAP")] = 0,
    lime_samples: Annotated[int | None, typer.Option(help="LIME samples; default 10 x tokens")] = None,
    shap_max_evals: Annotated[int | None, typer.Option(help="SHAP evaluations at most; default 500")] = None,
    batch_size: Annotated[int, typer.Option(help="inputs per scorer batch")] = 32,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
    out: Annotated[Path | None, typer.Option(help=f"directory to write {OUT_FILE} into")] = None,
) -> None:
    """Explain a text classifier's prediction for one text: occlusion, LIME and SHAP token scores."""
    from verbalize.adapters.text import load_text_classifier
    from verbalize.pipeline.text.methods import explain_text_tokens
    from verbalize.pipeline.text.tokens import tokenize

    if tokens not in ("whitespace", "punct"):
        raise UserError(f"--tokens must be whitespace or punct, got {tokens!r}")
    toks = tokenize(text, tokens)  # type: ignore[arg-type]
    if not toks:
        raise UserError("the text is empty")
    label_list = [x.strip() for x in labels.split(",") if x.strip()] if labels else None
    method_list = [m.strip() for m in methods.split(",") if m.strip()]
    clf = load_text_classifier(model, labels=label_list, task_prompt=task, batch_size=batch_size)
    with progress_factory() as progress:
        explanation = explain_text_tokens(
            clf, toks, methods=method_list, target=target, seed=seed, lime_samples=lime_samples,
            shap_max_evals=shap_max_evals, batch_size=batch_size, progress=progress, text=text)
    payload = explanation.model_dump_json(indent=2)
    if out is not None:
        _write(out / OUT_FILE, payload + "\n")
    if as_json:
        typer.echo(payload)
        return
    p = explanation.prediction
    console.print(f"[bold]{p.label}[/bold] p = {p.probability:.3f}  ·  model {clf.name}  ·  "
                  f"probabilities from {clf.probability_source}")
    console.print(_table(explanation))
    passes = ", ".join(f"{a.method} {a.forward_passes} batches / {a.seconds:.1f} s" for a in explanation.attributions)
    console.print(f"[dim]{passes}[/dim]")
    if out is not None:
        console.print(f"wrote {out / OUT_FILE}")

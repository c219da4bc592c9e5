"""`verbalize self-explain` and `verbalize verbalize-text`: the text journey's commands. Thin: flags →
`pipeline.text.study` / `pipeline.text.verbalize`, results printed with rich.

Errors a user can cause (a bad INPUT, labels, config or endpoint) raise `UserError`; `cli.main`
prints them as one line and exits with code 2.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from verbalize.cli.console import STATUS_STYLE, console, err_console, load_config, split_list
from verbalize.core.errors import UserError
from verbalize.core.formatting import fmt


@contextlib.contextmanager
def _progress(description: str) -> Iterator[Any]:
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console, transient=True, disable=not err_console.is_terminal) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int, what: str) -> None:
            bar.update(task, completed=done, total=total, description=what[:60])

        yield update



# ------------------------------------------------------------------------------ compare


def compare(
    input: Annotated[Path, typer.Argument(help="JSON Lines, one text per line: 'tokens' (or 'text'), optional 'id', "
                                               "'label', 'prediction', and 'explanations': {name: [one score per token]}")],
    llm: Annotated[str | None, typer.Option(help="also measure faithfulness on this LLM (local, openai:MODEL[@URL], …)")]
    = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="also measure faithfulness on this classifier: "
                                              "vader, llm:SPEC or a Hugging Face classifier directory")] = None,
    labels: Annotated[str | None, typer.Option(help="class names, comma-separated (llm: models)")] = None,
    ties: Annotated[str, typer.Option(help="tie handling: expected (mean over random tie orders), position, epsilon")]
    = "expected",
    seed: Annotated[int, typer.Option(help="seed for the epsilon and random tie modes")] = 0,
    out: Annotated[Path, typer.Option(help="output folder")] = Path("compare-out"),
) -> None:
    """Score explanations made elsewhere (your SHAP runs, a paper's published ones) with the study's metrics."""
    from verbalize.pipeline.text.compare import compare_explanations, read_explained_file

    if llm and model:
        raise UserError("give --llm or --model, not both")
    if ties not in ("expected", "position", "epsilon", "random"):
        raise UserError(f"--ties must be expected, position, epsilon or random, got {ties!r}")
    records = read_explained_file(input)  # checked before any model loads
    classifier = None
    spec = f"llm:{llm}" if llm else model
    if spec:
        from verbalize.adapters.text import load_text_classifier

        classifier = load_text_classifier(spec, labels=split_list(labels) or None)
    result = compare_explanations(records, classifier=classifier, labels=split_list(labels) or None,
                                  ties=ties, seed=seed, source=input.name)  # type: ignore[arg-type]
    paths = result.write(out)
    _print_agreement(result)
    console.print(f"wrote {len(paths)} files to {out}/ (study.html)")


# ------------------------------------------------------------------------------ self-explain


def self_explain(
    input: Annotated[Path, typer.Argument(help="texts: .jsonl (field 'text', optional 'label' and 'id'), "
                                               ".csv (column 'text') or .txt (one text per line)")],
    llm: Annotated[str | None, typer.Option(help="local (embedded SmolLM2) | local:/path | openai:MODEL[@URL] | "
                                                 "langchain:module:NAME (default: llm.backend of the config)")] = None,
    labels: Annotated[str | None, typer.Option(help="class names, comma-separated (default: negative,positive)")] = None,
    task_prompt: Annotated[str | None, typer.Option(help="the task sentence of every prompt, e.g. 'Classify the "
                                                         "topic of this news headline.'")] = None,
    strategies: Annotated[str, typer.Option(help="comma-separated: pe, ep, pe-topk, ep-topk, predict-only")]
    = "pe,ep,pe-topk,ep-topk,predict-only",
    methods: Annotated[str, typer.Option(help="reference attributions, comma-separated: occlusion, lime, shap")]
    = "occlusion,lime,shap",
    out: Annotated[Path, typer.Option(help="output folder")] = Path("self-explain-out"),
    seed: Annotated[int | None, typer.Option(help="seed for LIME and SHAP")] = None,
    config: Annotated[Path | None, typer.Option(help="YAML config file (llm, scorer, seed)")] = None,
    lime_samples: Annotated[int | None, typer.Option(min=1, help="LIME samples per text (default 10 x words)")] = None,
    shap_max_evals: Annotated[int | None, typer.Option(min=1, help="SHAP evaluations per text")] = None,
    max_tokens: Annotated[int | None, typer.Option(min=1, help="generation budget per answer (default: llm.max_tokens)")] = None,
    llm_verbalization: Annotated[bool, typer.Option(help="also verbalize each reference attribution with the LLM")] = False,
    ties: Annotated[str, typer.Option(help="agreement: tied scores by expected (mean over random orders), position "
                                           "or epsilon (Huang et al.)")] = "expected",
    structured: Annotated[bool, typer.Option(help="ask for JSON under a schema the backend enforces (OpenAI "
                                                  "response_format, llama.cpp, constrained decoding locally), so every "
                                                  "answer parses; default: free text, as the paper")] = False,
) -> None:
    """Compare an LLM's self-explanations with occlusion, LIME and SHAP on the same model (Huang et al. 2023)."""
    from verbalize.pipeline.text.inputs import read_texts
    from verbalize.pipeline.text.study import TextStudy
    from verbalize.pipeline.text.tokens import DEFAULT_LABELS
    from verbalize.pipeline.text.types import StudyOptions

    cfg = load_config(config, **{"llm.backend": llm, "seed": seed})
    label_list = split_list(labels) or list(DEFAULT_LABELS)
    try:
        options = StudyOptions(labels=label_list, task_prompt=task_prompt, strategies=split_list(strategies) or [],
                               methods=split_list(methods) or [], lime_samples=lime_samples, shap_max_evals=shap_max_evals,
                               max_tokens=max_tokens, llm_verbalization=llm_verbalization,
                               structured=structured, ties=ties)
    except ValueError as e:  # pydantic's ValidationError is a ValueError
        errors = getattr(e, "errors", None)
        msg = errors()[0]["msg"] if callable(errors) else str(e)
        raise UserError(msg.removeprefix("Value error, ")) from None
    items = read_texts(input, options.labels)  # checked before any model loads
    with console.status("loading the LLM", spinner="dots") if console.is_terminal else contextlib.nullcontext():
        study = TextStudy(cfg, options=options)
    with _progress("self-explanations") as update:
        result = study.run(items, progress=update)
    paths = result.write(out)
    _print_study(result, out, paths)


def _table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
    t = Table(*header, title=title, title_justify="left")
    for r in rows:
        t.add_row(*[c if isinstance(c, str) else fmt(c) if isinstance(c, float) or c is None else str(c) for c in r])
    return t


def _print_study(result: Any, out: Path, paths: dict[str, Path]) -> None:
    s = result.summary
    console.print(_table("accuracy", ["strategy", "texts", "label parsed", "scores parsed", "with gold", "correct",
                                      "accuracy"],
                         [[r.strategy, r.texts, r.parsed, "–" if r.attributions_parsed is None else r.attributions_parsed,
                           r.with_gold, r.correct, r.accuracy] for r in s.accuracy]))
    console.print(_table("faithfulness", ["explanation", "texts", "comp ↑", "suff ↓", "DF-MIT", "DF-Frac ↓", "Rank-Del ↑"],
                         [[r.explanation, r.texts, r.comprehensiveness, r.sufficiency, r.df_mit, r.df_frac, r.rank_del]
                          for r in s.faithfulness]))
    _print_agreement(result)
    failed = [it for it in result.items if it.error]
    for it in failed:
        err_console.print(f"not studied: {it.id}: {it.error}", markup=False, highlight=False)
    sources = ", ".join(f"{k} ({v})" for k, v in s.probability_sources.items())
    console.print(f"probabilities from {sources or '–'} · wrote {len(paths)} files to {out}/ "
                  f"(study.html, items.jsonl, accuracy.csv, faithfulness.csv, agreement_*.csv)",
                  markup=False, highlight=False)
    if s.mixed_sources:
        err_console.print(f"note: {s.mixed_sources}", markup=False, highlight=False)
    if failed:
        raise typer.Exit(1)


def _print_agreement(result: Any) -> None:
    s = result.summary
    tied = {r.explanation: r.tied_share for r in s.faithfulness}
    fa = s.agreement.get("feature_agreement")
    if fa is not None:
        console.print(_table("feature agreement (mean over texts)", ["", *fa.names, "tied tokens"],
                             [[n, *row, tied.get(n)] for n, row in zip(fa.names, fa.values, strict=True)]))


# ------------------------------------------------------------------------------ verbalize-text


def _attribution_file(path: Path) -> tuple[list[str], list[float], str | None]:
    """tokens, scores and label from a JSON file: {"tokens", "scores", "label"?}, an Attribution
    (scores in summary.values), or a study item (its first explanation)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"{path}: cannot read ({e})") from None
    except json.JSONDecodeError as e:
        raise UserError(f"{path}: not JSON ({e.msg} at line {e.lineno})") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a JSON object with 'tokens' and 'scores'")
    tokens = data.get("tokens")
    scores = data.get("scores")
    if scores is None and isinstance(data.get("summary"), dict):
        scores = data["summary"].get("values")
    if scores is None and isinstance(data.get("explanations"), list) and data["explanations"]:
        scores = data["explanations"][0].get("scores")
    label = data.get("label") or data.get("target_label") or data.get("explained_label")
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens) or not tokens:
        raise UserError(f"{path}: 'tokens' must be a non-empty list of strings")
    if not isinstance(scores, list) or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in scores):
        raise UserError(f"{path}: 'scores' must be a list of numbers")
    if len(scores) != len(tokens):
        raise UserError(f"{path}: {len(scores)} scores for {len(tokens)} tokens")
    if not all(math.isfinite(float(v)) for v in scores):
        raise UserError(f"{path}: scores must be finite numbers")
    return tokens, [float(v) for v in scores], str(label) if label is not None else None


def verbalize_text(
    input: Annotated[str, typer.Argument(help="a .json file with 'tokens' and 'scores' (and 'label'), "
                                              "or a text to classify and attribute with --model")],
    model: Annotated[str, typer.Option(help="for a text: vader | llm:local | llm:openai:MODEL[@URL] | a Hugging Face "
                                            "classifier directory; occlusion is computed first")] = "llm:local",
    label: Annotated[str | None, typer.Option(help="the label the scores explain (default: the file's, or the "
                                                   "model's prediction)")] = None,
    labels: Annotated[str | None, typer.Option(help="class names for llm: models, comma-separated")] = None,
    verbalizer: Annotated[str, typer.Option(help="template, llm or both, comma-separated")] = "template,llm",
    llm: Annotated[str | None, typer.Option(help="the LLM that writes the llm verbalization (default: the "
                                                 "--model's LLM, else llm.backend of the config)")] = None,
    config: Annotated[Path | None, typer.Option(help="YAML config file")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the verbalizations as JSON")] = False,
) -> None:
    """Put a token attribution into words (Feldhus et al. 2023): a template and an LLM, each with
    coverage@k and every claim checked against the scores."""
    from verbalize.pipeline.text.verbalize import llm_verbalization, template_verbalization

    kinds = split_list(verbalizer) or []
    if bad := [k for k in kinds if k not in ("template", "llm")]:
        raise UserError(f"unknown verbalizer(s) {', '.join(bad)}; choose template, llm or both")
    cfg = load_config(config, **{"llm.backend": llm})
    backend = None
    label_list = split_list(labels)
    path = Path(input)
    probability = None
    if input.lower().endswith(".json"):
        if not path.is_file():
            raise UserError(f"{path}: file not found")
        tokens, scores, file_label = _attribution_file(path)
        target_label = label or file_label
        source = f"{path.name}"
    else:
        tokens, scores, target_label, probability, backend, source = _attribute(
            input, model, label, label_list, cfg.scorer.batch_size, cfg.seed, cfg.llm.prompts_dir)
    results = []
    if "template" in kinds:
        results.append(template_verbalization(tokens, scores, target_label, labels=label_list))
    if "llm" in kinds:
        if target_label is None:
            raise UserError("the llm verbalizer needs the label the scores explain: give --label")
        if backend is None or llm is not None:
            from verbalize.adapters.llm import make_backend

            backend = make_backend(cfg.llm)
        with console.status("the LLM is writing", spinner="dots") if console.is_terminal else contextlib.nullcontext():
            results.append(llm_verbalization(backend, tokens, scores, target_label, labels=label_list,
                                             prompts_dir=cfg.llm.prompts_dir))
    if as_json:
        console.print_json(json.dumps({"tokens": tokens, "scores": scores, "label": target_label, "source": source,
                                       "verbalizations": [r.model_dump(mode="json") for r in results]}))
        return
    _print_attribution(tokens, scores, target_label, probability, source)
    for r in results:
        _print_verbalization(r)


def _attribute(text: str, model: str, label: str | None, labels: list[str] | None, batch_size: int,
               seed: int, prompts_dir: str | None = None) -> tuple[list[str], list[float], str, float, Any, str]:
    """Classify `text` with `model` and compute occlusion towards `label` (default: the prediction)."""
    from verbalize.adapters.text import load_text_classifier
    from verbalize.pipeline.text.methods import attribute_text
    from verbalize.pipeline.text.tokens import tokenize

    tokens = tokenize(text)
    if not tokens:
        raise UserError("the text is empty")
    with console.status("loading the model", spinner="dots") if console.is_terminal else contextlib.nullcontext():
        classifier = load_text_classifier(model, labels=labels, batch_size=batch_size,
                                          prompts_dir=prompts_dir)
    scorer = classifier.scorer(batch_size)
    probs = scorer([tokens])[0]
    target = classifier.label_index(label) if label else int(probs.argmax())
    attribution = attribute_text("occlusion", scorer, tokens, target, seed=seed, labels=classifier.labels)
    scores = [float(v) for v in attribution.scores]
    return (tokens, scores, classifier.labels[target], float(probs[target]), getattr(classifier, "backend", None),
            f"{classifier.name}, occlusion ({scorer.stats.forward_passes} forward passes)")


def _print_attribution(tokens: list[str], scores: list[float], label: str | None, probability: float | None,
                       source: str) -> None:
    scale = max((abs(v) for v in scores), default=0.0) or 1.0
    line = Text()
    for t, v in zip(tokens, scores, strict=True):
        a = min(abs(v) / scale, 1.0)
        colour = f"rgb({255 - int(41 * a)},{255 - int(216 * a)},{255 - int(215 * a)})" if v > 0 else \
            f"rgb({255 - int(224 * a)},{255 - int(136 * a)},{255 - int(75 * a)})"
        line.append(t, style=f"black on {colour}")
        line.append(" ")
    head = f"label {label}" + (f" (p = {probability:.3f})" if probability is not None else "") + f" · {source}"
    console.print(head, markup=False, highlight=False)
    console.print(line)


def _print_verbalization(v: Any) -> None:
    ver = v.verification
    fid = "n/a" if ver is None or ver.fidelity is None else f"{ver.fidelity:.2f} ({ver.supported}/{ver.supported + ver.contradicted})"
    cov = " ".join(f"@{k} {fmt(x)}" for k, x in v.coverage.items())
    console.rule(f"[bold]{v.verbalizer}[/] · fidelity {fid} · coverage{cov and ' ' + cov}")
    if not v.ok:
        console.print(Text(f"failed: {v.error}", style="red"))
        if v.raw:
            console.print(Text(v.raw, style="dim"))
        return
    text = Text(v.text)
    for c in ver.claims if ver else []:
        text.stylize("underline " + STATUS_STYLE[c.status], c.start, c.end)
    console.print(text)
    if ver and ver.claims:
        t = Table("claim", "kind", "mark", "why")
        for c in ver.claims:
            t.add_row(Text(c.text), c.kind, Text(c.status, style=STATUS_STYLE[c.status]), Text(c.reason))
        console.print(t)


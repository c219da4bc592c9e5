"""One self-contained HTML report per run: summary, plots and one section per item.

Jinja2 with autoescape on; the only markup built in Python is in `highlight_claims` and
`token_heatmap`, and both escape every piece of text *before* joining it with tags (escaping the
assembled HTML would either double-escape or, worse, let a model's `<script>` through). Images are
inlined as data: URIs so the file can be mailed or archived alone. The report carries no
JavaScript, and a Content-Security-Policy meta tag forbids any, as a second line of defence.
"""

from __future__ import annotations

import io
import json
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from jinja2 import Environment, PackageLoader
from markupsafe import Markup, escape
from PIL import Image

from verbalize.core.formatting import fmt, fmt_pct
from verbalize.core.markup import STATUSES, mark_claims
from verbalize.core.redact import redact
from verbalize.report.export import (
    IMAGE_METRICS,
    ReportItem,
    as_report_item,
    dig,
    is_correct,
    number,
    publish,
    segment_rows,
)
from verbalize.report.plots import comparison_png, data_uri, distribution_png, heatmap_png

THUMB_SIDE = 480
AgreementInput = Mapping[str, Any]  # metric -> (names, matrix) or an object with .names / .values


# ---------------------------------------------------------------- markup built in Python


def highlight_claims(text: str, claims: Sequence[Mapping[str, Any]] | None) -> Markup:
    """The text with each claim wrapped in <mark class="claim STATUS">, every piece escaped (see core.markup)."""
    return Markup(mark_claims(text, claims))


def _token_colour(score: float, scale: float) -> str:
    a = min(abs(score) / scale, 1.0) if scale > 0 else 0.0
    rgb = "214,39,40" if score > 0 else "31,119,180"
    return f"rgba({rgb},{a:.2f})"


def token_heatmap(tokens: Sequence[str], scores: Sequence[float]) -> Markup:
    """Tokens as spans shaded by score: red supports the label, blue speaks against it.

    Scores are scaled by the largest absolute score of this text, so the strongest token is fully
    saturated; the exact score is in each token's tooltip.
    """
    vals = [number(s) or 0.0 for s in scores]
    if len(vals) != len(tokens):
        raise ValueError(f"{len(tokens)} tokens but {len(vals)} scores")
    scale = max((abs(v) for v in vals), default=0.0)
    parts = [f'<span class="tok" style="background:{_token_colour(v, scale)}" title="{v:+.3f}">{escape(t)}</span>'
             for t, v in zip(tokens, vals, strict=True)]
    return Markup('<div class="tokens">' + " ".join(parts) + "</div>")


# ---------------------------------------------------------------- pictures


def thumbnail_uri(data: bytes | Image.Image | np.ndarray, max_side: int = THUMB_SIDE) -> str | None:
    """A downscaled JPEG data: URI (a full-size PNG per picture would make reports tens of MB)."""
    try:
        img: Image.Image
        if isinstance(data, bytes):
            img = Image.open(io.BytesIO(data))
        elif isinstance(data, np.ndarray):
            img = Image.fromarray(data)
        else:
            img = data
        img = img.convert("RGB")
        img.thumbnail((max_side, max_side))
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=85)
    except (OSError, ValueError):
        return None
    return data_uri(buf.getvalue(), "image/jpeg")


def _original_uri(item: ReportItem) -> str | None:
    """The input picture, from an 'original.*' artifact or else from the input file if still there."""
    for name in ("original.jpg", "original.png"):
        if name in item.artifacts:
            return thumbnail_uri(item.artifacts[name])
    path = item.input_path
    if path is None or not Path(path).is_file():
        return None
    from verbalize.core.errors import InputError
    from verbalize.pipeline.image.io import load_image

    try:
        rgb, _ = load_image(path)
    except InputError:
        return None
    return thumbnail_uri(rgb)


# ---------------------------------------------------------------- summary


@dataclass
class Stat:
    """Mean and spread of one metric over the items that have it."""

    name: str
    label: str
    n: int
    mean: float
    std: float
    min: float
    median: float
    max: float

    @classmethod
    def of(cls, name: str, label: str, values: Iterable[float | None]) -> Stat | None:
        vals = [v for v in (number(x) for x in values) if v is not None]
        if not vals:
            return None
        return cls(name, label, len(vals), statistics.fmean(vals), statistics.pstdev(vals) if len(vals) > 1 else 0.0,
                   min(vals), statistics.median(vals), max(vals))


@dataclass
class VerbalizerStat:
    name: str
    fidelity: Stat | None
    supported: int = 0
    contradicted: int = 0
    unverifiable: int = 0
    failed: int = 0
    no_checkable_claims: int = 0


@dataclass
class Plot:
    title: str
    uri: str


@dataclass
class Summary:
    counts: dict[str, int]
    accuracy: float | None
    accuracy_n: int
    metrics: list[Stat]
    verbalizers: list[VerbalizerStat]
    per_method: dict[str, list[Stat]]
    plots: list[Plot] = field(default_factory=list)
    agreement: list[Plot] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _method_of(item: ReportItem) -> str:
    return str(dig(item.result, "provenance.method") or dig(item.result, "attribution.method") or "?")


def _verbalizer_stats(done: list[ReportItem]) -> tuple[list[VerbalizerStat], dict[str, list[float | None]]]:
    by_name: dict[str, VerbalizerStat] = {}
    fidelity: dict[str, list[float | None]] = defaultdict(list)
    for item in done:
        for v in (item.result or {}).get("verbalizations") or []:
            name = str(v.get("verbalizer", "?"))
            s = by_name.setdefault(name, VerbalizerStat(name, None))
            if not v.get("ok", True):
                s.failed += 1
                continue
            ver = v.get("verification") or {}
            for status in STATUSES:
                setattr(s, status, getattr(s, status) + int(ver.get(status) or 0))
            f = number(ver.get("fidelity"))
            if f is None:
                s.no_checkable_claims += 1
            fidelity[name].append(f)
    for name, s in by_name.items():
        s.fidelity = Stat.of(f"fidelity_{name}", f"fidelity ({name})", fidelity[name])
    return list(by_name.values()), fidelity


def _agreement_plots(agreement: AgreementInput) -> list[Plot]:
    plots = []
    for metric, value in agreement.items():
        if hasattr(value, "names") and hasattr(value, "values"):
            names, matrix = value.names, value.values
        else:
            names, matrix = value
        plots.append(Plot(f"agreement: {metric}", data_uri(heatmap_png(list(names), matrix, title=str(metric)))))
    return plots


def summarize(items: Sequence[ReportItem], extras: Mapping[str, Any] | None = None, *, plots: bool = True) -> Summary:
    """Counts, accuracy, metric statistics (overall and per method), fidelity per verbalizer, plots.

    `extras` lets other journeys add what images do not have: `agreement` ({metric: (names,
    matrix)} → heatmaps), `metrics` ({name: values} → more rows and distributions), `notes`.
    """
    extras = extras or {}
    counts: dict[str, int] = defaultdict(int)
    for i in items:
        counts[i.status] += 1
    counts = {"total": len(items), **dict(sorted(counts.items()))}
    done = [i for i in items if i.status == "done" and i.is_image]
    verdicts = [c for c in (is_correct(i) for i in done) if c is not None]
    metric_values = {m: [number(dig(i.result, path)) for i in done] for m, (path, _) in IMAGE_METRICS.items()}
    extra_metrics: Mapping[str, Sequence[float]] = extras.get("metrics") or {}
    stats = [Stat.of(m, IMAGE_METRICS[m][1], vals) for m, vals in metric_values.items()]
    stats += [Stat.of(m, m, vals) for m, vals in extra_metrics.items()]
    by_method: dict[str, list[ReportItem]] = defaultdict(list)
    for i in done:
        by_method[_method_of(i)].append(i)
    per_method = {method: [s for s in (Stat.of(m, IMAGE_METRICS[m][1], [number(dig(i.result, IMAGE_METRICS[m][0]))
                                                                      for i in group])
                                       for m in ("deletion_auc", "insertion_auc", "saliency_in_segment")) if s]
                  for method, group in sorted(by_method.items())}
    verbalizers, fidelity = _verbalizer_stats(done)
    summary = Summary(counts=counts, accuracy=(sum(verdicts) / len(verdicts)) if verdicts else None,
                      accuracy_n=len(verdicts), metrics=[s for s in stats if s], verbalizers=verbalizers,
                      per_method=per_method if len(per_method) > 1 else {}, notes=list(extras.get("notes") or []))
    if plots:
        summary.plots = _summary_plots(done, by_method, fidelity, extra_metrics)
        summary.agreement = _agreement_plots(extras.get("agreement") or {})
    return summary


def _summary_plots(done: list[ReportItem], by_method: Mapping[str, list[ReportItem]],
                   fidelity: Mapping[str, list[float | None]], extra: Mapping[str, Sequence[float]]) -> list[Plot]:
    out: list[Plot] = []

    def add(title: str, png: bytes | None) -> None:
        if png is not None:
            out.append(Plot(title, data_uri(png)))

    for m in ("deletion_auc", "insertion_auc"):
        path, label = IMAGE_METRICS[m]
        groups = {method: [number(dig(i.result, path)) for i in group] for method, group in by_method.items()}
        add(f"distribution of {label}", distribution_png(groups, title=label, xlabel=m.replace("_", " ")))
    add("verification fidelity", distribution_png(dict(fidelity), title="verification fidelity per verbalizer",
                                                  xlabel="supported / (supported + contradicted)"))
    if len(by_method) > 1:
        for m in ("deletion_auc", "insertion_auc"):
            path, label = IMAGE_METRICS[m]
            add(f"{label} by method", comparison_png(
                {method: [number(dig(i.result, path)) for i in group] for method, group in by_method.items()},
                title=f"{label} by method", ylabel=m.replace("_", " ")))
    elif done:
        add("faithfulness and localisation metrics", comparison_png(
            {m: [number(dig(i.result, IMAGE_METRICS[m][0])) for i in done]
             for m in ("deletion_auc", "insertion_auc", "saliency_in_segment", "p_segment_only", "p_segment_removed")},
            title=f"metrics over {len(done)} items ({next(iter(by_method), '?')})", ylabel="value"))
    for name, vals in extra.items():
        add(f"distribution of {name}", distribution_png({name: vals}, title=name, xlabel=name, value_range=None))
    return out


# ---------------------------------------------------------------- item views


def token_attributions(result: Any, tokens: list[str] | None = None, path: str = "") -> list[tuple[str, list[str], list[float]]]:
    """Every (name, tokens, scores) found in a text result: dicts with a method/strategy and scores.

    Scores come from `scores` or an Attribution's `summary.values`; tokens from the dict itself or
    the nearest enclosing dict that has them (self-explanations score the text's tokens).
    """
    found: list[tuple[str, list[str], list[float]]] = []
    if isinstance(result, Mapping):
        tokens = result.get("tokens") if isinstance(result.get("tokens"), list) else tokens
        scores = result.get("scores") if isinstance(result.get("scores"), list) else dig(result, "summary.values")
        name = result.get("method") or result.get("strategy")
        if name and tokens and isinstance(scores, list) and len(scores) == len(tokens):
            found.append((str(name), [str(t) for t in tokens], [number(s) or 0.0 for s in scores]))
        for k, v in result.items():
            if k not in ("tokens", "scores", "summary"):
                found += token_attributions(v, tokens, f"{path}.{k}")
    elif isinstance(result, list):
        for v in result:
            found += token_attributions(v, tokens, path)
    return found


@dataclass
class ItemView:
    item: ReportItem
    anchor: str
    title: str
    original: str | None = None
    overlay: str | None = None
    segment: str | None = None
    correct: bool | None = None
    segments: list[dict[str, Any]] = field(default_factory=list)
    tokens: list[tuple[str, list[str], list[float]]] = field(default_factory=list)
    result_json: str | None = None


def _item_view(n: int, item: ReportItem) -> ItemView:
    title = Path(item.input_path).name if item.input_path else (item.input_text or item.key)
    view = ItemView(item=item, anchor=f"item-{n}", title=title[:120])
    if item.is_image:
        view.original = _original_uri(item)
        view.overlay = thumbnail_uri(item.artifacts["overlay.png"]) if "overlay.png" in item.artifacts else None
        view.segment = thumbnail_uri(item.artifacts["segment.png"]) if "segment.png" in item.artifacts else None
        view.correct = is_correct(item)
        view.segments = segment_rows(item.result or {})
    elif item.result is not None:
        view.tokens = token_attributions(item.result)
        view.result_json = json.dumps(item.result, indent=2, ensure_ascii=False, default=str)
    return view


# ---------------------------------------------------------------- run info

def run_info(run: Any) -> dict[str, Any]:
    """The fields a report shows about a run, from a store RunRecord or a mapping."""
    if run is None:
        return {"name": "run", "id": None, "kind": None, "status": None, "created": None,
                "config": {}, "provenance": {}}

    def get(name: str) -> Any:
        return run.get(name) if isinstance(run, Mapping) else getattr(run, name, None)

    created = get("created") or get("created_at")
    if isinstance(created, datetime):
        created = created.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return {"name": str(get("name") or get("id") or "run"), "id": get("id"), "kind": get("kind"),
            "status": get("status"), "created": str(created) if created else None,
            "config": redact(get("config") or {}), "provenance": redact(get("provenance") or {})}


# ---------------------------------------------------------------- rendering




@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja2 environment for reports; autoescape is on for every template, whatever its name."""
    env = Environment(loader=PackageLoader("verbalize.report", "templates"), autoescape=True,
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(highlight_claims=highlight_claims, token_heatmap=token_heatmap, fmt=fmt, pct=fmt_pct,
                       dig=dig, statuses=STATUSES)
    env.filters["tojson_pretty"] = lambda v: json.dumps(v, indent=2, ensure_ascii=False, default=str, sort_keys=True)
    return env


def render_report(items: Iterable[Any], run: Any = None, summary_extras: Mapping[str, Any] | None = None) -> str:
    """The report as one HTML string: a summary, plots and one section per item.

    `items` are store item records or `ReportItem`s; `run` a store run record or a mapping with
    name / kind / status / config / provenance. See `summarize` for `summary_extras`.
    """
    report_items: list[ReportItem] = []
    views: list[ItemView] = []
    for n, record in enumerate(items, start=1):  # one item's pictures in memory at a time
        item = as_report_item(record)
        views.append(_item_view(n, item))
        item.artifacts = {}  # the view holds the thumbnails; the full-size PNGs can go
        report_items.append(item)
    summary = summarize(report_items, summary_extras)
    from verbalize import __version__

    return environment().get_template("report.html").render(
        run=run_info(run), summary=summary, views=views, version=__version__,
        math=math)


def write_report(html: str, path: str | Path) -> Path:
    """Write the report atomically (temp file, then rename)."""
    return publish(Path(path), html.encode("utf-8"))

"""Stored items as rows: the common view the HTML report, the exports and `.to_pandas()` are built from.

`ReportItem` decouples readers from the store's record classes (rows can be made from any iterable
of items, e.g. in the service or a notebook). `flatten_item` turns one item into one flat row — the
same columns for JSONL, CSV, Parquet and a DataFrame — so a spreadsheet gets one row per item
without parsing nested JSON.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Per-item image metrics: column name -> (path in Explanation JSON, human label).
IMAGE_METRICS: dict[str, tuple[str, str]] = {
    "probability": ("prediction.probability", "p(predicted label)"),
    "deletion_auc": ("facts.deletion_auc", "deletion AUC (lower is better)"),
    "insertion_auc": ("facts.insertion_auc", "insertion AUC (higher is better)"),
    "saliency_in_segment": ("facts.saliency_in_segment", "saliency in segment"),
    "segment_area": ("facts.segment_area", "segment area (share of image)"),
    "p_segment_only": ("facts.p_segment_only", "p(label | segment only)"),
    "p_segment_removed": ("facts.p_segment_removed", "p(label | segment removed)"),
    "pointing_game": ("localization.pointing_game", "pointing game (map's peak in the given box)"),
    "relevance_mass": ("localization.relevance_mass", "relevance mass in the given box"),
}


@dataclass
class ReportItem:
    """One input of a run and what became of it."""

    key: str
    input: Any = None
    status: str = "pending"
    result: dict[str, Any] | None = None
    error: str | None = None
    artifacts: dict[str, bytes] = field(default_factory=dict)
    label: str | None = None

    @property
    def is_image(self) -> bool:
        return isinstance(self.result, Mapping) and "facts" in self.result and "prediction" in self.result

    @property
    def input_path(self) -> str | None:
        inp = self.input
        if isinstance(inp, Mapping):
            inp = inp.get("path") or inp.get("image")
        return str(inp) if isinstance(inp, str | Path) else None

    @property
    def input_text(self) -> str | None:
        return str(self.input["text"]) if isinstance(self.input, Mapping) and self.input.get("text") is not None else None


def _first(obj: Any, *names: str) -> Any:
    for n in names:
        value = obj.get(n) if isinstance(obj, Mapping) else getattr(obj, n, None)
        if value is not None:
            return value
    return None


def as_report_item(record: Any) -> ReportItem:
    """A `ReportItem` from a store item record (or a plain mapping with the same fields)."""
    if isinstance(record, ReportItem):
        return record
    inp = _first(record, "input", "source")
    result = _first(record, "result")
    if isinstance(result, str):
        result = json.loads(result)
    label = _first(record, "label")
    if label is None and isinstance(inp, Mapping):
        label = inp.get("label")
    return ReportItem(
        key=str(_first(record, "key", "item_key", "id")),
        input=inp,
        status=str(_first(record, "status") or "pending"),
        result=result,
        error=_first(record, "error", "reason", "failure"),
        artifacts=dict(_first(record, "artifacts") or {}),
        label=None if label is None else str(label),
    )


def dig(obj: Any, dotted: str) -> Any:
    """`obj['a']['b']` for 'a.b', or None when any step is missing."""
    for part in dotted.split("."):
        if not isinstance(obj, Mapping) or part not in obj:
            return None
        obj = obj[part]
    return obj


def number(value: Any) -> float | None:
    """A finite float, or None (missing, NaN, text); a yes/no (the pointing game) counts as 1 or 0."""
    if isinstance(value, bool):
        return float(value)
    if not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def is_correct(item: ReportItem) -> bool | None:
    """Does the prediction match the expected label (case-insensitive)? None without both."""
    predicted = dig(item.result, "prediction.label")
    if item.label is None or predicted is None:
        return None
    return str(predicted).strip().casefold() == item.label.strip().casefold()


def _input_column(item: ReportItem) -> str | None:
    if item.input is None:
        return None
    if isinstance(item.input, str):
        return item.input
    if item.input_path is not None:
        return item.input_path
    if item.input_text is not None:
        return item.input_text
    return json.dumps(item.input, sort_keys=True, default=str)


# Per-segment values, in the order the report's segment table and the `segment<i>_*` columns show them.
SEGMENT_FIELDS: dict[str, str] = {
    "method": "segmenter",
    "location": "where (3x3 cell of its saliency)",
    "saliency_share": "share of the positive saliency",
    "area": "area (share of image)",
    "p_only": "p(label | segment kept alone)",
    "p_removed": "p(label | segment removed)",
    "points": "positive prompt points",
    "negatives": "negative prompt points",
    "box": "box prompt",
    "rounds": "refinement rounds run",
    "stop_reason": "why refinement stopped",
}


def segment_rows(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per segment of an image result (keys: `SEGMENT_FIELDS`), strongest first.

    With several salient objects the values come from `segments` and the fact sheet's `regions`
    (computed for the same segments, in the same order); with one, from `segment` and the fact
    sheet's segment facts, so a single-object item reads the same way. Prompts are counted here
    (the points themselves are in the JSON and drawn on segment.png).
    """
    segments = result.get("segments") or ([result["segment"]] if isinstance(result.get("segment"), Mapping) else [])
    regions = dig(result, "facts.regions") or []
    rows = []
    for i, seg in enumerate(segments):
        region = regions[i] if i < len(regions) and isinstance(regions[i], Mapping) else {}
        single = len(segments) == 1 and not region  # the fact sheet's segment facts are this segment's
        values = {"location": region.get("location"),
                  "saliency_share": number(dig(result, "facts.saliency_in_segment") if single
                                           else region.get("saliency_share")),
                  "area": number(dig(result, "facts.segment_area") if single
                                 else region.get("area", seg.get("area_fraction"))),
                  "p_only": number(dig(result, "facts.p_segment_only") if single else region.get("p_only")),
                  "p_removed": number(dig(result, "facts.p_segment_removed") if single else region.get("p_removed"))}
        rows.append({"method": seg.get("method"), **values,
                     "points": len(seg.get("prompt_points_xy") or []),
                     "negatives": len(seg.get("prompt_negative_xy") or []),
                     "box": seg.get("prompt_box_xyxy") is not None,
                     "rounds": seg.get("rounds"), "stop_reason": seg.get("stop_reason")})
    return rows


def _segment_columns(result: Mapping[str, Any]) -> dict[str, Any]:
    """`segments` (how many) and `segment<i>_<field>` for each, numbered from 1 (see `segment_rows`)."""
    rows = segment_rows(result)
    out: dict[str, Any] = {"segments": len(rows)}
    for i, row in enumerate(rows, start=1):
        out.update({f"segment{i}_{k}": v for k, v in row.items() if k != "method"})
    return out


def _image_columns(result: Mapping[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "predicted_label": dig(result, "prediction.label"),
        "class_index": dig(result, "prediction.class_index"),
        "model": dig(result, "provenance.model"),
        "method": dig(result, "provenance.method") or dig(result, "attribution.method"),
        "segmenter": dig(result, "segment.method"),
        "saliency_region": dig(result, "facts.saliency_region"),
    }
    for column, (path, _) in IMAGE_METRICS.items():
        row[column] = number(dig(result, path))
    row.update(_segment_columns(result))
    row["seconds"] = number(dig(result, "timings.total"))
    for v in result.get("verbalizations") or []:
        name = str(v.get("verbalizer", "?"))
        ver = v.get("verification") or {}
        row[f"{name}_text"] = v.get("text")
        row[f"{name}_ok"] = bool(v.get("ok", True))
        row[f"{name}_fidelity"] = number(ver.get("fidelity"))
        for status in ("supported", "contradicted", "unverifiable"):
            row[f"{name}_{status}"] = ver.get(status)
    return row


def _scalar_columns(obj: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted columns for every scalar in a nested result; lists become JSON text."""
    out: dict[str, Any] = {}
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            out.update(_scalar_columns(v, f"{prefix}{k}."))
    elif isinstance(obj, list | tuple):
        out[prefix[:-1]] = json.dumps(obj, default=str)
    else:
        out[prefix[:-1]] = obj
    return out


def flatten_item(item: ReportItem) -> dict[str, Any]:
    """One flat row: id, input, label, status, error, then the results."""
    row: dict[str, Any] = {"id": item.key, "input": _input_column(item), "label": item.label,
                           "status": item.status, "error": item.error}
    if item.is_image:
        row.update(_image_columns(item.result or {}))
        row["correct"] = is_correct(item)
    elif isinstance(item.result, Mapping):
        row.update({f"result.{k}": v for k, v in _scalar_columns(item.result).items()})
    return row

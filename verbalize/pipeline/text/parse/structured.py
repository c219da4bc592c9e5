"""Answers given under a JSON schema (``--structured``): read the schema's fields directly.

The schema (`verbalize.pipeline.text.elicit.structured_schema`) gives ``pe``/``ep`` scores as one
number per token in text order, so they are placed by position, not by matching words. Top-k and
predict-only answers hold words and a prediction the free-text parser reads exactly. An answer that
is not the schema's JSON (a backend that ignored the schema) goes to the free-text parser, and the
notes say so.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from verbalize.pipeline.text.parse.parser import ParsedSelfExplanation, parse_self_explanation
from verbalize.pipeline.text.tokens import DEFAULT_LABELS


def _positional(raw: str, tokens: list[str], labels: Sequence[str]) -> tuple[str, float, list[float]] | None:
    try:
        obj: Any = json.loads(raw.strip())
    except json.JSONDecodeError:
        return None
    if not isinstance(obj, dict):
        return None
    label, conf, scores = obj.get("label"), obj.get("confidence"), obj.get("scores")
    if not isinstance(label, str) or label not in labels or not isinstance(conf, int | float):
        return None
    if not isinstance(scores, list) or len(scores) != len(tokens) or not all(
            isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) for x in scores):
        return None
    return label, float(conf), [float(x) for x in scores]


def parse_structured(text: str, tokens: list[str], strategy: str, *,
                     labels: Sequence[str] = DEFAULT_LABELS) -> ParsedSelfExplanation:
    """Read a schema-constrained answer; see the module doc. Never raises on model output."""
    if strategy in ("pe", "ep"):
        found = _positional(text, tokens, labels)
        if found is not None:
            label, conf, raw_scores = found
            notes = ["structured: scores placed by position"]
            clipped = sum(1 for x in raw_scores if not -1 <= x <= 1)
            if clipped:
                notes.append(f"clipped {clipped} score{'s' if clipped > 1 else ''} to [-1, 1]")
            if not 0 <= conf <= 1:
                notes.append(f"confidence {conf:g} clipped to [0, 1]")
            return ParsedSelfExplanation(
                strategy=strategy, label=label, confidence=min(max(conf, 0.0), 1.0),
                scores=[min(max(x, -1.0), 1.0) for x in raw_scores], raw=text, parse_ok=True,
                notes=notes, clipped=clipped, attribution_ok=True)
    parsed = parse_self_explanation(text, tokens, strategy, labels=labels)
    if strategy in ("pe", "ep"):
        parsed.notes.insert(0, "structured: the answer is not the schema's JSON; read as free text")
    return parsed

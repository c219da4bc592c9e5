"""Score explanations made elsewhere with the study's metrics: `compare_explanations`.

A researcher's own SHAP runs, a paper's published self-explanations, another library's LIME: one
record per text, with the tokens (or a text split on whitespace), optionally the gold label and the
prediction the explanations are about, and any number of named explanations, one score per token::

    {"id": "s1", "tokens": ["a", "fine", "film"], "label": "positive",
     "explanations": {"self": [0, 0.8, 0.1], "occlusion": [0, 0.5, 0], "lime": [0.1, 0.6, -0.1]}}

Every pair of explanations gets the agreement metrics of `verbalize.eval.agreement` (ties handled as
`ties` says; the default is the expectation under random tie-breaking), and the result is a
`StudyResult`, so it is written exactly as a study is: items.jsonl, agreement_<metric>.csv, the
tied-token shares, study.json and study.html with the heatmaps.

With a classifier (`--llm` / `--model`), every explanation's faithfulness is measured on it
(comprehensiveness, sufficiency, DF-MIT, DF-Frac, Rank-Del), taking positive scores to point
towards the record's ``prediction`` (else its ``label``, else the classifier's own prediction).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from verbalize.core.errors import UserError
from verbalize.core.formatting import finite_or_none
from verbalize.core.types import Provenance
from verbalize.core.versions import library_versions
from verbalize.eval.agreement import TIES, RankBy, Ties, agreement_matrix
from verbalize.eval.faithfulness import faithfulness_report
from verbalize.pipeline.text.summary import summarize
from verbalize.pipeline.text.tokens import DEFAULT_LABELS
from verbalize.pipeline.text.types import (
    ExplanationResult,
    MatrixRecord,
    StudyItem,
    StudyOptions,
    StudyResult,
)


class ExplainedText(BaseModel):
    """One record of a `verbalize compare` file."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    text: str | None = Field(default=None, description="split on whitespace when `tokens` is absent")
    tokens: list[str] | None = None
    label: str | None = Field(default=None, description="the gold label")
    prediction: str | None = Field(default=None, description="the label the explanations explain")
    explanations: dict[str, list[float]] = Field(description="name → one score per token")

    @model_validator(mode="after")
    def _check(self) -> ExplainedText:
        if self.tokens is None:
            if self.text is None:
                raise ValueError("give 'tokens' or 'text'")
            self.tokens = self.text.split()
        if not self.tokens:
            raise ValueError("no tokens")
        if len(self.explanations) < 2:
            raise ValueError(f"give at least two named explanations to compare, got {len(self.explanations)}")
        for name, scores in self.explanations.items():
            if len(scores) != len(self.tokens):
                raise ValueError(f"explanation {name!r} has {len(scores)} scores for {len(self.tokens)} tokens")
            if not all(math.isfinite(s) for s in scores):
                raise ValueError(f"explanation {name!r} holds a score that is not a finite number")
        return self


def read_explained(rows: Iterable[Mapping[str, Any] | ExplainedText]) -> list[ExplainedText]:
    """Validated records; a bad one is a `UserError` naming its position and the problem."""
    out: list[ExplainedText] = []
    for n, row in enumerate(rows, start=1):
        try:
            rec = row if isinstance(row, ExplainedText) else ExplainedText.model_validate(row)
        except ValidationError as e:
            err = e.errors()[0]
            where = ".".join(str(x) for x in err["loc"])
            raise UserError(f"record {n}: {where + ': ' if where else ''}{err['msg'].removeprefix('Value error, ')}") from None
        if rec.id is None:
            rec.id = f"text:{n}"
        out.append(rec)
    if not out:
        raise UserError("no records to compare")
    names = list(out[0].explanations)
    for n, rec in enumerate(out, start=1):
        if list(rec.explanations) != names:
            raise UserError(f"record {n}: explanations {', '.join(rec.explanations)} differ from the first "
                            f"record's {', '.join(names)} (every record must name the same ones, in one order)")
    return out


def read_explained_file(path: str | Path) -> list[ExplainedText]:
    """The records of a JSON Lines file (blank lines skipped); errors name the line."""
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"cannot read {p}: {e}") from None
    rows: list[Any] = []
    numbers: list[int] = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as e:
            raise UserError(f"{p}:{n}: not JSON ({e.msg})") from None
        numbers.append(n)
    try:
        return read_explained(rows)
    except UserError as e:
        msg = str(e)
        if msg.startswith("record "):  # name the file's line, not the record's position
            head, _, rest = msg.partition(":")
            msg = f"{p}:{numbers[int(head.split()[1]) - 1]}:{rest}"
        raise UserError(msg) from None


def _labels(records: list[ExplainedText], labels: list[str] | None, classifier: Any) -> list[str]:
    if classifier is not None:
        return list(classifier.labels)
    if labels:
        return labels
    seen = sorted({x for r in records for x in (r.label, r.prediction) if x is not None})
    if all(x in DEFAULT_LABELS for x in seen) or len(seen) < 2:
        return list(DEFAULT_LABELS)
    return seen


def compare_explanations(
    records: Iterable[Mapping[str, Any] | ExplainedText],
    *,
    classifier: Any = None,
    labels: list[str] | None = None,
    ties: Ties = "expected",
    rank_by: RankBy = "abs",
    seed: int = 0,
    batch_size: int | None = None,
    source: str = "records",
) -> StudyResult:
    """Agreement (and, with a `classifier`, faithfulness) of explanations made elsewhere; see module doc."""
    if ties not in TIES:
        raise UserError(f"ties must be one of {', '.join(TIES)}, got {ties!r}")
    t0 = time.perf_counter()
    recs = read_explained(records)
    label_list = _labels(recs, labels, classifier)
    for n, rec in enumerate(recs, start=1):
        for what in ("label", "prediction"):
            value = getattr(rec, what)
            if value is not None and value not in label_list:
                raise UserError(f"record {n}: {what} {value!r} is not one of {', '.join(label_list)}")
    options = StudyOptions(labels=label_list, strategies=[], methods=[])
    items = [_item(rec, label_list, classifier, ties, rank_by, seed, batch_size) for rec in recs]
    model = getattr(classifier, "name", None) or "none (agreement only)"
    provenance = Provenance(
        model=str(model), method="compare explanations", seed=seed,
        params={"source": source, "ties": ties, "rank_by": rank_by, "labels": label_list,
                "explanations": list(recs[0].explanations), "seconds": round(time.perf_counter() - t0, 3)},
        versions=library_versions("numpy", "scipy"))
    return StudyResult(items=items, summary=summarize(items, options), options=options, provenance=provenance)


def _item(rec: ExplainedText, labels: list[str], classifier: Any, ties: Ties, rank_by: RankBy, seed: int,
          batch_size: int | None) -> StudyItem:
    tokens = list(rec.tokens or [])
    explanations = [ExplanationResult(name=name, source="model", method=name, scores=list(scores), valid=True)
                    for name, scores in rec.explanations.items()]
    probabilities: dict[str, float | None] = {}
    predicted = None
    passes: dict[str, int] = {}
    explained = rec.prediction or rec.label
    if classifier is not None:
        scorer = classifier.scorer(batch_size)
        probs = np.asarray(scorer([tokens])[0], dtype=float)
        probabilities = {lb: finite_or_none(p) for lb, p in zip(labels, probs, strict=True)}
        predicted = labels[int(np.nanargmax(probs))] if np.isfinite(probs).any() else None
        explained = explained or predicted
        target = labels.index(explained or labels[0])
        for e in explanations:
            report = faithfulness_report(scorer, tokens, np.asarray(e.scores, dtype=float), target)
            e.faithfulness = {k: bool(v) if isinstance(v, bool | np.bool_) else
                              int(v) if isinstance(v, int | np.integer) else finite_or_none(v)
                              for k, v in report.items()}
        passes = {**scorer.stats.as_dict(), "batch_size": scorer.batch_size}
    explained = explained or labels[0]
    matrices = agreement_matrix({e.name: e.scores for e in explanations}, rank_by=rank_by, ties=ties, seed=seed)
    return StudyItem(
        id=str(rec.id), text=rec.text if rec.text is not None else " ".join(tokens), tokens=tokens, gold=rec.label,
        explained_label=explained, explained_index=labels.index(explained), probabilities=probabilities,
        predicted=predicted, probability_source=getattr(classifier, "probability_source", None) or "none",
        explanations=explanations, agreement={k: MatrixRecord.of(m) for k, m in matrices.items()},
        forward_passes=passes)

"""The text journey's data model: study options, per-text records, summary tables, the whole result.

These cross every boundary (items.jsonl, study.json, the store, HTTP), so they live apart from the
code that fills them (`study.py`, `summary.py`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from verbalize.core.formatting import finite_or_none
from verbalize.core.types import Provenance
from verbalize.eval.agreement import AgreementMatrix
from verbalize.pipeline.text.methods import DEFAULT_METHODS, TEXT_METHODS
from verbalize.pipeline.text.tokens import DEFAULT_LABELS, STRATEGIES, TokenizeMode
from verbalize.pipeline.text.verbalize import TextVerbalization

StudyProgress = Callable[[int, int, str], None]
"""Called as progress(done, total, what) after each step of each text; `total` counts steps."""


# ------------------------------------------------------------------------------ options


class StudyOptions(BaseModel):
    """What a study runs; the LLM itself, the seed and batch sizes come from the `Config`."""

    model_config = ConfigDict(extra="forbid")

    labels: list[str] = Field(default_factory=lambda: list(DEFAULT_LABELS))
    task_prompt: str | None = Field(default=None, description="replaces the task sentence of every prompt")
    strategies: list[str] = Field(default_factory=lambda: list(STRATEGIES))
    methods: list[str] = Field(default_factory=lambda: list(DEFAULT_METHODS))
    tokenize: TokenizeMode = "whitespace"
    explained_label: str | None = Field(default=None, description="the label scores point towards (see module doc)")
    lime_samples: int | None = Field(default=None, ge=1, description="default 10 x the number of words")
    shap_max_evals: int | None = Field(default=None, ge=1)
    max_tokens: int | None = Field(default=None, ge=1, description="generation budget per answer (default: llm.max_tokens)")
    repair: bool = Field(default=False, description="send one repair turn when an answer cannot be parsed "
                         "(off by default: the study measures what the model says unprompted)")
    llm_verbalization: bool = Field(default=False, description="also verbalize each reference attribution with the LLM")
    ties: Literal["expected", "position", "epsilon", "random"] = Field(
        default="expected", description="how agreement metrics order tied scores (see verbalize.eval.agreement)")
    structured: bool = Field(default=False, description="ask for JSON under a schema the backend enforces, so every "
                             "answer parses (off by default: free text is what Huang et al. measured)")

    @field_validator("labels")
    @classmethod
    def _labels(cls, v: list[str]) -> list[str]:
        out = [str(x).strip() for x in v]
        if len(out) < 2 or any(not x for x in out) or len({x.casefold() for x in out}) != len(out):
            raise ValueError(f"give at least two distinct, non-empty labels, got {v!r}")
        return out

    @field_validator("strategies")
    @classmethod
    def _strategies(cls, v: list[str]) -> list[str]:
        bad = [s for s in v if s not in STRATEGIES]
        if bad:
            raise ValueError(f"unknown strategies {', '.join(bad)}; choose from {', '.join(STRATEGIES)}")
        return list(dict.fromkeys(v))

    @field_validator("methods")
    @classmethod
    def _methods(cls, v: list[str]) -> list[str]:
        bad = [m for m in v if m not in TEXT_METHODS]
        if bad:
            raise ValueError(f"unknown methods {', '.join(bad)}; choose from {', '.join(TEXT_METHODS.names())}")
        return list(dict.fromkeys(TEXT_METHODS.canonical(m) for m in v))


# ------------------------------------------------------------------------------ results


class StrategyOutcome(BaseModel):
    """One elicitation: what was asked, what came back, and what the parser made of it."""

    strategy: str
    prompt: str = Field(description="prompt name@version")
    label: str | None = None
    confidence: float | None = None
    p_stated: float | None = Field(default=None, description="p(explained label) from the stated confidence")
    correct: bool | None = Field(default=None, description="label == gold label (None without a gold label)")
    parse_ok: bool = False
    attribution_ok: bool | None = Field(default=None, description="the word scores parsed (None for predict-only)")
    error: str | None = Field(default=None, description="why the generation or the parse failed")
    notes: list[str] = Field(default_factory=list, description="the parser's repairs")
    unmatched: list[str] = Field(default_factory=list, description="cited words not in the text")
    raw: str = Field(default="", description="the model's answer, verbatim")
    k: int | None = Field(default=None, description="top-k strategies: the k asked for")
    elicitation: str = Field(default="free-text", description="free-text, or structured (JSON under a schema)")


class ExplanationResult(BaseModel):
    """One explanation of one text (a self-explanation or a reference method) and how it scores."""

    name: str = Field(description="the strategy (pe, ep, pe-topk, ep-topk) or method (occlusion, lime, shap)")
    source: Literal["self", "model"]
    method: str
    scores: list[float]
    valid: bool = Field(description="False for a self-explanation whose parse failed (scores are zeros); "
                        "summaries leave those out")
    faithfulness: dict[str, Any] = Field(default_factory=dict)
    params: dict[str, Any] = Field(default_factory=dict)
    forward_passes: int = 0
    seconds: float = 0.0
    verbalizations: list[TextVerbalization] = Field(default_factory=list)


class MatrixRecord(BaseModel):
    names: list[str]
    values: list[list[float | None]]

    @classmethod
    def of(cls, m: AgreementMatrix) -> MatrixRecord:
        return cls(names=list(m.names), values=[[finite_or_none(v) for v in row] for row in m.values])

    def array(self) -> np.ndarray:
        return np.array([[math.nan if v is None else v for v in row] for row in self.values], dtype=float)


class StudyItem(BaseModel):
    """Everything the study found for one text (one line of items.jsonl)."""

    model_config = ConfigDict(protected_namespaces=())

    id: str
    text: str
    tokens: list[str]
    gold: str | None = None
    explained_label: str
    explained_index: int
    probabilities: dict[str, float | None] = Field(default_factory=dict, description="label → p on the full text")
    predicted: str | None = Field(default=None, description="argmax of `probabilities`")
    probability_source: str = Field(description="logits | logprobs | fallback-… | stated-confidence | mixed: …")
    outcomes: list[StrategyOutcome] = Field(default_factory=list)
    explanations: list[ExplanationResult] = Field(default_factory=list)
    agreement: dict[str, MatrixRecord] = Field(default_factory=dict)
    forward_passes: dict[str, int] = Field(default_factory=dict)
    llm_calls: list[dict[str, Any]] = Field(default_factory=list)
    seconds: float = 0.0
    error: str | None = Field(default=None, description="set when the text could not be studied at all")

    def outcome(self, strategy: str) -> StrategyOutcome | None:
        return next((o for o in self.outcomes if o.strategy == strategy), None)

    def explanation(self, name: str) -> ExplanationResult | None:
        return next((e for e in self.explanations if e.name == name), None)


class AccuracyRow(BaseModel):
    strategy: str
    texts: int
    parsed: int = Field(description="the label parsed: only these predictions count (and can be correct)")
    attributions_parsed: int | None = Field(default=None, description="the word scores parsed (None: none asked)")
    with_gold: int
    correct: int
    accuracy: float | None = Field(description="correct / texts with a gold label (unanswered count as wrong)")
    label_parse_rate: float | None = Field(default=None, description="parsed / texts")
    attribution_parse_rate: float | None = Field(default=None, description="attributions_parsed / texts")
    parse_rate: float | None = Field(description="the whole answer parsed (label and, when asked, attribution)")
    mean_confidence: float | None


class FaithfulnessRow(BaseModel):
    explanation: str
    source: str
    texts: int = Field(description="texts with a valid explanation")
    excluded: int = Field(description="self-explanations left out because their parse failed")
    comprehensiveness: float | None
    sufficiency: float | None
    df_mit: float | None = Field(description="share of texts whose decision flips without the top token")
    df_frac: float | None
    rank_del: float | None
    rank_del_defined: int
    tied_share: float | None = Field(default=None, description="mean share of tokens whose |score| ties with "
                                     "another token's: what the agreement metrics' tie handling acts on")


class StudySummary(BaseModel):
    accuracy: list[AccuracyRow] = Field(default_factory=list)
    faithfulness: list[FaithfulnessRow] = Field(default_factory=list)
    agreement: dict[str, MatrixRecord] = Field(default_factory=dict,
                                               description="metric → mean over texts, invalid explanations left out")
    probability_sources: dict[str, int] = Field(default_factory=dict)
    coverage: dict[str, dict[str, float | None]] = Field(default_factory=dict,
                                                         description="explanation → template coverage@k means")


class StudyResult(BaseModel):
    """The whole study: per-text records, the summary tables and how it was made."""

    model_config = ConfigDict(protected_namespaces=())

    items: list[StudyItem]
    summary: StudySummary
    options: StudyOptions
    provenance: Provenance

    def write(self, out_dir: str | Any) -> dict[str, Any]:
        """items.jsonl, the summary CSVs, study.json and study.html in `out_dir` (see `verbalize.report.study`)."""
        from verbalize.report.study import write_study

        return write_study(self, out_dir)


class SelfExplanation(BaseModel):
    """What an LLM said about its own prediction, parsed and aligned to the input tokens."""

    strategy: str
    label: str | None = None
    confidence: float | None = None
    scores: list[float] = Field(default_factory=list)
    unmatched: list[str] = Field(default_factory=list)
    raw: str = ""
    parse_ok: bool = True
    error: str | None = None

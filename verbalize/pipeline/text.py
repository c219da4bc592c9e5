"""The text journey, top to bottom: Huang et al.'s self-explanation study on any LLM.

For each text, with one LLM backend:

1. ``predict-only``: the model's label and stated confidence, for accuracy;
2. each elicitation strategy (``pe``, ``ep``, ``pe-topk``, ``ep-topk``): one generation, parsed
   into a label, a confidence and one score per token — an `Attribution` with ``source="self"``;
   an answer that cannot be parsed is recorded with its raw text and the reason, never raised;
3. reference attributions on the *same* model: occlusion, LIME and SHAP through an
   `LLMClassifier` over the same backend, all through one batched, de-duplicating scorer;
4. faithfulness of every explanation (self and references) with that scorer: comprehensiveness,
   sufficiency, DF-MIT, DF-Frac, Rank-Del;
5. agreement between every pair of explanations (feature, rank, sign, signed-rank agreement,
   rank correlation, pairwise rank agreement, IoU);
6. a template verbalization of every explanation (Feldhus et al.), and optionally an LLM one.

Direction of the scores. Huang et al. asked for scores in [-1, 1] with -1 = negative sentiment and
1 = positive, and scored p(positive) throughout. Here the *explained label* plays "positive": for
two labels it is the one named "positive" when there is one, else the second (Huang's class 1);
for more labels, the label the scorer predicts for the text, and the model is asked to score
support for its own label. Every score, self or reference, points towards the explained label,
so all of them can be compared and all faithfulness metrics use its probability.

Where the probability comes from is recorded per item: ``logits`` (local models), ``logprobs``
(remote endpoints that return them), or a ``fallback-…`` source when an endpoint gives neither and
the answer's label is read instead (see `verbalize.adapters.llm`). The stated confidence of every
strategy is kept too (``p_stated``: conf if it names the explained label, else 1 − conf — the
paper's only probability, as gpt-3.5 had no logprobs then).

`TextStudy` loads the backend and classifier once; `compare_self_explanations` is the one-call API.
Importing this module registers the ``text`` kind with `verbalize batch`.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from verbalize.config import Config
from verbalize.errors import UserError
from verbalize.eval.agreement import AgreementMatrix, agreement_matrix, mean_matrices
from verbalize.eval.faithfulness import faithfulness_report, flip_share
from verbalize.pipeline.inputs_text import TextItem
from verbalize.pipeline.self_explanation import (
    DEFAULT_LABELS,
    STRATEGIES,
    TokenizeMode,
    parse_self_explanation,
    tokenize,
    topk_count,
)
from verbalize.pipeline.text_verbalization import TextVerbalization, llm_verbalization, template_verbalization
from verbalize.types import Attribution, Provenance
from verbalize.versions import library_versions

METHODS: tuple[str, ...] = ("occlusion", "lime", "shap")
"""Reference attribution methods (`verbalize.pipeline.attribution.text.attribute_text`)."""

PROMPTS: dict[str, str] = {
    "pe": "self_explain_pe",
    "ep": "self_explain_ep",
    "pe-topk": "self_explain_pe_topk",
    "ep-topk": "self_explain_ep_topk",
    "predict-only": "predict_only",
}
"""Strategy → prompt file (verbalize/prompts/<name>.yaml, or the same name in `llm.prompts_dir`)."""

StudyProgress = Callable[[int, int, str], None]
"""Called as progress(done, total, what) after each step of each text; `total` counts steps."""


# ------------------------------------------------------------------------------ options


class StudyOptions(BaseModel):
    """What a study runs; the LLM itself, the seed and batch sizes come from the `Config`."""

    model_config = ConfigDict(extra="forbid")

    labels: list[str] = Field(default_factory=lambda: list(DEFAULT_LABELS))
    task_prompt: str | None = Field(default=None, description="replaces the task sentence of every prompt")
    strategies: list[str] = Field(default_factory=lambda: list(STRATEGIES))
    methods: list[str] = Field(default_factory=lambda: list(METHODS))
    tokenize: TokenizeMode = "whitespace"
    explained_label: str | None = Field(default=None, description="the label scores point towards (see module doc)")
    lime_samples: int | None = Field(default=None, ge=1, description="default 10 x the number of words")
    shap_max_evals: int | None = Field(default=None, ge=1)
    max_tokens: int | None = Field(default=None, ge=1, description="generation budget per answer (default: llm.max_tokens)")
    repair: bool = Field(default=False, description="send one repair turn when an answer cannot be parsed "
                         "(off by default: the study measures what the model says unprompted)")
    llm_verbalization: bool = Field(default=False, description="also verbalize each reference attribution with the LLM")

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
        bad = [m for m in v if m not in METHODS]
        if bad:
            raise ValueError(f"unknown methods {', '.join(bad)}; choose from {', '.join(METHODS)}")
        return list(dict.fromkeys(v))


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
    error: str | None = Field(default=None, description="why the generation or the parse failed")
    notes: list[str] = Field(default_factory=list, description="the parser's repairs")
    unmatched: list[str] = Field(default_factory=list, description="cited words not in the text")
    raw: str = Field(default="", description="the model's answer, verbatim")
    k: int | None = Field(default=None, description="top-k strategies: the k asked for")


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
        return cls(names=list(m.names), values=[[_finite(v) for v in row] for row in m.values])

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
    answered: int = Field(description="a label could be read")
    parsed: int = Field(description="the whole answer parsed (label and, when asked, attribution)")
    with_gold: int
    correct: int
    accuracy: float | None = Field(description="correct / texts with a gold label (unanswered count as wrong)")
    parse_rate: float | None
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
        """items.jsonl, the summary CSVs, study.json and study.html in `out_dir` (see `study_outputs`)."""
        from verbalize.pipeline.study_outputs import write_study

        return write_study(self, out_dir)


# ------------------------------------------------------------------------------ prompt variables


def _finite(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def labels_phrase(labels: Sequence[str]) -> str:
    """"'negative' or 'positive'" / "one of 'a', 'b', 'c'": how the prompts name the classes."""
    quoted = [f"'{lb}'" for lb in labels]
    return " or ".join(quoted) if len(quoted) == 2 else "one of " + ", ".join(quoted)


def score_meaning(labels: Sequence[str], explained: str) -> str:
    """What a score's sign means, in the prompt's words (see the module doc on direction)."""
    if len(labels) == 2:
        other = next(lb for lb in labels if lb != explained)
        return (f"-1 means the token pushes strongly towards '{other}', 1 means it pushes strongly towards "
                f"'{explained}', and 0 means it does not matter")
    return ("1 means the token strongly supports the label you chose, -1 means it strongly speaks against it, "
            "and 0 means it does not matter")


def elicitation_messages(prompt: Any, tokens: Sequence[str], labels: Sequence[str], explained: str, *,
                         task_prompt: str | None = None) -> list[dict[str, str]]:
    """The chat messages of one strategy's prompt for one text (tokens joined by single spaces)."""
    variables: dict[str, Any] = {"labels": labels_phrase(labels), "text": " ".join(tokens),
                                 "score_meaning": score_meaning(labels, explained), "k": topk_count(len(tokens))}
    if task_prompt:
        variables["task"] = task_prompt
    wanted = {*prompt.input_variables, *prompt.spec.defaults}  # a default (the task) may be overridden
    return prompt.format(**{v: variables[v] for v in wanted if v in variables})


def default_explained_label(labels: Sequence[str]) -> str | None:
    """Binary tasks: the label named 'positive' if any, else the second (Huang et al.'s class 1).
    More labels: None (each text's predicted label is explained)."""
    if len(labels) != 2:
        return None
    return next((lb for lb in labels if lb.casefold() == "positive"), labels[1])


def p_stated(label: str | None, confidence: float | None, explained: str, n_labels: int) -> float | None:
    """p(explained) from a stated (label, confidence), as Huang et al. read it: conf if the label is
    the explained one, else 1 − conf (binary); (1 − conf)/(n − 1) for n labels."""
    if label is None or confidence is None:
        return None
    return confidence if label == explained else (1.0 - confidence) / max(1, n_labels - 1)


# ------------------------------------------------------------------------------ the study


class TextStudy:
    """Holds the backend and the LLM classifier; `run_item()` studies one text, `run()` many."""

    def __init__(self, config: Config | None = None, *, backend: Any = None,
                 options: StudyOptions | None = None, classifier: Any = None) -> None:
        from verbalize.adapters.llm import make_backend
        from verbalize.prompts import load_prompt

        self.config = config or Config()
        self.options = options or StudyOptions()
        opts = self.options
        if opts.explained_label is not None and opts.explained_label not in opts.labels:
            raise UserError(f"explained label {opts.explained_label!r} is not one of {', '.join(opts.labels)}")
        prompts_dir = self.config.llm.prompts_dir
        self.prompts = {s: load_prompt(PROMPTS[s], prompts_dir) for s in opts.strategies}
        self.backend = backend if backend is not None else make_backend(self.config.llm)
        if classifier is None:
            from verbalize.adapters.text import LLMClassifier

            classifier = LLMClassifier(self.backend, opts.labels, task_prompt=opts.task_prompt)
        self.classifier = classifier
        if list(self.classifier.labels) != opts.labels:
            raise UserError(f"the classifier's labels {list(self.classifier.labels)} differ from the study's {opts.labels}")

    # ---- one text ---------------------------------------------------------------------------

    def run_item(self, item: TextItem | str, progress: StudyProgress | None = None) -> StudyItem:
        """Study one text. Model failures are recorded in the item; only programming errors raise."""
        from verbalize.pipeline.attribution.text import attribute_text

        t0 = time.perf_counter()
        item = item if isinstance(item, TextItem) else TextItem(id="text", text=str(item))
        opts = self.options
        tokens = tokenize(item.text, opts.tokenize)
        if not tokens:
            raise UserError(f"{item.id}: the text has no tokens")
        steps = len(opts.strategies) + len(opts.methods) + 2
        done = 0

        def step(what: str) -> None:
            nonlocal done
            done += 1
            if progress is not None:
                progress(done, steps, what)

        self.backend.drain_calls()  # calls from before this text belong to someone else
        sources_before = Counter(getattr(self.classifier, "source_counts", {}))
        scorer = self.classifier.scorer(self.config.scorer.batch_size)
        probs = np.asarray(scorer([list(tokens)])[0], dtype=float)
        labels = opts.labels
        predicted = labels[int(np.nanargmax(probs))] if np.isfinite(probs).any() else None
        explained = opts.explained_label or default_explained_label(labels) or predicted or labels[0]
        target = labels.index(explained)
        step("predict")

        outcomes: list[StrategyOutcome] = []
        explanations: list[ExplanationResult] = []
        for strategy in opts.strategies:
            outcome, attribution = self._elicit(strategy, tokens, explained, item.label)
            outcomes.append(outcome)
            if attribution is not None:
                explanations.append(ExplanationResult(
                    name=strategy, source="self", method=strategy, scores=[float(x) for x in attribution.scores],
                    valid=outcome.parse_ok, params=attribution.params, seconds=attribution.seconds))
            step(strategy)

        for method in opts.methods:
            passes = scorer.stats.forward_passes
            attribution = attribute_text(method, scorer, tokens, target, seed=self.config.seed, labels=labels,
                                         lime_samples=opts.lime_samples, shap_max_evals=opts.shap_max_evals)
            scores = np.asarray(attribution.scores, dtype=float).reshape(-1)
            explanations.append(ExplanationResult(
                name=method, source="model", method=attribution.method, scores=[float(x) for x in scores],
                valid=bool(np.all(np.isfinite(scores))), params=attribution.params,
                forward_passes=attribution.forward_passes or scorer.stats.forward_passes - passes,
                seconds=attribution.seconds))
            step(method)

        for e in explanations:
            e.faithfulness = _clean(faithfulness_report(scorer, tokens, np.nan_to_num(e.scores), target))
            if not e.valid:
                continue  # an unparsed self-explanation is all zeros: nothing to put into words
            v_label, v_scores = _towards_prediction(e.scores, explained, predicted, labels)
            e.verbalizations.append(template_verbalization(tokens, v_scores, v_label, predicted=predicted, labels=labels))
            if opts.llm_verbalization and e.source == "model" and v_label == predicted:
                e.verbalizations.append(llm_verbalization(self.backend, tokens, v_scores, v_label, labels=labels,
                                                          prompts_dir=self.config.llm.prompts_dir))
        matrices = agreement_matrix({e.name: np.nan_to_num(e.scores) for e in explanations}) if len(explanations) > 1 else {}
        step("faithfulness and agreement")

        calls = [c.model_dump(mode="json") for c in self.backend.drain_calls()]
        return StudyItem(
            id=item.id, text=item.text, tokens=tokens, gold=item.label, explained_label=explained,
            explained_index=target, probabilities={lb: _finite(p) for lb, p in zip(labels, probs, strict=True)},
            predicted=predicted, probability_source=_probability_source(self.classifier, sources_before, calls),
            outcomes=outcomes, explanations=explanations,
            agreement={k: MatrixRecord.of(m) for k, m in matrices.items()},
            forward_passes={**scorer.stats.as_dict(), "batch_size": scorer.batch_size},
            llm_calls=calls, seconds=round(time.perf_counter() - t0, 3))

    def _elicit(self, strategy: str, tokens: list[str], explained: str,
                gold: str | None) -> tuple[StrategyOutcome, Attribution | None]:
        """One generation for `strategy`, parsed; the attribution is None for predict-only."""
        opts = self.options
        prompt = self.prompts[strategy]
        k = topk_count(len(tokens)) if strategy.endswith("-topk") else None
        messages = elicitation_messages(prompt, tokens, opts.labels, explained, task_prompt=opts.task_prompt)
        params: dict[str, Any] = {"max_tokens": opts.max_tokens} if opts.max_tokens else {}

        def problem(text: str) -> str | None:
            parsed = parse_self_explanation(text, tokens, strategy, labels=opts.labels)
            return None if parsed.parse_ok else parsed.error

        t0 = time.perf_counter()
        gen = self.backend.generate(messages, prompt_id=prompt.id, validate=problem if opts.repair else None, **params)
        raw = gen.text if gen.ok else (gen.raw or "")
        parsed = parse_self_explanation(raw, tokens, strategy, labels=opts.labels)
        error = None if gen.ok else gen.error
        if not parsed.parse_ok:
            error = "; ".join(e for e in (error, parsed.error) if e)
        outcome = StrategyOutcome(
            strategy=strategy, prompt=prompt.id, label=parsed.label, confidence=parsed.confidence,
            p_stated=p_stated(parsed.label, parsed.confidence, explained, len(opts.labels)),
            correct=None if gold is None else parsed.label == gold, parse_ok=gen.ok and parsed.parse_ok,
            error=error or None, notes=list(getattr(parsed, "notes", [])), unmatched=parsed.unmatched, raw=raw, k=k)
        if strategy == "predict-only":
            return outcome, None
        scores = list(parsed.scores) if len(parsed.scores) == len(tokens) else [0.0] * len(tokens)
        if len(opts.labels) > 2 and parsed.label is not None and parsed.label != explained:
            outcome.notes.append(f"scores support {parsed.label!r}, not the explained {explained!r}")
        attribution = Attribution(method=strategy, target=opts.labels.index(explained), target_label=explained,
                                  scores=np.asarray(scores, dtype=float), tokens=tokens, source="self",
                                  params={"prompt": prompt.id, "k": k}, seconds=time.perf_counter() - t0)
        return outcome, attribution

    # ---- many texts -------------------------------------------------------------------------

    def run(self, items: Iterable[TextItem | str | Mapping[str, Any]],
            progress: StudyProgress | None = None) -> StudyResult:
        """Study every text; a text that fails outright is kept with its error, the rest go on.

        An endpoint that keeps failing (`LLMError`, after the backend's retries) ends the study: it
        would fail every other text the same way, slowly.
        """
        from verbalize.adapters.llm import LLMError

        t0 = time.perf_counter()
        texts = as_items(items)
        results: list[StudyItem] = []
        for n, item in enumerate(texts):
            inner = None
            if progress is not None:
                def inner(done: int, total: int, what: str, n: int = n, key: str = item.id) -> None:
                    progress(n * total + done, len(texts) * total, f"{key}: {what}")
            try:
                results.append(self.run_item(item, inner))
            except LLMError:
                raise
            except UserError as e:
                results.append(_failed_item(item, self.options, str(e)))
        return StudyResult(items=results, summary=summarize(results, self.options), options=self.options,
                           provenance=self._provenance(results, time.perf_counter() - t0))

    def _provenance(self, items: list[StudyItem], seconds: float) -> Provenance:
        passes = Counter[str]()
        for it in items:
            passes.update({k: v for k, v in it.forward_passes.items() if k != "batch_size"})
        params = {"labels": self.options.labels, "strategies": self.options.strategies,
                  "methods": self.options.methods, "prompts": {s: p.id for s, p in self.prompts.items()},
                  "tokenize": self.options.tokenize, "lime_samples": self.options.lime_samples,
                  "shap_max_evals": self.options.shap_max_evals, "seconds": round(seconds, 3),
                  "llm_calls": sum(len(it.llm_calls) for it in items),
                  "probability_source": getattr(self.classifier, "probability_source", None)}
        return Provenance(model=f"{getattr(self.backend, 'backend', '?')}:{getattr(self.backend, 'model', '?')}",
                          method="self-explanation study", params=params, seed=self.config.seed,
                          forward_passes=dict(passes), versions=library_versions(*_VERSIONED),
                          config=_redacted_config(self.config))


_VERSIONED = ("torch", "transformers", "shap", "lime", "numpy", "scipy", "openai", "langchain-core")


def _towards_prediction(scores: list[float], explained: str, predicted: str | None,
                        labels: Sequence[str]) -> tuple[str, list[float]]:
    """The label and scores a verbalization describes: the prediction, as in Feldhus et al.

    With two labels whose probabilities sum to 1, evidence for one is evidence against the other,
    so scores towards the explained label, negated, are scores towards the other one (exactly for
    occlusion and SHAP, whose values are differences of p; up to LIME's intercept for LIME). With
    more labels the explained label is the prediction unless the user chose another one; then the
    verbalization describes the explained label and says so.
    """
    if len(labels) == 2 and predicted is not None and predicted != explained:
        return predicted, [0.0 - v for v in scores]  # 0.0 - v: no "-0.0" in the outputs
    return explained, list(scores)


def _redacted_config(config: Config) -> dict[str, Any]:
    from verbalize.report.html import redact

    return redact(config.model_dump(mode="json"))


def _clean(report: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-safe: NaN → None (a metric undefined for this text), numpy scalars → Python."""
    out: dict[str, Any] = {}
    for k, v in report.items():
        if isinstance(v, bool | np.bool_) or v is None:
            out[k] = None if v is None else bool(v)
        elif isinstance(v, int | np.integer):
            out[k] = int(v)
        else:
            out[k] = _finite(v)
    return out


def _probability_source(classifier: Any, before: Counter[str], calls: list[dict[str, Any]]) -> str:
    """Where this text's probabilities came from: the rows the classifier scored per source during
    the text (an `LLMClassifier` counts them), else the label-probability calls' sources."""
    now = Counter(getattr(classifier, "source_counts", {}))
    sources = sorted({"stated-confidence" if k.startswith("stated") else k for k, v in (now - before).items() if v > 0})
    if not sources:
        sources = sorted({c["label_probability_source"] for c in calls
                          if c.get("kind") == "label_probabilities" and c.get("label_probability_source")})
    if len(sources) == 1:
        return sources[0]
    if sources:
        return "mixed: " + ", ".join(sources)
    return str(getattr(classifier, "probability_source", None) or "unknown")


def _failed_item(item: TextItem, options: StudyOptions, error: str) -> StudyItem:
    explained = options.explained_label or default_explained_label(options.labels) or options.labels[0]
    return StudyItem(id=item.id, text=item.text, tokens=tokenize(item.text, options.tokenize), gold=item.label,
                     explained_label=explained, explained_index=options.labels.index(explained),
                     probability_source="none", error=error)


def as_items(texts: Iterable[TextItem | str | Mapping[str, Any]]) -> list[TextItem]:
    """Strings, mappings with 'text' (and 'label', 'id') or `TextItem`s → `TextItem`s with unique ids."""
    out: list[TextItem] = []
    for n, t in enumerate(texts, start=1):
        if isinstance(t, TextItem):
            out.append(t)
        elif isinstance(t, str):
            out.append(TextItem(id=f"text:{n}", text=t))
        elif isinstance(t, Mapping) and isinstance(t.get("text"), str):
            out.append(TextItem(id=str(t.get("id") or f"text:{n}"), text=t["text"],
                                label=None if t.get("label") in (None, "") else str(t["label"])))
        else:
            raise UserError(f"text {n}: give a string or a mapping with a 'text' field")
    if not out:
        raise UserError("no texts to study")
    ids = Counter(t.id for t in out)
    if dupes := [i for i, c in ids.items() if c > 1]:
        raise UserError(f"text ids must be unique: {', '.join(dupes[:5])}")
    return out


# ------------------------------------------------------------------------------ summaries


def _mean(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.mean(vals)) if vals else None


def summarize(items: Sequence[StudyItem], options: StudyOptions) -> StudySummary:
    """The study-level tables: accuracy per strategy, faithfulness per explanation, mean agreement."""
    studied = [it for it in items if it.error is None]
    accuracy = []
    for strategy in options.strategies:
        outs = [o for it in studied if (o := it.outcome(strategy)) is not None]
        gold = [(it, it.outcome(strategy)) for it in studied if it.gold is not None]
        correct = sum(1 for _, o in gold if o is not None and o.correct)
        accuracy.append(AccuracyRow(
            strategy=strategy, texts=len(outs), answered=sum(o.label is not None for o in outs),
            parsed=sum(o.parse_ok for o in outs), with_gold=len(gold), correct=correct,
            accuracy=correct / len(gold) if gold else None,
            parse_rate=sum(o.parse_ok for o in outs) / len(outs) if outs else None,
            mean_confidence=_mean(o.confidence for o in outs)))
    with_gold = [it for it in studied if it.gold is not None]
    scorer_correct = sum(it.predicted == it.gold for it in with_gold)
    accuracy.append(AccuracyRow(
        strategy="label-probabilities", texts=len(studied), answered=sum(it.predicted is not None for it in studied),
        parsed=sum(it.predicted is not None for it in studied), with_gold=len(with_gold), correct=scorer_correct,
        accuracy=scorer_correct / len(with_gold) if with_gold else None, parse_rate=None,
        mean_confidence=_mean(max((p for p in it.probabilities.values() if p is not None), default=None)
                              for it in studied)))

    names = list(dict.fromkeys(e.name for it in studied for e in it.explanations))
    faithfulness = []
    coverage: dict[str, dict[str, float | None]] = {}
    for name in names:
        found = [e for it in studied if (e := it.explanation(name)) is not None]
        ok = [e for e in found if e.valid]
        f = [e.faithfulness for e in ok]
        rank_del = [x.get("rank_del") for x in f]
        faithfulness.append(FaithfulnessRow(
            explanation=name, source=found[0].source if found else "?", texts=len(ok), excluded=len(found) - len(ok),
            comprehensiveness=_mean(x.get("comprehensiveness") for x in f),
            sufficiency=_mean(x.get("sufficiency") for x in f),
            df_mit=_finite(flip_share(x.get("df_mit") for x in f)),
            df_frac=_mean(x.get("df_frac") for x in f),
            rank_del=_mean(rank_del), rank_del_defined=sum(v is not None for v in rank_del)))
        templates = [v for e in ok for v in e.verbalizations if v.verbalizer == "template"]
        keys = list(dict.fromkeys(k for v in templates for k in v.coverage))
        coverage[name] = {k: _mean(v.coverage.get(k) for v in templates) for k in keys}

    agreement: dict[str, MatrixRecord] = {}
    per_text = []
    for it in studied:
        if not it.agreement or [n for n in next(iter(it.agreement.values())).names] != names:
            continue
        valid = {e.name: e.valid for e in it.explanations}
        per_text.append({metric: _masked(m, valid) for metric, m in it.agreement.items()})
    if per_text:
        agreement = {k: MatrixRecord.of(m) for k, m in mean_matrices(per_text).items()}
    sources = Counter(it.probability_source for it in studied)
    return StudySummary(accuracy=accuracy, faithfulness=faithfulness, agreement=agreement,
                        probability_sources=dict(sources), coverage=coverage)


def _masked(m: MatrixRecord, valid: Mapping[str, bool]) -> AgreementMatrix:
    """The matrix with every cell of an invalid (unparsed) explanation set to NaN, for averaging."""
    a = m.array()
    for i, name in enumerate(m.names):
        if not valid.get(name, True):
            a[i, :] = math.nan
            a[:, i] = math.nan
    return AgreementMatrix(metric="", names=tuple(m.names), values=tuple(tuple(float(v) for v in row) for row in a))


# ------------------------------------------------------------------------------ the API


def compare_self_explanations(
    texts: Iterable[TextItem | str | Mapping[str, Any]],
    config: Config | None = None,
    *,
    backend: Any = None,
    labels: Sequence[str] | None = None,
    strategies: Sequence[str] = STRATEGIES,
    methods: Sequence[str] = METHODS,
    progress: StudyProgress | None = None,
    **options: Any,
) -> StudyResult:
    """Run Huang et al.'s study on `texts` with the LLM of `config.llm` (or `backend`).

    `texts`: strings, `TextItem`s or mappings with 'text' (optional 'label' = gold, 'id').
    Further keyword options are `StudyOptions` fields (task_prompt, lime_samples, max_tokens, …).
    Write the outputs with ``result.write(out_dir)``.
    """
    from pydantic import ValidationError

    try:
        opts = StudyOptions(labels=list(labels or DEFAULT_LABELS), strategies=list(strategies),
                            methods=list(methods), **options)
    except ValidationError as e:
        first = e.errors()[0]
        raise UserError(f"study options: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    items = as_items(texts)
    return TextStudy(config, backend=backend, options=opts).run(items, progress)


# ------------------------------------------------------------------------------ batch runs


def _batch_processor(config: Config) -> Callable[[Any], tuple[dict[str, Any], dict[str, bytes]]]:
    """`verbalize batch` over texts: one study item per text, with the default options."""
    study = TextStudy(config)

    def process(work: Any) -> tuple[dict[str, Any], dict[str, bytes]]:
        label = work.label
        if label is not None:
            lowered = {lb.casefold(): lb for lb in study.options.labels}
            label = lowered.get(label.casefold(), label)
        item = study.run_item(TextItem(id=work.item_key, text=work.input["text"], label=label))
        return item.model_dump(mode="json"), {}

    return process


def _register() -> None:
    from verbalize.pipeline.batch import register_processor

    register_processor("text", _batch_processor)


_register()

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
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from verbalize.core.config import Config
from verbalize.core.errors import UserError
from verbalize.core.formatting import finite_or_none
from verbalize.core.redact import redact
from verbalize.core.types import Attribution, Provenance
from verbalize.core.versions import library_versions
from verbalize.eval.agreement import agreement_matrix
from verbalize.eval.faithfulness import faithfulness_report
from verbalize.pipeline.text.elicit import (
    PROMPTS,
    default_explained_label,
    elicitation_messages,
    p_stated,
    structured_messages,
    structured_schema,
)
from verbalize.pipeline.text.inputs import MAX_TEXT_CHARS, TextItem
from verbalize.pipeline.text.methods import DEFAULT_METHODS
from verbalize.pipeline.text.parse import parse_self_explanation, parse_structured
from verbalize.pipeline.text.summary import summarize
from verbalize.pipeline.text.tokens import DEFAULT_LABELS, STRATEGIES, tokenize, topk_count
from verbalize.pipeline.text.types import (
    ExplanationResult,
    MatrixRecord,
    StrategyOutcome,
    StudyItem,
    StudyOptions,
    StudyProgress,
    StudyResult,
)
from verbalize.pipeline.text.verbalize import llm_verbalization, template_verbalization

# ------------------------------------------------------------------------------ the study


def study_options(config: Config) -> StudyOptions:
    """The study's options from the config's `study` section (defaults where it says nothing)."""
    from pydantic import ValidationError

    try:
        return StudyOptions.model_validate(config.study)
    except ValidationError as e:
        first = e.errors()[0]
        raise UserError(f"invalid config at 'study.{'.'.join(map(str, first['loc']))}': {first['msg']}") from None


class TextStudy:
    """Holds the backend and the LLM classifier; `run_item()` studies one text, `run()` many."""

    def __init__(self, config: Config | None = None, *, backend: Any = None,
                 options: StudyOptions | None = None, classifier: Any = None) -> None:
        from verbalize.adapters.llm import make_backend
        from verbalize.prompts import load_prompt

        self.config = config or Config()
        self.options = options or study_options(self.config)
        opts = self.options
        if opts.explained_label is not None and opts.explained_label not in opts.labels:
            raise UserError(f"explained label {opts.explained_label!r} is not one of {', '.join(opts.labels)}")
        prompts_dir = self.config.llm.prompts_dir
        self.prompts = {s: load_prompt(PROMPTS[s], prompts_dir) for s in opts.strategies}
        self.backend = backend if backend is not None else make_backend(self.config.llm)
        if opts.structured and "json_schema" not in getattr(self.backend, "capabilities", ()):
            raise UserError(f"--structured needs a backend that enforces a JSON schema (local, openai); "
                            f"{getattr(self.backend, 'backend', '?')} does not")
        if classifier is None:
            from verbalize.adapters.text import LLMClassifier

            classifier = LLMClassifier(self.backend, opts.labels, task_prompt=opts.task_prompt, prompts_dir=prompts_dir)
        self.classifier = classifier
        if list(self.classifier.labels) != opts.labels:
            raise UserError(f"the classifier's labels {list(self.classifier.labels)} differ from the study's {opts.labels}")

    # ---- one text ---------------------------------------------------------------------------

    def run_item(self, item: TextItem | str, progress: StudyProgress | None = None) -> StudyItem:
        """Study one text. Model failures are recorded in the item; only programming errors raise."""
        from verbalize.pipeline.text.methods import attribute_text

        t0 = time.perf_counter()
        item = item if isinstance(item, TextItem) else TextItem(id="text", text=str(item))
        opts = self.options
        if item.error is not None:
            raise UserError(f"{item.id}: {item.error}")
        if len(item.text) > MAX_TEXT_CHARS:
            raise UserError(f"{item.id}: text is {len(item.text)} characters; the limit is {MAX_TEXT_CHARS}")
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
                                         lime_samples=opts.lime_samples, shap_max_evals=opts.shap_max_evals,
                                         classifier=self.classifier)
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
        matrices = agreement_matrix({e.name: np.nan_to_num(e.scores) for e in explanations}, ties=opts.ties,
                                    seed=self.config.seed) if len(explanations) > 1 else {}
        step("faithfulness and agreement")

        calls = [c.model_dump(mode="json") for c in self.backend.drain_calls()]
        return StudyItem(
            id=item.id, text=item.text, tokens=tokens, gold=item.label, explained_label=explained,
            explained_index=target, probabilities={lb: finite_or_none(p) for lb, p in zip(labels, probs, strict=True)},
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
        parse = parse_structured if opts.structured else parse_self_explanation
        if opts.structured:
            messages = structured_messages(messages, strategy, tokens)
            params["json_schema"] = structured_schema(strategy, tokens, opts.labels)

        def problem(text: str) -> str | None:
            parsed = parse(text, tokens, strategy, labels=opts.labels)
            return None if parsed.parse_ok else parsed.error

        t0 = time.perf_counter()
        gen = self.backend.generate(messages, prompt_id=prompt.id, validate=problem if opts.repair else None, **params)
        raw = gen.text if gen.ok else (gen.raw or "")
        parsed = parse(raw, tokens, strategy, labels=opts.labels)
        error = None if gen.ok else gen.error
        if not parsed.parse_ok:
            error = "; ".join(e for e in (error, parsed.error) if e)
        outcome = StrategyOutcome(
            strategy=strategy, prompt=prompt.id, label=parsed.label, confidence=parsed.confidence,
            p_stated=p_stated(parsed.label, parsed.confidence, explained, len(opts.labels)),
            correct=None if gold is None else parsed.label == gold, parse_ok=gen.ok and parsed.parse_ok,
            attribution_ok=None if parsed.attribution_ok is None else gen.ok and parsed.attribution_ok,
            error=error or None, notes=list(getattr(parsed, "notes", [])), unmatched=parsed.unmatched, raw=raw, k=k,
            elicitation="structured" if opts.structured else "free-text")
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

        An endpoint that keeps failing (`LLMError`, after the backend's retries) before any text was
        studied ends the study with that error. Later, it fails that text; after
        `MAX_ENDPOINT_FAILURES` such texts in a row the remaining ones are recorded as not studied
        (they would fail the same way, slowly), and what was finished is kept.
        """
        from verbalize.adapters.llm import LLMError

        t0 = time.perf_counter()
        texts = as_items(items)
        results: list[StudyItem] = []
        endpoint_failures = 0
        for n, item in enumerate(texts):
            if endpoint_failures >= MAX_ENDPOINT_FAILURES:
                results.append(_failed_item(item, self.options, "not studied: the endpoint kept failing"))
                continue
            inner = None
            if progress is not None:
                def inner(done: int, total: int, what: str, n: int = n, key: str = item.id) -> None:
                    progress(n * total + done, len(texts) * total, f"{key}: {what}")
            if item.error is not None:
                results.append(_failed_item(item, self.options, item.error))
                continue
            try:
                results.append(self.run_item(item, inner))
                endpoint_failures = 0
            except LLMError as e:
                if not any(r.error is None for r in results):
                    raise  # nothing studied yet: an unreachable endpoint is one line, not a study of failures
                # Texts already studied are kept: this one is a failed item, and after a few in a row
                # the rest are not tried (they would fail the same way, slowly).
                endpoint_failures += 1
                results.append(_failed_item(item, self.options, str(e)))
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
                  "elicitation": "structured" if self.options.structured else "free-text",
                  "ties": self.options.ties,
                  "llm_calls": sum(len(it.llm_calls) for it in items),
                  "probability_source": getattr(self.classifier, "probability_source", None)}
        return Provenance(model=f"{getattr(self.backend, 'backend', '?')}:{getattr(self.backend, 'model', '?')}",
                          method="self-explanation study", params=params, seed=self.config.seed,
                          forward_passes=dict(passes), versions=library_versions(*_VERSIONED),
                          config=_redacted_config(self.config))


MAX_ENDPOINT_FAILURES = 3
"""Texts in a row whose LLM calls kept failing before a study stops trying the rest."""

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
            out[k] = finite_or_none(v)
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
            out.append(TextItem(id=f"text:{n}", text=t, error=None if t.strip() else "the text is blank"))
        elif isinstance(t, Mapping) and isinstance(t.get("text"), str):
            out.append(TextItem(id=str(t.get("id") or f"text:{n}"), text=t["text"],
                                label=None if t.get("label") in (None, "") else str(t["label"]),
                                error=None if t["text"].strip() else "the text is blank"))
        else:
            raise UserError(f"text {n}: give a string or a mapping with a 'text' field")
    if not out:
        raise UserError("no texts to study")
    ids = Counter(t.id for t in out)
    if dupes := [i for i, c in ids.items() if c > 1]:
        raise UserError(f"text ids must be unique: {', '.join(dupes[:5])}")
    return out


# ------------------------------------------------------------------------------ the API


def compare_self_explanations(
    texts: Iterable[TextItem | str | Mapping[str, Any]],
    config: Config | None = None,
    *,
    backend: Any = None,
    labels: Sequence[str] | None = None,
    strategies: Sequence[str] = STRATEGIES,
    methods: Sequence[str] | None = None,
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
                            methods=list(methods) if methods is not None else list(DEFAULT_METHODS), **options)
    except ValidationError as e:
        first = e.errors()[0]
        raise UserError(f"study options: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    items = as_items(texts)
    return TextStudy(config, backend=backend, options=opts).run(items, progress)

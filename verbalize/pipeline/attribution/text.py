"""Token attributions for text classifiers: occlusion, LIME and SHAP through the shared scorer.

Every method explains p(target | text) for a text given as tokens (whitespace words by default)
and asks for all of its perturbations through one `Scorer` (batched, de-duplicated, counted).
One convention across methods, shared with `eval/faithfulness.py`: **a masked token is deleted**
and the kept tokens keep their order, so the scorer always sees the tuple of kept tokens and the
classifier's `join` turns it into text. LIME's "UNKWORDZ" placeholders and SHAP's masked
positions are translated back into that tuple; no placeholder word ever reaches the model.

Scores are in the target's probability by default, or in its log-probability
(`units="log-probability"`, what captum's `LLMAttribution` reports). Positive = evidence for the
target label.

Adding a method is one function with the `TextMethodFn` signature plus one line in `METHODS`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_serializer

from verbalize.adapters.text import TextClassifier, TokenSeq
from verbalize.errors import UserError
from verbalize.pipeline.attribution.image import _env, seeded_numpy
from verbalize.pipeline.scoring import ProgressFn, Scorer
from verbalize.types import Attribution, Prediction, Verbalization
from verbalize.versions import library_versions

Units = Literal["probability", "log-probability"]


@dataclass
class TextMethodContext:
    """What a method gets: the tokens, the target, the scorer and the settings."""

    scorer: Scorer[TokenSeq]
    tokens: list[str]
    target: int
    labels: list[str]
    seed: int
    lime_samples: int | None
    shap_max_evals: int | None
    units: Units
    progress: ProgressFn | None = None

    def value(self, probs: np.ndarray) -> np.ndarray:
        """The quantity explained, per scored row: p(target) or log p(target)."""
        p = np.asarray(probs, dtype=float)[:, self.target]
        return np.log(np.maximum(p, 1e-300)) if self.units == "log-probability" else p

    def score(self, token_seqs: list[tuple[str, ...]]) -> np.ndarray:
        """Full probability rows (n, n_labels), transformed to `units` column-wise."""
        probs = np.asarray(self.scorer(token_seqs), dtype=float)
        return np.log(np.maximum(probs, 1e-300)) if self.units == "log-probability" else probs


TextMethodFn = Callable[[TextMethodContext], tuple[np.ndarray, dict[str, Any]]]
"""Returns one score per token and the parameters actually used (recorded in provenance)."""


# --------------------------------------------------------------------------- occlusion


def occlusion(ctx: TextMethodContext) -> tuple[np.ndarray, dict[str, Any]]:
    """Leave one token out: score_i = v(text) - v(text without token i), v = p(target) or log p.

    The text and its n perturbations go to the scorer in ONE call: ceil((n + 1) / batch_size)
    forward passes at most (fewer when two deletions read the same, e.g. "very very").
    """
    toks = tuple(ctx.tokens)
    inputs = [toks] + [toks[:i] + toks[i + 1 :] for i in range(len(toks))]
    v = ctx.value(ctx.scorer(inputs, ctx.progress))
    return v[0] - v[1:], {"perturbations": len(toks), "masking": "delete"}


# --------------------------------------------------------------------------- LIME


def _lime_segments(tokens: Sequence[str], display: str) -> list[tuple[str, bool]]:
    """The display string cut as LIME cuts it with our splitter: (segment, is_token) in order."""
    segments: list[tuple[str, bool]] = []
    pos = 0
    for tok in tokens:
        at = display.index(tok, pos)
        if at > pos:
            segments.append((display[pos:at], False))
        segments.append((tok, True))
        pos = at + len(tok)
    if pos < len(display):
        segments.append((display[pos:], False))
    return segments


def _lime_kept(sample: str, segments: Sequence[tuple[str, bool]], mask: str) -> tuple[str, ...]:
    """The kept tokens of a LIME sample: separators are always there; each token is either itself
    or the mask string (checked first: no token contains it, see `_check_tokens`)."""
    kept: list[str] = []
    pos = 0
    for seg, is_token in segments:
        if is_token and sample.startswith(mask, pos):
            pos += len(mask)
        elif sample.startswith(seg, pos):
            pos += len(seg)
            if is_token:
                kept.append(seg)
        else:
            raise ValueError(f"LIME sample does not follow the text at offset {pos}: {sample!r}")
    if pos != len(sample):
        raise ValueError(f"LIME sample is longer than the text: {sample!r}")
    return tuple(kept)


LIME_MASK = "UNKWORDZ"
"""lime's default placeholder for a removed word with bow=False; translated back to a deletion."""


def lime(ctx: TextMethodContext) -> tuple[np.ndarray, dict[str, Any]]:
    """`lime.lime_text.LimeTextExplainer(bow=False)`, seeded; samples default to 10 x tokens (Huang et al.).

    The explainer sees the tokens joined by spaces and splits them back with a function that
    returns exactly our tokens, so LIME's features are our token positions, one each (bow=False:
    the same word twice is two features). Its `classifier_fn` receives all samples at once; they
    go to the scorer as tuples of kept tokens. LIME's weight for feature i is token i's score.
    """
    from lime.lime_text import LimeTextExplainer

    n = len(ctx.tokens)
    samples = ctx.lime_samples or 10 * n
    display = " ".join(ctx.tokens)
    segments = _lime_segments(ctx.tokens, display)
    calls = [0]

    def split(text: str) -> list[str]:
        return list(ctx.tokens) if text == display else text.split()

    def classifier_fn(texts: list[str]) -> np.ndarray:
        calls[0] += 1
        return ctx.score([_lime_kept(t, segments, LIME_MASK) for t in texts])

    explainer = LimeTextExplainer(class_names=ctx.labels, bow=False, split_expression=split, random_state=ctx.seed)
    with seeded_numpy(ctx.seed), _env(TQDM_DISABLE="1"):
        exp = explainer.explain_instance(display, classifier_fn, labels=(ctx.target,), num_features=n,
                                         num_samples=samples)
    if exp.domain_mapper.indexed_string.num_words() != n:
        raise ValueError(f"LIME saw {exp.domain_mapper.indexed_string.num_words()} words, expected {n}")
    scores = np.zeros(n)
    for feature, weight in exp.local_exp[ctx.target]:
        scores[int(feature)] = float(weight)
    return scores, {"samples": samples, "bow": False, "masking": "delete", "kernel_width": 25,
                    "local_r2": float(exp.score), "classifier_fn_calls": calls[0]}


# --------------------------------------------------------------------------- SHAP


class _PositionTokenizer:
    """A tokenizer for `shap.maskers.Text` that cuts the display string into exactly our tokens.

    Its ids are token positions, so with `output_type="token_ids"` the masker hands the model an
    array of kept positions (masked ones are -1) and nothing is re-parsed from text. The offsets
    give shap the real words, which its partition tree (the hierarchy Owen values are computed
    over) clusters by punctuation and spacing.
    """

    def __init__(self, tokens: Sequence[str], display: str) -> None:
        self.display = display
        self.offsets: list[tuple[int, int]] = []
        pos = 0
        for tok in tokens:
            at = display.index(tok, pos)
            self.offsets.append((at, at + len(tok)))
            pos = at + len(tok)

    def __call__(self, text: str, return_offsets_mapping: bool = False, **_: Any) -> dict[str, list[Any]]:
        if text == self.display:
            offsets = list(self.offsets)
        else:  # shap probes "" (for special tokens) and may probe other strings: plain whitespace words
            offsets, pos = [], 0
            for word in text.split():
                at = text.index(word, pos)
                offsets.append((at, at + len(word)))
                pos = at + len(word)
        out: dict[str, list[Any]] = {"input_ids": list(range(len(offsets)))}
        if return_offsets_mapping:
            out["offset_mapping"] = offsets
        return out


def shap_partition(ctx: TextMethodContext) -> tuple[np.ndarray, dict[str, Any]]:
    """SHAP's Partition explainer with a `shap.maskers.Text` masker over our tokens, seeded.

    Owen values of v(target) over shap's hierarchical clustering of the tokens; they sum to
    v(text) - v(empty text) (the empty text scores uniform, see `adapters.text`). `max_evals`
    defaults to shap's 500; short texts need fewer and shap stops when the tree is done.
    """
    import shap

    max_evals = ctx.shap_max_evals or 500
    display = " ".join(ctx.tokens)
    masker = shap.maskers.Text(_PositionTokenizer(ctx.tokens, display), mask_token=-1, output_type="token_ids")
    toks = ctx.tokens
    done = [0]

    def f(ids: np.ndarray) -> np.ndarray:
        batch = [tuple(toks[i] for i in row if i >= 0) for row in np.asarray(ids, dtype=np.int64)]
        done[0] += len(batch)
        if ctx.progress:
            ctx.progress(min(done[0], max_evals), max_evals)
        return ctx.score(batch)[:, [ctx.target]]

    explainer = shap.PartitionExplainer(f, masker, output_names=[ctx.labels[ctx.target]])
    with seeded_numpy(ctx.seed):
        values = explainer([display], max_evals=max_evals, batch_size=ctx.scorer.batch_size, silent=True)
    sv = np.asarray(values.values, dtype=float)[0].reshape(len(toks), -1)[:, 0]
    return sv, {"max_evals": max_evals, "evaluations": done[0], "masking": "delete",
                "base_value": float(np.asarray(values.base_values, dtype=float).reshape(-1)[0])}


METHODS: dict[str, TextMethodFn] = {
    "occlusion": occlusion,
    "lime": lime,
    "shap": shap_partition,
}
ALIASES = {"loo": "occlusion", "leave-one-out": "occlusion", "partition-shap": "shap", "partition": "shap"}


def method_name(name: str) -> str:
    key = ALIASES.get(name.strip().lower(), name.strip().lower())
    if key not in METHODS:
        raise UserError(f"unknown text attribution method {name!r}; choose from {', '.join(METHODS)}")
    return key


def _check_tokens(tokens: Sequence[str]) -> list[str]:
    toks = [str(t) for t in tokens]
    if not toks:
        raise UserError("nothing to explain: the text has no tokens")
    bad = [t for t in toks if not t.strip() or LIME_MASK in t]
    if bad:
        raise UserError(f"tokens must be non-blank and must not contain {LIME_MASK!r}: {bad[0]!r}")
    return toks


def attribute_text(
    method: str,
    classifier_or_scorer: TextClassifier | Scorer[TokenSeq],
    tokens: Sequence[str],
    target: int,
    *,
    seed: int = 0,
    lime_samples: int | None = None,
    shap_max_evals: int | None = None,
    progress: ProgressFn | None = None,
    units: Units = "probability",
    labels: Sequence[str] | None = None,
) -> Attribution:
    """One method's token attribution for p(target | tokens).

    Pass a `TextClassifier` (a fresh scorer is made for this call) or a `Scorer` from
    `classifier.scorer()` to share one memo across methods and metrics (the unperturbed text is
    then scored once for all of them); with a bare scorer give `labels` for the names.
    Returns an `Attribution` with `tokens`, `scores` (a list of floats, one per token), `method`,
    `params` (settings, units, seed, classifier), `forward_passes` (scorer batches this method
    ran), `seconds` and `source="model"`.
    """
    name = method_name(method)
    toks = _check_tokens(tokens)
    if isinstance(classifier_or_scorer, TextClassifier):
        clf: TextClassifier | None = classifier_or_scorer
        scorer = classifier_or_scorer.scorer()
        label_names = list(classifier_or_scorer.labels)
    else:
        clf, scorer = None, classifier_or_scorer
        label_names = [str(x) for x in labels] if labels is not None else []
    if labels is not None and clf is not None and list(labels) != label_names:
        raise UserError("labels given twice and they differ")
    if label_names and not 0 <= target < len(label_names):
        raise UserError(f"target {target} out of range (0..{len(label_names) - 1})")
    if units not in ("probability", "log-probability"):
        raise UserError(f"units must be 'probability' or 'log-probability', got {units!r}")
    if not label_names:
        label_names = [str(i) for i in range(target + 1)]
    ctx = TextMethodContext(scorer, toks, target, label_names, seed, lime_samples, shap_max_evals, units, progress)
    before = scorer.stats.forward_passes
    t0 = time.perf_counter()
    scores, params = METHODS[name](ctx)
    params = {**params, "units": units, "seed": seed, "n_tokens": len(toks), "batch_size": scorer.batch_size}
    if clf is not None:
        params["classifier"] = clf.describe()
    return Attribution(method=name, target=target, target_label=label_names[target], tokens=toks,
                       scores=[float(s) for s in np.asarray(scores, dtype=float)], params=params,
                       forward_passes=scorer.stats.forward_passes - before,
                       seconds=round(time.perf_counter() - t0, 4), source="model")


# --------------------------------------------------------------------------- several methods, one text


class TextExplanation(BaseModel):
    """One text, its prediction and every method's token attribution: what `explain-text` writes.

    `verbalizations` is the hook for the text verbalizers (template/search and LLM, after Feldhus
    et al. 2023): empty until they run. Attribution scores are written out in full (they are the
    explanation for text), unlike image maps.
    """

    model_config = ConfigDict(protected_namespaces=())

    text: str
    tokens: list[str]
    classifier: dict[str, Any]
    prediction: Prediction
    target: int
    target_label: str
    attributions: list[Attribution]
    verbalizations: list[Verbalization] = Field(default_factory=list)
    provenance: dict[str, Any] = Field(default_factory=dict)

    @field_serializer("attributions")
    def _with_scores(self, attributions: list[Attribution]) -> list[dict[str, Any]]:
        return [{**a.model_dump(mode="json"), "scores": [float(s) for s in a.scores]} for a in attributions]


def explain_text_tokens(
    classifier: TextClassifier,
    tokens: Sequence[str],
    *,
    methods: Sequence[str] = ("occlusion", "lime", "shap"),
    target: int | str | None = None,
    seed: int = 0,
    lime_samples: int | None = None,
    shap_max_evals: int | None = None,
    batch_size: int | None = None,
    progress: Callable[[str], ProgressFn | None] | None = None,
    text: str | None = None,
) -> TextExplanation:
    """Predict, then run each method on one shared scorer (the unperturbed text is scored once).

    `target` is a label name or index; default: the predicted label. `progress(method)` may return
    a progress callback per method.
    """
    names = [method_name(m) for m in methods]
    toks = _check_tokens(tokens)
    scorer = classifier.scorer(batch_size)
    t0 = time.perf_counter()
    prediction = classifier.prediction(scorer([tuple(toks)])[0])
    label = prediction.class_index if target is None else classifier.label_index(target)
    attributions = [
        attribute_text(m, scorer, toks, label, seed=seed, lime_samples=lime_samples, shap_max_evals=shap_max_evals,
                       progress=progress(m) if progress else None, labels=classifier.labels)
        for m in names
    ]
    return TextExplanation(
        text=text if text is not None else classifier.join(toks), tokens=toks, classifier=classifier.describe(),
        prediction=prediction, target=label, target_label=classifier.labels[label], attributions=attributions,
        provenance={"seed": seed, "methods": names, "scorer": scorer.stats.as_dict(), "batch_size": scorer.batch_size,
                    "seconds": round(time.perf_counter() - t0, 4),
                    "versions": library_versions("shap", "lime", "transformers", "torch", "vaderSentiment")},
    )


__all__ = ["METHODS", "TextExplanation", "TextMethodContext", "TextMethodFn", "attribute_text", "explain_text_tokens",
           "lime", "method_name", "occlusion", "shap_partition"]

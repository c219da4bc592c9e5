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

Adding a method is one function with the `TextMethodFn` signature, registered in `TEXT_METHODS`
(see `verbalize.pipeline.text.methods`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from verbalize.core.errors import UserError
from verbalize.core.registry import Registry
from verbalize.core.scoring import ProgressFn, Scorer
from verbalize.core.types import Attribution

if TYPE_CHECKING:
    from verbalize.adapters.text import TextClassifier, TokenSeq

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
    classifier: Any = None
    """The classifier itself, for methods that need more than its scorer (gradients); may be None."""
    params: Any = None
    """The method's parameters (its registered parameter model), defaults unless given."""

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


TEXT_METHODS: Registry[TextMethodFn] = Registry("text attribution method")
"""Every token attribution method; `verbalize.pipeline.text.methods` imports the modules that fill it."""


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


def method_name(name: str) -> str:
    """The registered name for `name` or an alias; a `UserError` listing the choices."""
    return TEXT_METHODS.canonical(name)


LIME_MASK = "UNKWORDZ"
"""lime's default placeholder for a removed word with bow=False; translated back to a deletion."""


def check_tokens(tokens: Sequence[str]) -> list[str]:
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
    classifier: TextClassifier | None = None,
    params: dict[str, Any] | None = None,
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
    toks = check_tokens(tokens)
    if not isinstance(classifier_or_scorer, Scorer):
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
    entry = TEXT_METHODS.get(name)
    ctx = TextMethodContext(scorer, toks, target, label_names, seed, lime_samples, shap_max_evals, units, progress,
                            classifier=clf or classifier, params=entry.parse_params(params or {}, f"method {name}"))
    before = scorer.stats.forward_passes
    t0 = time.perf_counter()
    scores, used = entry.obj(ctx)
    used = {**used, "units": units, "seed": seed, "n_tokens": len(toks), "batch_size": scorer.batch_size}
    if clf is not None:
        used["classifier"] = clf.describe()
    return Attribution(method=name, target=target, target_label=label_names[target], tokens=toks,
                       scores=[float(s) for s in np.asarray(scores, dtype=float)], params=used,
                       forward_passes=scorer.stats.forward_passes - before,
                       seconds=round(time.perf_counter() - t0, 4), source="model")

"""Several methods on one text with one shared scorer: what `verbalize explain-text` runs."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from verbalize.core.scoring import ProgressFn
from verbalize.core.types import Attribution, Prediction, Verbalization
from verbalize.core.versions import library_versions
from verbalize.pipeline.text.methods.base import attribute_text, check_tokens, method_name

if TYPE_CHECKING:
    from verbalize.adapters.text import TextClassifier


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
    toks = check_tokens(tokens)
    scorer = classifier.scorer(batch_size)
    t0 = time.perf_counter()
    prediction = classifier.prediction(scorer([tuple(toks)])[0])
    label = prediction.class_index if target is None else classifier.label_index(target)
    attributions = [
        attribute_text(m, scorer, toks, label, seed=seed, lime_samples=lime_samples, shap_max_evals=shap_max_evals,
                       progress=progress(m) if progress else None, labels=classifier.labels,
                       classifier=classifier)
        for m in names
    ]
    return TextExplanation(
        text=text if text is not None else classifier.join(toks), tokens=toks, classifier=classifier.describe(),
        prediction=prediction, target=label, target_label=classifier.labels[label], attributions=attributions,
        provenance={"seed": seed, "methods": names, "scorer": scorer.stats.as_dict(), "batch_size": scorer.batch_size,
                    "seconds": round(time.perf_counter() - t0, 4),
                    "versions": library_versions("shap", "lime", "transformers", "torch", "vaderSentiment")},
    )

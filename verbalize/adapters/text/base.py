"""Text classifiers behind one interface: an LLM asked to classify, a Hugging Face sequence
classifier from local files, and the VADER lexicon.

Every text explanation perturbs a text as a sequence of tokens (whitespace words by default) and
asks for label probabilities, so a `TextClassifier` is scored through `scorer()`: the shared
`Scorer` over token sequences. Conventions every method and metric relies on:

* `join(tokens)` is the text the model reads (default: words joined by one space). It is a hook:
  a caller whose tokens carry their own whitespace sets `join = "".join`.
* A perturbation deletes tokens; the survivors keep their order. Duplicates are recognised by the
  joined text, so two perturbations that read the same are scored once.
* The empty token sequence is never sent to a model: it scores uniform, 1/k per label (p = 0.5 for
  a binary task, as Huang et al. 2023 count the empty text; `eval/faithfulness.py` does the same).

`probability_source` says where the numbers come from: "logits" (a local model), "logprobs" (a
remote endpoint's token log-probabilities), "stated-confidence" (the model's own words, Huang et
al.'s fallback when an endpoint gives no log-probabilities) or "lexicon" (VADER).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np

from verbalize.core.errors import UserError
from verbalize.core.scoring import Scorer
from verbalize.core.types import ClassScore, Prediction

TokenSeq = Sequence[str]
"""A text as tokens; the scorer's input type."""

SENTIMENT_LABELS = ("negative", "positive")


class TextClassifier(ABC):
    """`labels`, `name`, `probability_source` and `predict_proba(texts) -> (n, n_labels)`.

    Subclasses implement `predict_proba` on non-empty texts; everything else (joining tokens,
    the empty-text convention, the scorer, predictions) lives here once.
    """

    name: str
    labels: list[str]
    probability_source: str
    default_batch_size: int = 32

    def join(self, tokens: TokenSeq) -> str:
        """The text the model reads for a token sequence; override (or assign) to change spacing."""
        return " ".join(tokens)

    @abstractmethod
    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """(len(texts), len(labels)) label probabilities for non-empty texts, in batches."""

    def forward(self, batch: list[TokenSeq]) -> np.ndarray:
        """The scorer's forward: token sequences in, probabilities out; empty sequences score 1/k."""
        k = len(self.labels)
        out = np.full((len(batch), k), 1.0 / k)
        idx = [i for i, toks in enumerate(batch) if len(toks) > 0]
        if idx:
            out[idx] = self.predict_proba([self.join(batch[i]) for i in idx])
        return out

    def scorer(self, batch_size: int | None = None) -> Scorer[TokenSeq]:
        """A fresh `Scorer` for one explanation: batched, de-duplicated by joined text, counted."""
        return Scorer(forward=self.forward, batch_size=batch_size or self.default_batch_size, key=self.join)

    def label_index(self, label: str | int) -> int:
        """Index of a label given by name (case-insensitive) or by index."""
        if isinstance(label, int) or str(label).lstrip("-").isdigit():
            i = int(label)
            if not 0 <= i < len(self.labels):
                raise UserError(f"label index {i} out of range (0..{len(self.labels) - 1})")
            return i
        lower = [lab.lower() for lab in self.labels]
        if str(label).lower() not in lower:
            raise UserError(f"unknown label {label!r}; the labels are {', '.join(self.labels)}")
        return lower.index(str(label).lower())

    def prediction(self, probs: np.ndarray) -> Prediction:
        """The top label and the runners-up from one row of probabilities."""
        order = np.argsort(-np.asarray(probs), kind="stable")
        scores = [ClassScore(label=self.labels[i], class_index=int(i), probability=float(probs[i])) for i in order]
        top = scores[0]
        return Prediction(label=top.label, class_index=top.class_index, probability=top.probability,
                          alternatives=scores[1:6], model=self.name)

    def predict(self, text: str | TokenSeq) -> Prediction:
        tokens = text.split() if isinstance(text, str) else list(text)
        return self.prediction(self.forward([tokens])[0])

    def describe(self) -> dict[str, Any]:
        """What provenance records about the classifier."""
        return {"name": self.name, "labels": list(self.labels), "probability_source": self.probability_source}

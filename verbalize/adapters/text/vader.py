"""The VADER lexicon as a sentiment classifier: exact, fast, and occlusion's answer is known in closed form."""

from __future__ import annotations

import numpy as np

from verbalize.adapters.text.base import SENTIMENT_LABELS, TextClassifier
from verbalize.core.errors import UserError


class VaderClassifier(TextClassifier):
    """VADER's compound score as a two-label (negative, positive) classifier: p(positive) = (c + 1) / 2.

    Deterministic and transparent (a lexicon with rules for negation, intensifiers and "but"), so
    occlusion's right answer can be computed by hand; handy as a sanity baseline too.
    """

    probability_source = "lexicon"

    def __init__(self) -> None:
        try:
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
        except ImportError as e:
            raise UserError("the vader classifier needs vaderSentiment: pip install vaderSentiment") from e
        self._analyzer = SentimentIntensityAnalyzer()
        self.name = "vader"
        self.labels = list(SENTIMENT_LABELS)

    def compound(self, text: str) -> float:
        return float(self._analyzer.polarity_scores(text)["compound"])

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        pos = np.array([(self.compound(t) + 1.0) / 2.0 for t in texts])
        return np.stack([1.0 - pos, pos], axis=1)

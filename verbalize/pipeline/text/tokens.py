"""The text journey's vocabulary: how a text becomes tokens, the elicitation strategies, default labels."""

from __future__ import annotations

import re
from typing import Literal

STRATEGIES: tuple[str, ...] = ("pe", "ep", "pe-topk", "ep-topk", "predict-only")
"""pe: predict then explain; ep: explain then predict; -topk: only the k most important words."""

DEFAULT_LABELS: tuple[str, ...] = ("negative", "positive")
"""Binary sentiment, in the order of Huang et al.'s 0/1 classes."""

TokenizeMode = Literal["whitespace", "punct"]

MAX_OUTPUT_CHARS = 100_000
"""Longer outputs (runaway generations) are cut before parsing, to bound the work per answer."""


def topk_count(n: int) -> int:
    """k = max(1, int(0.2 * n)) words for the top-k strategies (Huang et al.)."""
    return max(1, int(0.2 * n))


_PUNCT_TOKENS = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]")


def tokenize(text: str, mode: TokenizeMode = "whitespace") -> list[str]:
    """Split a text into the tokens the model is asked to score.

    ``whitespace`` (default, as in Huang et al.): ``text.split()``, so "great," is one token.
    ``punct``: words and single punctuation marks, so "great," is "great" and ","; apostrophes
    inside words stay ("don't" is one token).
    """
    if mode == "whitespace":
        return text.split()
    if mode == "punct":
        return _PUNCT_TOKENS.findall(text)
    raise ValueError(f"tokenize mode must be 'whitespace' or 'punct', got {mode!r}")


# --------------------------------------------------------------------------- tolerant literal reader

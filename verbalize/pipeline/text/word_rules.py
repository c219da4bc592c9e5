"""The rules a statement about one word is judged by (issue 10; thresholds: bench/verifier/README.md, "Text (token
attributions)"): the attribution's reference numbers and, per statement kind, whether a word's scores make it
true. Every reader of word statements ends in `judge` and `word_claim`, so the thresholds live in one place.
"""

from __future__ import annotations

import numpy as np

from verbalize.core.types import Claim
from verbalize.pipeline.text.attribution import Attribution, core


def scores_of(att: Attribution, word: str) -> list[float]:
    return att.word_scores([word])



class Stats:
    """The attribution's reference numbers every rule compares a word's score with."""

    def __init__(self, att: Attribution) -> None:
        scores = att.scores
        self.top = float(scores.max()) if scores.size else 0.0
        self.bottom = float(np.abs(scores).min()) if scores.size else 0.0
        self.max_pos = float(att.positive.max()) if scores.size else 0.0
        self.min_neg = float(scores.min()) if scores.size else 0.0
        self.max_abs = float(np.abs(scores).max()) if scores.size else 0.0
        self.distinct = {c: float(max(s for t, s in zip(att.cores, scores, strict=True) if t == c)) for c in att.cores}


def judge(kind: str, x: str, xs: list[float], st: Stats) -> tuple[bool, str]:
    """Whether a statement of `kind` about word `x` (its scores `xs`) holds, and the rule in words."""
    if kind == "top":
        return any(v >= st.top - 1e-12 for v in xs), f"the top score is {st.top:.4g}"
    if kind == "least":
        return any(abs(v) <= st.bottom + 1e-12 for v in xs), f"the smallest |score| is {st.bottom:.4g}"
    if kind == "second":
        return (any(sum(1 for w, s in st.distinct.items() if s > v + 1e-12 and w != core(x)) == 1 for v in xs),
                "exactly one distinct word must score higher")
    if kind == "strong_pos":
        return any(v > 0 and v >= 0.5 * st.max_pos for v in xs), f"strong: ≥ half the top positive {st.max_pos:.4g}"
    if kind == "weak_pos":
        return any(0 < v < 0.5 * st.max_pos for v in xs), f"weak: below half the top positive {st.max_pos:.4g}"
    if kind == "weak_neg":
        return (any(v < 0 and abs(v) < 0.5 * st.max_abs for v in xs),
                f"weak negative: below zero, |score| below half the largest |score| {st.max_abs:.4g}")
    if kind == "strong_neg":
        return any(v < 0 and v <= 0.5 * st.min_neg for v in xs), f"strong: ≤ half the most negative {st.min_neg:.4g}"
    if kind == "none":
        return any(abs(v) < 0.005 for v in xs), "no influence: |score| < 0.005"
    if kind == "some":
        return any(abs(v) >= 0.005 for v in xs), "some influence: |score| ≥ 0.005"
    if kind == "minor":
        return (any(abs(v) < 0.5 * st.max_abs for v in xs),
                f"barely matters: |score| below half the largest |score| {st.max_abs:.4g}")
    if kind == "most_neg":
        return any(v < 0 and v <= st.min_neg + 1e-12 for v in xs), f"the most negative score is {st.min_neg:.4g}"
    return any((v > 0) if kind == "pos" else (v < 0) for v in xs), f"should score {'>' if kind == 'pos' else '<'} 0"


def word_claim(text: str, a: int, b: int, x: str, kind: str, xs: list[float], ok: bool, rule: str,
                negated: bool = False) -> Claim:
    shown = ", ".join(f"{v:.4g}" for v in xs[:4])
    return Claim(text=text[a:b], kind=f"word_{kind}", start=a, end=b, status="supported" if ok else "contradicted",
                 reason=f"score({x}) = {shown}; {rule}" + ("; negated" if negated else ""), subject=x,
                 fact=f"score({x}) = {shown}")


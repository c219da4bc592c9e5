"""LIME over token positions (lime's LimeTextExplainer, bow=False), deletions as the mask."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import Field

from verbalize.core.seeding import seeded_numpy, temp_env
from verbalize.pipeline.text.methods.base import LIME_MASK, TEXT_METHODS, Params, TextMethodContext


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
    or the mask string (checked first: no token contains it, see `check_tokens`)."""
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


class LimeTextParams(Params):
    samples: int | None = Field(default=None, ge=1, le=100_000, description="default 10 x the number of tokens")


@TEXT_METHODS.register("lime", params=LimeTextParams, perturbs=True, libraries=("lime",),
                       description="LIME (bow=False) over token positions, samples 10 x tokens")
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
        return ctx.score([_lime_kept(t, segments, LIME_MASK) for t in texts], ctx.progress)

    explainer = LimeTextExplainer(class_names=ctx.labels, bow=False, split_expression=split, random_state=ctx.seed)
    with seeded_numpy(ctx.seed), temp_env(TQDM_DISABLE="1"):
        exp = explainer.explain_instance(display, classifier_fn, labels=(ctx.target,), num_features=n,
                                         num_samples=samples)
    if exp.domain_mapper.indexed_string.num_words() != n:
        raise ValueError(f"LIME saw {exp.domain_mapper.indexed_string.num_words()} words, expected {n}")
    scores = np.zeros(n)
    for feature, weight in exp.local_exp[ctx.target]:
        scores[int(feature)] = float(weight)
    return scores, {"samples": samples, "bow": False, "masking": "delete", "kernel_width": 25,
                    "local_r2": float(exp.score), "classifier_fn_calls": calls[0]}

"""SHAP's Partition explainer over token positions, masked tokens deleted."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import Field

from verbalize.core.seeding import seeded_numpy
from verbalize.pipeline.text.methods.base import TEXT_METHODS, Params, TextMethodContext


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


class ShapTextParams(Params):
    max_evals: int | None = Field(default=None, ge=1, le=100_000, description="default 500")


@TEXT_METHODS.register("shap", aliases=("partition-shap", "partition"), params=ShapTextParams, perturbs=True,
                       libraries=("shap",), description="Partition SHAP (Owen values) over tokens")
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

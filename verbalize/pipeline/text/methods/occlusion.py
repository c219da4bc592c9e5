"""Leave-one-out occlusion of tokens, every perturbation in one scorer call."""

from __future__ import annotations

from typing import Any

import numpy as np

from verbalize.pipeline.text.methods.base import TEXT_METHODS, Params, TextMethodContext


@TEXT_METHODS.register("occlusion", aliases=("loo", "leave-one-out"), params=Params, perturbs=True,
                        description="leave one token out: the drop in p(target)")
def occlusion(ctx: TextMethodContext) -> tuple[np.ndarray, dict[str, Any]]:
    """Leave one token out: score_i = v(text) - v(text without token i), v = p(target) or log p.

    The text and its n perturbations go to the scorer in ONE call: ceil((n + 1) / batch_size)
    forward passes at most (fewer when two deletions read the same, e.g. "very very").
    """
    toks = tuple(ctx.tokens)
    inputs = [toks] + [toks[:i] + toks[i + 1 :] for i in range(len(toks))]
    v = ctx.value(ctx.scorer(inputs, ctx.progress))
    return v[0] - v[1:], {"perturbations": len(toks), "masking": "delete"}

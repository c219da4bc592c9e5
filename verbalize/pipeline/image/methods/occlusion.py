"""Sliding-window occlusion: a pixel's score is the mean drop in p(target) over the windows covering it."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field

from verbalize.core.errors import UserError
from verbalize.pipeline.image.methods.base import SALIENCY_METHODS, MethodContext, Params, baseline


class OcclusionParams(Params):
    window: int = Field(default=32, ge=1, le=4096, description="window side in view pixels")
    stride: int = Field(default=16, ge=1, le=4096, description="step between windows in view pixels")
    fill: Literal["mean", "zero", "blur"] = "blur"


def _windows(size: int, window: int, stride: int) -> list[int]:
    starts = list(range(0, max(size - window, 0) + 1, stride))
    if starts[-1] + window < size:  # cover the last rows/columns too
        starts.append(size - window)
    return starts


@SALIENCY_METHODS.register("occlusion", params=OcclusionParams, perturbs=True, title="occlusion",
                           description="drop in probability when a sliding window is blurred out")
def occlusion(ctx: MethodContext) -> tuple[np.ndarray, dict[str, Any]]:
    p: OcclusionParams = ctx.params
    h, w = ctx.view.shape[:2]
    win, stride = p.window, p.stride
    if win > min(h, w):
        raise UserError(f"occlusion window {win} / stride {stride} do not fit a {w}x{h} view")
    fill = baseline(ctx.view, p.fill)
    boxes = [(y, x) for y in _windows(h, win, stride) for x in _windows(w, win, stride)]
    p0 = ctx.scorer([ctx.view])[0, ctx.target]
    drops = np.empty(len(boxes))
    chunk = ctx.scorer.batch_size * 8  # bounded memory: a few hundred views at most in flight
    for start in range(0, len(boxes), chunk):
        views = []
        for y, x in boxes[start : start + chunk]:
            v = ctx.view.copy()
            v[y : y + win, x : x + win] = fill[y : y + win, x : x + win]
            views.append(v)
        probs = ctx.scorer(views)
        drops[start : start + len(views)] = p0 - probs[:, ctx.target]
        if ctx.progress:
            ctx.progress(start + len(views), len(boxes))
    total = np.zeros((h, w), dtype=np.float64)
    count = np.zeros((h, w), dtype=np.float64)
    for (y, x), d in zip(boxes, drops, strict=True):
        total[y : y + win, x : x + win] += d
        count[y : y + win, x : x + win] += 1
    return (total / np.maximum(count, 1)).astype(np.float32), {
        "window": win, "stride": stride, "fill": p.fill, "windows": len(boxes)}

"""SHAP's Partition explainer over the image (shap's image masker), scored through our batched scorer.

shap's Owen recursion hands our scorer up to `batch_size` masked copies per call: we pass it the
scorer's own batch size, so each call is one full forward pass of ours (the first few calls are
smaller because the recursion's queue holds only a few nodes by then). The image masker's
partition tree depends only on the image shape and costs ~0.5 s to build (150 000 leaves for a
224 x 224 x 3 view), so it is built once per shape and each run gets its own shallow copy.
"""

from __future__ import annotations

import copy
import threading
from typing import Any, Literal

import numpy as np
from pydantic import Field

from verbalize.core.seeding import seeded_numpy
from verbalize.pipeline.image.methods.base import SALIENCY_METHODS, MethodContext, Params

_MASKERS: dict[tuple[str, tuple[int, ...]], Any] = {}
_MASKERS_LOCK = threading.Lock()


class ShapParams(Params):
    max_evals: int = Field(default=500, ge=1, le=100_000, description="model evaluations at most")
    masker: Literal["blur", "inpaint_telea", "inpaint_ns"] = "blur"
    blur_kernel: int = Field(default=32, ge=1, le=1024, description="blur masker's kernel size in pixels")


def image_masker(spec: str, shape: tuple[int, ...]) -> Any:
    """A fresh `shap.maskers.Image(spec, shape)` whose partition tree is built once per (spec, shape).

    A shallow copy shares the (read-only) tree; the masker's per-image state (`last_xid`, the blur
    cache) is reassigned, never mutated in place, so concurrent runs do not see each other's image.
    """
    import shap

    key = (spec, tuple(shape))
    with _MASKERS_LOCK:
        if key not in _MASKERS:
            _MASKERS[key] = shap.maskers.Image(spec, key[1])
        return copy.copy(_MASKERS[key])


@SALIENCY_METHODS.register("shap", aliases=("partition-shap",), params=ShapParams, perturbs=True,
                           libraries=("shap",), title="SHAP", description="Partition SHAP values of image regions")
def shap_partition(ctx: MethodContext) -> tuple[np.ndarray, dict[str, Any]]:
    import shap

    p: ShapParams = ctx.params
    masker_spec = f"blur({p.blur_kernel},{p.blur_kernel})" if p.masker == "blur" else p.masker
    # shap's inpaint maskers cast to uint8, so every masker sees 0..255 pixels.
    pixels = (ctx.view * 255.0).astype(np.float32)
    masker = image_masker(masker_spec, pixels.shape)
    done = [0]

    def f(batch: np.ndarray) -> np.ndarray:
        out = ctx.scorer(list(np.asarray(batch, dtype=np.float32) / 255.0))
        done[0] += len(batch)
        if ctx.progress:
            ctx.progress(min(done[0], p.max_evals), p.max_evals)
        return out[:, [ctx.target]]

    explainer = shap.PartitionExplainer(f, masker)
    with seeded_numpy(ctx.seed):
        values = explainer(pixels[None], max_evals=p.max_evals, batch_size=ctx.scorer.batch_size, silent=True)
    sv = np.asarray(values.values)[0]  # H x W x 3 x 1
    return sv.reshape(*sv.shape[:3], -1)[..., 0].sum(axis=-1).astype(np.float32), {
        "max_evals": p.max_evals, "masker": masker_spec, "batch_size": ctx.scorer.batch_size,
        "evaluations": done[0],
    }

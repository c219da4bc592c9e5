"""SHAP's Partition explainer over the image (shap's image masker), scored through our batched scorer."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field

from verbalize.core.seeding import seeded_numpy
from verbalize.pipeline.image.methods.base import SALIENCY_METHODS, MethodContext, Params


class ShapParams(Params):
    max_evals: int = Field(default=500, ge=1, le=100_000, description="model evaluations at most")
    masker: Literal["blur", "inpaint_telea", "inpaint_ns"] = "blur"
    blur_kernel: int = Field(default=32, ge=1, le=1024, description="blur masker's kernel size in pixels")


@SALIENCY_METHODS.register("shap", aliases=("partition-shap",), params=ShapParams, perturbs=True,
                           libraries=("shap",), title="SHAP", description="Partition SHAP values of image regions")
def shap_partition(ctx: MethodContext) -> tuple[np.ndarray, dict[str, Any]]:
    import shap

    p: ShapParams = ctx.params
    masker_spec = f"blur({p.blur_kernel},{p.blur_kernel})" if p.masker == "blur" else p.masker
    # shap's inpaint maskers cast to uint8, so every masker sees 0..255 pixels.
    pixels = (ctx.view * 255.0).astype(np.float32)
    masker = shap.maskers.Image(masker_spec, pixels.shape)
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

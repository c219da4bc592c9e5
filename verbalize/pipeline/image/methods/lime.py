"""LIME on SLIC superpixels (the lime package), every sample scored through our batched scorer."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from verbalize.core.seeding import seeded_numpy, temp_env
from verbalize.pipeline.image.methods.base import SALIENCY_METHODS, MethodContext, Params


class LimeParams(Params):
    samples: int = Field(default=300, ge=1, le=100_000, description="perturbed samples")
    segments: int = Field(default=50, ge=2, le=10_000, description="SLIC superpixels asked for")


@SALIENCY_METHODS.register("lime", params=LimeParams, perturbs=True, libraries=("lime", "scikit-image"), title="LIME",
                           description="weights of a linear model over superpixels switched on and off")
def lime_superpixels(ctx: MethodContext) -> tuple[np.ndarray, dict[str, Any]]:
    from lime import lime_image
    from lime.wrappers.scikit_image import SegmentationAlgorithm

    p: LimeParams = ctx.params
    segmenter = SegmentationAlgorithm("slic", n_segments=p.segments, compactness=10, sigma=1,
                                      start_label=0, random_seed=ctx.seed)
    done = [0]

    def classifier_fn(batch: np.ndarray) -> np.ndarray:
        out = ctx.scorer(list(np.asarray(batch, dtype=np.float32)))
        done[0] += len(batch)
        if ctx.progress:
            ctx.progress(done[0], p.samples)
        return out

    explainer = lime_image.LimeImageExplainer(random_state=ctx.seed)
    with seeded_numpy(ctx.seed), temp_env(TQDM_DISABLE="1"):  # lime's own tqdm bar; ours is the rich one
        exp = explainer.explain_instance(
            ctx.view.astype(np.float64), classifier_fn, labels=(ctx.target,), top_labels=None, hide_color=None,
            num_features=100_000, num_samples=p.samples, batch_size=ctx.scorer.batch_size,
            segmentation_fn=segmenter, random_seed=ctx.seed)
    weights = dict(exp.local_exp[ctx.target])
    segments = exp.segments
    lut = np.array([weights.get(i, 0.0) for i in range(int(segments.max()) + 1)], dtype=np.float32)
    return lut[segments], {"samples": p.samples, "superpixels": int(segments.max()) + 1, "segmentation": "slic"}

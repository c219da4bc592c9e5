"""The gradient family of "Which explanation should I choose?", through captum: vanilla gradients,
gradient x input, SmoothGrad and Integrated Gradients (with a choice of baselines, after BEE).

Every method differentiates p(target)'s logit with respect to the model's *view in pixels* (values
in [0, 1], before the classifier's normalisation), so a "black" baseline is a black picture and a
map sums the channels of one pixel. Gradient-based maps are signed: positive pixels raise the
target's logit. Batches go to captum as `internal_batch_size` (Integrated Gradients' steps,
SmoothGrad's noisy copies), the scorer's batch size, and their forward passes are counted.

Baselines of Integrated Gradients (BEE, "baseline exploration": the baseline changes the map, so it
is a visible, recorded choice): ``black``, ``blur`` (the view, heavily blurred), ``noise`` (uniform
noise, seeded) and ``mean`` (the mean of the attributions over all three, one IG run per baseline).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field

from verbalize.core.errors import UserError
from verbalize.pipeline.image.methods.base import (
    SALIENCY_METHODS,
    MethodContext,
    Params,
    baseline,
    count_forward_passes,
)

LIBRARIES = ("torch", "captum")
BASELINES = ("black", "blur", "noise")


class SaliencyParams(Params):
    absolute: bool = Field(default=False, description="|gradient| (Simonyan et al.) instead of the signed gradient")


class SmoothGradParams(Params):
    samples: int = Field(default=16, ge=1, le=512, description="noisy copies of the view")
    sigma: float = Field(default=0.15, gt=0, le=1, description="noise standard deviation as a share of the pixel range")


class IntegratedGradientsParams(Params):
    steps: int = Field(default=32, ge=2, le=1024, description="points on the path from the baseline to the view")
    baseline: Literal["black", "blur", "noise", "mean"] = Field(
        default="black", description="black, blur, noise, or the mean of the attributions over all three")


def pixel_model(ctx: MethodContext) -> Any:
    """The classifier as a function of view pixels in [0, 1] (N x 3 x H x W): normalise, then the model."""
    import torch

    clf = ctx.clf
    mean = torch.tensor(clf.mean, dtype=torch.float32, device=clf.device).view(1, 3, 1, 1)
    std = torch.tensor(clf.std, dtype=torch.float32, device=clf.device).view(1, 3, 1, 1)

    class PixelModel(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = clf.model

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.inner((x - mean) / std)

    return PixelModel().eval()


def view_tensor(ctx: MethodContext, view: np.ndarray | None = None) -> Any:
    import torch

    v = ctx.view if view is None else view
    return torch.as_tensor(np.ascontiguousarray(v), dtype=torch.float32, device=ctx.clf.device).permute(2, 0, 1)[None]


def to_map(attributions: Any) -> np.ndarray:
    """Captum's 1 x 3 x H x W attributions → H x W, channels summed (signs kept)."""
    return attributions.detach().float().sum(dim=1)[0].cpu().numpy().astype(np.float32)


def run_captum(ctx: MethodContext, method: Any, **kwargs: Any) -> tuple[np.ndarray, int]:
    """Attribute with a captum method on the pixel model; returns the map and the forward passes it ran."""
    import torch

    model = pixel_model(ctx)
    x = view_tensor(ctx).requires_grad_(True)
    with count_forward_passes(ctx.clf.model) as passes, torch.enable_grad():
        attributions = method(model).attribute(x, target=ctx.target, **kwargs)
    ctx.scorer.stats.forward_passes += passes[0]
    return to_map(attributions), passes[0]


@SALIENCY_METHODS.register("saliency", aliases=("gradients", "vanilla-gradients"), params=SaliencyParams,
                           libraries=LIBRARIES, family="gradient", title="vanilla gradients",
                           description="gradient of the target's logit with respect to the pixels")
def vanilla_gradients(ctx: MethodContext) -> tuple[np.ndarray, dict[str, Any]]:
    from captum.attr import Saliency

    m, passes = run_captum(ctx, Saliency, abs=ctx.params.absolute)
    return m, {"absolute": ctx.params.absolute, "forward_passes": passes}


@SALIENCY_METHODS.register("inputxgradient", aliases=("input-x-gradient", "gradient-x-input"), libraries=LIBRARIES,
                           family="gradient", title="gradient × input",
                           description="gradient times the pixel values")
def input_x_gradient(ctx: MethodContext) -> tuple[np.ndarray, dict[str, Any]]:
    from captum.attr import InputXGradient

    m, passes = run_captum(ctx, InputXGradient)
    return m, {"forward_passes": passes}


@SALIENCY_METHODS.register("smoothgrad", aliases=("smooth-grad",), params=SmoothGradParams, perturbs=True,
                           libraries=LIBRARIES, family="gradient", title="SmoothGrad",
                           description="gradients averaged over noisy copies of the view (NoiseTunnel)")
def smoothgrad(ctx: MethodContext) -> tuple[np.ndarray, dict[str, Any]]:
    import torch
    from captum.attr import NoiseTunnel, Saliency

    p: SmoothGradParams = ctx.params
    torch.manual_seed(ctx.seed)
    m, passes = run_captum(ctx, lambda model: NoiseTunnel(Saliency(model)), nt_type="smoothgrad",
                           nt_samples=p.samples, nt_samples_batch_size=ctx.scorer.batch_size, stdevs=p.sigma, abs=False)
    return m, {"samples": p.samples, "sigma": p.sigma, "batch_size": ctx.scorer.batch_size, "forward_passes": passes}


def ig_baseline(ctx: MethodContext, kind: str) -> np.ndarray:
    """The baseline picture of Integrated Gradients in view pixels."""
    if kind == "black":
        return np.zeros_like(ctx.view, dtype=np.float32)
    if kind == "blur":
        return baseline(ctx.view.astype(np.float32), "blur")
    if kind == "noise":
        return np.random.default_rng(ctx.seed).uniform(0, 1, ctx.view.shape).astype(np.float32)
    raise UserError(f"unknown Integrated Gradients baseline {kind!r}; choose {', '.join(BASELINES)} or mean")


@SALIENCY_METHODS.register("integrated-gradients", aliases=("ig", "integratedgradients"),
                           params=IntegratedGradientsParams, perturbs=True, libraries=LIBRARIES, family="gradient",
                           title="Integrated Gradients", description="path integral of gradients from a baseline picture (black, blur, noise, mean)")
def integrated_gradients(ctx: MethodContext) -> tuple[np.ndarray, dict[str, Any]]:
    from captum.attr import IntegratedGradients

    p: IntegratedGradientsParams = ctx.params
    kinds = list(BASELINES) if p.baseline == "mean" else [p.baseline]
    maps, passes = [], 0
    for n, kind in enumerate(kinds):
        base = view_tensor(ctx, ig_baseline(ctx, kind))
        m, k = run_captum(ctx, IntegratedGradients, baselines=base, n_steps=p.steps,
                          internal_batch_size=ctx.scorer.batch_size)
        maps.append(m)
        passes += k
        if ctx.progress:
            ctx.progress(n + 1, len(kinds))
    out = np.mean(maps, axis=0).astype(np.float32)
    return out, {"baseline": p.baseline, "baselines_used": kinds, "steps": p.steps, "batch_size": ctx.scorer.batch_size,
                 "forward_passes": passes,
                 "map_sum": round(float(out.sum()), 6)}  # ≈ logit(view) − logit(baseline): completeness

"""The CAM family, through pytorch-grad-cam: one registration per CAM class it offers.

grad-cam runs the model itself (forward and backward with hooks on the target layer), so its
forward passes are counted with a hook and added to the scorer's counters.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from verbalize.core.errors import UserError
from verbalize.core.seeding import temp_env
from verbalize.pipeline.image.methods.base import (
    SALIENCY_METHODS,
    MethodContext,
    MethodFn,
    Params,
    count_forward_passes,
)

LIBRARIES = ("torch", "grad-cam")


class CamParams(Params):
    batch_size: int | None = Field(default=None, ge=1, le=4096,
                                   description="masked copies per forward pass (ScoreCAM); default: scorer.batch_size")


class AblationParams(CamParams):
    channels: float = Field(default=1.0, gt=0, le=1, description="share of the target layer's channels to ablate "
                            "(the most active first; grad-cam's ratio_channels_to_ablate)")


def cam_maps(clf: Any, views: list[np.ndarray], targets: list[int], cam_class_name: str, params: Any,
             batch_size: int) -> tuple[list[np.ndarray], dict[str, Any], int]:
    """grad-cam's `cam_class_name` on several views at once (one target each), in batches of
    `batch_size`: the maps, the parameters used and the model's forward passes."""
    import pytorch_grad_cam as gc
    import torch
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    cam_class = getattr(gc, cam_class_name)
    if clf.target_layer is None:
        raise UserError(f"{clf.name}: no target layer for CAM methods; name one with layer= (Python), --layer (CLI) "
                        "or model.target_layer (config), or use a perturbation method")
    used: dict[str, Any] = {"target_layer": clf.target_layer_name}
    extra = {"ratio_channels_to_ablate": params.channels} if isinstance(params, AblationParams) else {}
    if extra:
        used["channels"] = params.channels
    maps: list[np.ndarray] = []
    with count_forward_passes(clf.model) as passes, torch.enable_grad(), cam_class(
        model=clf.model, target_layers=[clf.target_layer], reshape_transform=clf.reshape_transform, **extra,
    ) as cam:
        if hasattr(cam, "batch_size"):
            cam.batch_size = params.batch_size or batch_size
            used["batch_size"] = cam.batch_size
        for start in range(0, len(views), batch_size):
            chunk = views[start : start + batch_size]
            with temp_env(TQDM_DISABLE="1"):  # AblationCAM's own tqdm bar; ours is the rich one
                grayscale = cam(input_tensor=clf.to_tensor(np.stack(chunk)),
                                targets=[ClassifierOutputTarget(t) for t in targets[start : start + batch_size]])
            maps += [np.asarray(g, dtype=np.float32) for g in grayscale]
    used["forward_passes_inside_grad_cam"] = passes[0]
    return maps, used, passes[0]


def cam_method(cam_class_name: str) -> MethodFn:
    """A method running grad-cam's `cam_class_name` on the classifier's target layer."""

    def run(ctx: MethodContext) -> tuple[np.ndarray, dict[str, Any]]:
        maps, used, passes = cam_maps(ctx.clf, [ctx.view], [ctx.target], cam_class_name, ctx.params,
                                      ctx.scorer.batch_size)
        ctx.scorer.stats.forward_passes += passes
        return maps[0], used

    return run


_CAMS = {
    # name: (grad-cam class, aliases, perturbs, description); titles in TITLES
    "gradcam": ("GradCAM", ("grad-cam",), False, "gradient-weighted class activation map"),
    "gradcam++": ("GradCAMPlusPlus", ("gradcampp", "grad-cam++"), False, "Grad-CAM with second-order weights"),
    "eigencam": ("EigenCAM", ("eigen-cam",), False, "first principal component of the activations"),
    "scorecam": ("ScoreCAM", ("score-cam",), True, "activation maps weighted by the score of masked copies"),
    "layercam": ("LayerCAM", ("layer-cam",), False, "element-wise gradient x activation"),
    "xgradcam": ("XGradCAM", ("xgrad-cam",), False, "Grad-CAM with gradients weighted by the activations"),
    "hirescam": ("HiResCAM", ("hires-cam",), False, "element-wise gradient x activation, summed over channels"),
    "eigengradcam": ("EigenGradCAM", ("eigen-grad-cam",), False, "first principal component of gradient x activation"),
    "ablationcam": ("AblationCAM", ("ablation-cam",), True, "drop in the score when each channel is zeroed (batched)"),
    "fullgrad": ("FullGrad", ("full-grad",), False, "input gradients plus the bias gradients of every layer"),
}

TITLES = {'gradcam': 'Grad-CAM', 'gradcam++': 'Grad-CAM++', 'eigencam': 'Eigen-CAM', 'scorecam': 'Score-CAM', 'layercam': 'LayerCAM', 'xgradcam': 'XGrad-CAM', 'hirescam': 'HiResCAM', 'eigengradcam': 'EigenGrad-CAM', 'ablationcam': 'Ablation-CAM', 'fullgrad': 'FullGrad'}

BATCHABLE = {"gradcam", "gradcam++", "eigencam", "layercam", "xgradcam", "hirescam", "eigengradcam"}
"""CAMs computed per sample from one forward/backward pass: several images can share that pass
(`explain_images`); Score-CAM, Ablation-CAM and FullGrad batch over channels or layers instead."""

for _name, (_cls, _aliases, _perturbs, _description) in _CAMS.items():
    SALIENCY_METHODS.register(_name, description=_description, aliases=_aliases,
                              params=AblationParams if _name == "ablationcam" else CamParams,
                              perturbs=_perturbs, libraries=LIBRARIES, family="cam", title=TITLES[_name],
                              batch_class=_cls if _name in BATCHABLE else None)(cam_method(_cls))


class SmoothCamParams(Params):
    samples: int = Field(default=16, ge=1, le=256, description="noisy copies of the view")
    sigma: float = Field(default=0.15, gt=0, le=1, description="noise standard deviation as a share of the pixel range")


@SALIENCY_METHODS.register("smoothgradcam++", aliases=("smooth-gradcam++", "smoothgradcampp", "smooth-grad-cam++"),
                           params=SmoothCamParams, perturbs=True, libraries=LIBRARIES, family="cam", title="Smooth Grad-CAM++",
                           description="Grad-CAM++ with gradients averaged over noisy copies of the view")
def smooth_gradcam_pp(ctx: MethodContext) -> tuple[np.ndarray, dict[str, Any]]:
    """Smooth Grad-CAM++ (Omeiza et al. 2019): Grad-CAM++'s weights from the first, second and third
    powers of the target layer's gradients averaged over `samples` noisy copies, applied to the
    activations of the view itself. Copies go through the model in batches of the scorer's size,
    with grad-cam's own activation/gradient hooks."""
    import cv2
    import torch
    from pytorch_grad_cam.activations_and_gradients import ActivationsAndGradients
    from pytorch_grad_cam.utils.image import scale_cam_image

    p: SmoothCamParams = ctx.params
    if ctx.clf.target_layer is None:
        raise UserError(f"{ctx.clf.name}: no target layer for CAM methods; set model.target_layer (--layer)")
    rng = np.random.default_rng(ctx.seed)
    views = [ctx.view] + [np.clip(ctx.view + rng.normal(0, p.sigma, ctx.view.shape), 0, 1).astype(np.float32)
                          for _ in range(p.samples)]
    hooks = ActivationsAndGradients(ctx.clf.model, [ctx.clf.target_layer], ctx.clf.reshape_transform, detach=True)
    sums: list[Any] = [0.0, 0.0, 0.0]
    original = None
    try:
        with count_forward_passes(ctx.clf.model) as passes, torch.enable_grad():
            for start in range(0, len(views), ctx.scorer.batch_size):
                chunk = views[start : start + ctx.scorer.batch_size]
                out = hooks(ctx.clf.to_tensor(chunk))
                ctx.clf.model.zero_grad()
                out[:, ctx.target].sum().backward()
                grads = hooks.gradients[0].cpu().numpy().astype(np.float64)
                acts = hooks.activations[0].cpu().numpy().astype(np.float64)
                if start == 0:
                    original, grads = acts[0], grads[1:]  # the view itself: activations only
                for i, power in enumerate((1, 2, 3)):
                    sums[i] = sums[i] + (grads**power).sum(axis=0)
                if ctx.progress:
                    ctx.progress(min(start + len(chunk), len(views)), len(views))
    finally:
        hooks.release()
    ctx.scorer.stats.forward_passes += passes[0]
    g1, g2, g3 = (s / p.samples for s in sums)
    assert original is not None
    sum_a = original.sum(axis=(1, 2), keepdims=True)
    alpha = np.where(g1 != 0, g2 / (2 * g2 + sum_a * g3 + 1e-6), 0.0)  # Grad-CAM++ eq. 19, averaged powers
    weights = (np.maximum(g1, 0) * alpha).sum(axis=(1, 2))
    cam = np.maximum((weights[:, None, None] * original).sum(axis=0), 0)
    h, w = ctx.view.shape[:2]
    cam = scale_cam_image([cam], (w, h))[0] if cam.max() > 0 else cv2.resize(cam, (w, h))
    return cam.astype(np.float32), {"target_layer": ctx.clf.target_layer_name, "samples": p.samples, "sigma": p.sigma,
                                    "batch_size": ctx.scorer.batch_size, "forward_passes": passes[0]}

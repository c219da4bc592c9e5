"""The CAM family, through pytorch-grad-cam: one registration per CAM class it offers.

grad-cam runs the model itself (forward and backward with hooks on the target layer), so its
forward passes are counted with a hook and added to the scorer's counters.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from verbalize.core.errors import UserError
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


def cam_method(cam_class_name: str) -> MethodFn:
    """A method running grad-cam's `cam_class_name` on the classifier's target layer."""

    def run(ctx: MethodContext) -> tuple[np.ndarray, dict[str, Any]]:
        import pytorch_grad_cam as gc
        import torch
        from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

        cam_class = getattr(gc, cam_class_name)
        if ctx.clf.target_layer is None:
            raise UserError(f"{ctx.clf.name}: no target layer for CAM methods; name one with layer= (Python), --layer (CLI) or model.target_layer (config), or use a perturbation method")
        x = ctx.clf.to_tensor(ctx.view[None])
        params: dict[str, Any] = {"target_layer": ctx.clf.target_layer_name}
        with count_forward_passes(ctx.clf.model) as passes, torch.enable_grad(), cam_class(
            model=ctx.clf.model, target_layers=[ctx.clf.target_layer], reshape_transform=ctx.clf.reshape_transform
        ) as cam:
            if hasattr(cam, "batch_size"):
                cam.batch_size = ctx.params.batch_size or ctx.scorer.batch_size
                params["batch_size"] = cam.batch_size
            grayscale = cam(input_tensor=x, targets=[ClassifierOutputTarget(ctx.target)])
        params["forward_passes_inside_grad_cam"] = passes[0]
        ctx.scorer.stats.forward_passes += passes[0]
        return np.asarray(grayscale[0], dtype=np.float32), params

    return run


_CAMS = {
    # name: (grad-cam class, aliases, perturbs, description)
    "gradcam": ("GradCAM", ("grad-cam",), False, "gradient-weighted class activation map"),
    "gradcam++": ("GradCAMPlusPlus", ("gradcampp", "grad-cam++"), False, "Grad-CAM with second-order weights"),
    "eigencam": ("EigenCAM", ("eigen-cam",), False, "first principal component of the activations"),
    "scorecam": ("ScoreCAM", ("score-cam",), True, "activation maps weighted by the score of masked copies"),
    "layercam": ("LayerCAM", ("layer-cam",), False, "element-wise gradient x activation"),
}

for _name, (_cls, _aliases, _perturbs, _description) in _CAMS.items():
    SALIENCY_METHODS.register(_name, description=_description, aliases=_aliases, params=CamParams,
                              perturbs=_perturbs, libraries=LIBRARIES, family="cam")(cam_method(_cls))

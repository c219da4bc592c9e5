"""Layer-wise relevance propagation through zennit (the "Salient Relevance" maps start from LRP).

zennit rewrites the backward pass of each layer by a rule (a *composite*); its canonizers first
fold batch norms into the convolutions before them, which LRP's rules assume. We support the CNNs
whose layers zennit has rules for (convolutions, linear layers, batch norms, pooling, ReLU-like
activations). A model with attention, layer norms or other layers without a rule is refused in one
line rather than given a map that looks plausible and is not LRP.
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
    count_forward_passes,
)
from verbalize.pipeline.image.methods.gradients import pixel_model, to_map, view_tensor


class LrpParams(Params):
    composite: Literal["epsilon-plus-flat", "epsilon-gamma-box", "epsilon-alpha2-beta1-flat"] = Field(
        default="epsilon-plus-flat", description="zennit composite: the rule for each kind of layer")


UNSUPPORTED = ("MultiheadAttention", "LayerNorm", "GroupNorm", "Attention", "Embedding")


def check_supported(model: Any, name: str) -> None:
    """One line naming the first layer LRP has no rule for (transformers and friends)."""
    for module_name, module in model.named_modules():
        kind = type(module).__name__
        if any(u in kind for u in UNSUPPORTED):
            raise UserError(f"{name}: LRP supports CNNs only; {module_name or 'the model'} is a {kind}, "
                            "which has no LRP rule here (use integrated-gradients or a CAM)")


@SALIENCY_METHODS.register("lrp", params=LrpParams, libraries=("torch", "zennit"), family="backprop", title="LRP",
                           description="layer-wise relevance propagation (zennit composites, CNNs only)")
def lrp(ctx: MethodContext) -> tuple[np.ndarray, dict[str, Any]]:
    import torch
    from zennit.attribution import Gradient
    from zennit.canonizers import SequentialMergeBatchNorm
    from zennit.composites import EpsilonAlpha2Beta1Flat, EpsilonGammaBox, EpsilonPlusFlat

    p: LrpParams = ctx.params
    check_supported(ctx.clf.model, ctx.clf.name)
    model = pixel_model(ctx)
    canonizers = [SequentialMergeBatchNorm()]
    if p.composite == "epsilon-gamma-box":
        composite: Any = EpsilonGammaBox(low=0.0, high=1.0, canonizers=canonizers)
    elif p.composite == "epsilon-alpha2-beta1-flat":
        composite = EpsilonAlpha2Beta1Flat(canonizers=canonizers)
    else:
        composite = EpsilonPlusFlat(canonizers=canonizers)
    x = view_tensor(ctx).requires_grad_(True)
    with torch.no_grad():
        n_classes = int(model(x).shape[1])
    one_hot = torch.eye(n_classes, device=x.device)[[ctx.target]]
    with count_forward_passes(ctx.clf.model) as passes, torch.enable_grad(), Gradient(model, composite) as attributor:
        _, relevance = attributor(x, one_hot)
    ctx.scorer.stats.forward_passes += passes[0] + 1
    m = to_map(relevance)
    if not np.isfinite(m).all():
        raise UserError(f"{ctx.clf.name}: LRP gave non-finite relevance with {p.composite}; try another composite")
    return m, {"composite": p.composite, "canonizers": ["SequentialMergeBatchNorm"], "forward_passes": passes[0] + 1}

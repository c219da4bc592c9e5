"""`--method best`: run several methods on this very image and keep the most faithful map.

No peer tells a user which of its many methods to trust for a given input; "Which explanation
should I choose?" argues for choosing by faithfulness. Every candidate's map is scored through the
same batched scorer on three curves — deletion AUC (lower is better), insertion AUC (higher) and a
ROAD-style removal score (higher) — and ranked by **insertion AUC − deletion AUC** (ties: the
order of the candidates). The ranking is recorded in the attribution's params and in the fact
sheet, so the words about it can be checked.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from verbalize.core.errors import UserError
from verbalize.eval.localization import deletion_insertion, road_curve
from verbalize.pipeline.image.methods.base import (
    SALIENCY_METHODS,
    MethodContext,
    Params,
    baseline,
    method_entry,
    method_params,
)

DEFAULT_CANDIDATES = ("gradcam", "gradcam++", "integrated-gradients", "occlusion")


class BestParams(Params):
    candidates: list[str] = Field(default_factory=lambda: list(DEFAULT_CANDIDATES), min_length=1, max_length=16,
                                  description="methods to compare (each with its own config section)")
    curve_steps: int = Field(default=20, ge=2, le=100, description="steps of the deletion/insertion curves "
                             "(20, like the fact sheet's, so the winner's AUCs are the sheet's)")
    fill: str = Field(default="blur", description="what deleted pixels become (blur, mean, zero)")


def method_title(name: str) -> str:
    """How a method is named in words: its registered title, else its name."""
    entry = method_entry(name)
    return str(entry.meta.get("title") or entry.name)


@SALIENCY_METHODS.register("best", params=BestParams, perturbs=True, family="selection", title="the most faithful map",
                           description="run the candidates, keep the map with the best insertion − deletion AUC")
def best(ctx: MethodContext) -> tuple[np.ndarray, dict[str, Any]]:
    p: BestParams = ctx.params
    wanted = (ctx.config.candidates if ctx.config is not None and ctx.config.candidates else None) or p.candidates
    names = list(dict.fromkeys(method_entry(c).name for c in wanted))
    if "best" in names:
        raise UserError("saliency.best.candidates cannot include 'best' itself")
    config = ctx.config
    if config is None:
        raise UserError("method 'best' needs the saliency config to find its candidates' parameters")
    fill = baseline(ctx.view, p.fill)
    maps: dict[str, np.ndarray] = {}
    ranking: list[dict[str, Any]] = []
    for n, name in enumerate(names):
        entry = method_entry(name)
        sub = MethodContext(ctx.clf, ctx.view, ctx.target, ctx.scorer, method_params(config, name), ctx.seed, None, config)
        before = ctx.scorer.stats.forward_passes
        view_map, used = entry.obj(sub)
        view_map = np.nan_to_num(np.asarray(view_map, dtype=np.float32))
        curves = deletion_insertion(ctx.scorer, ctx.view, view_map, ctx.target, fill, steps=p.curve_steps)
        road = road_curve(ctx.scorer, ctx.view, view_map, ctx.target, seed=ctx.seed)
        d, i = float(curves["deletion_auc"]), float(curves["insertion_auc"])  # type: ignore[arg-type]
        ranking.append({"method": name, "title": method_title(name), "insertion_auc": round(i, 4),
                        "deletion_auc": round(d, 4), "road": round(float(road["road"]), 4),  # type: ignore[arg-type]
                        "score": round(i - d, 4), "params": used,
                        "forward_passes": ctx.scorer.stats.forward_passes - before})
        maps[name] = view_map
        if ctx.progress:
            ctx.progress(n + 1, len(names))
    ranking.sort(key=lambda r: -r["score"])  # stable: ties keep the candidates' order
    chosen = ranking[0]["method"]
    return maps[chosen], {"chosen": chosen, "ranked_by": "insertion_auc - deletion_auc", "ranking": ranking,
                          "candidates": names, "curve_steps": p.curve_steps, "fill": p.fill}

"""`--methods best` for texts: run the candidate methods and keep the most faithful explanation.

Faithfulness on this very text, through the classifier's scorer (so perturbations shared by the
candidates are scored once): comprehensiveness (higher = removing the top tokens hurts more) and
sufficiency (lower = the top tokens alone keep the prediction). Candidates are ranked by
comprehensiveness − sufficiency; ties keep the candidates' order. Gradient methods join the default
candidates when the classifier is local.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from verbalize.core.errors import UserError
from verbalize.eval.faithfulness import faithfulness_report
from verbalize.pipeline.text.methods.base import TEXT_METHODS, Params, TextMethodContext

PERTURBATION_CANDIDATES = ("occlusion", "lime", "shap")
GRADIENT_CANDIDATES = ("inputxgradient", "integrated-gradients")


class TextBestParams(Params):
    candidates: list[str] | None = Field(default=None, max_length=16, description="methods to compare (default: "
                                         "occlusion, lime, shap, plus gradient methods on local models)")


def default_candidates(classifier: Any) -> list[str]:
    local = classifier is not None and (
        "shared_prefix" in getattr(getattr(classifier, "backend", None), "capabilities", ())
        or hasattr(getattr(classifier, "model", None), "get_input_embeddings"))
    return [*PERTURBATION_CANDIDATES, *(GRADIENT_CANDIDATES if local else ())]


@TEXT_METHODS.register("best", params=TextBestParams, perturbs=True,
                       description="run the candidates, keep the best comprehensiveness − sufficiency")
def best(ctx: TextMethodContext) -> tuple[np.ndarray, dict[str, Any]]:
    names = [TEXT_METHODS.canonical(c) for c in (ctx.params.candidates or default_candidates(ctx.classifier))]
    if "best" in names:
        raise UserError("the candidates of 'best' cannot include 'best' itself")
    ranking: list[dict[str, Any]] = []
    maps: dict[str, np.ndarray] = {}
    for name in dict.fromkeys(names):
        entry = TEXT_METHODS.get(name)
        sub = TextMethodContext(ctx.scorer, ctx.tokens, ctx.target, ctx.labels, ctx.seed, ctx.lime_samples,
                                ctx.shap_max_evals, ctx.units, None, classifier=ctx.classifier,
                                params=entry.parse_params({}, f"method {name}"))
        scores, _ = entry.obj(sub)
        scores = np.nan_to_num(np.asarray(scores, dtype=float))
        report = faithfulness_report(ctx.scorer, list(ctx.tokens), scores, ctx.target)
        comp, suff = float(report["comprehensiveness"]), float(report["sufficiency"])
        ranking.append({"method": name, "comprehensiveness": round(comp, 4), "sufficiency": round(suff, 4),
                        "score": round(comp - suff, 4)})
        maps[name] = scores
    ranking.sort(key=lambda r: -r["score"])
    chosen = ranking[0]["method"]
    return maps[chosen], {"chosen": chosen, "ranked_by": "comprehensiveness - sufficiency", "ranking": ranking}

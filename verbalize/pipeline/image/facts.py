"""The fact sheet: only numbers computed from the model, so every verbalization can be checked.

Values are rounded to 4 decimals once, here, so that what a verbalizer prints and what the
verifier compares against are the same numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from verbalize.core.scoring import Scorer
from verbalize.core.types import Prediction
from verbalize.eval.localization import deletion_insertion, deletion_insertion_inputs
from verbalize.pipeline.image.types import GRID_WORDS, FactSheet, RegionFacts, Segment

if TYPE_CHECKING:  # torch only when a sheet is built (the verifier reads GRID_WORDS from types)
    from verbalize.adapters.vision import Geometry



def _r(x: float) -> float:
    return round(float(x), 4)


def saliency_grid(saliency: np.ndarray) -> np.ndarray:
    """Share of the positive saliency mass in each cell of a 3 x 3 grid (rows top to bottom)."""
    pos = np.clip(saliency, 0, None)
    h, w = pos.shape
    ys, xs = np.linspace(0, h, 4).round().astype(int), np.linspace(0, w, 4).round().astype(int)
    cells = np.array([[pos[ys[r] : ys[r + 1], xs[c] : xs[c + 1]].sum() for c in range(3)] for r in range(3)])
    total = cells.sum()
    return cells / total if total > 0 else np.full((3, 3), 1 / 9)


def salient_bbox(saliency: np.ndarray, threshold: float = 0.5) -> list[int]:
    """[x0, y0, x1, y1] around pixels at or above `threshold` x the map's maximum."""
    peak = float(saliency.max())
    if peak <= 0:
        return [0, 0, saliency.shape[1], saliency.shape[0]]
    ys, xs = np.nonzero(saliency >= threshold * peak)
    return [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]


def keep_and_remove(segment: Segment, *, view: np.ndarray, geometry: Geometry,
                    background: np.ndarray) -> list[np.ndarray]:
    """[the view with only the segment kept, the view with the segment removed]: the counterfactuals."""
    m = (geometry.to_view(np.asarray(segment.mask, dtype=np.float32)) >= 0.5)[..., None]
    return [np.where(m, view, background).astype(np.float32), np.where(m, background, view).astype(np.float32)]


def fact_sheet_inputs(*, view: np.ndarray, view_map: np.ndarray, geometry: Geometry, fill: str, curve_steps: int,
                      segments: list[Segment]) -> list[np.ndarray]:
    """Every perturbed view `build_fact_sheet` scores, so a batch of images can score theirs in shared
    passes ahead of time (`ImageExplainer.explain_many`) and each sheet then finds them in its scorer's memo."""
    from verbalize.pipeline.image.methods import baseline

    background = baseline(view, fill)
    inputs = keep_and_remove(segments[0], view=view, geometry=geometry, background=background)
    inputs += deletion_insertion_inputs(view, view_map, background, curve_steps)
    if len(segments) > 1:
        inputs += [x for s in segments for x in keep_and_remove(s, view=view, geometry=geometry, background=background)]
    return inputs


def region_facts(*, segments: list[Segment], saliency: np.ndarray, view: np.ndarray, geometry: Geometry,
                 scorer: Scorer[np.ndarray], target: int, background: np.ndarray) -> list[RegionFacts]:
    """Per segment: location, share of the positive saliency, area, p(label) kept alone / removed (one scorer call)."""
    pos = np.clip(saliency, 0, None)
    total = float(pos.sum())
    inputs = [x for seg in segments for x in keep_and_remove(seg, view=view, geometry=geometry, background=background)]
    out = []
    probs = scorer(inputs)[:, target] if inputs else np.zeros(0)
    for i, seg in enumerate(segments):
        mask = np.asarray(seg.mask, dtype=bool)
        inside = np.where(mask, pos, 0.0)
        grid = saliency_grid(inside) if inside.sum() > 0 else saliency_grid(mask.astype(np.float64))
        r, c = np.unravel_index(int(np.argmax(grid)), grid.shape)
        out.append(RegionFacts(
            location=GRID_WORDS[r][c], saliency_share=_r(inside.sum() / total if total > 0 else 0.0),
            area=_r(seg.area_fraction), p_only=_r(probs[2 * i]), p_removed=_r(probs[2 * i + 1]),
            bbox_xyxy=list(seg.bbox_xyxy), method=seg.method))
    return out


def build_fact_sheet(*, prediction: Prediction, saliency: np.ndarray, segment: Segment, view: np.ndarray,
                     view_map: np.ndarray, geometry: Geometry, scorer: Scorer[np.ndarray], fill: str,
                     curve_steps: int, threshold: float = 0.5, predicted: bool = True,
                     segments: list[Segment] | None = None) -> tuple[FactSheet, dict[str, object]]:
    """Compute the sheet; also return the deletion/insertion curves for plots and reports.

    With two or more `segments` (several salient objects), `regions` gets one entry per segment.
    """
    from verbalize.pipeline.image.methods import baseline  # imports torch: only when a sheet is built

    target = prediction.class_index
    grid = saliency_grid(saliency)
    r, c = np.unravel_index(int(np.argmax(grid)), grid.shape)
    pos = np.clip(saliency, 0, None)
    mask = np.asarray(segment.mask, dtype=bool)
    in_segment = pos[mask].sum() / pos.sum() if pos.sum() > 0 else 0.0
    peak = np.unravel_index(int(np.argmax(saliency)), saliency.shape)

    background = baseline(view, fill)
    p_only, p_removed = scorer(keep_and_remove(segment, view=view, geometry=geometry, background=background))[:, target]
    curves = deletion_insertion(scorer, view, view_map, target, background, steps=curve_steps)
    regions = region_facts(segments=segments, saliency=saliency, view=view, geometry=geometry, scorer=scorer,
                           target=target, background=background) if segments and len(segments) > 1 else []

    sheet = FactSheet(
        label=prediction.label,
        class_index=target,
        probability=_r(prediction.probability),
        alternatives=[a.model_copy(update={"probability": _r(a.probability)}) for a in prediction.alternatives[:5]],
        predicted=predicted,
        saliency_region=GRID_WORDS[r][c],
        saliency_grid=[[_r(v) for v in row] for row in grid],
        saliency_bbox_xyxy=salient_bbox(saliency, threshold),
        saliency_peak_xy=[int(peak[1]), int(peak[0])],
        segment_method=segment.method,
        saliency_in_segment=_r(in_segment),
        segment_area=_r(segment.area_fraction),
        p_segment_only=_r(p_only),
        p_segment_removed=_r(p_removed),
        fill=fill,
        deletion_auc=_r(float(curves["deletion_auc"])),  # type: ignore[arg-type]
        insertion_auc=_r(float(curves["insertion_auc"])),  # type: ignore[arg-type]
        image_width=int(saliency.shape[1]),
        image_height=int(saliency.shape[0]),
        regions=regions,
    )
    return sheet, curves

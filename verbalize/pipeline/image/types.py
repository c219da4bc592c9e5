"""The image journey's data model: the segment, the fact sheet, the input's info and the whole `Explanation`.

Arrays (masks) ride along for the pipeline's use but are kept out of the JSON; see
`verbalize.core.types` for the shared types (Prediction, Attribution, Claim, Verification …).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from verbalize.core.types import Attribution, ClassScore, Model, Prediction, Provenance, Verbalization


class Segment(Model):
    """The salient object's mask and how it was found. `method` is 'sam' or 'grabcut', never blurred."""

    method: Literal["sam", "grabcut"]
    mask: Any = Field(default=None, exclude=True)
    score: float | None = Field(default=None, description="SAM's predicted IoU; None for GrabCut")
    area_fraction: float
    bbox_xyxy: list[int]
    prompt_points_xy: list[list[int]] = Field(default_factory=list)
    prompt_box_xyxy: list[int] | None = None
    model: str | None = Field(default=None, description="SAM variant and checkpoint file")
    seconds: float = 0.0


class MethodScore(Model):
    """One candidate map of `--method best` and how faithful it was on this image."""

    method: str
    title: str = Field(description="the method's name in words, e.g. 'Integrated Gradients'")
    insertion_auc: float
    deletion_auc: float
    road: float = Field(description="mean drop in p(label) as the most salient 10…50% are imputed away")
    score: float = Field(description="insertion AUC − deletion AUC: what the ranking orders by")


class FactSheet(Model):
    """Only numbers computed from the model: the ground truth every verbalization is checked against."""

    label: str
    class_index: int
    probability: float
    alternatives: list[ClassScore]
    saliency_region: str = Field(description="3x3 grid cell holding most positive saliency, e.g. 'upper left'")
    saliency_grid: list[list[float]] = Field(description="share of positive saliency per 3x3 cell, rows top to bottom")
    saliency_bbox_xyxy: list[int]
    saliency_peak_xy: list[int]
    segment_method: str
    saliency_in_segment: float = Field(description="share of positive saliency mass inside the segment")
    segment_area: float = Field(description="segment area as a share of the image")
    p_segment_only: float = Field(description="p(label) with only the segment kept")
    p_segment_removed: float = Field(description="p(label) with the segment removed")
    fill: str
    deletion_auc: float
    insertion_auc: float
    image_width: int
    image_height: int
    method: str | None = Field(default=None, description="the saliency method whose map this sheet describes")
    method_ranking: list[MethodScore] = Field(
        default_factory=list, description="--method best: every candidate's faithfulness, most faithful first")


class ImageInfo(Model):
    path: str | None
    width: int
    height: int
    sha256: str
    mode: str = Field(description="the file's original PIL mode, before conversion to RGB")


class Localization(Model):
    """How well the map points at what the user marked (`--box` / `--mask`; a manifest's `box`)."""

    box_xyxy: list[int] | None = Field(default=None, description="the given box, original pixels, x1/y1 exclusive")
    mask: str | None = Field(default=None, description="the given mask file, when a mask was given")
    area: float = Field(description="the marked region's share of the image")
    pointing_game: bool = Field(description="the map's maximum lies inside the marked region (Zhang et al.)")
    relevance_mass: float = Field(description="share of the positive saliency inside the marked region (Arras et al.)")


class Explanation(Model):
    """Everything `verbalize explain` knows about one image, as written to explanation.json."""

    image: ImageInfo
    prediction: Prediction
    attribution: Attribution
    segment: Segment
    facts: FactSheet
    verbalizations: list[Verbalization]
    timings: dict[str, float]
    provenance: Provenance
    localization: Localization | None = None

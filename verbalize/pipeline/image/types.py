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

    method: Literal["sam", "sam2", "grabcut"]
    mask: Any = Field(default=None, exclude=True)
    score: float | None = Field(default=None, description="SAM's predicted IoU; None for GrabCut")
    area_fraction: float
    bbox_xyxy: list[int]
    prompt_points_xy: list[list[int]] = Field(default_factory=list)
    prompt_box_xyxy: list[int] | None = None
    prompt_negative_xy: list[list[int]] = Field(default_factory=list, description="background clicks (label 0), x then y")
    rounds: int = Field(default=1, description="refinement rounds run (1: no refinement)")
    stop_reason: str = Field(default="single round", description="'single round', 'converged' or 'round limit'")
    round_ious: list[float] = Field(default_factory=list, description="IoU of each round's mask with the previous one")
    model: str | None = Field(default=None, description="SAM variant and checkpoint file")
    seconds: float = 0.0


class RegionFacts(Model):
    """One of several salient objects: where it is, how much of the evidence it holds, what it does to p(label)."""

    location: str = Field(description="3x3 grid cell holding most of the positive saliency inside this segment")
    saliency_share: float = Field(description="share of all positive saliency inside this segment")
    area: float = Field(description="segment area as a share of the image")
    p_only: float = Field(description="p(label) with only this segment kept")
    p_removed: float = Field(description="p(label) with this segment removed")
    bbox_xyxy: list[int]
    method: str


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
    regions: list[RegionFacts] = Field(default_factory=list,
                                       description="one entry per salient object when several were segmented, strongest first")


class ImageInfo(Model):
    path: str | None
    width: int
    height: int
    sha256: str
    mode: str = Field(description="the file's original PIL mode, before conversion to RGB")


class Explanation(Model):
    """Everything `verbalize explain` knows about one image, as written to explanation.json."""

    image: ImageInfo
    prediction: Prediction
    attribution: Attribution
    segment: Segment
    segments: list[Segment] = Field(default_factory=list,
                                    description="every segment when several salient objects were segmented; `segment` is the first")
    facts: FactSheet
    verbalizations: list[Verbalization]
    timings: dict[str, float]
    provenance: Provenance

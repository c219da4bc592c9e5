"""The image journey's data model: the segment, the fact sheet, the input's info and the whole `Explanation`.

Arrays (masks) ride along for the pipeline's use but are kept out of the JSON; see
`verbalize.core.types` for the shared types (Prediction, Attribution, Claim, Verification …).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field

from verbalize.core.types import Attribution, ClassScore, Model, Prediction, Provenance, Verbalization


class Segment(Model):
    """The salient object's mask and how it was found. `method` is 'sam', 'sam2' or 'grabcut', never blurred."""

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


GRID_WORDS = [
    ["upper left", "upper centre", "upper right"],
    ["centre left", "centre", "centre right"],
    ["lower left", "lower centre", "lower right"],
]
"""The names of the 3 x 3 saliency grid's cells, rows top to bottom (here, not in facts.py, so that the
verifier can use them without importing torch)."""


class MethodScore(Model):
    """One candidate map of `--method best` and how faithful it was on this image."""

    method: str
    title: str = Field(description="the method's name in words, e.g. 'Integrated Gradients'")
    insertion_auc: float
    deletion_auc: float
    road: float = Field(description="mean drop in p(label) as the most salient 10…50% are imputed away")
    score: float = Field(description="insertion AUC − deletion AUC: what the ranking orders by")


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
    predicted: bool = Field(default=True, description="False when a chosen class (target=), not the prediction, is "
                            "explained; then `label` is that class and the alternatives start with the prediction")
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
    regions: list[RegionFacts] = Field(default_factory=list,
                                       description="one entry per salient object when several were segmented, strongest first")

    def ranking(self) -> list[str]:
        """The classes on the sheet as the model ranks them, its prediction first. With a chosen class
        (`predicted` False) that class sits where its probability puts it, not first."""
        if self.predicted:
            return [self.label, *(a.label for a in self.alternatives)]
        pairs = [(self.probability, self.label), *((a.probability, a.label) for a in self.alternatives)]
        return [name for _, name in sorted(pairs, key=lambda p: -p[0])]


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
    segments: list[Segment] = Field(default_factory=list,
                                    description="every segment when several salient objects were segmented; `segment` is the first")
    facts: FactSheet
    verbalizations: list[Verbalization]
    timings: dict[str, float]
    provenance: Provenance
    localization: Localization | None = None
    pixels: Any = Field(default=None, exclude=True, repr=False,
                        description="the RGB image (H x W x 3 uint8) explained; kept in memory only")

    @property
    def saliency(self) -> np.ndarray | None:
        """The signed saliency map, H x W float32 at the image's resolution (None when read back from JSON)."""
        return None if self.attribution.scores is None else np.asarray(self.attribution.scores, dtype=np.float32)

    @property
    def mask(self) -> np.ndarray | None:
        """The segment mask, H x W bool (None when read back from JSON)."""
        return None if self.segment.mask is None else np.asarray(self.segment.mask, dtype=bool)

    def __repr__(self) -> str:
        fids = ", ".join(f"{v.verbalizer} {v.verification.fidelity:.2f}" if v.verification and v.verification.fidelity
                         is not None else f"{v.verbalizer} n/a" for v in self.verbalizations)
        return (f"Explanation({self.prediction.label!r} p={self.prediction.probability:.3f}, "
                f"target={self.attribution.target_label!r}, method={self.attribution.method!r}, "
                f"segment={self.segment.method!r} {self.facts.segment_area:.0%}, model={self.provenance.model!r}, "
                f"image={self.image.width}x{self.image.height}, fidelity: {fids or 'none'})")

    __str__ = __repr__

    def _repr_html_(self) -> str:
        from verbalize.pipeline.image.notebook import explanation_html

        return explanation_html(self)

    def plot(self, *, sign: str = "all") -> Any:
        """A matplotlib figure: image, saliency map (sign="all": red for, blue against) and segment."""
        from verbalize.pipeline.image.notebook import explanation_figure

        return explanation_figure(self, sign=sign)

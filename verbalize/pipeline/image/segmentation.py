"""Saliency map -> prompts -> the salient object's mask, as a `Segment`.

The map says where the classifier looked; a segmenter turns that into an object outline. The
prompts are deliberately simple and inspectable (they are recorded on the `Segment`):

- points: the strongest positive pixels, spread apart by non-maximum suppression: after taking
  a peak, nothing closer than `point_min_distance` x the image's longer side may be taken. Only
  pixels at or above `threshold` x the map's maximum qualify, so a weak second "peak" in the
  background never becomes a positive click. Up to `points` of them, as (x, y) = (column, row)
  in original-image pixels.
- box (when `use_box`): the bounding box of the thresholded map's connected pieces that hold
  the chosen points. Not the largest piece, since a point outside its own box would contradict
  it; not every piece, since a stray speck far away would stretch the box over the background.
  [x0, y0, x1, y1] with x1, y1 one past the last pixel, like `facts.salient_bbox`.

Which segmenter: `kind="sam"` needs a checkpoint; `kind="auto"` uses SAM when one is configured
(`segmenter.sam_checkpoint`, `VERBALIZE_SAM_CHECKPOINT`) or pulled (`verbalize models pull`), and
saliency-seeded GrabCut otherwise. Build it once with `make_segmenter` and pass it in for many
images: SAM's weights load once.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import cv2
import numpy as np

from verbalize.adapters import model_store
from verbalize.adapters.segmenters import (
    SAM_MISSING_HINT,
    GrabCutSegmenter,
    MaskResult,
    Prompts,
    SamSegmenter,
    Segmenter,
    thresholded_region,
)
from verbalize.core.config import SegmenterConfig
from verbalize.core.errors import UserError
from verbalize.pipeline.image.types import Segment

log = logging.getLogger(__name__)


def nms_points(saliency: np.ndarray, n: int, min_distance_px: float, threshold: float = 0.0) -> np.ndarray:
    """Up to `n` peaks of the positive map, pairwise at least `min_distance_px` apart, as (x, y).

    Greedy: take the maximum, blank a disc of radius `min_distance_px` around it, repeat. Peaks
    below `threshold` x the maximum (or not positive) are never taken. Ties go to the first pixel
    in row-major order, so results are deterministic. Returns an (k, 2) int array, k <= n.
    """
    work = np.nan_to_num(np.asarray(saliency, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    if work.ndim != 2:
        raise ValueError(f"saliency must be H x W, got shape {work.shape}")
    peak = float(work.max()) if work.size else 0.0
    if peak <= 0 or n <= 0:
        return np.zeros((0, 2), np.int64)
    floor = max(threshold * peak, np.finfo(np.float64).tiny)
    h, w = work.shape
    r = max(float(min_distance_px), 1.0)
    ri = int(np.ceil(r))
    points: list[tuple[int, int]] = []
    for _ in range(n):
        idx = int(np.argmax(work))
        y, x = divmod(idx, w)
        if work[y, x] < floor:
            break
        points.append((x, y))
        y0, y1, x0, x1 = max(0, y - ri), min(h, y + ri + 1), max(0, x - ri), min(w, x + ri + 1)
        yy, xx = np.ogrid[y0:y1, x0:x1]
        work[y0:y1, x0:x1][(yy - y) ** 2 + (xx - x) ** 2 < r * r] = -np.inf
    return np.array(points, dtype=np.int64).reshape(-1, 2)


def prompt_box(saliency: np.ndarray, points_xy: np.ndarray, threshold: float) -> np.ndarray | None:
    """[x0, y0, x1, y1] (x1, y1 exclusive) around the thresholded pieces holding `points_xy`."""
    region = thresholded_region(saliency, threshold, points_xy)
    return None if not region.any() else np.array(mask_bbox(region), dtype=np.int64)


def make_prompts(saliency: np.ndarray, config: SegmenterConfig) -> Prompts:
    """Points (and optionally a box) for a map at the original image's resolution."""
    h, w = np.asarray(saliency).shape
    points = nms_points(saliency, config.points, config.point_min_distance * max(h, w), config.threshold)
    box = prompt_box(saliency, points, config.threshold) if config.use_box and len(points) else None
    return Prompts(points_xy=points, box_xyxy=box, threshold=config.threshold)


def mask_bbox(mask: np.ndarray) -> list[int]:
    """[x0, y0, x1, y1] of a boolean mask, x1 and y1 exclusive; [0, 0, 0, 0] for an empty mask."""
    x, y, bw, bh = cv2.boundingRect(np.asarray(mask, dtype=np.uint8))
    return [int(x), int(y), int(x + bw), int(y + bh)] if bw and bh else [0, 0, 0, 0]


def resolve_checkpoint(config: SegmenterConfig) -> Path | None:
    """The SAM checkpoint to use: config, then VERBALIZE_SAM_CHECKPOINT, then a pulled one.

    A path that is configured but missing is the user's mistake and is reported, not skipped:
    silently falling back to GrabCut would hide it.
    """
    configured = config.sam_checkpoint or os.environ.get("VERBALIZE_SAM_CHECKPOINT")
    if configured:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise UserError(f"{path}: SAM checkpoint not found ({SAM_MISSING_HINT})")
        return path
    return model_store.find_checkpoint(config.sam_model_type)


def make_segmenter(config: SegmenterConfig, *, device: str = "cpu", seed: int = 0) -> Segmenter:
    """Build the configured segmenter once; reuse it across images (SAM loads its weights here)."""
    if config.kind == "grabcut":
        return GrabCutSegmenter(seed=seed)
    checkpoint = resolve_checkpoint(config)
    if checkpoint is None:
        if config.kind == "sam":
            raise UserError(f"segmenter: SAM checkpoint not found ({SAM_MISSING_HINT})")
        return GrabCutSegmenter(seed=seed)
    return SamSegmenter(checkpoint=checkpoint, model_type=config.sam_model_type, device=device)


def segment_salient_object(image_rgb: np.ndarray, saliency: np.ndarray, config: SegmenterConfig,
                           segmenter: Segmenter | None = None) -> Segment:
    """Segment the object the saliency map points at; the `Segment` names the method that did it.

    `image_rgb` is H x W x 3 uint8 and `saliency` H x W at the same resolution (higher = more
    salient). A map with no positive value gives no prompts and an empty mask: there is nothing
    the model pointed at, and inventing an object would be worse than saying so.
    """
    start = time.perf_counter()
    image = np.asarray(image_rgb)
    sal = np.asarray(saliency, dtype=np.float64)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"image must be H x W x 3 uint8, got {image.shape} {image.dtype}")
    if sal.shape != image.shape[:2]:
        raise ValueError(f"saliency {sal.shape} and image {image.shape[:2]} differ in size")
    seg = segmenter if segmenter is not None else make_segmenter(config)
    prompts = make_prompts(sal, config)
    if len(prompts.points_xy) == 0:
        log.warning("saliency map has no positive values: no object to segment")
        result = MaskResult(mask=np.zeros(sal.shape, bool), score=None, used_box=False,
                            note="no positive saliency; nothing segmented")
    else:
        result = seg.segment(image, sal, prompts)
    mask = np.asarray(result.mask, dtype=bool)
    model = seg.name if result.note is None else f"{seg.name}; {result.note}"
    return Segment(
        method=seg.method,
        mask=mask,
        score=result.score,
        area_fraction=float(mask.mean()),
        bbox_xyxy=mask_bbox(mask),
        prompt_points_xy=[[int(x), int(y)] for x, y in prompts.points_xy],
        prompt_box_xyxy=[int(v) for v in prompts.box_xyxy] if result.used_box and prompts.box_xyxy is not None else None,
        model=model,
        seconds=round(time.perf_counter() - start, 4),
    )

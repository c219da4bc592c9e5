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
- negative points (VL-SAM): up to `negative_points` pixels where the map is at most
  `negative_threshold` x its maximum, as far as possible from the salient pixels and spread apart
  by the same NMS radius. SAM gets them with label 0, GrabCut as definite-background seeds.
- refinement (`refine_rounds` > 1): each round feeds the previous mask back (SAM: its
  low-resolution logits as `mask_input`; GrabCut: its labels, one more iteration) until the IoU
  between two rounds reaches `refine_iou`. Rounds run and why they stopped go on the `Segment`.

Several objects (`max_objects` > 1): every 8-connected piece of the thresholded map holding at
least `min_object_share` of the positive saliency is a cluster; the largest (by saliency mass)
are segmented one by one, each prompted only from its own piece (points and box) and with the
other clusters' strongest points added as negatives, so one mask does not swallow two objects.

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
    SAM2_MISSING_HINT,
    SAM_MISSING_HINT,
    GrabCutSegmenter,
    HFSamSegmenter,
    MaskResult,
    Prompts,
    Sam2Segmenter,
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


def negative_points(saliency: np.ndarray, n: int, min_distance_px: float, low: float = 0.1,
                    threshold: float = 0.5) -> np.ndarray:
    """Up to `n` background points (x, y): pixels at most `low` x the map's maximum, far from the salient ones.

    Among the low-saliency pixels the ones farthest from any pixel at or above `threshold` x max
    come first (a distance transform), spread apart by NMS with `min_distance_px`, so the clicks
    land deep in the background rather than on an object's rim. None when the map has no positive value.
    """
    pos = np.clip(np.nan_to_num(np.asarray(saliency, dtype=np.float64)), 0.0, None)
    peak = float(pos.max()) if pos.size else 0.0
    if peak <= 0 or n <= 0:
        return np.zeros((0, 2), np.int64)
    salient = pos >= threshold * peak
    dist = cv2.distanceTransform((~salient).astype(np.uint8), cv2.DIST_L2, 5).astype(np.float64)
    score = np.where((pos <= low * peak) & ~salient, dist + 1.0, 0.0)
    return nms_points(score, n, min_distance_px)


def make_prompts(saliency: np.ndarray, config: SegmenterConfig, *, extra_negative: np.ndarray | None = None,
                 negative_map: np.ndarray | None = None) -> Prompts:
    """Points (and optionally a box) for a map at the original image's resolution.

    `negative_map` (default: `saliency`) is where negative points are looked for; `extra_negative`
    are added to them (the other objects' peaks when several are segmented).
    """
    h, w = np.asarray(saliency).shape
    radius = config.point_min_distance * max(h, w)
    points = nms_points(saliency, config.points, radius, config.threshold)
    box = prompt_box(saliency, points, config.threshold) if config.use_box and len(points) else None
    negative = negative_points(saliency if negative_map is None else negative_map, config.negative_points, radius,
                               config.negative_threshold, config.threshold)
    if extra_negative is not None and len(extra_negative):
        negative = np.concatenate([negative, np.asarray(extra_negative, np.int64).reshape(-1, 2)])
    return Prompts(points_xy=points, box_xyxy=box, threshold=config.threshold, negative_xy=negative,
                   refine_rounds=config.refine_rounds, refine_iou=config.refine_iou)


def saliency_clusters(saliency: np.ndarray, threshold: float, max_objects: int, min_share: float) -> list[np.ndarray]:
    """The separate pieces of the thresholded positive map, strongest first (boolean masks).

    A piece counts when it holds at least `min_share` of all positive saliency; at most
    `max_objects` are returned. Empty when the map has no positive value.
    """
    pos = np.clip(np.nan_to_num(np.asarray(saliency, dtype=np.float64)), 0.0, None)
    total = float(pos.sum())
    if total <= 0:
        return []
    n, labels = cv2.connectedComponents((pos >= threshold * pos.max()).astype(np.uint8), connectivity=8)
    masses = np.bincount(labels.ravel(), weights=pos.ravel(), minlength=n)[1:] / total
    order = [int(i) + 1 for i in np.argsort(-masses, kind="stable") if masses[i] >= min_share]
    return [labels == i for i in order[:max_objects]]


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
    if config.kind.startswith("hf:"):
        return HFSamSegmenter(config.kind[3:], device=device)
    if config.kind == "sam2":
        checkpoint2 = config.sam2_checkpoint or os.environ.get("VERBALIZE_SAM2_CHECKPOINT") \
            or model_store.find_sam2_checkpoint()
        if not checkpoint2:
            raise UserError(f"segmenter: SAM 2 checkpoint not found ({SAM2_MISSING_HINT})")
        return Sam2Segmenter(checkpoint=checkpoint2, config=config.sam2_config, device=device)
    checkpoint = resolve_checkpoint(config)
    if checkpoint is None:
        if config.kind == "sam":
            raise UserError(f"segmenter: SAM checkpoint not found ({SAM_MISSING_HINT})")
        return GrabCutSegmenter(seed=seed)
    return SamSegmenter(checkpoint=checkpoint, model_type=config.sam_model_type, device=device)


def segment_salient_objects(image_rgb: np.ndarray, saliency: np.ndarray, config: SegmenterConfig,
                            segmenter: Segmenter | None = None) -> list[Segment]:
    """One `Segment` per separate cluster of positive saliency (at most `config.max_objects`), strongest first.

    With `max_objects == 1`, or when the map has fewer than two clusters, this is
    `[segment_salient_object(...)]`: the whole map prompts one segment, as before.
    """
    sal = np.asarray(saliency, dtype=np.float64)
    clusters = saliency_clusters(sal, config.threshold, config.max_objects, config.min_object_share) \
        if config.max_objects > 1 and sal.ndim == 2 else []
    seg = segmenter if segmenter is not None else make_segmenter(config)
    if len(clusters) < 2:
        return [segment_salient_object(image_rgb, sal, config, seg)]
    pos = np.clip(np.nan_to_num(sal), 0.0, None)
    peaks = [np.array(np.unravel_index(int(np.argmax(np.where(c, pos, -1.0))), c.shape)[::-1], np.int64)
             for c in clusters]
    out = []
    for i, cluster in enumerate(clusters):
        own = np.where(cluster, pos, 0.0)
        others = np.array([p for j, p in enumerate(peaks) if j != i], np.int64).reshape(-1, 2)
        prompts = make_prompts(own, config, extra_negative=others, negative_map=sal)
        out.append(segment_salient_object(image_rgb, own, config, seg, prompts=prompts))
    return out


def segment_salient_object(image_rgb: np.ndarray, saliency: np.ndarray, config: SegmenterConfig,
                           segmenter: Segmenter | None = None, *, prompts: Prompts | None = None) -> Segment:
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
    prompts = prompts if prompts is not None else make_prompts(sal, config)
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
        prompt_negative_xy=[[int(x), int(y)] for x, y in prompts.negative_xy] if len(prompts.points_xy) else [],
        rounds=result.rounds,
        stop_reason=result.stop_reason,
        round_ious=result.round_ious,
        model=model,
        seconds=round(time.perf_counter() - start, 4),
    )

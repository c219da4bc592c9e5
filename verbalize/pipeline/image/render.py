"""Pictures people look at: the saliency overlay and the segment outline, as PNG bytes or files."""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

from verbalize.pipeline.image.types import Segment


def overlay(image: np.ndarray, saliency: np.ndarray, alpha: float = 0.45) -> np.ndarray:
    """Positive saliency as a JET heatmap over the image (uint8 RGB); negative evidence is not drawn."""
    pos = np.clip(saliency.astype(np.float32), 0, None)
    peak = float(pos.max())
    norm = pos / peak if peak > 0 else pos
    heat = cv2.applyColorMap((norm * 255).astype(np.uint8), cv2.COLORMAP_JET)[..., ::-1]
    blended = (1 - alpha) * image.astype(np.float32) + alpha * heat.astype(np.float32)
    return np.clip(blended, 0, 255).astype(np.uint8)


def signed_overlay(image: np.ndarray, saliency: np.ndarray, alpha: float = 0.6) -> np.ndarray:
    """Positive evidence in red, negative in blue, over a grey copy of the image (shap's and captum's `sign="all"`).

    One scale for both signs (the largest absolute value), so red and blue compare.
    """
    s = saliency.astype(np.float32)
    peak = float(np.abs(s).max())
    norm = s / peak if peak > 0 else s
    grey = image.astype(np.float32).mean(axis=2, keepdims=True).repeat(3, axis=2) * 0.8 + 40
    red = np.array([220, 30, 30], dtype=np.float32)
    blue = np.array([30, 80, 230], dtype=np.float32)
    weight = (alpha * np.abs(norm))[..., None]
    colour = np.where(norm[..., None] >= 0, red, blue)
    return np.clip((1 - weight) * grey + weight * colour, 0, 255).astype(np.uint8)


def mask_png(mask: np.ndarray) -> bytes:
    """The segment mask as a black-and-white PNG (255 inside), the size of the original image."""
    return png_bytes(np.asarray(mask, dtype=bool).astype(np.uint8) * 255)


def arrays_npz(saliency: np.ndarray, mask: np.ndarray) -> bytes:
    """`saliency` (float32, signed, H x W) and `mask` (bool, H x W) in one compressed `.npz`; `np.load` reads it."""
    buf = io.BytesIO()
    np.savez_compressed(buf, saliency=np.asarray(saliency, dtype=np.float32), mask=np.asarray(mask, dtype=bool))
    return buf.getvalue()


def segment_outline(image: np.ndarray, mask: np.ndarray, colour: tuple[int, int, int] = (0, 255, 80)) -> np.ndarray:
    """The image with the area outside the mask dimmed and the mask's outline drawn."""
    m = np.asarray(mask, dtype=bool)
    dimmed = image.astype(np.float32)
    dimmed[~m] *= 0.45
    out = dimmed.astype(np.uint8).copy()
    contours, _ = cv2.findContours(m.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    thickness = max(2, round(max(image.shape[:2]) / 200))
    cv2.drawContours(out, contours, -1, colour, thickness)
    return out


def segment_crop(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The segment on black, cropped to its box (what VALE hands its VLM)."""
    m = np.asarray(mask, dtype=bool)
    if not m.any():
        return image
    ys, xs = np.nonzero(m)
    cut = np.where(m[..., None], image, 0).astype(np.uint8)
    return cut[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def png_bytes(array: np.ndarray) -> bytes:
    """PNG at zlib level 3: 3.5x faster than PIL's default 6 for ~10% more bytes (an overlay of a 512 x 512
    photo: 28 ms and 399 kB vs 100 ms and 364 kB), and every explanation writes three of them."""
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG", compress_level=3)
    return buf.getvalue()


SEGMENT_COLOURS = [(0, 255, 80), (255, 200, 0), (0, 200, 255), (255, 0, 200)]
NEGATIVE_COLOUR = (255, 40, 40)


def segments_picture(image: np.ndarray, segments: list[Segment]) -> np.ndarray:
    """segment.png: every segment outlined in its own colour, with the prompts that produced it.

    Positive points are filled discs in the segment's colour, negative points red crosses, the
    prompt box a thin rectangle; a caption per segment says how many refinement rounds ran and why
    they stopped. Outside all segments the image is dimmed.
    """
    masks = [np.asarray(s.mask, dtype=bool) for s in segments if s.mask is not None]
    union = np.logical_or.reduce(masks) if masks else np.zeros(image.shape[:2], bool)
    out = segment_outline(image, union, colour=SEGMENT_COLOURS[0])
    side = max(image.shape[:2])
    thickness = max(2, round(side / 200))
    radius = max(3, round(side / 80))
    for i, seg in enumerate(segments):
        colour = SEGMENT_COLOURS[i % len(SEGMENT_COLOURS)]
        if seg.mask is not None and i > 0:
            contours, _ = cv2.findContours(np.asarray(seg.mask, np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
            cv2.drawContours(out, contours, -1, colour, thickness)
        if seg.prompt_box_xyxy is not None:
            x0, y0, x1, y1 = seg.prompt_box_xyxy
            cv2.rectangle(out, (x0, y0), (x1 - 1, y1 - 1), colour, max(1, thickness // 2))
        for x, y in seg.prompt_points_xy:
            cv2.circle(out, (x, y), radius + 1, (255, 255, 255), -1)
            cv2.circle(out, (x, y), radius, colour, -1)
        h, w = image.shape[:2]
        for x, y in seg.prompt_negative_xy:  # pulled inside the frame so that a corner click stays visible
            at = (min(max(x, radius), w - 1 - radius), min(max(y, radius), h - 1 - radius))
            cv2.drawMarker(out, at, NEGATIVE_COLOUR, cv2.MARKER_TILTED_CROSS, 2 * radius + 2, thickness)
        caption = f"{seg.method}: {seg.rounds} round{'s' if seg.rounds != 1 else ''} ({seg.stop_reason})"
        scale = max(0.35, side / 1200)
        org = (4, int(4 + (i + 1) * 22 * scale / 0.5))
        cv2.putText(out, caption, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(out, caption, org, cv2.FONT_HERSHEY_SIMPLEX, scale, colour, 1, cv2.LINE_AA)
    return out

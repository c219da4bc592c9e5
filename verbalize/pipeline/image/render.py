"""Pictures people look at: the saliency overlay and the segment outline, as PNG bytes or files."""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image


def overlay(image: np.ndarray, saliency: np.ndarray, alpha: float = 0.45) -> np.ndarray:
    """Positive saliency as a JET heatmap over the image (uint8 RGB); negative evidence is not drawn."""
    pos = np.clip(saliency.astype(np.float32), 0, None)
    peak = float(pos.max())
    norm = pos / peak if peak > 0 else pos
    heat = cv2.applyColorMap((norm * 255).astype(np.uint8), cv2.COLORMAP_JET)[..., ::-1]
    blended = (1 - alpha) * image.astype(np.float32) + alpha * heat.astype(np.float32)
    return np.clip(blended, 0, 255).astype(np.uint8)


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
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()

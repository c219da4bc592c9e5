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
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()

"""Localisation against a region the user marked: pointing game and relevance mass (as Quantus).

The region is a box ([x0, y0, x1, y1] in original-image pixels, x1/y1 exclusive) or a mask (an
H x W array, or an image file whose non-zero pixels are the region). Both metrics are computed on
the map at the original resolution, where the box was drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from verbalize.core.errors import InputError
from verbalize.eval.localization import box_mask, pointing_game, relevance_mass
from verbalize.pipeline.image.types import Localization

GroundTruthMask = np.ndarray | str | Path


def parse_box(text: str | Sequence[float | int]) -> list[int]:
    """'x0,y0,x1,y1' (or a sequence of four numbers) → [x0, y0, x1, y1]; one-line error otherwise."""
    parts = [p.strip() for p in text.split(",")] if isinstance(text, str) else list(text)
    try:
        box = [int(round(float(p))) for p in parts]
    except (TypeError, ValueError):
        raise InputError(f"box {text!r}: expected four numbers x0,y0,x1,y1") from None
    if len(box) != 4 or box[2] <= box[0] or box[3] <= box[1] or min(box) < 0:
        raise InputError(f"box {text!r}: expected x0,y0,x1,y1 with x1 > x0 >= 0 and y1 > y0 >= 0")
    return box


def read_mask(mask: GroundTruthMask, shape: tuple[int, int]) -> np.ndarray:
    """A boolean H x W mask from an array or an image file (non-zero = inside), at `shape`."""
    if isinstance(mask, str | Path):
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(mask) as img:
                arr = np.asarray(img.convert("L")) > 0
        except (OSError, UnidentifiedImageError) as e:
            raise InputError(f"{mask}: not a readable mask image ({e})") from None
    else:
        arr = np.asarray(mask).astype(bool)
    if arr.shape != shape:
        raise InputError(f"mask is {arr.shape[1]}x{arr.shape[0]} but the image is {shape[1]}x{shape[0]}")
    return arr


def localize(saliency: np.ndarray, *, box: Sequence[int] | None = None,
             mask: GroundTruthMask | None = None) -> Localization | None:
    """Pointing game and relevance mass of `saliency` for the marked region; None when none is given."""
    if box is None and mask is None:
        return None
    shape = saliency.shape[:2]
    if mask is not None:
        region = read_mask(mask, shape)
    else:
        b = parse_box(box)  # type: ignore[arg-type]
        if b[0] >= shape[1] or b[1] >= shape[0]:
            raise InputError(f"box {b} lies outside the {shape[1]}x{shape[0]} image")
        region = box_mask(b, shape)
    return Localization(box_xyxy=None if box is None else parse_box(box),
                        mask=str(mask) if isinstance(mask, str | Path) else None,
                        area=round(float(region.mean()), 4), pointing_game=pointing_game(saliency, region),
                        relevance_mass=round(relevance_mass(saliency, region), 4))

"""Reading images users hand us, whatever PIL mode, orientation or damage they come with.

Every failure a user can cause ends in an `InputError` naming the file and the reason, so the
CLI can print one line and the service can answer 4xx.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from verbalize.core.errors import InputError
from verbalize.pipeline.image.types import ImageInfo

ImageSource = str | Path | bytes | Image.Image | np.ndarray | Any
"""A path, encoded bytes, a PIL image, an H x W x 3 array (uint8, or float in [0, 1]) or a 3 x H x W torch tensor."""


def _is_tensor(x: object) -> bool:
    """A torch tensor, told without importing torch."""
    return type(x).__module__.startswith("torch") and hasattr(x, "detach") and hasattr(x, "numpy")


def as_hwc_array(source: Any, label: str = "<image>") -> np.ndarray:
    """A torch tensor or numpy array, 3 x H x W or H x W x 3, as an H x W x C array; normalised inputs refused."""
    arr = source.detach().cpu().float().numpy() if _is_tensor(source) else np.asarray(source)
    if arr.ndim == 4 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim == 3 and arr.shape[0] in (1, 3, 4) and arr.shape[2] not in (1, 3, 4):
        arr = np.moveaxis(arr, 0, -1)  # C x H x W, as torch and torchvision keep images
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.dtype.kind == "f" and arr.size and (float(np.nanmin(arr)) < 0 or float(np.nanmax(arr)) > 255):
        raise InputError(f"{label}: values from {float(np.nanmin(arr)):.2f} to {float(np.nanmax(arr)):.2f} look "
                         "normalised; give the image itself (uint8, or float in [0, 1]) and let transform= normalise")
    return arr


def _to_rgb(img: Image.Image) -> Image.Image:
    """RGB for the model: alpha composited on white, 16-bit and float scaled to 8 bits, CMYK converted."""
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        a = np.asarray(img, dtype=np.float64)
        lo, hi = float(a.min()), float(a.max())
        scaled = np.zeros_like(a) if hi <= lo else (a - lo) / (hi - lo) * 255.0
        return Image.fromarray(scaled.round().astype(np.uint8)).convert("RGB")
    return img.convert("RGB")


def load_image(source: ImageSource, *, max_pixels: int = 89_478_485, name: str | None = None) -> tuple[Image.Image, ImageInfo]:
    """Open, check, EXIF-rotate and convert an image to RGB; return it with its `ImageInfo`."""
    label = name or (str(source) if isinstance(source, str | Path) else "<image>")
    if isinstance(source, np.ndarray) or _is_tensor(source):
        arr = as_hwc_array(source, label)
        if arr.ndim == 2:
            arr = np.stack([arr] * 3, axis=-1)
        if arr.ndim != 3 or arr.shape[2] not in (3, 4) or min(arr.shape[:2]) < 1:
            raise InputError(f"{label}: expected an H x W x 3 array or a 3 x H x W tensor, got shape {tuple(arr.shape)}")
        if arr.dtype != np.uint8:
            arr = np.clip(arr * (255.0 if arr.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
        img = Image.fromarray(arr)
        data = arr.tobytes()
        return _finish(img, data, None, label, max_pixels)
    if isinstance(source, Image.Image):
        return _finish(source, source.tobytes(), None, label, max_pixels)
    if isinstance(source, bytes):
        data, path = source, None
    else:
        path = Path(source)
        if not path.exists():
            raise InputError(f"{label}: file not found")
        if path.is_dir():
            raise InputError(f"{label}: is a directory, not an image")
        try:
            data = path.read_bytes()
        except OSError as e:
            raise InputError(f"{label}: cannot read ({e.strerror or e})") from None
    if not data:
        raise InputError(f"{label}: empty file (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            if img.width * img.height > max_pixels:
                raise InputError(f"{label}: {img.width}x{img.height} is over the {max_pixels:,}-pixel limit (max_image_pixels)")
            img.load()
    except InputError:
        raise
    except UnidentifiedImageError:
        raise InputError(f"{label}: not an image (unrecognised format)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(f"{label}: over the pixel limit (possible decompression bomb)") from None
    except OSError as e:
        reason = "truncated or corrupt image" if "truncated" in str(e) or "broken" in str(e) else f"unreadable image ({e})"
        raise InputError(f"{label}: {reason}") from None
    except (SyntaxError, ValueError) as e:
        raise InputError(f"{label}: corrupt image ({e})") from None
    return _finish(img, data, str(path) if path else None, label, max_pixels)


def _finish(img: Image.Image, data: bytes, path: str | None, label: str, max_pixels: int) -> tuple[Image.Image, ImageInfo]:
    if img.width * img.height > max_pixels:
        raise InputError(f"{label}: {img.width}x{img.height} is over the {max_pixels:,}-pixel limit (max_image_pixels)")
    mode = img.mode
    try:
        img = ImageOps.exif_transpose(img) or img
    except Exception:  # noqa: BLE001 - a broken EXIF block should not lose an otherwise good image
        pass
    rgb = _to_rgb(img)
    if rgb.width < 8 or rgb.height < 8:
        raise InputError(f"{label}: {rgb.width}x{rgb.height} is too small to explain (at least 8x8)")
    info = ImageInfo(path=path, width=rgb.width, height=rgb.height, sha256=hashlib.sha256(data).hexdigest(), mode=mode)
    return rgb, info

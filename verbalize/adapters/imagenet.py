"""The 1000 ImageNet-1k class names, in index order, read from a file shipped with the package.

Kept apart from `vision` so that commands which only need the names (`verbalize verify`) do not
import torch: the list is torchvision's `ResNet50_Weights.IMAGENET1K_V2.meta["categories"]`.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def _names() -> tuple[str, ...]:
    text = resources.files("verbalize.adapters").joinpath("imagenet_classes.txt").read_text(encoding="utf-8")
    return tuple(line for line in text.splitlines() if line)


def imagenet_labels() -> list[str]:
    """The ImageNet-1k class names, index 0 ('tench') to 999 ('toilet tissue')."""
    return list(_names())

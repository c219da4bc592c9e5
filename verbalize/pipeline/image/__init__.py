"""The image journey (VALE-style): classify, attribute, segment, fact sheet, words, checks.

Read `explainer.py` top to bottom; each stage is one module beside it: `io` (reading images),
`methods/` (saliency methods, one module per family), `segmentation`, `facts`, `verbalize`,
`verify`, `render` (overlays and outlines), `types` (the data model).
"""

import importlib
from typing import Any

__all__ = ['ImageExplainer', 'ImageResult', 'explain_image']


def __getattr__(name: str) -> Any:
    # Lazy, so that importing one stage (e.g. `verify`, which needs no torch) stays cheap.
    if name in __all__:
        return getattr(importlib.import_module("verbalize.pipeline.image.explainer"), name)
    raise AttributeError(f"module 'verbalize.pipeline.image' has no attribute {name!r}")

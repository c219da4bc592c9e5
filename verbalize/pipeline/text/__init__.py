"""The text journey: Huang et al.'s self-explanation study and token attributions put into words.

Read `study.py` top to bottom; each stage is one module beside it: `inputs`, `tokens`, `elicit`
(the prompts' variables), `parse/` (the self-explanation parser by stage), `methods/` (occlusion,
LIME, SHAP on tokens), `summary`, `verbalize`, `verify`, `types` (the data model).
"""

import importlib
from typing import Any

__all__ = ['TextStudy', 'compare_self_explanations']


def __getattr__(name: str) -> Any:
    # Lazy, so that importing one stage (e.g. `verify`, which needs no torch) stays cheap.
    if name in __all__:
        return getattr(importlib.import_module("verbalize.pipeline.text.study"), name)
    raise AttributeError(f"module 'verbalize.pipeline.text' has no attribute {name!r}")

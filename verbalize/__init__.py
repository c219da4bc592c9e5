"""verbalize: explain model predictions and put the explanations into words checked against the numbers.

The public functions are imported lazily so `import verbalize` stays cheap (no torch at import).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["explain_image", "explain_images", "explain_text", "compare_self_explanations", "run_to_pandas",
           "load_config", "Config", "verify", "verify_text_attribution"]

if TYPE_CHECKING:  # pragma: no cover
    from verbalize.core.config import Config, load_config
    from verbalize.pipeline.image.explainer import explain_image, explain_images
    from verbalize.pipeline.image.verify import verify
    from verbalize.pipeline.text.methods.explain import explain_text
    from verbalize.pipeline.text.study import compare_self_explanations
    from verbalize.pipeline.text.verify import verify_text_attribution

_LAZY = {
    "explain_image": "verbalize.pipeline.image.explainer",
    "explain_images": "verbalize.pipeline.image.explainer",
    "explain_text": "verbalize.pipeline.text.methods.explain",
    "compare_self_explanations": "verbalize.pipeline.text.study",
    "run_to_pandas": "verbalize.pipeline.batch.runner",
    "load_config": "verbalize.core.config",
    "Config": "verbalize.core.config",
    "verify": "verbalize.pipeline.image.verify",
    "verify_text_attribution": "verbalize.pipeline.text.verify",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'verbalize' has no attribute {name!r}")

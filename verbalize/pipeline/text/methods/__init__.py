"""Token attribution methods for text classifiers; importing this package registers them all.

Add a method: a function ``run(ctx: TextMethodContext) -> (scores, params)`` decorated with
``@TEXT_METHODS.register("name", description=…)`` in a module imported below.
"""

# isort: off
from verbalize.pipeline.text.methods import occlusion  # noqa: F401  (registers; this order is the order of help texts and tables)
from verbalize.pipeline.text.methods import lime  # noqa: F401  (registers; this order is the order of help texts and tables)
from verbalize.pipeline.text.methods import shap  # noqa: F401  (registers; this order is the order of help texts and tables)
from verbalize.pipeline.text.methods import gradients  # noqa: F401  (registers; this order is the order of help texts and tables)
from verbalize.pipeline.text.methods import best  # noqa: F401  (registers; this order is the order of help texts and tables)
# isort: on
from verbalize.pipeline.text.methods.base import (
    LIME_MASK,
    TEXT_METHODS,
    TextMethodContext,
    TextMethodFn,
    Units,
    attribute_text,
    check_tokens,
    method_name,
)
from verbalize.pipeline.text.methods.explain import TextExplanation, explain_text_tokens

DEFAULT_METHODS: tuple[str, ...] = ("occlusion", "lime", "shap")
"""What the study and explain-text run unless told otherwise: they work on every classifier."""

__all__ = ["DEFAULT_METHODS", "LIME_MASK", "TEXT_METHODS", "TextExplanation", "TextMethodContext", "TextMethodFn", "Units",
           "attribute_text", "check_tokens", "explain_text_tokens", "method_name"]

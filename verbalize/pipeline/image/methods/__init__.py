"""Image saliency methods, one module per family; importing this package registers them all.

Add a method: write ``run(ctx) -> (map, params)`` in a module here (or anywhere), decorate it with
``@SALIENCY_METHODS.register("name", description=…, params=YourParams)`` and import the module
below (or in your own code before explaining). CLI help, the service, provenance and the tests
pick it up from the registry.
"""

# isort: off
from verbalize.pipeline.image.methods import cam  # noqa: F401  (registers; this order is the order of help texts and tables)
from verbalize.pipeline.image.methods import shap  # noqa: F401  (registers; this order is the order of help texts and tables)
from verbalize.pipeline.image.methods import occlusion  # noqa: F401  (registers; this order is the order of help texts and tables)
from verbalize.pipeline.image.methods import lime  # noqa: F401  (registers; this order is the order of help texts and tables)
from verbalize.pipeline.image.methods import gradients  # noqa: F401  (registers; this order is the order of help texts and tables)
from verbalize.pipeline.image.methods import lrp  # noqa: F401  (registers; this order is the order of help texts and tables)
from verbalize.pipeline.image.methods import best  # noqa: F401  (registers; this order is the order of help texts and tables)
# isort: on
from verbalize.pipeline.image.methods.base import (
    SALIENCY_METHODS,
    MethodContext,
    MethodFn,
    Params,
    attribute_image,
    baseline,
    check_sections,
    count_forward_passes,
    method_entry,
    method_params,
)

__all__ = ["SALIENCY_METHODS", "MethodContext", "MethodFn", "Params", "attribute_image", "baseline",
           "check_sections", "count_forward_passes", "method_entry", "method_params"]

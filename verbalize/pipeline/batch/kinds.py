"""What `verbalize batch` can process: one entry per kind of input, registered here explicitly.

An entry's `obj` is a factory ``factory(config) -> process(item)``: it loads the models once and
returns the function that turns one `WorkItem` into (result JSON, {artifact name: bytes}), or raises
(a `UserError` message becomes the item's failure reason). Nothing registers itself on import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from verbalize.core.config import Config
from verbalize.core.registry import Registry

ItemOutput = tuple[dict[str, Any], dict[str, bytes]]
Processor = Callable[[Any], ItemOutput]
ProcessorFactory = Callable[[Config], Processor]

BATCH_KINDS: Registry[ProcessorFactory] = Registry("batch input kind")


def image_processor(explainer: Any) -> Processor:
    """An item processor over a loaded `ImageExplainer`: the Explanation JSON plus overlay, segment, mask, arrays, curves."""

    def process(item: Any) -> ItemOutput:
        result = explainer.explain(item.input["path"], name=item.item_key, box=item.input.get("box"))
        return result.explanation.model_dump(mode="json"), result.artifacts()

    return process


@BATCH_KINDS.register("image", description="image files: the image journey (explain)")
def _image_processor(config: Config) -> Processor:
    from verbalize.pipeline.image.explainer import ImageExplainer

    explainer = ImageExplainer(config)
    explainer.warm_up()  # the method's first-call cost belongs to start-up, not to the first item
    return image_processor(explainer)


@BATCH_KINDS.register("text", description="texts: one self-explanation study item per text")
def _text_processor(config: Config) -> Processor:
    """`verbalize batch` over texts: one study item per text, with the default options."""
    from verbalize.pipeline.text.inputs import TextItem
    from verbalize.pipeline.text.study import TextStudy

    study = TextStudy(config)

    def process(work: Any) -> tuple[dict[str, Any], dict[str, bytes]]:
        label = work.label
        if label is not None:
            lowered = {lb.casefold(): lb for lb in study.options.labels}
            label = lowered.get(label.casefold(), label)
        item = study.run_item(TextItem(id=work.item_key, text=work.input["text"], label=label))
        return item.model_dump(mode="json"), {}

    return process


def processor_factory(kind: str) -> ProcessorFactory:
    """The factory for `kind` ('image' or 'text'); a `UserError` naming the kinds there are."""
    return BATCH_KINDS.get(kind).obj

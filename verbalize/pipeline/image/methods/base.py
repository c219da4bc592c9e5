"""What every image saliency method shares: its context, its registry, and how it is run.

A method is one function ``run(ctx: MethodContext) -> (map, params_used)`` registered in
`SALIENCY_METHODS` with its parameter model (a section of the config: ``saliency.occlusion.window``).
It gets the model view (crop x crop x 3 in [0, 1]) and returns a crop x crop map;
`attribute_image` puts the result into an `Attribution`. Perturbation methods score their inputs
through the shared `Scorer` (batched, de-duplicated, counted); methods that run the model
themselves (the CAM family inside grad-cam) count their forward passes with
`count_forward_passes`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from verbalize.core.config import SaliencyConfig
from verbalize.core.errors import UserError
from verbalize.core.registry import Entry, Registry
from verbalize.core.scoring import ProgressFn, Scorer
from verbalize.core.types import Attribution

if TYPE_CHECKING:
    import torch

    from verbalize.adapters.vision import ImageClassifier


class Params(BaseModel):
    """Base of every method's parameter model: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


@dataclass
class MethodContext:
    clf: ImageClassifier
    view: np.ndarray
    target: int
    scorer: Scorer[np.ndarray]
    params: Any
    seed: int
    progress: ProgressFn | None = None
    config: SaliencyConfig | None = None
    """The whole saliency section, for methods that run other methods (`best`)."""


MethodFn = Callable[[MethodContext], tuple[np.ndarray, dict[str, Any]]]
"""Returns the crop x crop map and the parameters actually used (recorded in provenance)."""

SALIENCY_METHODS: Registry[MethodFn] = Registry("saliency method")
"""Every image saliency method; `verbalize.pipeline.image.methods` imports the families that fill it."""


def method_entry(name: str) -> Entry[MethodFn]:
    """The registered method for `name` (aliases, any case); a `UserError` listing the choices."""
    return SALIENCY_METHODS.get(name)


def method_params(config: SaliencyConfig, name: str) -> BaseModel:
    """The method's section of the config (``saliency.<name>``), validated; defaults when absent."""
    entry = method_entry(name)
    return entry.parse_params(config.section(entry.name), where=f"saliency.{entry.name}")


def check_sections(config: SaliencyConfig) -> None:
    """Fail on a section that names no method, or a bad value in any section, before loading a model."""
    for name in config.sections():
        if name not in SALIENCY_METHODS:
            raise UserError(f"invalid config at 'saliency.{name}': no such method; choose from "
                            f"{', '.join(SALIENCY_METHODS.names())}")
        method_params(config, name)


def baseline(view: np.ndarray, kind: str) -> np.ndarray:
    """What 'removed' pixels become: a heavy blur (keeps colour statistics), the mean colour, or black."""
    import cv2

    if kind == "blur":
        k = max(3, (min(view.shape[:2]) // 4) | 1)
        return cv2.GaussianBlur(view, (k, k), 0)
    if kind == "mean":
        return np.broadcast_to(view.mean(axis=(0, 1), keepdims=True), view.shape).astype(view.dtype).copy()
    if kind == "zero":
        return np.zeros_like(view)
    raise UserError(f"unknown fill {kind!r} (blur, mean or zero)")


@contextlib.contextmanager
def count_forward_passes(model: torch.nn.Module) -> Iterator[list[int]]:
    """Counts batched forward calls of `model` (for methods that run the model themselves)."""
    counter = [0]
    handle = model.register_forward_hook(lambda *_: counter.__setitem__(0, counter[0] + 1))
    try:
        yield counter
    finally:
        handle.remove()


def attribute_image(clf: ImageClassifier, view: np.ndarray, target: int, *, method: str, scorer: Scorer[np.ndarray],
                    config: SaliencyConfig, seed: int, progress: ProgressFn | None = None) -> tuple[Attribution, np.ndarray]:
    """Run one method; return the `Attribution` (scores unset) and the map in view coordinates.

    The caller maps the view map to the original image with the classifier's `Geometry`.
    """
    entry = method_entry(method)
    params = method_params(config, entry.name)
    before = scorer.stats.forward_passes
    t0 = time.perf_counter()
    view_map, used = entry.obj(MethodContext(clf, view, target, scorer, params, seed, progress, config))
    attribution = Attribution(method=entry.name, target=target, target_label=clf.labels[target], params=used,
                              forward_passes=scorer.stats.forward_passes - before,
                              seconds=round(time.perf_counter() - t0, 4))
    return attribution, np.nan_to_num(view_map.astype(np.float32))

"""Image saliency methods: thin wrappers over grad-cam, shap and lime, plus sliding-window occlusion.

Each method takes the model view (crop x crop x 3 in [0, 1]) and returns a crop x crop map;
`attribute_image` puts it back on the original image. Perturbation methods score their inputs
through the shared `Scorer` (batched, de-duplicated, counted); the CAM family runs inside
grad-cam, whose forward passes are counted with a hook on the model.

Adding a method is one function with the `MethodFn` signature plus one line in `METHODS`.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import torch

from verbalize.adapters.vision import ImageClassifier
from verbalize.config import SaliencyConfig
from verbalize.errors import UserError
from verbalize.pipeline.scoring import ProgressFn, Scorer
from verbalize.types import Attribution


@dataclass
class MethodContext:
    clf: ImageClassifier
    view: np.ndarray
    target: int
    scorer: Scorer[np.ndarray]
    config: SaliencyConfig
    seed: int
    progress: ProgressFn | None = None


MethodFn = Callable[[MethodContext], tuple[np.ndarray, dict[str, Any]]]
"""Returns the crop x crop map and the parameters actually used (recorded in provenance)."""


# --------------------------------------------------------------------------- baselines


def baseline(view: np.ndarray, kind: str) -> np.ndarray:
    """What 'removed' pixels become: a heavy blur (keeps colour statistics), the mean colour, or black."""
    if kind == "blur":
        k = max(3, (min(view.shape[:2]) // 4) | 1)
        return cv2.GaussianBlur(view, (k, k), 0)
    if kind == "mean":
        return np.broadcast_to(view.mean(axis=(0, 1), keepdims=True), view.shape).astype(view.dtype).copy()
    if kind == "zero":
        return np.zeros_like(view)
    raise UserError(f"unknown fill {kind!r} (blur, mean or zero)")


# --------------------------------------------------------------------------- CAM family (grad-cam)


@contextlib.contextmanager
def count_forward_passes(model: torch.nn.Module) -> Iterator[list[int]]:
    """Counts batched forward calls of `model` (for methods that run the model themselves)."""
    counter = [0]
    handle = model.register_forward_hook(lambda *_: counter.__setitem__(0, counter[0] + 1))
    try:
        yield counter
    finally:
        handle.remove()


def _cam(cam_name: str) -> MethodFn:
    def run(ctx: MethodContext) -> tuple[np.ndarray, dict[str, Any]]:
        import pytorch_grad_cam as gc
        from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

        cam_class = getattr(gc, cam_name)
        if ctx.clf.target_layer is None:
            raise UserError(f"{ctx.clf.name}: no target layer for CAM methods; pass --layer")
        x = ctx.clf.to_tensor(ctx.view[None])
        params: dict[str, Any] = {"target_layer": ctx.clf.target_layer_name}
        with count_forward_passes(ctx.clf.model) as passes, torch.enable_grad(), cam_class(
            model=ctx.clf.model, target_layers=[ctx.clf.target_layer], reshape_transform=ctx.clf.reshape_transform
        ) as cam:
            if cam_name == "ScoreCAM":
                cam.batch_size = ctx.scorer.batch_size
                params["batch_size"] = cam.batch_size
            grayscale = cam(input_tensor=x, targets=[ClassifierOutputTarget(ctx.target)])
        params["forward_passes_inside_grad_cam"] = passes[0]
        ctx.scorer.stats.forward_passes += passes[0]
        return np.asarray(grayscale[0], dtype=np.float32), params

    return run


# --------------------------------------------------------------------------- SHAP (Partition explainer)


@contextlib.contextmanager
def seeded_numpy(seed: int) -> Iterator[None]:
    """shap and lime draw from numpy's global RNG in places; seed it and restore the caller's state."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


@contextlib.contextmanager
def _env(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def shap_partition(ctx: MethodContext) -> tuple[np.ndarray, dict[str, Any]]:
    import shap

    cfg = ctx.config
    k = cfg.shap_blur_kernel
    masker_spec = f"blur({k},{k})" if cfg.shap_masker == "blur" else cfg.shap_masker
    # shap's inpaint maskers cast to uint8, so every masker sees 0..255 pixels.
    pixels = (ctx.view * 255.0).astype(np.float32)
    masker = shap.maskers.Image(masker_spec, pixels.shape)
    done = [0]

    def f(batch: np.ndarray) -> np.ndarray:
        out = ctx.scorer(list(np.asarray(batch, dtype=np.float32) / 255.0))
        done[0] += len(batch)
        if ctx.progress:
            ctx.progress(min(done[0], cfg.shap_max_evals), cfg.shap_max_evals)
        return out[:, [ctx.target]]

    explainer = shap.PartitionExplainer(f, masker)
    with seeded_numpy(ctx.seed):
        values = explainer(pixels[None], max_evals=cfg.shap_max_evals, batch_size=ctx.scorer.batch_size, silent=True)
    sv = np.asarray(values.values)[0]  # H x W x 3 x 1
    return sv.reshape(*sv.shape[:3], -1)[..., 0].sum(axis=-1).astype(np.float32), {
        "max_evals": cfg.shap_max_evals, "masker": masker_spec, "batch_size": ctx.scorer.batch_size,
        "evaluations": done[0],
    }


# --------------------------------------------------------------------------- occlusion


def _windows(size: int, window: int, stride: int) -> list[int]:
    starts = list(range(0, max(size - window, 0) + 1, stride))
    if starts[-1] + window < size:  # cover the last rows/columns too
        starts.append(size - window)
    return starts


def occlusion(ctx: MethodContext) -> tuple[np.ndarray, dict[str, Any]]:
    """Slide a window of fill over the view; a pixel's score is the mean drop in p(target) over windows covering it."""
    cfg = ctx.config
    h, w = ctx.view.shape[:2]
    win, stride = cfg.occlusion_window, cfg.occlusion_stride
    if win < 1 or stride < 1 or win > min(h, w):
        raise UserError(f"occlusion window {win} / stride {stride} do not fit a {w}x{h} view")
    fill = baseline(ctx.view, cfg.occlusion_fill)
    boxes = [(y, x) for y in _windows(h, win, stride) for x in _windows(w, win, stride)]
    p0 = ctx.scorer([ctx.view])[0, ctx.target]
    drops = np.empty(len(boxes))
    chunk = ctx.scorer.batch_size * 8  # bounded memory: a few hundred views at most in flight
    for start in range(0, len(boxes), chunk):
        views = []
        for y, x in boxes[start : start + chunk]:
            v = ctx.view.copy()
            v[y : y + win, x : x + win] = fill[y : y + win, x : x + win]
            views.append(v)
        probs = ctx.scorer(views)
        drops[start : start + len(views)] = p0 - probs[:, ctx.target]
        if ctx.progress:
            ctx.progress(start + len(views), len(boxes))
    total = np.zeros((h, w), dtype=np.float64)
    count = np.zeros((h, w), dtype=np.float64)
    for (y, x), d in zip(boxes, drops, strict=True):
        total[y : y + win, x : x + win] += d
        count[y : y + win, x : x + win] += 1
    return (total / np.maximum(count, 1)).astype(np.float32), {
        "window": win, "stride": stride, "fill": cfg.occlusion_fill, "windows": len(boxes)}


# --------------------------------------------------------------------------- LIME


def lime_superpixels(ctx: MethodContext) -> tuple[np.ndarray, dict[str, Any]]:
    from lime import lime_image
    from lime.wrappers.scikit_image import SegmentationAlgorithm

    cfg = ctx.config
    segmenter = SegmentationAlgorithm("slic", n_segments=cfg.lime_segments, compactness=10, sigma=1,
                                      start_label=0, random_seed=ctx.seed)
    done = [0]

    def classifier_fn(batch: np.ndarray) -> np.ndarray:
        out = ctx.scorer(list(np.asarray(batch, dtype=np.float32)))
        done[0] += len(batch)
        if ctx.progress:
            ctx.progress(done[0], cfg.lime_samples)
        return out

    explainer = lime_image.LimeImageExplainer(random_state=ctx.seed)
    with seeded_numpy(ctx.seed), _env(TQDM_DISABLE="1"):  # lime's own tqdm bar; ours is the rich one
        exp = explainer.explain_instance(
            ctx.view.astype(np.float64), classifier_fn, labels=(ctx.target,), top_labels=None, hide_color=None,
            num_features=100_000, num_samples=cfg.lime_samples, batch_size=ctx.scorer.batch_size,
            segmentation_fn=segmenter, random_seed=ctx.seed)
    weights = dict(exp.local_exp[ctx.target])
    segments = exp.segments
    lut = np.array([weights.get(i, 0.0) for i in range(int(segments.max()) + 1)], dtype=np.float32)
    return lut[segments], {"samples": cfg.lime_samples, "superpixels": int(segments.max()) + 1,
                           "segmentation": "slic"}


METHODS: dict[str, MethodFn] = {
    "gradcam": _cam("GradCAM"),
    "gradcam++": _cam("GradCAMPlusPlus"),
    "eigencam": _cam("EigenCAM"),
    "scorecam": _cam("ScoreCAM"),
    "layercam": _cam("LayerCAM"),
    "shap": shap_partition,
    "occlusion": occlusion,
    "lime": lime_superpixels,
}
ALIASES = {"grad-cam": "gradcam", "gradcampp": "gradcam++", "grad-cam++": "gradcam++", "eigen-cam": "eigencam",
           "score-cam": "scorecam", "layer-cam": "layercam", "partition-shap": "shap"}
PERTURBATION_METHODS = {"shap", "occlusion", "lime"}


def method_name(name: str) -> str:
    key = ALIASES.get(name.lower(), name.lower())
    if key not in METHODS:
        raise UserError(f"unknown saliency method {name!r}; choose from {', '.join(METHODS)}")
    return key


def attribute_image(clf: ImageClassifier, view: np.ndarray, target: int, *, method: str, scorer: Scorer[np.ndarray],
                    config: SaliencyConfig, seed: int, progress: ProgressFn | None = None) -> tuple[Attribution, np.ndarray]:
    """Run one method; return the `Attribution` (scores unset) and the map in view coordinates.

    The caller maps the view map to the original image with the classifier's `Geometry`.
    """
    name = method_name(method)
    before = scorer.stats.forward_passes
    t0 = time.perf_counter()
    view_map, params = METHODS[name](MethodContext(clf, view, target, scorer, config, seed, progress))
    attribution = Attribution(method=name, target=target, target_label=clf.labels[target], params=params,
                              forward_passes=scorer.stats.forward_passes - before,
                              seconds=round(time.perf_counter() - t0, 4))
    return attribution, np.nan_to_num(view_map.astype(np.float32))

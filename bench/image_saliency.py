"""Overhead of our perturbation methods over the forward-pass floor, and end-to-end time per image.

For SHAP (Partition, 500 evaluations) and occlusion on one 224x224 image with the embedded
EfficientNet-Lite0: wall time, and overhead = wall time / time of the same number of model inputs
run as plain batched inference in this process (the floor no method can beat). Goal: <= 1.15.
Then `verbalize explain` end to end (Grad-CAM, GrabCut, template) per image with models warm, over
its own floor measured in the same run: the time inside the model's forward and backward passes
(hooks on the model: prediction, Grad-CAM, the fact sheet's counterfactuals and curves) plus the
time inside the segmenter (GrabCut). Goal: <= 1.5. Torch threads: as the environment sets them
(printed; OMP_NUM_THREADS=1 on the shared machines).

    .venv/bin/python bench/image_saliency.py [--evals 500] [--batch-size 32] [--images 3] [--repeat 2]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import torch
from method_menu import ModelClock  # bench/ is on sys.path when this file runs
from PIL import Image

from verbalize.adapters.vision import load_classifier
from verbalize.core.config import Config, SaliencyConfig
from verbalize.pipeline.image.explainer import ImageExplainer
from verbalize.pipeline.image.methods import attribute_image
from verbalize.pipeline.image.samples import sample_path


def floor_seconds(clf, n: int, batch_size: int) -> float:  # type: ignore[no-untyped-def]
    """Plain batched inference on n distinct inputs: the cost of the forward passes alone."""
    rng = np.random.default_rng(0)
    views = rng.random((batch_size, 224, 224, 3), dtype=np.float32)
    t0 = time.perf_counter()
    done = 0
    while done < n:
        b = min(batch_size, n - done)
        clf.probabilities(views[:b])
        done += b
    return time.perf_counter() - t0


def measure(clf, view: np.ndarray, target: int, method: str, cfg: SaliencyConfig, batch_size: int,  # type: ignore[no-untyped-def]
            repeat: int = 1) -> tuple[float, int, float]:
    """Best of `repeat` for the method and for its floor, alternating, so load from other work on a
    shared machine hits both sides alike."""
    walls, floors = [], []
    for _ in range(repeat):
        scorer = clf.scorer(batch_size)
        t0 = time.perf_counter()
        attribute_image(clf, view, target, method=method, scorer=scorer, config=cfg, seed=0)
        walls.append(time.perf_counter() - t0)
        n = scorer.stats.inputs_scored
        floors.append(floor_seconds(clf, n, batch_size))
    return min(walls), n, min(floors)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--evals", type=int, default=500)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--images", type=int, default=3, help="images for the end-to-end timing")
    ap.add_argument("--only", choices=["perturbation", "explain"], help="run one of the two parts")
    ap.add_argument("--repeat", type=int, default=2, help="best of N for each method and its floor")
    args = ap.parse_args()

    clf = load_classifier()
    img = Image.open(sample_path("chelsea")).convert("RGB").resize((224, 224))
    view = clf.geometry(224, 224).view(img)
    target = int(np.argmax(clf.probabilities(view[None])[0]))
    clf.probabilities(np.repeat(view[None], args.batch_size, 0))  # warm-up
    # shap JIT-compiles its numba kernels on first use (~20 s, once per process) and we build its image
    # masker's partition tree once per view shape (~0.5 s): neither is overhead per call.
    if args.only != "explain":
        measure(clf, view, target, "shap", SaliencyConfig(shap={"max_evals": 40}), args.batch_size)

    rows = []
    for method, cfg in () if args.only == "explain" else (("shap", SaliencyConfig(shap={"max_evals": args.evals})),
                                                           ("occlusion", SaliencyConfig())):
        wall, n, floor = measure(clf, view, target, method, cfg, args.batch_size, args.repeat)
        rows.append((method, wall, n, floor))
        print(f"{method:10s} wall {wall:7.2f} s  inputs scored {n:4d}  forward floor {floor:7.2f} s  "
              f"overhead {wall / floor:.3f}x", flush=True)

    if args.only != "perturbation":
        per_image, floor = explain_floor(ImageExplainer(Config(), classifier=clf), args.images)
    for method, wall, _n, floor_s in rows:
        print(f"RATIO {method} overhead (wall / forward floor): {wall / floor_s:.3f} (goal <= 1.15)")
    if args.only != "perturbation":
        print(f"RATIO warm explanation / its forward, backward and segmentation: {per_image / floor:.3f} (goal <= 1.5)")


def explain_floor(explainer: ImageExplainer, n_images: int) -> tuple[float, float]:
    """Warm `explain` per image, and the part of it spent inside the model and the segmenter."""
    names = ["chelsea", "coffee", "rocket", "grace_hopper", "astronaut"][:n_images]
    segmenter = explainer.segmenter
    segment, seg_seconds = segmenter.segment, [0.0]

    def timed_segment(*a, **kw):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        try:
            return segment(*a, **kw)
        finally:
            seg_seconds[0] += time.perf_counter() - t0

    segmenter.segment = timed_segment  # type: ignore[method-assign]
    warnings.filterwarnings("ignore", message="Full backward hook is firing")  # the clock's hook, not ours
    for n in names:
        explainer.explain(sample_path(n))  # warm: every image's shapes once
    clock, seg_seconds[0] = ModelClock(explainer.classifier.model), 0.0
    t0 = time.perf_counter()
    for n in names:
        explainer.explain(sample_path(n))
    per_image = (time.perf_counter() - t0) / len(names)
    clock.close()
    model_s, seg_s = clock.seconds / len(names), seg_seconds[0] / len(names)
    print(f"explain end-to-end (gradcam, grabcut, template), models warm, {torch.get_num_threads()} torch thread(s): "
          f"{per_image:.2f} s/image; inside the model {model_s:.2f} s + inside GrabCut {seg_s:.2f} s "
          f"= {model_s + seg_s:.2f} s/image")
    return per_image, model_s + seg_s


if __name__ == "__main__":
    main()

"""Overhead of our perturbation methods over the forward-pass floor, and end-to-end time per image.

For SHAP (Partition, 500 evaluations) and occlusion on one 224x224 image with the embedded
EfficientNet-Lite0: wall time, and overhead = wall time / time of the same number of model inputs
run as plain batched inference in this process (the floor no method can beat). Goal: <= 1.15.
Then `verbalize explain` end to end (Grad-CAM, GrabCut, template) per image with models warm.

    .venv/bin/python bench/image_saliency.py [--evals 500] [--batch-size 32] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
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


def measure(clf, view: np.ndarray, target: int, method: str, cfg: SaliencyConfig, batch_size: int) -> tuple[float, int, float]:  # type: ignore[no-untyped-def]
    scorer = clf.scorer(batch_size)
    t0 = time.perf_counter()
    attribute_image(clf, view, target, method=method, scorer=scorer, config=cfg, seed=0)
    wall = time.perf_counter() - t0
    n = scorer.stats.inputs_scored
    return wall, n, floor_seconds(clf, n, batch_size)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--evals", type=int, default=500)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--images", type=int, default=3, help="images for the end-to-end timing")
    args = ap.parse_args()

    clf = load_classifier()
    img = Image.open(sample_path("chelsea")).convert("RGB").resize((224, 224))
    view = clf.geometry(224, 224).view(img)
    target = int(np.argmax(clf.probabilities(view[None])[0]))
    clf.probabilities(np.repeat(view[None], args.batch_size, 0))  # warm-up
    # shap JIT-compiles its numba kernels on first use (~20 s, once per process) and we build its image
    # masker's partition tree once per view shape (~0.5 s): neither is overhead per call.
    measure(clf, view, target, "shap", SaliencyConfig(shap={"max_evals": 40}), args.batch_size)

    rows = []
    for method, cfg in (("shap", SaliencyConfig(shap={"max_evals": args.evals})), ("occlusion", SaliencyConfig())):
        wall, n, floor = measure(clf, view, target, method, cfg, args.batch_size)
        rows.append((method, wall, n, floor))
        print(f"{method:10s} wall {wall:7.2f} s  inputs scored {n:4d}  forward floor {floor:7.2f} s  "
              f"overhead {wall / floor:.3f}x", flush=True)

    explainer = ImageExplainer(Config(), classifier=clf)
    names = ["chelsea", "coffee", "rocket", "grace_hopper", "astronaut"][: args.images]
    explainer.explain(sample_path(names[0]))  # warm
    t0 = time.perf_counter()
    for n in names:
        explainer.explain(sample_path(n))
    per_image = (time.perf_counter() - t0) / len(names)
    print(f"explain end-to-end (gradcam, grabcut, template), models warm: {per_image:.2f} s/image")
    for method, wall, _n, floor in rows:
        print(f"RATIO {method} overhead (wall / forward floor): {wall / floor:.3f} (goal <= 1.15)")


if __name__ == "__main__":
    main()

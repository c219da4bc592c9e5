"""The attribution menu's cost: each image method as a multiple of its own forward/backward floor,
and `--method best` against a single Grad-CAM explanation (issue 14).

Floor = the time spent inside the model's forward and backward passes during the method (measured
with hooks on the model, so it counts exactly the passes the method ran); overhead = wall time /
floor. Then `verbalize explain` end to end, models warm: --method best (default candidates) over
--method gradcam. Torch threads: 1 (say otherwise with --threads); the machine has 2 shared cores.

    .venv/bin/python bench/method_menu.py [--threads 1] [--repeat 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from PIL import Image

from verbalize.core.config import Config
from verbalize.pipeline.image.explainer import ImageExplainer
from verbalize.pipeline.image.methods import SALIENCY_METHODS, attribute_image
from verbalize.pipeline.image.samples import sample_path

SKIP = {"best"}  # measured end to end below
SETTINGS = {"scorecam": {"model.target_layer": "_blocks.-1"}}
SECTIONS = {"ablationcam": {"saliency.ablationcam.channels": 0.1}, "smoothgrad": {}, "integrated-gradients": {}}


class ModelClock:
    """Seconds spent inside the model's forward and backward passes."""

    def __init__(self, model: torch.nn.Module) -> None:
        self.seconds = 0.0
        self._t: list[float] = []
        self._handles = [
            model.register_forward_pre_hook(lambda *_: self._t.append(time.perf_counter())),
            model.register_forward_hook(lambda *_: self._stop()),
            model.register_full_backward_pre_hook(lambda *_: self._t.append(time.perf_counter())),
            model.register_full_backward_hook(lambda *_: self._stop()),
        ]

    def _stop(self) -> None:
        if self._t:
            self.seconds += time.perf_counter() - self._t.pop()

    def close(self) -> None:
        for h in self._handles:
            h.remove()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    base = ImageExplainer(Config())
    clf = base.classifier
    rgb = Image.open(sample_path("chelsea")).convert("RGB")
    view = clf.geometry(*rgb.size).view(rgb)
    target = int(np.argmax(clf.probabilities(view[None])[0]))
    print(f"torch threads: {args.threads}; chelsea, EfficientNet-Lite0, batch size 32")
    print(f"{'method':22} {'wall s':>8} {'floor s':>8} {'overhead':>9}")
    for entry in SALIENCY_METHODS:
        if entry.name in SKIP:
            continue
        cfg = Config().with_overrides(**{"saliency.method": entry.name, **SETTINGS.get(entry.name, {}),
                                         **SECTIONS.get(entry.name, {})})
        explainer = ImageExplainer(cfg) if entry.name in SETTINGS else ImageExplainer(cfg, classifier=clf)
        model = explainer.classifier.model
        best_wall, best_floor = float("inf"), 0.0
        for _ in range(args.repeat):
            clock = ModelClock(model)
            scorer = explainer.classifier.scorer(32)
            t0 = time.perf_counter()
            attribute_image(explainer.classifier, view, target, method=entry.name, scorer=scorer, config=cfg.saliency,
                            seed=0)
            wall = time.perf_counter() - t0
            clock.close()
            if wall < best_wall:
                best_wall, best_floor = wall, clock.seconds
        print(f"{entry.name:22} {best_wall:8.2f} {best_floor:8.2f} {best_wall / max(best_floor, 1e-9):8.2f}x")

    def explain_seconds(method: str) -> float:
        cfg = Config().with_overrides(**{"saliency.method": method})
        e = ImageExplainer(cfg, classifier=clf)
        e.explain(sample_path("chelsea"))  # warm
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            e.explain(sample_path("chelsea"))
            times.append(time.perf_counter() - t0)
        return min(times)

    gradcam, best = explain_seconds("gradcam"), explain_seconds("best")
    print(f"explain end to end, warm: gradcam {gradcam:.2f} s, best (gradcam, gradcam++, integrated-gradients, "
          f"occlusion) {best:.2f} s")
    print(f"--method best / --method gradcam: {best / gradcam:.2f}x")


if __name__ == "__main__":
    main()

"""Batch throughput: images per minute for a 20-image batch, `--engine local` vs `--engine ray --workers 2`.

Both engines run the same 20 files (the packaged sample images at their own sizes, plus
mirrored copies) with the same config (Grad-CAM, GrabCut, template verbalizer) in this process,
each into a fresh SQLite store. Two figures per engine: end to end (the whole `batch.run` call,
model loading and Ray start-up included: what a user waits for) and after start-up (from the
moment the models are loaded and the method's first-call cost is paid: what a longer batch
converges to). The ratio ray / local after start-up comes last. The local engine runs torch with
the threads the environment gives it (all cores unless OMP_NUM_THREADS says otherwise); each Ray
worker reserves one core and runs torch and OpenCV on one thread.

    .venv/bin/python bench/batch.py [--images 20] [--workers 2] [--repeat 2]

The service's throughput and latency under concurrent clients: bench/service.py.
"""

from __future__ import annotations

import argparse
import os
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

from verbalize.core.config import Config
from verbalize.pipeline.batch import runner as batch
from verbalize.pipeline.image.samples import SAMPLES, sample_path


def make_images(folder: Path, n: int) -> Path:
    """n real photos: each packaged sample, then its mirror image, then again at 3/4 size, as needed."""
    folder.mkdir(parents=True, exist_ok=True)
    originals = [Image.open(sample_path(name)).convert("RGB") for name in SAMPLES]
    variants = [lambda im: im, ImageOps.mirror,
                lambda im: im.resize((im.width * 3 // 4, im.height * 3 // 4)),
                lambda im: ImageOps.mirror(im.resize((im.width * 3 // 4, im.height * 3 // 4)))]
    for i in range(n):
        variant, original = divmod(i, len(originals))
        variants[variant % len(variants)](originals[original]).save(folder / f"{i:02d}.png")
    return folder


@dataclass
class EngineFigures:
    engine: str
    workers: int
    images: int
    failed: int
    seconds: float
    after_start_seconds: float

    @property
    def per_minute(self) -> float:
        return 60.0 * self.images / self.seconds

    @property
    def per_minute_after_start(self) -> float:
        return 60.0 * self.images / self.after_start_seconds


def run_engine(images: Path, config: Config, engine: str, workers: int) -> EngineFigures:
    with tempfile.TemporaryDirectory(prefix=f"bench-{engine}-") as out:
        t0 = time.perf_counter()
        summary = batch.run(images, config, Path(out) / "run", engine=engine, workers=workers)  # type: ignore[arg-type]
        seconds = time.perf_counter() - t0
    return EngineFigures(engine=engine, workers=workers, images=summary.processed, failed=summary.failed,
                         seconds=seconds, after_start_seconds=summary.processing_seconds)


def batch_throughput(n_images: int = 20, workers: int = 2, repeat: int = 1) -> tuple[EngineFigures, EngineFigures]:
    """Each engine `repeat` times, alternating, the run with the best after-start-up figure kept per engine
    (other work on a shared machine then hits both engines alike)."""
    config = Config().with_overrides(**{"saliency.method": "gradcam", "segmenter.kind": "grabcut",
                                        "verbalizers": ["template"]})
    runs: dict[str, list[EngineFigures]] = {"local": [], "ray": []}
    with tempfile.TemporaryDirectory(prefix="bench-images-") as tmp:
        images = make_images(Path(tmp) / "images", n_images)
        for _ in range(repeat):
            runs["local"].append(run_engine(images, config, "local", 1))
            runs["ray"].append(run_engine(images, config, "ray", workers))
    local, ray = (min(r, key=lambda f: f.after_start_seconds) for r in runs.values())
    return local, ray


def torch_threads() -> int:
    """The local engine's torch threads: what this process's environment gives torch."""
    import torch

    return int(torch.get_num_threads())


def print_batch(local: EngineFigures, ray: EngineFigures) -> None:
    print(f"batch of {local.images} images (Grad-CAM, GrabCut, template); {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}; torch threads: local {torch_threads()}, "
          "each Ray worker 1 (one reserved core; OpenCV too)")
    for f in (local, ray):
        name = f"{f.engine} x{f.workers}"
        print(f"  {name:9s} {f.per_minute:6.1f} images/min end to end ({f.seconds:6.1f} s)   "
              f"{f.per_minute_after_start:6.1f} images/min after start-up ({f.after_start_seconds:6.1f} s)"
              + (f"   {f.failed} failed" if f.failed else ""))
    print(f"ratio ray/local, end to end: {ray.per_minute / local.per_minute:.2f}")
    print(f"ratio ray/local, after start-up: {ray.per_minute_after_start / local.per_minute_after_start:.2f} "
          "(goal >= 1.7)")


def free_port() -> int:
    """A free TCP port on loopback (bench/service.py starts its servers there)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2, help="Ray actors")
    ap.add_argument("--repeat", type=int, default=2, help="best of N runs per engine, alternating")
    args = ap.parse_args()
    local, ray = batch_throughput(args.images, args.workers, args.repeat)
    print_batch(local, ray)


if __name__ == "__main__":
    main()

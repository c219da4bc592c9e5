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

`service_throughput()` measures the service: 20 concurrent POST /v1/explain/image from an async
load generator against a real `verbalize serve` on loopback; throughput and p50/p95 latency.
`--only batch|service` runs one of the two.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
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


# -- the service ----------------------------------------------------------------------------

@dataclass
class ServiceFigures:
    """`concurrency` simultaneous POST /v1/explain/image against a real `verbalize serve` on loopback."""

    requests: int
    ok: int
    rejected: int
    seconds: float
    latencies: list[float]

    @property
    def per_minute(self) -> float:
        return 60.0 * self.ok / self.seconds

    def percentile(self, q: float) -> float:
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[int(q) - 1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _fire(base: str, files: list[Path], headers: dict[str, str]) -> list[tuple[int, float]]:
    """All requests at once from one asyncio load generator; (status, seconds) per request."""
    import httpx

    async with httpx.AsyncClient(timeout=900, headers=headers) as client:
        async def one(path: Path) -> tuple[int, float]:
            t0 = time.perf_counter()
            r = await client.post(f"{base}/v1/explain/image",
                                  files={"file": (path.name, path.read_bytes(), "image/png")})
            return r.status_code, time.perf_counter() - t0

        return await asyncio.gather(*(one(p) for p in files))


def service_throughput(n_requests: int = 20, max_concurrency: int = 32) -> ServiceFigures:
    """Throughput and latency of the service (Grad-CAM, GrabCut, template, the defaults) under a burst.

    The server is a separate process (`python -m verbalize.cli serve`), so the load
    generator never competes with it for the GIL. Its admission limit is raised above the burst so
    every request is served and the latencies include the queueing a client would see; one
    warm-up request is sent first and not counted.
    """
    import httpx

    token = os.environ.get("VERBALIZE_API_TOKEN")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with tempfile.TemporaryDirectory(prefix="bench-service-") as tmp:
        images = sorted(make_images(Path(tmp) / "images", n_requests).iterdir())
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        proc = subprocess.Popen(
            [sys.executable, "-m", "verbalize.cli", "serve", "--port", str(port), "--runs-dir",
             str(Path(tmp) / "runs"), "--max-concurrency", str(max_concurrency), "--log-level", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 300
            while True:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the service did not start")
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).json().get("status") == "ok":
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.3)
            asyncio.run(_fire(base, images[:1], headers))  # warm-up
            t0 = time.perf_counter()
            answers = asyncio.run(_fire(base, images, headers))
            seconds = time.perf_counter() - t0
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    ok = [t for status, t in answers if status == 200]
    return ServiceFigures(requests=len(answers), ok=len(ok), rejected=sum(s == 503 for s, _ in answers),
                          seconds=seconds, latencies=ok)


def print_service(f: ServiceFigures, local: EngineFigures | None = None) -> None:
    print(f"service: {f.requests} concurrent POST /v1/explain/image on loopback (Grad-CAM, GrabCut, template); "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"  {f.ok} ok, {f.rejected} rejected (503), {f.requests - f.ok - f.rejected} other, in {f.seconds:.1f} s")
    print(f"  throughput {f.per_minute:.1f} images/min   latency p50 {f.percentile(50):.1f} s   "
          f"p95 {f.percentile(95):.1f} s   max {max(f.latencies):.1f} s")
    if local is not None:
        print(f"ratio service/batch-local, after start-up: {f.per_minute / local.per_minute_after_start:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2, help="Ray actors")
    ap.add_argument("--repeat", type=int, default=2, help="batch: best of N runs per engine, alternating")
    ap.add_argument("--only", choices=["batch", "service"], help="run one of the two benchmarks")
    args = ap.parse_args()
    local = None
    if args.only != "service":
        local, ray = batch_throughput(args.images, args.workers, args.repeat)
        print_batch(local, ray)
    if args.only != "batch":
        print_service(service_throughput(args.images), local)


if __name__ == "__main__":
    main()

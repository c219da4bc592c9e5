"""Service throughput and latency at 1, 4 and 16 concurrent clients: today's path vs micro-batching.

Each configuration is a real `verbalize serve` process on loopback (the defaults: Grad-CAM, GrabCut,
template). All are started and warmed up (one request per model slot) first; then each load level
(1, 4, 16 clients) runs on each configuration in turn, so that on a shared machine a slow spell
hits all of them alike. Every client sends its requests one after another (a closed loop), so the
latencies include the queueing a client would see. The load generator is this process (asyncio + httpx).

- today:   `--max-batch 1`, one request at a time through one model copy (the code path before
           the micro-batcher; also what batching off gives);
- batched: the micro-batcher with its defaults (`--max-batch 8`, `--batch-window-ms 5`);
- batched --workers N: the same behind N model processes.

Thread count: every server gets OMP_NUM_THREADS=--threads (default: all cores); `--workers N`
divides them between its N processes (at least 1 each). Printed with the figures. The ratio of
throughput at 16 clients, best batched configuration over today's, comes last.

    .venv/bin/python bench/service.py [--workers 2] [--threads 2] [--requests 4 8 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from batch import free_port, make_images  # noqa: E402 - the sample photos, as the batch bench uses them

LEVELS = (1, 4, 16)


@dataclass
class Level:
    """One load level of one configuration."""

    clients: int
    ok: int
    failed: int
    seconds: float
    latencies: list[float]

    @property
    def per_minute(self) -> float:
        return 60.0 * self.ok / self.seconds

    def percentile(self, q: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[q - 1]


async def _load(base: str, images: list[Path], clients: int, headers: dict[str, str]) -> tuple[list[tuple[int, float]], float]:
    """`clients` closed-loop clients share `images` (one request each); (status, seconds) per request."""
    import httpx

    todo = list(images)
    answers: list[tuple[int, float]] = []
    async with httpx.AsyncClient(timeout=1800, headers=headers) as client:
        async def run_client() -> None:
            while todo:
                path = todo.pop()
                t0 = time.perf_counter()
                r = await client.post(f"{base}/v1/explain/image",
                                      files={"file": (path.name, path.read_bytes(), "image/png")})
                answers.append((r.status_code, time.perf_counter() - t0))

        t0 = time.perf_counter()
        await asyncio.gather(*(run_client() for _ in range(clients)))
        return answers, time.perf_counter() - t0


def start(flags: list[str], runs: Path, threads: int) -> tuple[subprocess.Popen[bytes], str]:
    """`verbalize serve FLAGS` on a free port; returns once its models are loaded."""
    import httpx

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "verbalize.cli", "serve", "--port", str(port), "--runs-dir", str(runs),
         "--max-concurrency", "64", "--log-level", "warning", *flags],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 600
    while True:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"verbalize serve {' '.join(flags)} did not start")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).json().get("status") == "ok":
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.3)


def measure(name: str, base: str, images: list[Path], clients: int, headers: dict[str, str]) -> Level:
    answers, seconds = asyncio.run(_load(base, images, clients, headers))
    ok = [t for status, t in answers if status == 200]
    level = Level(clients, len(ok), len(answers) - len(ok), seconds, ok)
    print(f"  {name:22s} {clients:2d} clients: {level.per_minute:6.1f} images/min   p50 {level.percentile(50):5.1f} s   "
          f"p95 {level.percentile(95):5.1f} s   ({level.ok} ok, {level.failed} failed, {seconds:.1f} s, "
          f"load average {os.getloadavg()[0]:.1f})", flush=True)
    return level


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, default=2, help="model processes of the third configuration")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch threads per server (default: all cores)")
    ap.add_argument("--requests", type=int, nargs=3, default=[4, 8, 16], metavar=("AT1", "AT4", "AT16"),
                    help="requests sent at 1, 4 and 16 clients")
    args = ap.parse_args()
    requests = dict(zip(LEVELS, args.requests, strict=True))
    per_worker = max(1, args.threads // args.workers)
    print(f"service, POST /v1/explain/image (Grad-CAM, GrabCut, template; the sample photos); {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}; {args.threads} torch thread(s) per server, "
          f"{per_worker} per process with --workers {args.workers}", flush=True)
    token = os.environ.get("VERBALIZE_API_TOKEN")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    configs = {"today (--max-batch 1)": (["--max-batch", "1"], 1),
               "batched": ([], 1),
               f"batched --workers {args.workers}": (["--workers", str(args.workers)], args.workers)}
    results: dict[str, dict[int, Level]] = {name: {} for name in configs}
    servers: dict[str, tuple[subprocess.Popen[bytes], str]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-service-") as tmp:
        images = sorted(make_images(Path(tmp) / "images", max(max(args.requests), args.workers)).iterdir())
        try:
            # All servers up (idle ones cost no CPU), warmed up, then each load level on each in
            # turn: on a shared machine a slow spell then hits every configuration alike.
            for n, (name, (flags, slots)) in enumerate(configs.items()):
                servers[name] = start(flags, Path(tmp) / f"runs-{n}", args.threads)
                asyncio.run(_load(servers[name][1], images[:slots], slots, headers))  # every model copy once
            for clients in LEVELS:
                for name in configs:
                    results[name][clients] = measure(name, servers[name][1], images[: requests[clients]], clients,
                                                     headers)
        finally:
            for proc, _ in servers.values():
                proc.terminate()
                proc.wait(timeout=120)
    today = results["today (--max-batch 1)"][16].per_minute
    for name, levels in results.items():
        if name.startswith("batched"):
            print(f"ratio {name} / today, throughput at 16 clients: {levels[16].per_minute / today:.2f}")
    best = max((n for n in results if n.startswith("batched")), key=lambda n: results[n][16].per_minute)
    print(f"ratio best batched ({best}) / today, throughput at 16 clients: "
          f"{results[best][16].per_minute / today:.2f} (goal >= 1.5)")


if __name__ == "__main__":
    main()

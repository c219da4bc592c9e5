"""LLM backends: what concurrency, the response cache and batching buy for label probabilities.

1. 64 label-probability requests (64 distinct prompts) to a local llama.cpp server (llama-cpp-python,
   embedded SmolLM2-135M GGUF) through the openai backend, at concurrency 1 and 8: wall times and
   their ratio. Once straight to the server, once through a proxy that adds `--latency` seconds per
   request (a network between client and server, where concurrency is meant to pay).
2. The same 64 again with the response cache warm, from a new backend on the same cache file:
   requests that reached the server (counted at the proxy; must be 0).
3. The local transformers backend (embedded SmolLM2): the 64 prompts in batched forward passes vs
   one at a time: wall times and their ratio.

    .venv/bin/python bench/llm_backends.py [--n 64] [--latency 0.1] [--batch-size 16]

Prints the figures; the ratios last.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from llm_fixtures import FaultProxy, running_llama_server  # noqa: E402

from verbalize.adapters.llm.cache import ResponseCache  # noqa: E402
from verbalize.adapters.llm.local import LocalBackend  # noqa: E402
from verbalize.adapters.llm.openai import OpenAIBackend  # noqa: E402
from verbalize.prompts import load_prompt  # noqa: E402

LABELS = ["positive", "negative"]
OPENINGS = ["I thought", "Honestly,", "My friends said", "Critics agree", "In my view", "Frankly,", "We all felt",
            "To be fair,"]
VERDICTS = ["the film was wonderful", "the plot was dull", "the acting was superb", "it was far too long",
            "the music was moving", "the jokes fell flat", "it is a masterpiece", "I want my money back"]


def prompts(n: int) -> list[list[dict[str, str]]]:
    p = load_prompt("classify_label")
    texts = [f"{o} {v}." for o in OPENINGS for v in VERDICTS]
    texts = (texts * (n // len(texts) + 1))[:n] if n > len(texts) else texts[:n]
    texts = [f"{t} (review {i + 1})" for i, t in enumerate(texts)]  # distinct, so nothing is shared
    return [p.format(task="Classify the sentiment of the movie review.", labels=", ".join(LABELS), input=t)
            for t in texts]


def timed_remote(url: str, batch: list[list[dict[str, str]]], concurrency: int,
                 cache: ResponseCache | None = None) -> tuple[float, OpenAIBackend]:
    backend = OpenAIBackend("smollm2", base_url=url, concurrency=concurrency, cache=cache)
    t0 = time.perf_counter()
    backend.label_probabilities(batch, LABELS, prompt_id=load_prompt("classify_label").id)
    return time.perf_counter() - t0, backend


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=64)
    ap.add_argument("--latency", type=float, default=0.1, help="seconds added per request by the proxy")
    ap.add_argument("--batch-size", type=int, default=16, help="local backend: prompts per forward pass")
    ap.add_argument("--threads", type=int, default=0, help="torch threads for the local backend (0: torch's default)")
    ap.add_argument("--only", choices=["remote", "local"], help="run one half")
    args = ap.parse_args()
    batch = prompts(args.n)
    ratios: list[str] = []
    if args.only != "local":
        remote_figures(args, batch, ratios)
    if args.only != "remote":
        local_figures(args, batch, ratios)
    print("ratios: " + "; ".join(ratios))


def remote_figures(args: argparse.Namespace, batch: list[list[dict[str, str]]], ratios: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp, running_llama_server(Path(tmp) / "server.log") as server:
        timed_remote(server, batch[:2], 1)  # warm-up: model pages, prompt cache
        for name, latency in (("llama.cpp server", 0.0), (f"+{args.latency:g} s network latency", args.latency)):
            proxy = FaultProxy(server)
            proxy.latency_s = latency
            t1, _ = timed_remote(proxy.url, batch, 1)
            t8, _ = timed_remote(proxy.url, batch, 8)
            print(f"{name}: {args.n} label requests, concurrency 1: {t1:.2f} s, concurrency 8: {t8:.2f} s "
                  f"(peak in flight {proxy.peak_in_flight})")
            ratios.append(f"concurrency 8 vs 1 ({name}) {t1 / t8:.2f}x")
            proxy.close()

        proxy = FaultProxy(server)
        cache = ResponseCache(Path(tmp) / "responses.sqlite")
        t_cold, _ = timed_remote(proxy.url, batch, 8, cache)
        before = len(proxy.requests)
        t_warm, rerun = timed_remote(proxy.url, batch, 8, ResponseCache(cache.path))
        rerun_requests = len(proxy.requests) - before
        print(f"response cache: first run {before} requests in {t_cold:.2f} s; rerun {rerun_requests} requests "
              f"in {t_warm:.3f} s ({sum(c.cached for c in rerun.calls)}/{len(rerun.calls)} answers cached)")
        proxy.close()
        if rerun_requests != 0:
            raise SystemExit("FAIL: the cached rerun sent requests")



def local_figures(args: argparse.Namespace, batch: list[list[dict[str, str]]], ratios: list[str]) -> None:
    if args.threads:
        torch.set_num_threads(args.threads)
    local = LocalBackend(batch_size=args.batch_size)
    local.label_probabilities(batch[:2], LABELS)  # warm-up
    t0 = time.perf_counter()
    batched = local.label_probabilities(batch, LABELS)
    t_batched = time.perf_counter() - t0
    passes = local.calls[-1].forward_passes
    t0 = time.perf_counter()
    single = [local.label_probabilities([p], LABELS)[0] for p in batch]
    t_single = time.perf_counter() - t0
    diff = float(np.abs(batched - np.stack(single)).max())
    print(f"local backend ({local.model}, torch threads {torch.get_num_threads()}): {args.n} prompts batched "
          f"({passes} forward passes of <= {args.batch_size}): {t_batched:.2f} s; one at a time: {t_single:.2f} s; "
          f"max |difference| {diff:.1e}")
    ratios.append(f"local batched vs one-at-a-time {t_single / t_batched:.2f}x")


if __name__ == "__main__":
    main()

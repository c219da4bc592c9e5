"""Start-up cost of the CLI: `verbalize verify` end to end vs `python -c "import torch"`.

Both are fresh interpreters started from this process, timed wall clock from spawn to exit (what
a user waits for), best of N runs each after one warm-up (so the file cache is warm for both).
`verify` checks one sentence against a real explanation.json made beforehand (not timed); it must
import no torch, so its time is Python + typer + rich + pydantic + the verifier.
The ratio verify / import torch comes last: below 1 means checking a text costs less than merely
importing torch.

    .venv/bin/python bench/cli_startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def wall(cmd: list[str], runs: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    subprocess.run(cmd, check=True, capture_output=True, env=env)  # warm-up
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=env)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from verbalize.core.config import Config
    from verbalize.pipeline.image.explainer import ImageExplainer
    from verbalize.pipeline.image.samples import sample_path

    with tempfile.TemporaryDirectory() as tmp:
        cfg = Config().with_overrides(**{"facts.curve_steps": 4})
        out = ImageExplainer(cfg).explain(sample_path("chelsea")).write(Path(tmp) / "ex")
        verify = [sys.executable, "-m", "verbalize.cli", "verify", str(out / "explanation.json"),
                  "--text", "The model predicts Egyptian cat, most of the evidence in the centre."]
        t_verify = wall(verify, args.runs)
        t_torch = wall([sys.executable, "-c", "import torch"], args.runs)
    print(f"verbalize verify (fresh process, wall): {t_verify:.2f} s  (best of {args.runs})")
    print(f"python -c 'import torch' (fresh process, wall): {t_torch:.2f} s  (best of {args.runs})")
    print(f"ratio verify / import torch: {t_verify / t_torch:.2f}")


if __name__ == "__main__":
    main()

"""Regenerate facts/*.json and attributions/*.json from the project's own CLI.

Run from anywhere; it calls `verbalize explain` / `verbalize explain-text` through the Python
that runs this script, with the project's code on PYTHONPATH (set PYTHONPATH yourself when the
package is not installed, e.g. `PYTHONPATH=/tmp/stable:/tmp/vader-pkgs`).

    OMP_NUM_THREADS=1 python bench/verifier/make_sources.py [--images] [--texts]

Image runs (embedded efficientnet-lite0, GrabCut segmenter, default config):
  NAME.json           explain --sample NAME                                (gradcam, fill=blur)
  NAME_eigencam.json  VERBALIZE_FACTS__FILL=mean explain --sample NAME --method eigencam
Text runs: explain-text TEXT --model vader --methods occlusion --json (whitespace tokens).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

IMAGES = ["chelsea", "coffee", "astronaut", "rocket", "motorcycle", "china", "grace_hopper", "flower"]
EIGENCAM = ["chelsea", "astronaut", "china", "grace_hopper"]

# name -> review text (10-25 words; no repeated content words, so word claims are unambiguous)
TEXTS = {
    "food_service": "The food was not bad but the service was a total mess and we left early",
    "acting_plot": "I loved the acting and the soundtrack was wonderful even if the plot felt a little slow",
    "phone_battery": "This phone is not great because the battery dies quickly and the screen scratches far too easily",
    "hotel_breakfast": "Honestly the hotel was clean and the staff were friendly but the breakfast was terrible",
    "sequel_jokes": "The sequel is not nearly as boring as the first film and the jokes actually work",
    "story_again": "A beautiful and moving story with brilliant performances that I will happily watch again",
    "delivery_damaged": "The delivery was late and the package arrived damaged so I am very disappointed with this shop",
}

CLI = [sys.executable, "-c", "from verbalize.cli import main; main()"]


def run_image(name: str, eigencam: bool) -> None:
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    args = ["explain", "--sample", name]
    out_name = name
    if eigencam:
        env["VERBALIZE_FACTS__FILL"] = "mean"
        args += ["--method", "eigencam"]
        out_name = f"{name}_eigencam"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(CLI + args + ["--out", tmp], check=True, env=env, stdout=subprocess.DEVNULL)
        facts = json.loads((Path(tmp) / "explanation.json").read_text())["facts"]
    (HERE / "facts").mkdir(exist_ok=True)
    (HERE / "facts" / f"{out_name}.json").write_text(json.dumps(facts, indent=2) + "\n")
    print("facts", out_name, facts["label"], facts["probability"])


def run_text(name: str, text: str) -> None:
    out = subprocess.run(CLI + ["explain-text", text, "--model", "vader", "--methods", "occlusion", "--json"],
                         check=True, capture_output=True, text=True).stdout
    e = json.loads(out)
    att = next(a for a in e["attributions"] if a["method"] == "occlusion")
    record = {
        "text": text,
        "tokens": e["tokens"],
        "scores": [round(float(v), 4) for v in att["summary"]["values"]],
        "label": e["target_label"],
        "labels": e["classifier"]["labels"],
        "predicted": e["prediction"]["label"],
        "probability": round(float(e["prediction"]["probability"]), 4),
        "method": "occlusion",
        "model": "vader",
    }
    (HERE / "attributions").mkdir(exist_ok=True)
    (HERE / "attributions" / f"{name}.json").write_text(json.dumps(record, indent=2) + "\n")
    print("text", name, record["predicted"], record["probability"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", action="store_true")
    ap.add_argument("--texts", action="store_true")
    a = ap.parse_args()
    both = not (a.images or a.texts)
    if a.images or both:
        for n in IMAGES:
            run_image(n, eigencam=False)
        for n in EIGENCAM:
            run_image(n, eigencam=True)
    if a.texts or both:
        for n, t in TEXTS.items():
            run_text(n, t)


if __name__ == "__main__":
    main()

"""LLM and VLM verbalizers for images: the fact sheet as text (and, for a VLM, the pictures).

The model is told the numbers and asked for a short lay explanation; whatever it writes is then
verified claim by claim like any other text, so a fluent but wrong answer shows a low fidelity
next to it rather than passing as an explanation.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from PIL import Image

from verbalize.config import Config
from verbalize.pipeline.verbalization import SEGMENTER_NAMES, pct
from verbalize.prompts import load_prompt
from verbalize.report.images import overlay, segment_crop
from verbalize.types import FactSheet, Verbalization

PROMPTS = {"llm": "image_facts_llm", "vlm": "image_facts_vlm"}


def facts_as_text(f: FactSheet) -> str:
    """The fact sheet as short lines, numbers pre-formatted exactly as the verifier will accept them."""
    lines = [
        f"- predicted label: '{f.label}' with probability {pct(f.probability)}",
        "- other likely labels: " + ", ".join(f"'{a.label}' {pct(a.probability)}" for a in f.alternatives[:3]),
        f"- the part of the image with most saliency: the {f.saliency_region}",
        f"- the salient object was segmented with {SEGMENTER_NAMES.get(f.segment_method, f.segment_method)}; "
        f"it covers {pct(f.segment_area)} of the image and holds {pct(f.saliency_in_segment)} of the positive saliency",
        f"- probability of '{f.label}' with only the object kept: {pct(f.p_segment_only)}",
        f"- probability of '{f.label}' with the object removed: {pct(f.p_segment_removed)}",
    ]
    return "\n".join(lines)


def grid_as_text(f: FactSheet) -> str:
    return "\n".join(" | ".join(pct(v) for v in row) for row in f.saliency_grid)


def language_verbalization(kind: str, facts: FactSheet, backend: Any, config: Config, *, image: np.ndarray,
                           saliency: np.ndarray, mask: Any) -> Verbalization:
    """Ask `backend` for an explanation; a failed call is returned as a failed Verbalization, not raised."""
    prompt = load_prompt(PROMPTS[kind], config.llm.prompts_dir)
    messages = prompt.format(label=facts.label, facts=facts_as_text(facts), grid=grid_as_text(facts))
    images = None
    if kind == "vlm":
        m = np.asarray(mask, dtype=bool)
        images = [Image.fromarray(a) for a in (image, overlay(image, saliency), segment_crop(image, m))]
    t0 = time.perf_counter()
    gen = backend.generate(messages, images=images, prompt_id=prompt.id)
    return Verbalization(
        verbalizer=kind, text=gen.text if gen.ok else "", ok=gen.ok, error=gen.error, raw=gen.raw,
        model=f"{backend.backend}:{backend.model}", prompt=prompt.id, seconds=round(time.perf_counter() - t0, 4))

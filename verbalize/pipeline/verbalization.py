"""Verbalizers: turn a fact sheet into words for a lay reader.

The template verbalizer is faithful by construction: every number it prints is a fact-sheet
value formatted by `pct`, the same rounding the verifier allows for. The LLM and VLM verbalizers
live beside it and are checked by `verification.py` like any other text.
"""

from __future__ import annotations

import time

from verbalize.pipeline.facts import GRID_WORDS
from verbalize.types import FactSheet, Verbalization

SEGMENTER_NAMES = {"sam": "Segment Anything (SAM)", "grabcut": "GrabCut"}


def pct(x: float) -> str:
    """A probability or share as a whole percentage, e.g. 0.7612 -> '76%'."""
    return f"{round(100 * x)}%"


def template_sentences(f: FactSheet) -> list[str]:
    """Two to four sentences: prediction, where the model looked, what the object is worth."""
    sentences = []
    first = f'The model predicts "{f.label}" with {pct(f.probability)} probability'
    if f.alternatives:
        alt = f.alternatives[0]
        first += f'; the runner-up is "{alt.label}" at {pct(alt.probability)}'
    sentences.append(first + ".")

    r, c = _cell(f.saliency_region)
    sentences.append(
        f"It looked mostly at the {f.saliency_region} of the image, which holds "
        f"{pct(f.saliency_grid[r][c])} of the positive saliency."
    )
    sentences.append(
        f"{pct(f.saliency_in_segment)} of the positive saliency falls on the object segmented with "
        f"{SEGMENTER_NAMES.get(f.segment_method, f.segment_method)}, which covers {pct(f.segment_area)} of the image."
    )
    if round(100 * f.p_segment_removed) != round(100 * f.probability):
        verb = "lowers" if f.p_segment_removed < f.probability else "raises"
        sentences.append(
            f'Removing that object {verb} the probability of "{f.label}" to {pct(f.p_segment_removed)}, '
            f"and keeping only the object gives {pct(f.p_segment_only)}."
        )
    else:
        sentences.append(
            f'Removing that object leaves the probability of "{f.label}" at {pct(f.p_segment_removed)}, '
            f"and keeping only the object gives {pct(f.p_segment_only)}."
        )
    return sentences


def _cell(region: str) -> tuple[int, int]:
    for r, row in enumerate(GRID_WORDS):
        if region in row:
            return r, row.index(region)
    raise ValueError(region)


def template_verbalization(facts: FactSheet) -> Verbalization:
    t0 = time.perf_counter()
    text = " ".join(template_sentences(facts))
    return Verbalization(verbalizer="template", text=text, prompt="template@1",
                         seconds=round(time.perf_counter() - t0, 4))

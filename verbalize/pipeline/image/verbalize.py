"""Verbalizers: turn a fact sheet into words for a lay reader. Each is one entry in `IMAGE_VERBALIZERS`.

- ``template``: faithful by construction: every number it prints is a fact-sheet value formatted by
  `pct`, the same rounding the verifier allows for.
- ``llm`` / ``vlm``: the fact sheet as text (and, for a VLM, the picture, the overlay and the
  segment crop) sent to a chat backend; whatever it writes is verified claim by claim like any
  other text, so a fluent but wrong answer shows a low fidelity next to it.

A verbalizer is ``fn(facts, context) -> Verbalization``; `VerbalizerContext` carries what the
language verbalizers need (the backend, the config, the pictures).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from verbalize.core.config import Config
from verbalize.core.formatting import pct
from verbalize.core.registry import Registry
from verbalize.core.types import Verbalization
from verbalize.pipeline.image.ranking import ranking_sentence
from verbalize.pipeline.image.regions import region_sentences
from verbalize.pipeline.image.render import overlay, segment_crop
from verbalize.pipeline.image.types import GRID_WORDS, FactSheet

if TYPE_CHECKING:
    from verbalize.adapters.llm import ChatBackend


@dataclass
class VerbalizerContext:
    """What a verbalizer may use besides the fact sheet; `backend()` loads the LLM on first use."""

    config: Config
    image: np.ndarray
    saliency: np.ndarray
    mask: np.ndarray
    backend: Callable[[], ChatBackend]


Verbalizer = Callable[[FactSheet, VerbalizerContext], Verbalization]

IMAGE_VERBALIZERS: Registry[Verbalizer] = Registry("verbalizer")


SEGMENTER_NAMES = {"sam": "Segment Anything (SAM)", "sam2": "SAM 2", "grabcut": "GrabCut"}




def template_sentences(f: FactSheet) -> list[str]:
    """Two to four sentences: prediction, where the model looked, what the object is worth."""
    sentences = []
    if f.predicted:
        first = f'The model predicts "{f.label}" with {pct(f.probability)} probability'
        if f.alternatives:
            alt = f.alternatives[0]
            first += f'; the runner-up is "{alt.label}" at {pct(alt.probability)}'
    else:  # a chosen class: say so, and never call it the prediction
        first = f'This explains the class "{f.label}", which has {pct(f.probability)} probability'
        if f.alternatives:
            top = f.alternatives[0]
            first += f'; the model ranks "{top.label}" first at {pct(top.probability)}'
    sentences.append(first + ".")

    r, c = _cell(f.saliency_region)
    sentences.append(
        f"It looked mostly at the {f.saliency_region} of the image, which holds "
        f"{pct(f.saliency_grid[r][c])} of the positive saliency."
    )
    if f.regions:  # several salient objects: one sentence on their shares, one per object on its effect
        sentences += region_sentences(f)
    else:
        sentences += _one_object_sentences(f)
    ranking = ranking_sentence(f)
    if ranking:
        sentences.append(ranking)
    return sentences


CHANGE_MIN = 0.02
"""A change in p(label) smaller than this is not called "lowers" / "raises" (the verifier's threshold)."""


def _one_object_sentences(f: FactSheet) -> list[str]:
    sentences = [
        f"{pct(f.saliency_in_segment)} of the positive saliency falls on the object segmented with "
        f"{SEGMENTER_NAMES.get(f.segment_method, f.segment_method)}, which covers {pct(f.segment_area)} of the image."
    ]
    change = f.p_segment_removed - f.probability
    if abs(change) > CHANGE_MIN:  # the verifier's rule for lowers / raises, so the words always verify
        verb = "lowers" if change < 0 else "raises"
        sentences.append(
            f'Removing that object {verb} the probability of "{f.label}" to {pct(f.p_segment_removed)}, '
            f"and keeping only the object gives {pct(f.p_segment_only)}."
        )
    else:
        sentences.append(
            f'Removing that object barely changes the probability of "{f.label}": it becomes '
            f"{pct(f.p_segment_removed)}, and keeping only the object gives {pct(f.p_segment_only)}."
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


PROMPTS = {"llm": "image_facts_llm", "vlm": "image_facts_vlm"}


def facts_as_text(f: FactSheet) -> str:
    """The fact sheet as short lines, numbers pre-formatted exactly as the verifier will accept them, each
    followed by its fact id (``[p_label]``, see `verify.fact_ids`): the prompts ask the model to cite the id
    after every number it uses, and the verifier checks a cited number against exactly that fact."""
    lines = [
        f"- predicted label: '{f.label}' with probability {pct(f.probability)} [p_label]",
        "- other likely labels: " + ", ".join(f"'{a.label}' {pct(a.probability)} [p_alt{i}]"
                                              for i, a in enumerate(f.alternatives[:3], 1)),
        f"- the part of the image with most saliency: the {f.saliency_region}",
        f"- the salient object was segmented with {SEGMENTER_NAMES.get(f.segment_method, f.segment_method)}; "
        f"it covers {pct(f.segment_area)} [segment_area] of the image and holds {pct(f.saliency_in_segment)} "
        "[saliency_in_segment] of the positive saliency",
        f"- probability of '{f.label}' with only the object kept: {pct(f.p_segment_only)} [p_only]",
        f"- probability of '{f.label}' with the object removed: {pct(f.p_segment_removed)} [p_removed]",
    ]
    lines += [f"- salient region {i + 1}, in the {r.location}: {pct(r.saliency_share)} of the positive saliency; "
              f"probability of '{f.label}' with it removed {pct(r.p_removed)}, with it kept alone {pct(r.p_only)}"
              for i, r in enumerate(f.regions)]
    return "\n".join(lines)


def grid_as_text(f: FactSheet) -> str:
    return "\n".join(" | ".join(pct(v) for v in row) for row in f.saliency_grid)


def language_verbalization(kind: str, facts: FactSheet, backend: Any, config: Config, *, image: np.ndarray,
                           saliency: np.ndarray, mask: Any) -> Verbalization:
    """Ask `backend` for an explanation; a failed call is returned as a failed Verbalization, not raised."""
    # langchain-core takes ~0.5 s to import: only the LLM and VLM words need the prompt files.
    from verbalize.prompts import load_prompt

    prompt = load_prompt(PROMPTS[kind], config.llm.prompts_dir)
    messages = prompt.format(label=facts.label, facts=facts_as_text(facts), grid=grid_as_text(facts))
    images = None
    if kind == "vlm":
        m = np.asarray(mask, dtype=bool)
        from PIL import Image

        images = [Image.fromarray(a) for a in (image, overlay(image, saliency), segment_crop(image, m))]
    t0 = time.perf_counter()
    gen = backend.generate(messages, images=images, prompt_id=prompt.id)
    return Verbalization(
        verbalizer=kind, text=gen.text if gen.ok else "", ok=gen.ok, error=gen.error, raw=gen.raw,
        model=f"{backend.backend}:{backend.model}", prompt=prompt.id, seconds=round(time.perf_counter() - t0, 4))


@IMAGE_VERBALIZERS.register("template", description="fixed sentences from the fact sheet; faithful by construction")
def _template(facts: FactSheet, ctx: VerbalizerContext) -> Verbalization:
    return template_verbalization(facts)


@IMAGE_VERBALIZERS.register("llm", description="a chat model writes from the fact sheet as text", uses_llm=True)
def _llm(facts: FactSheet, ctx: VerbalizerContext) -> Verbalization:
    return language_verbalization("llm", facts, ctx.backend(), ctx.config, image=ctx.image, saliency=ctx.saliency,
                                  mask=ctx.mask)


@IMAGE_VERBALIZERS.register("vlm", description="a vision-language model also sees the image, overlay and segment",
                            uses_llm=True)
def _vlm(facts: FactSheet, ctx: VerbalizerContext) -> Verbalization:
    return language_verbalization("vlm", facts, ctx.backend(), ctx.config, image=ctx.image, saliency=ctx.saliency,
                                  mask=ctx.mask)

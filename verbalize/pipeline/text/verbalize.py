"""Token attributions put into words, after Feldhus et al. 2023 ("Saliency Map Verbalization").

Two verbalizers and one automatic measure:

- `template_verbalization`: model-free. Candidate units are searched in windows of 5 tokens:
  masks selecting 2-3 positions (their "convolution search"), centred spans and single tokens.
  A candidate's score is the mean of its tokens' attributions, normalised by the largest one; it
  is kept when that mean reaches a threshold (by default the mean positive normalised
  attribution, their "mean: 1"). Kept candidates are ranked by *coverage*, their share of the
  text's positive attribution mass, and taken greedily without overlap. The first is written as
  «The phrase »…« is most important for the prediction.», the next ones as «The word »…« is
  also salient.». It is faithful by construction, and `verify_text_verbalization` confirms it.
- `llm_verbalization`: the instruction prompt ``feldhus_instruct``: the text with each word
  followed by its score in brackets (2 decimals, scores rescaled so the largest magnitude is 1,
  as the paper normalised by the max), the label, and "briefly explain why". Its claims are then
  checked against the scores it was shown.
- `coverage_at_k`: the share of the positive attribution mass held by the top-k positive tokens
  that the verbalization cites (Feldhus et al.'s evaluation script: cited words are those in
  ``»…«`` or quotes; a token counts when its lower-cased form is cited).

Why both: the paper's human raters preferred the GPT texts (helpfulness ~5.8/7 vs ~4.5 on IMDb)
while they covered less of the attribution (coverage@5 .296 vs .353). Reporting coverage@k and
claim-level fidelity next to each text lets a user see that trade-off on their own model.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from verbalize.core.types import Verbalization
from verbalize.pipeline.text.verify import cited_words, core, verify_text_verbalization
from verbalize.prompts import load_prompt

WINDOW = 5
COVERAGE_KS: tuple[int, ...] = (1, 3, 5)
"""The k of coverage@k reported with every verbalization (Feldhus et al. plotted k = 1..10)."""


class TextSpan(BaseModel):
    """A cited unit of the template: token positions (a gap is allowed), its words and its weight."""

    positions: list[int]
    text: str = Field(description="its tokens; a gap between positions is written as '…'")
    coverage: float = Field(description="share of the text's positive attribution mass in these tokens")
    mean_score: float = Field(description="mean attribution of the tokens, normalised by the largest")


class TextVerbalization(Verbalization):
    """A verbalization of a token attribution, with its coverage@k (k in `COVERAGE_KS`)."""

    label: str | None = Field(default=None, description="the label the verbalized scores point towards")
    coverage: dict[str, float | None] = Field(default_factory=dict, description="'1', '3', '5' → coverage@k")
    spans: list[TextSpan] = Field(default_factory=list, description="template only: the units it names")
    scores_shown: list[float] | None = Field(
        default=None, description="LLM only: the (rescaled) scores the model saw, which claims are checked against"
    )


# ------------------------------------------------------------------------------ coverage


def coverage_at_k(
    verbalization_text: str,
    tokens: Sequence[str],
    scores: Sequence[float] | np.ndarray,
    k: int,
    *,
    denominator: Literal["all", "topk"] = "all",
) -> float:
    """Share of the positive attribution mass that the verbalization's citations capture, top-k only.

    With P = the tokens with score > 0 sorted by descending score (ties by position), T_k its
    first k, and C the words the text cites (``»…«``, quotes, ``word (0.12)``; lower-cased,
    surrounding punctuation ignored; all punctuation when it says "punctuation"):

        coverage@k = Σ_{i ∈ T_k, token_i ∈ C} s_i  /  D

    with D = Σ_{i ∈ P} s_i (``denominator="all"``, Feldhus et al.'s script, whose IMDb figures
    were template .353 and GPT .296 at k = 5) or D = Σ_{i ∈ T_k} s_i (``"topk"``: the share of the
    top-k mass itself, 1.0 when all k are cited). NaN when no token has a positive score.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    s = np.asarray(scores, dtype=float).reshape(-1)
    if s.size != len(tokens):
        raise ValueError(f"{s.size} scores for {len(tokens)} tokens")
    positive = [i for i in np.argsort(-s, kind="stable").tolist() if s[i] > 0]
    if not positive:
        return math.nan
    top = positive[:k]
    cited = cited_words(verbalization_text)
    hit = sum(float(s[i]) for i in top if core(tokens[i]) in cited)
    if denominator == "all":
        total = sum(float(s[i]) for i in positive)
    elif denominator == "topk":
        total = sum(float(s[i]) for i in top)
    else:
        raise ValueError(f"denominator must be 'all' or 'topk', got {denominator!r}")
    return hit / total


def coverages(text: str, tokens: Sequence[str], scores: Sequence[float] | np.ndarray,
              ks: Sequence[int] = COVERAGE_KS) -> dict[str, float | None]:
    """coverage@k for each k (None where undefined, so the dict stays JSON)."""
    out: dict[str, float | None] = {}
    for k in ks:
        v = coverage_at_k(text, tokens, scores, k)
        out[str(k)] = None if math.isnan(v) else v
    return out


# ------------------------------------------------------------------------------ the template


def _masks(width: int) -> list[tuple[int, ...]]:
    """Position sets inside a window: 2-3 of its positions, centred odd spans, single tokens."""
    masks: set[tuple[int, ...]] = set()
    for size in (2, 3):
        if size < width:
            masks.update(combinations(range(width), size))
    for size in range(3, width + 1, 2):
        lead = (width - size) // 2
        masks.add(tuple(range(lead, lead + size)))
    masks.update((i,) for i in range(width))
    return sorted(masks)


@dataclass(frozen=True)
class _Candidate:
    positions: tuple[int, ...]
    coverage: float
    mean: float


def search_spans(
    tokens: Sequence[str],
    scores: Sequence[float] | np.ndarray,
    *,
    window: int = WINDOW,
    threshold: float | None = None,
    max_spans: int = 3,
) -> list[TextSpan]:
    """The template's units: Feldhus et al.'s window search, ranked by coverage, without overlap.

    `threshold` applies to the mean normalised attribution of a candidate (default: the mean of
    the positive normalised attributions). Empty when no token has a positive score.
    """
    s = np.asarray(scores, dtype=float).reshape(-1)
    if s.size != len(tokens):
        raise ValueError(f"{s.size} scores for {len(tokens)} tokens")
    positive = np.clip(s, 0, None)
    total = float(positive.sum())
    if not len(tokens) or total <= 0:
        return []
    a = s / float(s.max())
    cut = float(a[a > 0].mean()) if threshold is None else threshold
    width = min(window, len(tokens))
    seen: set[tuple[int, ...]] = set()
    candidates: list[_Candidate] = []
    for start in range(len(tokens) - width + 1):
        for mask in _masks(width):
            pos = tuple(start + i for i in mask)
            if pos in seen:
                continue
            seen.add(pos)
            mean = float(a[list(pos)].mean())
            if mean < cut - 1e-12:
                continue
            # Tokens without positive attribution at the edges add no coverage: drop them, so a
            # phrase starts and ends with evidence ("wonderful , moving", not "a wonderful , moving").
            kept = list(pos)
            while kept and s[kept[0]] <= 0:
                kept.pop(0)
            while kept and s[kept[-1]] <= 0:
                kept.pop()
            if kept:
                trimmed = tuple(kept)
                candidates.append(_Candidate(trimmed, float(positive[kept].sum()) / total, float(a[kept].mean())))
    # Most coverage first; then the denser unit (higher mean), then the earlier one.
    candidates.sort(key=lambda c: (-c.coverage, -c.mean, c.positions))
    taken: set[int] = set()
    spans: list[TextSpan] = []
    for c in candidates:
        extent = set(range(c.positions[0], c.positions[-1] + 1))
        if extent & taken:
            continue
        taken |= extent
        spans.append(TextSpan(positions=list(c.positions), text=_render(tokens, c.positions),
                              coverage=c.coverage, mean_score=c.mean))
        if len(spans) == max_spans:
            break
    return spans


def _render(tokens: Sequence[str], positions: Sequence[int]) -> str:
    parts = [tokens[positions[0]]]
    for prev, cur in zip(positions, positions[1:], strict=False):
        parts.append("…" if cur > prev + 1 else "")
        parts.append(tokens[cur])
    return " ".join(p for p in parts if p)


def template_text(spans: Sequence[TextSpan], tokens: Sequence[str], scores: Sequence[float] | np.ndarray,
                  label: str | None = None, *, predicted: str | None = None, include_negative: bool = True) -> str:
    """The template's sentences for `spans` (from `search_spans`); see `template_verbalization`."""
    sentences = []
    if label and predicted and predicted != label:
        sentences.append(f"The model predicted {predicted}; the scores explain {label}.")
    elif label:
        sentences.append(f"The model predicted {label}.")
    if not spans:
        sentences.append("No word has a positive attribution for the prediction.")
    for n, span in enumerate(spans):
        unit = "phrase" if len(span.positions) > 1 else "word"
        tail = "is most important for the prediction" if n == 0 else "is also salient"
        sentences.append(f"The {unit} »{span.text}« {tail}.")
    s = np.asarray(scores, dtype=float).reshape(-1)
    if include_negative and s.size and s.min() < 0:
        i = int(np.argmin(s))
        sentences.append(f"The word »{tokens[i]}« speaks against it most.")
    return " ".join(sentences)


def template_verbalization(
    tokens: Sequence[str],
    scores: Sequence[float] | np.ndarray,
    label: str | None = None,
    *,
    predicted: str | None = None,
    labels: Sequence[str] | None = None,
    window: int = WINDOW,
    max_spans: int = 3,
    threshold: float | None = None,
    include_negative: bool = True,
) -> TextVerbalization:
    """Feldhus et al.'s model-free verbalization, verified and with coverage@k (see the module doc).

    `scores` point towards `label`, which is taken to be the prediction unless `predicted` names
    another label (then the text says which label the scores explain).
    """
    t0 = time.perf_counter()
    spans = search_spans(tokens, scores, window=window, threshold=threshold, max_spans=max_spans)
    text = template_text(spans, tokens, scores, label, predicted=predicted, include_negative=include_negative)
    return TextVerbalization(
        verbalizer="template",
        text=text,
        label=label,
        spans=spans,
        coverage=coverages(text, tokens, scores),
        verification=verify_text_verbalization(text, tokens, scores, label, predicted=predicted, labels=labels),
        seconds=time.perf_counter() - t0,
    )


# ------------------------------------------------------------------------------ the LLM


def rescale(scores: Sequence[float] | np.ndarray) -> np.ndarray:
    """Scores divided by their largest magnitude (all zeros stay zeros): what the LLM is shown."""
    s = np.asarray(scores, dtype=float).reshape(-1)
    m = float(np.abs(s).max()) if s.size else 0.0
    return s / m if m > 0 else s.copy()


def scored_text(tokens: Sequence[str], shown: Sequence[float] | np.ndarray) -> str:
    """``word (0.12) [s1] word (-0.03) [s2] …``: the text with each token's score inline (2 decimals)
    and its fact id, which the prompt asks the model to write after every score it quotes."""
    return " ".join(f"{t} ({v:.2f}) [s{i}]" for i, (t, v) in enumerate(zip(tokens, np.asarray(shown, dtype=float),
                                                                         strict=True), 1))


def cite_example(tokens: Sequence[str], shown: Sequence[float] | np.ndarray) -> str:
    """The prompt's example of a cited score, taken from the text itself: its top-scoring word."""
    s = np.asarray(shown, dtype=float)
    if not len(tokens):
        return "'word' (0.12) [s1]"
    i = int(np.argmax(s))
    return f"'{tokens[i]}' ({s[i]:.2f}) [s{i + 1}]"


def llm_verbalization(
    backend: Any,
    tokens: Sequence[str],
    scores: Sequence[float] | np.ndarray,
    label: str,
    *,
    labels: Sequence[str] | None = None,
    prompts_dir: str | None = None,
    model_description: str = "classifier",
    text_description: str = "text",
    max_tokens: int | None = None,
    temperature: float | None = None,
) -> TextVerbalization:
    """The instruction-based verbalizer: `backend` (a `ChatBackend`) explains the prediction from
    the inline scores; the answer is verified against the scores it was shown (2 decimals).

    A failed call or an unusable answer is returned as ``ok=False`` with the error and the raw
    text, never raised.
    """
    t0 = time.perf_counter()
    prompt = load_prompt("feldhus_instruct", prompts_dir)
    shown = np.round(rescale(scores), 2)
    messages = prompt.format(scored_text=scored_text(tokens, shown), example=cite_example(tokens, shown), label=label,
                             model_description=model_description, text_description=text_description)
    params = {k: v for k, v in {"max_tokens": max_tokens, "temperature": temperature}.items() if v is not None}
    gen = backend.generate(messages, prompt_id=prompt.id, **params)
    common: dict[str, Any] = {"verbalizer": "llm", "model": getattr(backend, "model", None), "prompt": prompt.id,
                              "label": label, "scores_shown": [float(v) for v in shown]}
    if not gen.ok:
        return TextVerbalization(text="", ok=False, error=gen.error, raw=gen.raw,
                                 seconds=time.perf_counter() - t0, **common)
    return TextVerbalization(
        text=gen.text,
        coverage=coverages(gen.text, tokens, scores),
        verification=verify_text_verbalization(gen.text, tokens, shown, label, labels=labels),
        seconds=time.perf_counter() - t0,
        **common,
    )

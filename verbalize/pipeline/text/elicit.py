"""What the model is asked: the prompt per strategy and the variables each prompt is filled with.

Direction of the scores (see `study.py`): the explained label plays Huang et al.'s "positive".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from verbalize.pipeline.text.tokens import topk_count

PROMPTS: dict[str, str] = {
    "pe": "self_explain_pe",
    "ep": "self_explain_ep",
    "pe-topk": "self_explain_pe_topk",
    "ep-topk": "self_explain_ep_topk",
    "predict-only": "predict_only",
}
"""Strategy → prompt file (verbalize/prompts/<name>.yaml, or the same name in `llm.prompts_dir`)."""


def labels_phrase(labels: Sequence[str]) -> str:
    """"'negative' or 'positive'" / "one of 'a', 'b', 'c'": how the prompts name the classes."""
    quoted = [f"'{lb}'" for lb in labels]
    return " or ".join(quoted) if len(quoted) == 2 else "one of " + ", ".join(quoted)


def score_meaning(labels: Sequence[str], explained: str) -> str:
    """What a score's sign means, in the prompt's words (see the module doc on direction)."""
    if len(labels) == 2:
        other = next(lb for lb in labels if lb != explained)
        return (f"-1 means the token pushes strongly towards '{other}', 1 means it pushes strongly towards "
                f"'{explained}', and 0 means it does not matter")
    return ("1 means the token strongly supports the label you chose, -1 means it strongly speaks against it, "
            "and 0 means it does not matter")


def elicitation_messages(prompt: Any, tokens: Sequence[str], labels: Sequence[str], explained: str, *,
                         task_prompt: str | None = None) -> list[dict[str, str]]:
    """The chat messages of one strategy's prompt for one text (tokens joined by single spaces)."""
    variables: dict[str, Any] = {"labels": labels_phrase(labels), "text": " ".join(tokens),
                                 "score_meaning": score_meaning(labels, explained), "k": topk_count(len(tokens))}
    if task_prompt:
        variables["task"] = task_prompt
    wanted = {*prompt.input_variables, *prompt.spec.defaults}  # a default (the task) may be overridden
    return prompt.format(**{v: variables[v] for v in wanted if v in variables})


def default_explained_label(labels: Sequence[str]) -> str | None:
    """Binary tasks: the label named 'positive' if any, else the second (Huang et al.'s class 1).
    More labels: None (each text's predicted label is explained)."""
    if len(labels) != 2:
        return None
    return next((lb for lb in labels if lb.casefold() == "positive"), labels[1])


def p_stated(label: str | None, confidence: float | None, explained: str, n_labels: int) -> float | None:
    """p(explained) from a stated (label, confidence), as Huang et al. read it: conf if the label is
    the explained one, else 1 − conf (binary); (1 − conf)/(n − 1) for n labels."""
    if label is None or confidence is None:
        return None
    return confidence if label == explained else (1.0 - confidence) / max(1, n_labels - 1)


# ------------------------------------------------------------------------------ structured elicitation

ELICITATIONS = ("free-text", "structured")
"""``free-text``: the paper's prompts, answers parsed as written (the default, what Huang et al. measured);
``structured``: the same prompts plus a JSON schema the backend enforces (OpenAI ``response_format``,
llama.cpp's schema grammar, constrained decoding for local models), so every answer parses."""


def structured_schema(strategy: str, tokens: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """The JSON schema of one strategy's answer, its fields in the strategy's order.

    ``pe``/``ep``: label, confidence and ``scores``, one number per token in text order (E-P puts the
    scores first); top-k: ``words``, k objects ``{"word": a token of the text, "score": number}``;
    ``predict-only``: label and confidence.
    """
    prediction = {"label": {"type": "string", "enum": list(labels)},
                  "confidence": {"type": "number", "minimum": 0, "maximum": 1}}
    number = {"type": "number", "minimum": -1, "maximum": 1}
    explanation: dict[str, Any] = {}
    if strategy in ("pe", "ep"):
        explanation = {"scores": {"type": "array", "items": number, "minItems": len(tokens), "maxItems": len(tokens)}}
    elif strategy.endswith("-topk"):
        k = topk_count(len(tokens))
        word = {"type": "object", "properties": {"word": {"type": "string", "enum": sorted(set(tokens))}, "score": number},
                "required": ["word", "score"], "additionalProperties": False}
        explanation = {"words": {"type": "array", "items": word, "minItems": k, "maxItems": k}}
    props = {**explanation, **prediction} if strategy.startswith("ep") else {**prediction, **explanation}
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}


def structured_instruction(strategy: str, tokens: Sequence[str]) -> str:
    """The sentence added to the prompt under ``structured``: what the JSON holds."""
    parts = []
    if strategy in ("pe", "ep"):
        parts.append(f'"scores": a list of {len(tokens)} numbers, the score of each word of the text in order')
    elif strategy.endswith("-topk"):
        parts.append(f'"words": the {topk_count(len(tokens))} most important words, each as {{"word": ..., "score": ...}}')
    parts.insert(0 if strategy.startswith("ep") else len(parts), '"label" and "confidence": your prediction')
    return "Answer with one JSON object only: " + "; ".join(parts) + "."


def structured_messages(messages: list[dict[str, str]], strategy: str, tokens: Sequence[str]) -> list[dict[str, str]]:
    """`messages` with the structured instruction appended to the last user message."""
    out = [dict(m) for m in messages]
    last = max(i for i, m in enumerate(out) if m["role"] == "user")
    out[last]["content"] = f'{out[last]["content"]}\n\n{structured_instruction(strategy, tokens)}'
    return out

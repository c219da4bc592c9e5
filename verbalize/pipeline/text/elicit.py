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

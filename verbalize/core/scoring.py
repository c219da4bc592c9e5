"""The one place that runs perturbations through a model.

Occlusion, LIME, SHAP, deletion/insertion curves, the fact sheet's counterfactuals,
comprehensiveness and sufficiency all reduce to "score many perturbed inputs". Routing them all
through `Scorer` gives one batch plan, one duplicate filter and one set of counters, so tests and
benchmarks can check that no method calls a model one input at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import numpy as np
import xxhash

T = TypeVar("T")

ProgressFn = Callable[[int, int], None]
"""Called as progress(done, total) after each batch; `total` counts unique inputs."""


def array_key(x: Any) -> Hashable:
    """Content hash of an array (or anything numpy can view as one); shape and dtype included.

    XXH3-128, not a cryptographic hash: the scorer hashes every input it is handed (500 image views of
    600 kB for one SHAP run), and XXH3 does that in 0.05 ms a view where blake2b took 0.7-1.5 ms,
    which was a few percent of SHAP's wall time. Keys live only as long as one explanation's scorer.
    """
    a = np.ascontiguousarray(x)
    h = xxhash.xxh3_128(a.view(np.uint8).reshape(-1).data if a.size else b"")
    h.update(repr((a.shape, a.dtype.str)).encode())
    return h.digest()


def value_key(x: Any) -> Hashable:
    """Key for hashable-ish items such as token tuples or prompt strings."""
    if isinstance(x, list):
        return tuple(value_key(v) for v in x)
    return x


@dataclass
class ScorerStats:
    forward_passes: int = 0
    inputs_requested: int = 0
    inputs_scored: int = 0
    duplicates_removed: int = 0
    memo_hits: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class Scorer(Generic[T]):
    """Scores inputs in batches of `batch_size` with `forward(list_of_inputs) -> (n, k) array`.

    Duplicates inside a call are scored once. With `memoize`, results are also remembered across
    calls for the scorer's lifetime (one explanation), so the unperturbed input scored by the fact
    sheet, the deletion curve and SHAP costs one forward pass, not three.
    `forward` is responsible for running under `torch.inference_mode()` (the adapters do).
    """

    forward: Callable[[list[T]], np.ndarray]
    batch_size: int = 32
    key: Callable[[T], Hashable] = array_key
    memoize: bool = True
    stats: ScorerStats = field(default_factory=ScorerStats)
    _memo: dict[Hashable, np.ndarray] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")

    def __call__(self, items: Sequence[T], progress: ProgressFn | None = None) -> np.ndarray:
        items = list(items)
        self.stats.inputs_requested += len(items)
        keys = [self.key(x) for x in items]
        todo: dict[Hashable, int] = {}  # key -> index of first occurrence, for keys not memoised
        for i, k in enumerate(keys):
            if k in self._memo:
                self.stats.memo_hits += 1
            elif k not in todo:
                todo[k] = i
            else:
                self.stats.duplicates_removed += 1
        pending = list(todo.items())
        done = 0
        for start in range(0, len(pending), self.batch_size):
            chunk = pending[start : start + self.batch_size]
            out = np.asarray(self.forward([items[i] for _, i in chunk]), dtype=np.float64)
            if out.ndim != 2 or out.shape[0] != len(chunk):
                raise ValueError(f"forward returned shape {out.shape} for a batch of {len(chunk)}")
            self.stats.forward_passes += 1
            self.stats.inputs_scored += len(chunk)
            for (k, _), row in zip(chunk, out, strict=True):
                self._memo[k] = row
            done += len(chunk)
            if progress is not None:
                progress(done, len(pending))
        result = np.stack([self._memo[k] for k in keys]) if keys else np.zeros((0, 0))
        if not self.memoize:
            self._memo.clear()
        return result

    def remember(self, items: Sequence[T], rows: np.ndarray) -> None:
        """Seed the memo with results computed elsewhere (e.g. several images predicted in one shared
        batch), so this scorer does not run those inputs again; they count as memo hits, not passes."""
        for item, row in zip(items, np.asarray(rows, dtype=np.float64), strict=True):
            self._memo[self.key(item)] = row

    def planned_passes(self, n_unique: int) -> int:
        """Forward passes needed for `n_unique` new inputs: the batch plan tests check against."""
        return -(-n_unique // self.batch_size)

    def reset(self) -> None:
        self.stats = ScorerStats()
        self._memo.clear()

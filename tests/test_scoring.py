"""The batched scorer: batch plan, duplicate removal, memoisation, counters."""

from __future__ import annotations

import numpy as np
import pytest

from verbalize.core.scoring import Scorer, value_key


def test_batches_dedupes_and_counts() -> None:
    seen: list[int] = []

    def forward(batch: list[tuple[str, ...]]) -> np.ndarray:
        seen.append(len(batch))
        return np.array([[len(t), 1.0] for t in batch])

    s: Scorer[tuple[str, ...]] = Scorer(forward=forward, batch_size=3, key=value_key)
    items = [("a",), ("a", "b"), ("a",), ("c", "d", "e"), ("a", "b"), ("x",), ("y",)]
    out = s(items)
    assert out[:, 0].tolist() == [1, 2, 1, 3, 2, 1, 1]
    assert seen == [3, 2]  # 5 unique inputs in batches of 3
    assert s.stats.forward_passes == s.planned_passes(5) == 2
    assert s.stats.duplicates_removed == 2 and s.stats.inputs_scored == 5
    again = s([("a",), ("z",)])  # ("a",) is memoised: only ("z",) runs
    assert seen == [3, 2, 1] and s.stats.memo_hits == 1
    assert again[0, 0] == 1


def test_arrays_are_keyed_by_content() -> None:
    calls = []
    s = Scorer(forward=lambda b: (calls.append(len(b)), np.stack([x.reshape(-1)[:2] for x in b]))[1], batch_size=8)
    a = np.zeros((4, 4, 3), np.float32)
    b = a.copy()
    c = a.copy()
    c[0, 0, 0] = 1
    s([a, b, c])
    assert calls == [2]


def test_array_keys_tell_content_shape_and_dtype_apart_and_cost_little() -> None:
    import time

    from verbalize.core.scoring import array_key

    view = np.random.default_rng(0).random((224, 224, 3), dtype=np.float32)
    same, changed = view.copy(), view.copy()
    changed[223, 223, 2] = np.nextafter(changed[223, 223, 2], 2)  # the last bit of the last pixel
    assert array_key(view) == array_key(same) != array_key(changed)
    assert array_key(view) != array_key(view.reshape(224, 672)) != array_key(view.view(np.int32))
    assert array_key(np.zeros(0)) != array_key(np.zeros((0, 3)))
    t0 = time.perf_counter()
    for _ in range(100):
        array_key(view)
    assert (time.perf_counter() - t0) / 100 < 0.5e-3  # blake2b took 0.7-1.5 ms a view; SHAP hashes 500 of them


def test_bad_forward_shape_is_an_error() -> None:
    s = Scorer(forward=lambda b: np.zeros((1, 2)), batch_size=4, key=value_key)
    with pytest.raises(ValueError, match="shape"):
        s([("a",), ("b",)])


def test_progress_reports_unique_inputs() -> None:
    ticks: list[tuple[int, int]] = []
    s = Scorer(forward=lambda b: np.ones((len(b), 1)), batch_size=2, key=value_key)
    s([(i,) for i in range(5)] + [(0,)], progress=lambda d, t: ticks.append((d, t)))
    assert ticks == [(2, 5), (4, 5), (5, 5)]

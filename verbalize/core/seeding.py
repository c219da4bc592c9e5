"""Explicit seeds: one checked range, and a scoped seed for libraries that use numpy's global RNG."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import numpy as np

from verbalize.core.errors import UserError

MAX_SEED = 2**32 - 1


def check_seed(seed: object) -> int:
    """A seed numpy, lime and shap all accept (0 … 2³²−1); anything else is one `UserError` line."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise UserError(f"seed must be an integer from 0 to {MAX_SEED}, got {seed!r}")
    return seed


@contextlib.contextmanager
def seeded_numpy(seed: int) -> Iterator[None]:
    """shap and lime draw from numpy's global RNG in places; seed it and restore the caller's state."""
    state = np.random.get_state()
    np.random.seed(check_seed(seed))
    try:
        yield
    finally:
        np.random.set_state(state)


@contextlib.contextmanager
def temp_env(**values: str) -> Iterator[None]:
    """Environment variables set for the duration of a block (e.g. TQDM_DISABLE for a library's bar)."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

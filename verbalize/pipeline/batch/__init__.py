"""Many inputs → stored results: the batch runner (local or Ray), its input discovery (`inputs`), and
the kinds of input it processes (`kinds`, registered explicitly).

``from verbalize.pipeline import batch; batch.run(...); batch.open_run(...)`` reads the runner's
public functions from here.
"""

import importlib
from typing import Any

__all__ = ["BatchProgress", "BatchSummary", "open_run", "process_pending", "run", "run_to_pandas"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("verbalize.pipeline.batch.runner"), name)
    raise AttributeError(f"module 'verbalize.pipeline.batch' has no attribute {name!r}")

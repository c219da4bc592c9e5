"""Installed library versions, for the provenance every output carries."""

from __future__ import annotations

import importlib.metadata


def library_versions(*dists: str) -> dict[str, str]:
    """Versions of verbalize and of `dists` as installed; distributions that are absent are left out."""
    out = {}
    for dist in ("verbalize", *dists):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out

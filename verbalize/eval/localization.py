"""Deletion and insertion curves (Petsiuk et al., RISE): does the map order pixels by importance?

Deletion removes the most salient pixels first; a faithful map makes p(label) fall fast (low AUC).
Insertion starts from the fill and restores the most salient pixels first; a faithful map makes
p(label) rise fast (high AUC). Both curves go through the scorer in one call.
"""

from __future__ import annotations

import numpy as np

from verbalize.core.scoring import Scorer


def deletion_insertion(scorer: Scorer[np.ndarray], view: np.ndarray, view_map: np.ndarray, target: int,
                       fill: np.ndarray, steps: int = 20) -> dict[str, object]:
    """AUC of p(target) against the fraction of pixels deleted / inserted, fractions 0, 1/steps, ... 1.

    AUC = trapezoidal area under the curve over [0, 1]; ties in the map are broken by pixel order
    (stable sort), so the same map always gives the same curve.
    """
    h, w = view_map.shape
    order = np.argsort(-view_map.reshape(-1), kind="stable")
    fractions = np.linspace(0.0, 1.0, steps + 1)
    deleted, inserted = [], []
    for f in fractions:
        m = np.zeros(h * w, dtype=bool)
        m[order[: int(round(f * h * w))]] = True
        m = m.reshape(h, w)[..., None]
        deleted.append(np.where(m, fill, view).astype(np.float32))
        inserted.append(np.where(m, view, fill).astype(np.float32))
    probs = scorer(deleted + inserted)[:, target]
    d, i = probs[: steps + 1], probs[steps + 1 :]
    return {
        "deletion_auc": float(np.trapezoid(d, fractions)),
        "insertion_auc": float(np.trapezoid(i, fractions)),
        "fractions": fractions.tolist(),
        "deletion_curve": d.tolist(),
        "insertion_curve": i.tolist(),
    }

"""Image faithfulness and localisation: does the map order pixels by importance, and does it point
at what a person marked?

Faithfulness (no ground truth needed), every curve through the one batched scorer:
- deletion / insertion (Petsiuk et al., RISE): remove (or restore) the most salient pixels first; a
  faithful map makes p(label) fall fast (low deletion AUC) and rise fast (high insertion AUC);
- a ROAD-style removal curve (Rong et al. 2022, "Remove And Debias"): the most salient pixels are
  replaced by an imputation from their neighbourhood plus a little noise, not by a fixed fill, so
  the model does not simply react to the shape of the removed region; the score is the mean drop
  in p(label) over removal fractions 10 … 50% (higher = more faithful).

Localisation (a box or mask given by the user), as Quantus defines them:
- pointing game: the map's maximum lies inside the mask (Zhang et al. 2018);
- relevance mass: the share of the positive attribution inside the mask (Arras et al. 2022).
"""

from __future__ import annotations

import numpy as np

from verbalize.core.scoring import Scorer

ROAD_FRACTIONS = (0.1, 0.2, 0.3, 0.4, 0.5)


def deletion_insertion_inputs(view: np.ndarray, view_map: np.ndarray, fill: np.ndarray, steps: int) -> list[np.ndarray]:
    """The views `deletion_insertion` scores: the `steps + 1` deleted ones, then the inserted ones.

    Apart, so that a batch of images can score the curves of all of them in shared passes."""
    h, w = view_map.shape
    order = np.argsort(-view_map.reshape(-1), kind="stable")
    deleted, inserted = [], []
    for f in np.linspace(0.0, 1.0, steps + 1):
        m = np.zeros(h * w, dtype=bool)
        m[order[: int(round(f * h * w))]] = True
        m = m.reshape(h, w)[..., None]
        deleted.append(np.where(m, fill, view).astype(np.float32))
        inserted.append(np.where(m, view, fill).astype(np.float32))
    return deleted + inserted


def deletion_insertion(scorer: Scorer[np.ndarray], view: np.ndarray, view_map: np.ndarray, target: int,
                       fill: np.ndarray, steps: int = 20) -> dict[str, object]:
    """AUC of p(target) against the fraction of pixels deleted / inserted, fractions 0, 1/steps, ... 1.

    AUC = trapezoidal area under the curve over [0, 1]; ties in the map are broken by pixel order
    (stable sort), so the same map always gives the same curve.
    """
    fractions = np.linspace(0.0, 1.0, steps + 1)
    probs = scorer(deletion_insertion_inputs(view, view_map, fill, steps))[:, target]
    d, i = probs[: steps + 1], probs[steps + 1 :]
    return {
        "deletion_auc": float(np.trapezoid(d, fractions)),
        "insertion_auc": float(np.trapezoid(i, fractions)),
        "fractions": fractions.tolist(),
        "deletion_curve": d.tolist(),
        "insertion_curve": i.tolist(),
    }


def road_curve(scorer: Scorer[np.ndarray], view: np.ndarray, view_map: np.ndarray, target: int, *,
               seed: int = 0, fractions: tuple[float, ...] = ROAD_FRACTIONS, noise: float = 0.025) -> dict[str, object]:
    """Remove the most salient pixels (most relevant first) by neighbourhood imputation plus noise.

    The imputation of a removed pixel is the mean of the *kept* pixels around it (a normalised box
    filter over the kept pixels, repeated so that large holes fill from their borders), so it
    carries no information about the removed pixel itself. Returns the curve and its mean drop.
    """
    import cv2

    h, w = view_map.shape
    order = np.argsort(-view_map.reshape(-1), kind="stable")
    rng = np.random.default_rng(seed)
    inputs = []
    for f in fractions:
        removed = np.zeros(h * w, dtype=bool)
        removed[order[: int(round(f * h * w))]] = True
        removed = removed.reshape(h, w)
        kept = (~removed).astype(np.float32)
        image = view.astype(np.float32) * kept[..., None]
        weight = kept.copy()
        filled = image.copy()
        for _ in range(8):  # grow the imputation inwards from the holes' borders
            num = cv2.blur(filled, (9, 9))
            den = cv2.blur(weight, (9, 9))[..., None]
            estimate = np.where(den > 1e-6, num / np.maximum(den, 1e-6), 0.0)
            filled = np.where(removed[..., None], estimate * (den > 1e-6), image)
            weight = np.where(removed, (den[..., 0] > 1e-6).astype(np.float32), 1.0)
        filled = np.where(removed[..., None], filled + rng.normal(0, noise, filled.shape), view)
        inputs.append(np.clip(filled, 0, 1).astype(np.float32))
    probs = scorer([view.astype(np.float32), *inputs])[:, target]
    drops = probs[0] - probs[1:]
    return {"road_fractions": list(fractions), "road_curve": probs[1:].tolist(), "road": float(np.mean(drops))}


def pointing_game(saliency: np.ndarray, mask: np.ndarray) -> bool:
    """Whether the map's maximum lies inside `mask` (any of the tied maxima, as Quantus counts it)."""
    s = np.asarray(saliency, dtype=float)
    m = np.asarray(mask, dtype=bool)
    return bool(m[s == s.max()].any())


def relevance_mass(saliency: np.ndarray, mask: np.ndarray) -> float:
    """Share of the positive attribution inside `mask` (0 when the map has no positive value)."""
    pos = np.clip(np.asarray(saliency, dtype=float), 0, None)
    total = pos.sum()
    return float(pos[np.asarray(mask, dtype=bool)].sum() / total) if total > 0 else 0.0


def box_mask(box_xyxy: tuple[int, int, int, int] | list[int], shape: tuple[int, int]) -> np.ndarray:
    """A boolean mask of `shape` (H, W) that is True inside [x0, x1) x [y0, y1)."""
    x0, y0, x1, y1 = (int(v) for v in box_xyxy)
    m = np.zeros(shape, dtype=bool)
    m[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)] = True
    return m

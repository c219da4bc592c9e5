"""Plots for reports, as PNG bytes (matplotlib, Agg).

Figures are built with `matplotlib.figure.Figure` and an Agg canvas, never `pyplot`: pyplot keeps
global state that is not thread-safe, and the service renders reports from worker threads.
Every function returns PNG bytes so a report can inline them as data: URIs (one self-contained file).
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

_DPI = 100


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, bbox_inches="tight")
    return buf.getvalue()


def data_uri(data: bytes, mime: str = "image/png") -> str:
    """Bytes as a data: URI, so the report needs no files beside it."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _finite(values: Sequence[float | None]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(float(v))]


def distribution_png(groups: Mapping[str, Sequence[float | None]], *, title: str, xlabel: str,
                     value_range: tuple[float, float] | None = (0.0, 1.0), bins: int = 20) -> bytes | None:
    """Overlaid histograms, one per group (e.g. saliency method); None when there is nothing to draw."""
    clean = {name: _finite(vals) for name, vals in groups.items()}
    clean = {name: vals for name, vals in clean.items() if vals}
    if not clean:
        return None
    fig = Figure(figsize=(4.6, 2.9))
    ax = fig.add_subplot()
    for name, vals in clean.items():
        ax.hist(vals, bins=bins, range=value_range, alpha=0.55 if len(clean) > 1 else 0.85,
                label=f"{name} (n={len(vals)})", edgecolor="white", linewidth=0.5)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel, fontsize=9)
    ax.set_ylabel("items", fontsize=9)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(labelsize=8)
    ax.legend(fontsize=7, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def comparison_png(groups: Mapping[str, Sequence[float | None]], *, title: str, ylabel: str) -> bytes | None:
    """Box plot (with the points on top) comparing groups, e.g. deletion AUC per saliency method."""
    clean = {name: _finite(vals) for name, vals in groups.items()}
    clean = {name: vals for name, vals in clean.items() if vals}
    if not clean:
        return None
    names = list(clean)
    fig = Figure(figsize=(max(3.2, 1.1 * len(names) + 1.6), 2.9))
    ax = fig.add_subplot()
    ax.boxplot([clean[n] for n in names], showmeans=True, widths=0.5)
    ax.set_xticks(range(1, len(names) + 1), names)
    rng = np.random.default_rng(0)  # jitter only; fixed so the same data give the same picture
    for i, name in enumerate(names, start=1):
        ax.scatter(i + rng.uniform(-0.08, 0.08, len(clean[name])), clean[name], s=10, alpha=0.6, color="black")
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(ylabel, fontsize=9)
    ax.tick_params(labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def heatmap_png(names: Sequence[str], matrix: Sequence[Sequence[float]] | np.ndarray, *, title: str,
                vmin: float | None = None, vmax: float | None = None) -> bytes:
    """A square matrix (e.g. one agreement metric between explanation methods) with values printed.

    NaN cells (a metric undefined for that pair) are left blank rather than coloured as zero.
    """
    m = np.asarray(matrix, dtype=float)
    if m.shape != (len(names), len(names)):
        raise ValueError(f"matrix shape {m.shape} does not match {len(names)} names")
    finite = m[np.isfinite(m)]
    lo = vmin if vmin is not None else (min(0.0, float(finite.min())) if finite.size else 0.0)
    hi = vmax if vmax is not None else (max(1.0, float(finite.max())) if finite.size else 1.0)
    side = max(3.2, 0.9 * len(names) + 1.6)
    fig = Figure(figsize=(side + 0.8, side))
    ax = fig.add_subplot()
    im = ax.imshow(np.ma.masked_invalid(m), cmap="viridis", vmin=lo, vmax=hi)
    ax.set_xticks(range(len(names)), list(names), rotation=40, ha="right", fontsize=11)
    ax.set_yticks(range(len(names)), list(names), fontsize=11)
    for i in range(len(names)):
        for j in range(len(names)):
            if math.isfinite(m[i, j]):
                bright = (m[i, j] - lo) / (hi - lo) > 0.6 if hi > lo else False
                ax.text(j, i, f"{m[i, j]:.2f}", ha="center", va="center", fontsize=10,
                        color="black" if bright else "white")
    ax.set_title(title, fontsize=12)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04).ax.tick_params(labelsize=9)
    return _png(fig)

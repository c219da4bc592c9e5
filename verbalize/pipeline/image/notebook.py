"""An `Explanation` in a notebook: one self-contained HTML block and a matplotlib figure.

The HTML has its pictures inline (data URIs), so it survives being saved, exported or mailed,
the way the run report does. Claims are marked with the same classes as the report.
"""

from __future__ import annotations

import base64
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

from verbalize.core.markup import mark_claims
from verbalize.pipeline.image.render import overlay, png_bytes, segment_outline, signed_overlay

if TYPE_CHECKING:
    from verbalize.pipeline.image.types import Explanation

_STYLE = """<style>
.vz-ex{font-family:system-ui,sans-serif;max-width:980px}.vz-ex figure{display:inline-block;margin:0 8px 8px 0}
.vz-ex img{max-width:300px;height:auto;border:1px solid #ddd}.vz-ex figcaption{font-size:12px;color:#555}
.vz-ex mark.claim{padding:0 2px;border-radius:2px}.vz-ex mark.supported{background:#c8f0c8}
.vz-ex mark.contradicted{background:#f8c0c0;text-decoration:line-through}.vz-ex mark.unverifiable{background:#f6eab0}
.vz-ex .vz-dim{color:#666;font-size:13px}
</style>"""


def _data_uri(array: np.ndarray) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes(array)).decode("ascii")


def _figure(array: np.ndarray, caption: str) -> str:
    return (f'<figure><img src="{_data_uri(array)}" alt="{escape(caption)}">'
            f"<figcaption>{escape(caption)}</figcaption></figure>")


def explanation_html(ex: Explanation) -> str:
    """Prediction, pictures (image, saliency overlays, segment) and each verbalization with its claims marked."""
    p = ex.prediction
    alts = ", ".join(f"{escape(a.label)} {a.probability:.1%}" for a in p.alternatives[:3])
    parts = [_STYLE, '<div class="vz-ex">',
             f"<p><b>{escape(p.label)}</b> {p.probability:.1%} <span class='vz-dim'>· {alts} · model "
             f"{escape(ex.provenance.model)}</span></p>"]
    if ex.attribution.target != p.class_index:
        parts.append(f"<p>explained class: <b>{escape(ex.attribution.target_label)}</b> "
                     f"(p = {ex.facts.probability:.1%})</p>")
    image, saliency, mask = ex.pixels, ex.saliency, ex.mask
    if image is not None and saliency is not None:
        parts.append(_figure(image, "image"))
        parts.append(_figure(overlay(image, saliency), f"{ex.attribution.method}: positive evidence"))
        parts.append(_figure(signed_overlay(image, saliency), "signed: red for, blue against"))
        if mask is not None:
            parts.append(_figure(segment_outline(image, mask), f"segment ({ex.segment.method})"))
    else:
        parts.append("<p class='vz-dim'>(pictures are only kept for explanations made in this session)</p>")
    f = ex.facts
    parts.append(f"<p class='vz-dim'>most saliency in the {escape(f.saliency_region)} · segment "
                 f"{f.segment_area:.0%} of the image, {f.saliency_in_segment:.0%} of the saliency · "
                 f"deletion AUC {f.deletion_auc:.3f} · insertion AUC {f.insertion_auc:.3f}</p>")
    for v in ex.verbalizations:
        ver = v.verification
        tag = (f"fidelity {ver.fidelity:.2f}" if ver is not None and ver.fidelity is not None else "fidelity n/a")
        body = (mark_claims(v.text, [c.model_dump() for c in ver.claims] if ver else None) if v.ok
                else f"failed: {escape(v.error or '')}")
        parts.append(f"<p><b>{escape(v.verbalizer)}</b> <span class='vz-dim'>{tag}</span><br>{body}</p>")
    parts.append("</div>")
    return "".join(parts)


def explanation_figure(ex: Explanation, *, sign: str = "all") -> Any:
    """A matplotlib figure: the image, the map (signed red/blue with sign="all", else positive only) and the segment."""
    from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global figure state

    image, saliency, mask = ex.pixels, ex.saliency, ex.mask
    if image is None or saliency is None:
        raise ValueError("plot() needs the pixels and the map: only explanations made in this session have them")
    if sign not in ("all", "positive"):
        raise ValueError(f"sign={sign!r}: use 'all' or 'positive'")
    fig = Figure(figsize=(12, 4))
    axes = fig.subplots(1, 3)
    axes[0].imshow(image)
    axes[0].set_title(f"{ex.prediction.label} {ex.prediction.probability:.1%}")
    if sign == "all":
        peak = float(np.abs(saliency).max()) or 1.0
        axes[1].imshow(image.mean(axis=2), cmap="gray", alpha=0.5)
        shown = axes[1].imshow(saliency, cmap="bwr", vmin=-peak, vmax=peak, alpha=0.7)
    else:
        axes[1].imshow(image)
        shown = axes[1].imshow(np.clip(saliency, 0, None), cmap="jet", alpha=0.45)
    fig.colorbar(shown, ax=axes[1], fraction=0.046)
    axes[1].set_title(f"{ex.attribution.method} → {ex.attribution.target_label}")
    axes[2].imshow(segment_outline(image, mask) if mask is not None else image)
    axes[2].set_title(f"segment ({ex.segment.method})")
    for ax in axes:
        ax.axis("off")
    fig.tight_layout()
    return fig


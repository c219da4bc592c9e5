"""HTML built in Python, for every page that shows a verbalization: its claims marked by status.

The run report, the study report and a notebook's `Explanation._repr_html_()` all use it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import escape

STATUSES = ("supported", "contradicted", "unverifiable")


def claim_tip(status: str, c: Mapping[str, Any]) -> str:
    """The hover text of a claim: its mark and kind, the subject and the fact it was checked against, why."""
    about = " · ".join(str(c[k]) for k in ("subject", "fact") if c.get(k))
    return (f"{status} · {c.get('kind', '')}" + (f" · {about}" if about else "")
            + (f": {c['reason']}" if c.get("reason") else ""))


def mark_claims(text: str, claims: Sequence[Mapping[str, Any]] | None) -> str:
    """The text with each claim wrapped in <mark class="claim STATUS">; every piece escaped first.

    Claims come from stored JSON, so their offsets are checked: spans outside the text or
    overlapping an earlier claim are skipped rather than trusted, and the status must be one of
    the three known values (it becomes a CSS class).
    """
    text = text or ""
    spans = []
    for c in claims or []:
        start, end = c.get("start"), c.get("end")
        if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= len(text):
            continue
        spans.append((start, end, c))
    spans.sort(key=lambda s: (s[0], -s[1]))
    out: list[str] = []
    pos = 0
    for start, end, c in spans:
        if start < pos:
            continue
        status = str(c.get("status")) if c.get("status") in STATUSES else "unverifiable"
        tip = claim_tip(status, c)
        out.append(str(escape(text[pos:start])))
        out.append(f'<mark class="claim {status}" title="{escape(tip)}">{escape(text[start:end])}</mark>')
        pos = end
    out.append(str(escape(text[pos:])))
    return "".join(out)

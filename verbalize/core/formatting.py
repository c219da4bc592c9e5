"""Numbers as every output shows them (one formatter for tables, one for percentages, one for JSON), and library errors in one line."""

from __future__ import annotations

import math
from typing import Any


def finite_or_none(v: Any) -> float | None:
    """A float, or None where the value is missing, not a number or not finite (JSON has no NaN)."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def fmt(value: Any, digits: int = 3) -> str:
    """A table cell: `digits` decimals, or an en dash for a missing or undefined value."""
    v = finite_or_none(value)
    return "–" if v is None else f"{v:.{digits}f}"


def pct(x: float) -> str:
    """A probability or share as a whole percentage, e.g. 0.7612 -> '76%'."""
    return f"{round(100 * x)}%"


def fmt_pct(value: Any, digits: int = 1) -> str:
    """A share as a percentage with `digits` decimals, or an en dash for a missing value."""
    v = finite_or_none(value)
    return "–" if v is None else f"{100 * v:.{digits}f}%"


_HUB_OFFLINE_PHRASES = ("check your connection", "locate the file on the Hub", "couldn't connect")


def error_line(e: BaseException) -> str:
    """The first line of a library's error, with the Hugging Face Hub's "check your connection" put in our terms."""
    line = (str(e).strip().splitlines() or [type(e).__name__])[0]
    if any(s in line for s in _HUB_OFFLINE_PHRASES):
        return "not in the local Hugging Face cache; nothing is downloaded at run time"
    return line

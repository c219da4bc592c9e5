"""Tables for notebooks: rows of plain values as a pandas DataFrame, when pandas is installed.

pandas is optional (the library does not need it); `to_pandas()` methods call `data_frame`, which
says in one line how to get it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from verbalize.core.errors import UserError


def data_frame(rows: Iterable[Mapping[str, Any]], columns: list[str] | None = None) -> Any:
    """A `pandas.DataFrame` of the rows (columns in first-seen order unless given)."""
    try:
        import pandas as pd
    except ImportError:
        raise UserError("to_pandas() needs pandas, which is not installed: pip install pandas") from None
    rows = list(rows)
    if columns is None:
        columns = list(dict.fromkeys(k for r in rows for k in r))
    return pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=columns)


def html_table(rows: Iterable[Mapping[str, Any]], columns: list[str], *, digits: int = 3) -> str:
    """A small escaped HTML table (no pandas needed), numbers rounded to `digits`."""
    from html import escape

    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.{digits}f}"
        return escape("" if v is None else str(v))

    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{cell(r.get(c))}</td>" for c in columns) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

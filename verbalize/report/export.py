"""Stored items as rows: the common view the HTML report and the exports are built from.

`ReportItem` decouples the report from the store's record classes (a report can be rendered from
any iterable of items, e.g. in the service or a notebook). `flatten_item` turns one item into one
flat row — the same columns for JSONL, CSV and Parquet — so a spreadsheet or a dataframe gets one
row per item without parsing nested JSON.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from verbalize.core.errors import UserError
from verbalize.core.files import write_atomic
from verbalize.pipeline.batch.rows import (  # noqa: F401  (the report's view of items; re-exported here)
    IMAGE_METRICS,
    ReportItem,
    as_report_item,
    dig,
    flatten_item,
    is_correct,
    number,
    segment_rows,
)

ExportFormat = Literal["jsonl", "csv", "parquet"]
EXPORT_FORMATS: tuple[str, ...] = ("jsonl", "csv", "parquet")

def _uniform(rows: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    columns: list[str] = []
    seen: set[str] = set()
    for r in rows:
        for c in r:
            if c not in seen:
                seen.add(c)
                columns.append(c)
    return columns, [{c: r.get(c) for c in columns} for r in rows]


def to_jsonl(rows: list[dict[str, Any]]) -> bytes:
    _, rows = _uniform(rows)
    return "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows).encode("utf-8")


def to_csv(rows: list[dict[str, Any]]) -> bytes:
    columns, rows = _uniform(rows)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _arrow_column(values: list[Any]) -> list[Any]:
    """Parquet columns need one type: keep numbers / bools / text as they are, stringify mixtures."""
    kinds = {type(v) for v in values if v is not None}
    if kinds <= {int, float} or kinds <= {bool} or kinds <= {str}:
        return [float(v) if kinds == {int, float} and v is not None else v for v in values]
    return [None if v is None else (v if isinstance(v, str) else json.dumps(v, default=str)) for v in values]


def to_parquet(rows: list[dict[str, Any]]) -> bytes:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise UserError("parquet export needs pyarrow: pip install 'verbalize[export]'") from None
    columns, rows = _uniform(rows)
    table = pa.table({c: _arrow_column([r[c] for r in rows]) for c in columns}) if columns else pa.table({})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


_WRITERS = {"jsonl": to_jsonl, "csv": to_csv, "parquet": to_parquet}


def publish(path: Path, data: bytes) -> Path:
    """Write atomically, readable by others: the temporary file is created 0600, and reports are for sharing."""
    write_atomic(path, data)
    path.chmod(0o644)
    return path


def write_export(items: Iterable[ReportItem], out_dir: str | Path, fmt: str) -> Path:
    """Write `results.<fmt>` into out_dir atomically; returns its path."""
    if fmt not in _WRITERS:
        raise UserError(f"unknown export format {fmt!r}; choose {', '.join(EXPORT_FORMATS)}")
    rows = [flatten_item(i) for i in items]
    return publish(Path(out_dir) / f"results.{fmt}", _WRITERS[fmt](rows))


"""The texts of a self-explanation study, read from the file a user points `self-explain` at.

Three formats, chosen by the file's extension:

- ``.jsonl``: one JSON object per line with a ``text`` field, an optional ``label`` (the gold
  label, for accuracy) and an optional ``id``;
- ``.csv``: a header with a ``text`` column, optional ``label`` and ``id`` columns;
- ``.txt``: one text per line, no labels.

Items are keyed like `verbalize batch` keys them (``id`` when given, else ``row:N`` / ``line:N``
with N the line an editor shows), so a study's rows and a batch run's items line up.

Everything is checked before any model is loaded: a typo in a 100-text file should cost a second,
not a model load and half a study. Every problem raises `InputError` with one line naming the
file and the reason (the CLI prints it and exits with code 2).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from verbalize.core.errors import InputError
from verbalize.core.files import jsonl_rows, read_text_file

EXTENSIONS = (".jsonl", ".csv", ".txt")
MAX_TEXT_CHARS = 20_000
"""A longer 'text' is almost certainly a wrong file (or a whole document on one line): refused."""


class TextItem(BaseModel):
    """One text of a study: its key, the text, and the gold label when the file gives one."""

    id: str
    text: str
    label: str | None = None
    error: str | None = None
    """Why this row cannot be studied (blank or oversized text); the study records it as failed."""


def read_texts(path: str | Path, labels: Sequence[str] | None = None) -> list[TextItem]:
    """The texts in `path` (.jsonl, .csv or .txt), checked; `InputError` with one line otherwise.

    With `labels`, a gold label must name one of them (case-insensitive; returned as spelled in
    `labels`) or be its index (``0``/``1`` as in SST, where 0 = the first label).
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: file not found")
    if p.is_dir():
        raise InputError(f"{p}: is a folder; give a .jsonl, .csv or .txt file of texts")
    suffix = p.suffix.lower()
    if suffix not in EXTENSIONS:
        raise InputError(f"{p}: unsupported file type '{p.suffix or '(none)'}'; give a .jsonl, .csv or .txt file")
    content = read_text_file(p)
    if suffix == ".jsonl":
        rows = _jsonl(p, content)
    elif suffix == ".csv":
        rows = _csv(p, content)
    else:
        rows = [(n, {"text": line}) for n, line in enumerate(content.splitlines(), start=1) if line.strip()]
    items = _items(p, rows, "line" if suffix == ".txt" else "row", labels)
    if not any(it.error is None for it in items):
        raise InputError(f"{p}: no texts in the file" + (f" ({items[0].error})" if items else ""))
    return items


def _jsonl(p: Path, content: str) -> list[tuple[int, dict[str, Any]]]:
    return jsonl_rows(p, content, "a 'text' field")


def _csv(p: Path, content: str) -> list[tuple[int, dict[str, Any]]]:
    try:
        reader = csv.DictReader(content.splitlines())
        fields = [f for f in (reader.fieldnames or []) if f is not None]
        if "text" not in fields:
            raise InputError(f"{p}: the header needs a 'text' column (found: {', '.join(fields) or 'none'})")
        # Line numbers count the header as line 1, so 'row:2' is the first data row as an editor shows it.
        return [(n, {k: v for k, v in row.items() if k is not None}) for n, row in enumerate(reader, start=2)]
    except csv.Error as e:
        raise InputError(f"{p}: not a valid CSV file ({e})") from None


def _label(p: Path, where: str, raw: Any, labels: Sequence[str] | None) -> str | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise InputError(f"{p}: {where}: 'label' must be a string or a number")
    value = str(raw).strip() if not isinstance(raw, float) or not raw.is_integer() else str(int(raw))
    if labels is None:
        return value
    lowered = [lb.casefold() for lb in labels]
    if value.casefold() in lowered:
        return labels[lowered.index(value.casefold())]
    if value.isdigit() and int(value) < len(labels):
        return labels[int(value)]
    raise InputError(f"{p}: {where}: label {value!r} is not one of {', '.join(labels)} "
                     f"(or their index 0..{len(labels) - 1})")


def _items(
    p: Path, rows: list[tuple[int, dict[str, Any]]], unit: str, labels: Sequence[str] | None
) -> list[TextItem]:
    items: list[TextItem] = []
    seen: set[str] = set()
    for n, row in rows:
        where = f"{'line' if unit == 'line' or p.suffix.lower() == '.jsonl' else 'row'} {n}"
        text = row.get("text")
        error = None
        if not isinstance(text, str) or not text.strip():
            # One bad row of thousands: a failed item with its reason, not a refused file.
            text, error = "", f"{where} has no text (a non-empty 'text' is required)"
        elif len(text) > MAX_TEXT_CHARS:
            text, error = text[:200], f"{where}: text is {len(text)} characters; the limit is {MAX_TEXT_CHARS}"
        key = str(row["id"]) if row.get("id") not in (None, "") else f"{unit}:{n}"
        if key in seen:
            raise InputError(f"{p}: id {key!r} appears more than once")
        seen.add(key)
        items.append(TextItem(id=key, text=text.strip(), label=_label(p, where, row.get("label"), labels), error=error))
    return items

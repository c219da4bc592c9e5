"""Files in and out: nothing is written half-way (temporary name, then rename); input files are
read as UTF-8 with one-line errors."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from verbalize.core.errors import InputError


def write_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write `data` to `path` (parents created) through a temporary file in the same folder."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def jsonl_rows(path: Path, content: str, wanted: str = "a 'path' or 'text' field") -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; both journeys' readers use it."""
    rows = []
    for n, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(f"{path}: line {n} is not JSON ({e.msg})") from None
        if not isinstance(row, dict):
            raise InputError(f"{path}: line {n} must be a JSON object with {wanted}")
        rows.append((n, row))
    return rows


def read_text_file(path: Path) -> str:
    """A UTF-8 input file (BOM tolerated); unreadable or not text → one-line InputError."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror or e})") from None

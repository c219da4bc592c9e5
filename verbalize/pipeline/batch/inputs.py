"""What a batch runs over: INPUT (a folder, a manifest, a text file) turned into keyed items.

Keys are what make resuming safe, so they are chosen to stay put when the same command runs
again: a folder's images are keyed by their path relative to the folder; a manifest's rows by
their `id` column when there is one, else by row number; a text file's lines by line number.
Paths in a manifest or text file are relative to that file. A missing or broken image is not an
input error: its item fails on its own, with its reason, and the rest of the run goes on.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from verbalize.core.errors import InputError
from verbalize.core.files import jsonl_rows, read_text_file
from verbalize.pipeline.image.localize import parse_box
from verbalize.store import ItemSpec

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp")


@dataclass(frozen=True)
class BatchInput:
    kind: str  # "image" or "text"
    items: list[ItemSpec]
    source: str


def discover(input_path: str | Path) -> BatchInput:
    """Read INPUT into items; an unusable INPUT raises `InputError` (one line, exit code 2)."""
    path = Path(input_path)
    if not path.exists():
        raise InputError(f"{path}: not found")
    if path.is_dir():
        items = _folder(path)
        return BatchInput("image", items, str(path.resolve()))
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        kind, items = _rows(path, _jsonl_rows(path))
    elif suffix == ".csv":
        kind, items = _rows(path, _csv_rows(path))
    elif suffix == ".txt":
        kind, items = _text_file(path)
    else:
        raise InputError(f"{path}: give a folder of images, a .jsonl or .csv manifest, or a .txt file")
    if not items:
        raise InputError(f"{path}: no items in the file")
    return BatchInput(kind, items, str(path.resolve()))


def _folder(folder: Path) -> list[ItemSpec]:
    """Images anywhere under the folder (sorted, hidden files and folders skipped)."""
    files = sorted(
        p for p in folder.rglob("*")
        if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )
    if not files:
        raise InputError(f"{folder}: no images found (looked for {', '.join(IMAGE_EXTENSIONS)})")
    return [ItemSpec(item_key=p.relative_to(folder).as_posix(), input={"path": str(p.resolve())}) for p in files]



def _jsonl_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    return jsonl_rows(path, read_text_file(path))


def _csv_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(read_text_file(path).splitlines())
    fields = set(reader.fieldnames or [])
    if not fields & {"path", "text"}:
        raise InputError(f"{path}: the header needs a 'path' or 'text' column (found: {', '.join(sorted(fields)) or 'none'})")
    # Row numbers count the header as line 1, so 'row:2' is the first data row as an editor shows it.
    return [(n, {k: v for k, v in row.items() if k is not None}) for n, row in enumerate(reader, start=2)]


def _rows(path: Path, rows: list[tuple[int, dict[str, Any]]]) -> tuple[str, list[ItemSpec]]:
    """Manifest rows → items; a manifest holds images or texts, not both."""
    kinds = set()
    items = []
    seen: set[str] = set()
    for n, row in rows:
        value_path, value_text = row.get("path"), row.get("text")
        if value_path not in (None, "") and value_text not in (None, ""):
            raise InputError(f"{path}: row {n} has both 'path' and 'text'; give one")
        if value_path not in (None, ""):
            kinds.add("image")
            item_input: dict[str, Any] = {"path": str((path.parent / str(value_path)).resolve())}
            if row.get("box") not in (None, ""):  # ground truth for the localisation metrics
                item_input["box"] = parse_box(row["box"])
        elif value_text not in (None, ""):
            kinds.add("text")
            item_input = {"text": str(value_text)}
        else:
            raise InputError(f"{path}: row {n} has neither 'path' nor 'text'")
        key = str(row["id"]) if row.get("id") not in (None, "") else f"row:{n}"
        if key in seen:
            raise InputError(f"{path}: id {key!r} appears more than once")
        seen.add(key)
        label = row.get("label")
        items.append(ItemSpec(item_key=key, input=item_input, label=None if label in (None, "") else str(label)))
    if len(kinds) > 1:
        raise InputError(f"{path}: mixes image paths and texts; a run holds one kind")
    return (kinds.pop() if kinds else "image"), items


def _text_file(path: Path) -> tuple[str, list[ItemSpec]]:
    """One image path per line when every line names an existing file or an image file; else one text per line."""
    lines = [(n, line.strip()) for n, line in enumerate(read_text_file(path).splitlines(), start=1) if line.strip()]
    as_paths = [(path.parent / line) for _, line in lines]
    is_images = bool(lines) and (
        all(_is_file(p) for p in as_paths) or all(p.suffix.lower() in IMAGE_EXTENSIONS for p in as_paths))
    if is_images:
        return "image", [ItemSpec(item_key=f"line:{n}", input={"path": str(p.resolve())})
                         for (n, _), p in zip(lines, as_paths, strict=True)]
    return "text", [ItemSpec(item_key=f"line:{n}", input={"text": line}) for n, line in lines]


def _is_file(path: Path) -> bool:
    """Like Path.is_file, but a long sentence or a NUL byte is simply 'not a file', not an OSError."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False



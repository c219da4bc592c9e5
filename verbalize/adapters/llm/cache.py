"""The response cache: a rerun of the same calls makes no calls.

LLM calls are the slow, costly and non-reproducible part of a run. Keying each successful response
by a hash of everything that determines it (backend and endpoint, model, prompt name@version, the
messages, the images' bytes, the parameters, the labels) lets a rerun, a report rebuild or a
crashed batch's restart reuse answers instead of paying for them again. Failures are never cached,
so a rerun retries them.

SQLite because it is in the standard library, safe across threads and processes (WAL), and one
file the user can delete. The default location is the user cache dir (`VERBALIZE_CACHE_DIR`
overrides it).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import platformdirs

from verbalize.core.errors import UserError


def cache_dir() -> Path:
    """verbalize's cache directory: `$VERBALIZE_CACHE_DIR`, else the platform's user cache dir."""
    env = os.environ.get("VERBALIZE_CACHE_DIR")
    return Path(env).expanduser() if env else Path(platformdirs.user_cache_dir("verbalize"))


def cache_key(**parts: Any) -> str:
    """A stable hash of JSON-able parts (dict order does not matter)."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCache:
    """Key → JSON value store in one SQLite file. Thread-safe; counts hits and misses."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path).expanduser() if path else cache_dir() / "llm_responses.sqlite"
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, value TEXT NOT NULL, created REAL)"
            )
        except (OSError, sqlite3.Error) as e:
            raise UserError(f"{self.path}: cannot open the LLM response cache ({e})") from e

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM responses WHERE key = ?", (key,)).fetchone()
            if row is None:
                self.misses += 1
                return None
            self.hits += 1
        return json.loads(row[0])

    def put(self, key: str, value: dict[str, Any]) -> None:
        blob = json.dumps(value, ensure_ascii=False)
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO responses (key, value, created) VALUES (?, ?, ?)", (key, blob, time.time())
            )

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def clear(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM responses")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __repr__(self) -> str:
        return f"ResponseCache({str(self.path)!r})"

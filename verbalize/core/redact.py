"""Secrets never reach an output: API keys, tokens and passwords in configs, URLs and argv are blanked."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_SECRET_KEY = re.compile(r"(api_?key|token|secret|password|passwd|authorization)", re.I)
_URL_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")


def redact(obj: Any) -> Any:
    """A copy with secret-looking keys blanked and user:password@ removed from URLs."""
    if isinstance(obj, Mapping):
        return {k: ("***" if _SECRET_KEY.search(str(k)) and v else redact(v)) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [redact(v) for v in obj]
    if isinstance(obj, str):
        return _URL_USERINFO.sub("***@", obj)
    return obj

"""Secrets never reach an output: API keys, tokens and passwords in configs, URLs and argv are blanked."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

_SECRET_KEY = re.compile(r"(^|[_-])(api[_-]?key|access[_-]?key|token|secret|password|passwd|authorization)$", re.I)
"""Keys whose value is a secret ('api_key', 'auth_token', 'db_password'), not ones that merely contain
such a word ('max_tokens', 'prompt_tokens', 'tokenize')."""
_URL_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")
_QUERY_SECRET = re.compile(r"(?i)([?&](?:api[_-]?key|access[_-]?token|token|secret|password|passwd|key)=)[^&#\s]+")
_SECRET_FLAG = re.compile(r"^--?[\w-]*(api[_-]?key|token|secret|password|passwd)[\w-]*$", re.I)


def redact(obj: Any) -> Any:
    """A copy with secret-looking keys blanked and user:password@ / ?token= removed from URLs."""
    if isinstance(obj, Mapping):
        return {k: ("***" if _SECRET_KEY.search(str(k)) and v else redact(v)) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [redact(v) for v in obj]
    if isinstance(obj, str):
        return _QUERY_SECRET.sub(r"\1***", _URL_USERINFO.sub("***@", obj))
    return obj


def redact_argv(argv: Sequence[str]) -> list[str]:
    """A command line as it may be recorded: URLs without passwords, the values of secret flags
    (`--api-key X`, `--token=X`) blanked."""
    out: list[str] = []
    blank_next = False
    for arg in argv:
        if blank_next:
            out.append("***")
            blank_next = False
            continue
        flag, eq, _ = arg.partition("=")
        if _SECRET_FLAG.match(flag):
            if eq:
                out.append(f"{flag}=***")
            else:
                out.append(arg)
                blank_next = True
            continue
        out.append(redact(arg))
    return out

"""Bearer-token auth for the /v1 API, and the rule that keeps an open service off the network.

The token comes from `VERBALIZE_API_TOKEN` only (never a flag: flags end up in shell history and
`ps` output) and is compared in constant time. It is never logged or echoed back.
"""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import Request

from verbalize.core.errors import UserError

TOKEN_ENV = "VERBALIZE_API_TOKEN"


class AuthError(Exception):
    """Missing or wrong bearer token (answered 401 with a WWW-Authenticate header)."""


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost'; any other name counts as reachable from outside."""
    h = host.strip().strip("[]")
    if h.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse to serve an unauthenticated API on an address other machines can reach."""
    if not token and not is_loopback(host):
        raise UserError(f"refusing to listen on {host} without {TOKEN_ENV}: set a token, or use --host 127.0.0.1")


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def require_token(request: Request) -> None:
    """FastAPI dependency for every /v1 route: a no-op when no token is configured."""
    expected: str | None = request.app.state.api_token
    if not expected:
        return
    given = bearer_token(request)
    if given is None or not hmac.compare_digest(given.encode(), expected.encode()):
        raise AuthError()

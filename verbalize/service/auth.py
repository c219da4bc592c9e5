"""Bearer-token auth for the /v1 API, and the rule that keeps an open service off the network.

The token comes from `VERBALIZE_API_TOKEN` only (never a flag: flags end up in shell history and
`ps` output) and is compared in constant time. It is never logged or echoed back.
"""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

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


BEARER = HTTPBearer(auto_error=False, scheme_name="bearer",
                    description=f"the service's token ({TOKEN_ENV}); needed when the service was started with one")
"""Declares the scheme in /openapi.json (and the Authorize button in /docs); the check is ours."""


def require_token(request: Request, _: HTTPAuthorizationCredentials | None = Depends(BEARER)) -> None:
    """FastAPI dependency for every /v1 route: a no-op when no token is configured."""
    expected: str | None = request.app.state.api_token
    if not expected:
        return
    given = bearer_token(request)
    if given is None or not hmac.compare_digest(given.encode(), expected.encode()):
        raise AuthError()


STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def host_name(host_header: str) -> str:
    """'127.0.0.1:8000' → '127.0.0.1'; '[::1]:8000' → '::1'."""
    h = host_header.strip()
    if h.startswith("["):
        return h[1:].partition("]")[0]
    return h.rpartition(":")[0] if h.count(":") == 1 else h


def cross_site_problem(method: str, host: str | None, origin: str | None, scheme: str, token: str | None) -> str | None:
    """Why a request must be refused, or None. Without a token, only loopback `Host` names are
    served (DNS rebinding: a public name that resolves to 127.0.0.1 reads nothing), and a
    state-changing request that carries an `Origin` must come from the service's own pages (any
    other web page the user visits cannot start jobs). With a token, the token is the guard."""
    if token:
        return None
    if not host or not is_loopback(host_name(host)):
        return "Host: this service answers only loopback names without a token (set VERBALIZE_API_TOKEN)"
    if method in STATE_CHANGING and origin is not None and origin != f"{scheme}://{host}":
        return "Origin: cross-site requests are refused"
    return None

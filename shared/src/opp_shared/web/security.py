"""FastAPI dependencies that authenticate the caller and enforce roles on a route.

Writer = Annotated[Principal, Depends(requires(Role.ADMIN, Role.PARTNERSHIPS_OFFICER))]

@router.post("/things")
async def create(principal: Writer): ...

Repeated failed authentication is slowed down per client address
(`FailedAuthentications`): past `OPP_AUTH_FAILURE_LIMIT` refused tokens in
`OPP_AUTH_FAILURE_WINDOW_SECONDS`, every request from that address that
carries credentials is answered 429 with `Retry-After`, without its token
being checked, until the window ends. A request without credentials is not
counted (it is a plain 401). The client address is the connection's peer,
or the `X-Forwarded-For` client when the peer is a proxy named in
`OPP_FORWARDED_ALLOW_IPS`: behind a gateway that is not trusted there, all its
clients share the gateway's address and one client's failures slow them all.

Operators' routes (`/metrics`, readiness detail) admit an admin token, or any
request that came in on the management port (`OPP_MANAGEMENT_PORT`).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from opp_shared.auth import ALL_ROLES, Principal, Role, TokenVerifier
from opp_shared.errors import Forbidden, PlatformError, Unauthenticated
from opp_shared.logs import actor_var
from opp_shared.metrics import AUTH_FAILURES

_bearer = HTTPBearer(auto_error=False, description="OAuth2 bearer JWT with `sub` and `roles`")


class TooManyFailures(PlatformError):
    status = 429
    slug = "too-many-failed-authentications"
    title = "Too many failed authentications"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"this client sent too many refused credentials; try again in {retry_after} s", retry_after=retry_after
        )
        self.headers = {"Retry-After": str(retry_after)}


class FailedAuthentications:
    """Refused credentials per client address in fixed windows, in this process, for at most
    `max_clients` addresses (the least recently failing are forgotten first)."""

    def __init__(self, limit: int, window_seconds: float, max_clients: int) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.max_clients = max_clients
        self._windows: OrderedDict[str, tuple[float, int]] = OrderedDict()  # address -> (window start, failures)

    def retry_after(self, address: str) -> int | None:
        """Seconds until this address may try again, when it is over the limit; else None."""
        started, failures = self._windows.get(address, (0.0, 0))
        left = started + self.window_seconds - time.monotonic()
        if failures >= self.limit and left > 0:
            return max(1, math.ceil(left))
        return None

    def failed(self, address: str) -> None:
        now = time.monotonic()
        started, failures = self._windows.pop(address, (now, 0))
        if now - started >= self.window_seconds:
            started, failures = now, 0
        self._windows[address] = (started, failures + 1)
        while len(self._windows) > self.max_clients:
            self._windows.popitem(last=False)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        if request.headers.get("authorization"):
            _note_failure(request)  # credentials of another scheme, or an empty bearer token
        raise Unauthenticated("send an Authorization: Bearer <token> header")
    failures: FailedAuthentications | None = getattr(request.app.state, "failed_authentications", None)
    if failures is not None and (wait := failures.retry_after(client_address(request))) is not None:
        AUTH_FAILURES.labels("throttled").inc()
        raise TooManyFailures(wait)
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        if verifier.jwks is not None:
            # Fetching signing keys is blocking I/O; keep it off the event loop.
            principal = await run_in_threadpool(verifier.verify, credentials.credentials)
        else:
            principal = verifier.verify(credentials.credentials)
    except Unauthenticated:
        _note_failure(request)
        raise
    actor_var.set(principal.sub)
    return principal


def _note_failure(request: Request) -> None:
    AUTH_FAILURES.labels("refused").inc()
    failures: FailedAuthentications | None = getattr(request.app.state, "failed_authentications", None)
    if failures is not None:
        failures.failed(client_address(request))


def requires(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting callers with any of `roles` (every known role when none are given)."""
    allowed = frozenset(roles) or ALL_ROLES

    async def dependency(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if not principal.has_any(allowed):
            raise Forbidden(
                f"this needs one of the roles {sorted(r.value for r in allowed)}",
                required_roles=sorted(r.value for r in allowed),
            )
        return principal

    return dependency


Reader = Annotated[Principal, Depends(requires())]
# Any valid token, with roles or none: a member of the university acting on what is their own (a
# reviewer's assignments, a person's own inbox), which the route or its handler then checks.
Authenticated = Annotated[Principal, Depends(authenticate)]

_admin = requires(Role.ADMIN)


def on_management_port(request: Request) -> bool:
    port = getattr(request.app.state, "management_port", None)
    server = request.scope.get("server")
    return port is not None and bool(server) and server[1] == port


async def operator(request: Request) -> None:
    """Admits requests on the management port, and admin tokens anywhere (401/403 otherwise)."""
    if on_management_port(request):
        return
    credentials = await _bearer(request)
    await _admin(await authenticate(request, credentials))


async def is_operator(request: Request) -> bool:
    """As `operator`, answering instead of refusing (for answers that only say more to operators)."""
    try:
        await operator(request)
    except PlatformError:
        return False
    return True


Operator = Depends(operator)

"""FastAPI dependencies that authenticate the caller and enforce roles on a route.

Writer = Annotated[Principal, Depends(requires(Role.ADMIN, Role.PARTNERSHIPS_OFFICER))]

@router.post("/things")
async def create(principal: Writer): ...
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from opp_shared.auth import ALL_ROLES, Principal, Role, TokenVerifier
from opp_shared.errors import Forbidden, Unauthenticated
from opp_shared.logs import actor_var

_bearer = HTTPBearer(auto_error=False, description="OAuth2 bearer JWT with `sub` and `roles`")


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthenticated("send an Authorization: Bearer <token> header")
    verifier: TokenVerifier = request.app.state.token_verifier
    if verifier.jwks is not None:
        # Fetching signing keys is blocking I/O; keep it off the event loop.
        principal = await run_in_threadpool(verifier.verify, credentials.credentials)
    else:
        principal = verifier.verify(credentials.credentials)
    actor_var.set(principal.sub)
    return principal


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

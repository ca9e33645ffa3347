"""Bearer-token authentication and the platform's roles.

Locally, tokens are HS256 JWTs signed with `OPP_JWT_SECRET`; deployed
services verify RS256 tokens against a JWKS URL (`OPP_JWT_JWKS_URL`). Both
go through `TokenVerifier.verify`. Claims: `sub`, `roles` (a list), `iat`,
`exp`; `iss` and `aud` are checked when configured.

A refused token answers in the platform's own words (`refusal`), never with
the JWT library's message; the identity provider's keys being out of reach
is a 503, not the caller's fault.

`python -m opp_shared.auth --role admin` prints a local token (`make token ROLE=admin`).
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass
from enum import StrEnum

import jwt

from opp_shared.errors import PlatformError, Unauthenticated


class Role(StrEnum):
    ADMIN = "admin"
    PARTNERSHIPS_OFFICER = "partnerships_officer"
    FUNDING_OFFICER = "funding_officer"
    TECHTRANSFER_OFFICER = "techtransfer_officer"
    VIEWER = "viewer"


ALL_ROLES = frozenset(Role)


class KeysUnavailable(PlatformError):
    """The identity provider's signing keys cannot be fetched: the platform's outage, not a bad token."""

    status = 503
    slug = "unavailable"
    title = "Service unavailable"
    headers = {"Retry-After": "5"}


# Why a token was refused, in the platform's words: the first class in this order that
# the library's error is an instance of. Its own messages (and their details) stay in the log.
_REFUSALS: tuple[tuple[type[Exception], str], ...] = (
    (jwt.ExpiredSignatureError, "the bearer token has expired"),
    (jwt.ImmatureSignatureError, "the bearer token is not valid yet"),
    (jwt.InvalidAudienceError, "the bearer token is not meant for this service"),
    (jwt.InvalidIssuerError, "the bearer token comes from an issuer this service does not trust"),
    (jwt.MissingRequiredClaimError, "the bearer token lacks a required claim (sub, exp and iat are required)"),
    (jwt.InvalidSignatureError, "the bearer token's signature does not verify"),
    (jwt.InvalidAlgorithmError, "the bearer token is signed with an algorithm this service does not accept"),
    (jwt.PyJWKClientError, "the bearer token's signing key is not one of the identity provider's"),
    (jwt.DecodeError, "the bearer token is malformed"),
)


def refusal(exc: jwt.PyJWTError) -> str:
    for kind, reason in _REFUSALS:
        if isinstance(exc, kind):
            return reason
    return "the bearer token was refused"


@dataclass(frozen=True)
class Principal:
    sub: str
    roles: frozenset[Role]

    def has_any(self, roles: frozenset[Role] | set[Role]) -> bool:
        return bool(self.roles & roles)

    @property
    def addresses(self) -> list[str]:
        """Who this caller is to an inbox: its own subject and each of its roles."""
        return [f"user:{self.sub}"] + sorted(f"role:{role.value}" for role in self.roles)


class TokenVerifier:
    def __init__(
        self,
        *,
        secret: str | None = None,
        jwks_url: str | None = None,
        issuer: str | None = None,
        audience: str | None = None,
        leeway_seconds: int = 30,
    ) -> None:
        if not secret and not jwks_url:
            raise ValueError("configure a JWT secret (HS256) or a JWKS URL (RS256)")
        self.secret = secret
        self.jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=600) if jwks_url else None
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway_seconds

    def verify(self, token: str) -> Principal:
        try:
            if self.jwks is not None:
                key = self.jwks.get_signing_key_from_jwt(token).key
                algorithms = ["RS256"]
            else:
                key = self.secret
                algorithms = ["HS256"]
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                issuer=self.issuer,
                audience=self.audience,
                leeway=self.leeway,
                options={"require": ["sub", "exp", "iat"], "verify_aud": self.audience is not None},
            )
        except jwt.PyJWKClientConnectionError:
            raise KeysUnavailable("the identity provider's signing keys cannot be fetched; try again shortly") from None
        except jwt.PyJWTError as exc:
            raise Unauthenticated(refusal(exc)) from None
        sub = claims.get("sub")
        raw_roles = claims.get("roles", [])
        if not isinstance(sub, str) or not sub:
            raise Unauthenticated("the token has no subject")
        if not isinstance(raw_roles, list):
            raise Unauthenticated("the token's roles claim must be a list")
        # Roles this platform does not know are ignored rather than refused:
        # the identity provider may carry roles of other systems.
        roles = frozenset(Role(r) for r in raw_roles if isinstance(r, str) and r in ALL_ROLES)
        return Principal(sub=sub, roles=roles)


def issue_local_token(secret: str, sub: str, roles: list[str], ttl_seconds: int = 8 * 3600) -> str:
    unknown = [r for r in roles if r not in ALL_ROLES]
    if unknown:
        raise ValueError(f"unknown roles {unknown}; known: {sorted(ALL_ROLES)}")
    now = int(time.time())
    return jwt.encode({"sub": sub, "roles": roles, "iat": now, "exp": now + ttl_seconds}, secret, algorithm="HS256")


def main() -> None:
    from opp_shared.settings import LOCAL_JWT_SECRET

    parser = argparse.ArgumentParser(description="Print a local HS256 bearer token.")
    parser.add_argument("--role", action="append", required=True, help="a role; repeat for several")
    parser.add_argument("--sub", default=None, help="the subject (default: local-<first role>)")
    parser.add_argument("--ttl", type=int, default=8 * 3600, help="seconds until it expires")
    args = parser.parse_args()
    roles = [r for item in args.role for r in item.split(",") if r]
    secret = os.environ.get("OPP_JWT_SECRET", LOCAL_JWT_SECRET)
    print(issue_local_token(secret, args.sub or f"local-{roles[0]}", roles, args.ttl))


if __name__ == "__main__":
    main()

"""Errors the domain and the write model raise, with no HTTP in them.

The web layer turns each into an RFC 9457 problem with the status named
here; a consumer or the scheduler treats them as "this record is wrong",
never as "the infrastructure is down" (`Contention` excepted: it says "try
again", and a consumer's retries do).
"""

from __future__ import annotations

from typing import Any


class PlatformError(Exception):
    """Base of every error that answers as a problem rather than a 500."""

    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        # Extra members of the problem document (e.g. the id of a clashing resource).
        self.extensions = extensions


class NotFound(PlatformError):
    status = 404
    slug = "not-found"
    title = "Not found"


class RuleViolation(PlatformError):
    """A business rule or a life-cycle transition refuses the change."""

    status = 409
    slug = "rule-violation"
    title = "The change breaks a rule"


class AlreadyExists(RuleViolation):
    slug = "already-exists"
    title = "Already exists"


class IllegalTransition(RuleViolation):
    slug = "illegal-transition"
    title = "Transition not allowed"


class StaleVersion(PlatformError):
    """The client's If-Match names a version that is no longer current."""

    status = 412
    slug = "stale-version"
    title = "The resource has changed"


class InvalidInput(PlatformError):
    """Input that is well-formed JSON but breaks a rule of its own fields."""

    status = 422
    slug = "invalid-input"
    title = "Invalid input"

    def __init__(self, detail: str, errors: list[dict[str, Any]] | None = None, **extensions: Any) -> None:
        super().__init__(detail, **extensions)
        self.errors = errors or []


class Unauthenticated(PlatformError):
    status = 401
    slug = "unauthenticated"
    title = "Missing or invalid credentials"


class Forbidden(PlatformError):
    status = 403
    slug = "forbidden"
    title = "Not allowed for your roles"


class Contention(PlatformError):
    """A change that lost the race for its aggregate's next record every time it was decided:
    nothing is wrong with the request, the resource is busy. Never a rule violation, so that a
    client can tell "try again" from "refused"."""

    status = 503
    slug = "contention"
    title = "The resource is busy"

    def __init__(self, detail: str, *, retry_after: int, **extensions: Any) -> None:
        super().__init__(detail, retry_after=retry_after, **extensions)
        self.headers = {"Retry-After": str(retry_after)}


class VersionConflict(Exception):
    """Another writer inserted the same `<aggregate id>:<sequence>` first.

    Raised by the write model; the command runner either reloads and decides
    again, or (when the client sent If-Match) answers 412 via StaleVersion.
    """

    def __init__(self, aggregate_id: str, sequence: int) -> None:
        super().__init__(f"{aggregate_id} already has a change number {sequence}")
        self.aggregate_id = aggregate_id
        self.sequence = sequence

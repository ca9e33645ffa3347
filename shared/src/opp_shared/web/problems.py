"""RFC 9457 problem details for every error, and never a stack trace.

Each failure answers `application/problem+json` with `type`, `title`,
`status`, `detail` and, for field-level validation, `errors` (each with a
JSON pointer into the body, or the name of a parameter). An unexpected
exception becomes a 500 problem carrying the request id, with the trace in
the log only; the database being unreachable is a 503 with Retry-After.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from opp_shared.errors import PlatformError, StaleVersion
from opp_shared.logs import request_id_var
from opp_shared.mongo import UNAVAILABLE

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
# Absolute URIs that need no web site behind them; stable identifiers clients can switch on.
PROBLEM_BASE = "urn:opp:problem:"


def problem(
    status: int,
    title: str,
    detail: str,
    slug: str,
    *,
    headers: dict[str, str] | None = None,
    **members: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail}
    request_id = request_id_var.get()
    if request_id:
        body["request_id"] = request_id
    body.update({k: v for k, v in members.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ())]
        item: dict[str, Any] = {"detail": error.get("msg", "invalid"), "type": error.get("type", "invalid")}
        if location and location[0] == "body":
            item["pointer"] = "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in location[1:])
        elif location:
            item["in"] = location[0]
            item["parameter"] = ".".join(location[1:])
        errors.append(item)
    return errors


_STATUS_SLUGS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthenticated", "Missing or invalid credentials"),
    403: ("forbidden", "Not allowed for your roles"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    413: ("payload-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
}


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(PlatformError)
    async def _platform(_: Request, exc: PlatformError) -> JSONResponse:
        members = dict(exc.extensions)
        if getattr(exc, "errors", None):
            members["errors"] = exc.errors
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if isinstance(exc, StaleVersion) and members.get("current_version") is None:
            members.pop("current_version", None)
        return problem(exc.status, exc.title, exc.detail, exc.slug, headers=headers, **members)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        if any(e["type"] == "json_invalid" for e in errors):
            return problem(
                400,
                "Body is not valid JSON",
                "the request body could not be parsed as JSON",
                "malformed-json",
                errors=errors,
            )
        return problem(422, "Invalid input", "the request has invalid fields", "invalid-input", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug, title = _STATUS_SLUGS.get(exc.status_code, ("http-error", "HTTP error"))
        detail = exc.detail if isinstance(exc.detail, str) else title
        return problem(exc.status_code, title, detail, slug, headers=getattr(exc, "headers", None))


def unexpected_error(exc: BaseException, method: str, path: str) -> JSONResponse:
    """The answer to an exception no handler knew: 503 when the database is out of
    reach, else a 500 that names the request id; the trace goes to the log only."""
    if isinstance(exc, UNAVAILABLE):
        log.warning("database unavailable: %s", exc)
        return problem(
            503,
            "Service unavailable",
            "the database cannot be reached; try again shortly",
            "unavailable",
            headers={"Retry-After": "5"},
        )
    log.error("unexpected error on %s %s", method, path, exc_info=exc)
    return problem(
        500, "Internal error", "an unexpected error occurred; quote the request id when reporting it", "internal-error"
    )

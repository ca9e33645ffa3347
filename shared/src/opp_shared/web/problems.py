"""RFC 9457 problem details for every error, and never a stack trace.

Each failure answers `application/problem+json` with `type`, `title`,
`status`, `detail` and, for field-level validation, `errors` (each with a
JSON pointer into the body, or the name of a parameter). An unexpected
exception becomes a 500 problem carrying the request id, with the trace in
the log only; the database being unreachable is a 503 with Retry-After, and
so is a write that lost every race for its resource (`errors.Contention`).

A problem says enough to fix the request and no more: at most the first
`MAX_ERRORS` field errors, with `error_count` saying how many there were;
a value of the caller's (an id, a name) echoed back only up to `MAX_ECHO`
characters; details in the platform's own words, never a library's message
or a Python representation of an exception.
"""

from __future__ import annotations

import logging
import re
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

MAX_ERRORS = 20  # field errors listed in one answer; `error_count` says how many there were
MAX_ECHO = 40  # characters of a caller's value (a quoted id, a field name) repeated in an answer
MAX_DETAIL = 300  # characters of a detail
_LONG = MAX_ECHO + 1
_QUOTED = re.compile(rf"'([^'\n]{{{_LONG},}})'|\"([^\"\n]{{{_LONG},}})\"")


def clip(text: str, limit: int = MAX_ECHO) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def shorten_echoes(text: str, limit: int = MAX_DETAIL) -> str:
    """A detail with every quoted value in it cut to `MAX_ECHO` characters, and itself to `limit`."""
    text = _QUOTED.sub(lambda m: "'" + clip(m.group(1) or m.group(2) or "") + "'", text)
    return clip(text, limit)


def _member(value: Any) -> Any:
    """An extension member as answered: strings (often the caller's ids) cut short, lists too."""
    if isinstance(value, str):
        return clip(value, 2 * MAX_ECHO)
    if isinstance(value, list):
        return [_member(v) for v in value[:MAX_ERRORS]]
    return value


def problem(
    status: int,
    title: str,
    detail: str,
    slug: str,
    *,
    headers: dict[str, str] | None = None,
    **members: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": shorten_echoes(detail),
    }
    request_id = request_id_var.get()
    if request_id:
        body["request_id"] = request_id
    errors, count = members.pop("errors", None), members.pop("error_count", None)
    body.update({k: _member(v) for k, v in members.items() if v is not None})
    if errors:
        body["errors"] = [_error(e) for e in errors[:MAX_ERRORS]]
        body["error_count"] = len(errors) if count is None else count
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _error(error: dict[str, Any]) -> dict[str, Any]:
    """One field error as answered: its detail and pointer cut short."""
    item = {k: _member(v) for k, v in error.items()}
    if isinstance(error.get("detail"), str):
        item["detail"] = shorten_echoes(error["detail"], 2 * MAX_ECHO + 80)
    if isinstance(error.get("pointer"), str):
        item["pointer"] = "/".join(clip(part) for part in error["pointer"].split("/"))
    return item


# Field errors in the platform's words, by pydantic's error type (the rest keep pydantic's
# wording, which names the expected form and never repeats the input).
_DETAILS = {
    "missing": "required",
    "extra_forbidden": "unknown field: this body takes no such field",
    "json_invalid": "not valid JSON",
}


def _detail(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind in _DETAILS:
        return _DETAILS[kind]
    context = error.get("ctx") or {}
    if kind == "value_error" and isinstance(context.get("error"), Exception):
        return str(context["error"])  # the platform's own validators speak for themselves
    message = str(error.get("msg", "invalid"))
    if message.startswith("value is not a valid email address"):
        return "not a valid email address"
    return message.removeprefix("Value error, ")


def _validation_errors(exc: RequestValidationError) -> tuple[list[dict[str, Any]], int]:
    """The first `MAX_ERRORS` field errors as answered, and how many there were (only those
    are worded: a body with 60,000 unknown fields costs the same as one with 20)."""
    found = exc.errors()
    errors = []
    for error in found[:MAX_ERRORS]:
        location = [str(part) for part in error.get("loc", ())]
        item: dict[str, Any] = {"detail": _detail(error), "type": error.get("type", "invalid")}
        if location and location[0] == "body":
            item["pointer"] = "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in location[1:])
        elif location:
            item["in"] = location[0]
            item["parameter"] = ".".join(location[1:])
        errors.append(item)
    return errors, len(found)


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
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        if isinstance(exc, StaleVersion) and members.get("current_version") is None:
            members.pop("current_version", None)
        return problem(exc.status, exc.title, exc.detail, exc.slug, headers=headers or None, **members)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors, count = _validation_errors(exc)
        if any(e["type"] == "json_invalid" for e in errors):
            return problem(
                400,
                "Body is not valid JSON",
                "the request body could not be parsed as JSON",
                "malformed-json",
                errors=errors,
                error_count=count,
            )
        return problem(
            422, "Invalid input", "the request has invalid fields", "invalid-input", errors=errors, error_count=count
        )

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

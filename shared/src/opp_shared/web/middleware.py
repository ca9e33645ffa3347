"""Pure ASGI middleware: request ids and logs, the body size limit, request metrics, security headers.

Written as plain ASGI (not BaseHTTPMiddleware) so that context variables set
here are seen by the route, and nothing is buffered twice.

Every answer carries `X-Content-Type-Options: nosniff`, `Referrer-Policy:
no-referrer`, `X-Frame-Options: DENY`, `Cache-Control: no-store` (answers
are per caller and current: nothing may keep them) and, unless the route set
its own (the docs page does), `Content-Security-Policy: default-src 'none';
frame-ancestors 'none'`: a JSON API loads nothing and is framed by no one.

A JSON body with a number that is not finite (`NaN`, `Infinity`, or one too
large for a double, such as `1e999`) is refused with a 400 before any route
runs: Python's JSON reader accepts them, BSON stores them, and FerretDB drops
the connection on them, which the service would take for the database being
down.
"""

from __future__ import annotations

import json
import logging
import math
import re
import secrets
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opp_shared.logs import correlation_id_var, request_id_var, traceparent_var
from opp_shared.metrics import HTTP_LATENCY, HTTP_REQUESTS
from opp_shared.web.problems import PROBLEM_BASE, PROBLEM_JSON, problem, unexpected_error

log = logging.getLogger("opp.http")

SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
API_CSP = b"default-src 'none'; frame-ancestors 'none'"
# What the management port serves; anything else there is a 404.
MANAGEMENT_PATHS = frozenset({"/health/live", "/health/ready", "/metrics"})

# Only a body with one of these can hold a number that is not finite: the others skip the check.
_MAYBE_NOT_FINITE = re.compile(rb"NaN|Infinity|[0-9][eE][+-]?[0-9]")


def has_non_finite_number(body: bytes) -> bool:
    """Whether a JSON body holds NaN, Infinity or a number a double cannot hold
    (False for a body that is not JSON: the route answers that)."""
    if not _MAYBE_NOT_FINITE.search(body):
        return False
    found = False

    def constant(_: str) -> None:
        nonlocal found
        found = True

    def number(text: str) -> float:
        nonlocal found
        value = float(text)
        found = found or not math.isfinite(value)
        return value

    try:
        json.loads(body, parse_constant=constant, parse_float=number)
    except (ValueError, RecursionError):
        return False
    return found


def _with_security_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    present = {name.lower() for name, _ in headers}
    added = [header for header in SECURITY_HEADERS if header[0] not in present]
    if b"content-security-policy" not in present:
        added.append((b"content-security-policy", API_CSP))
    if b"cache-control" not in present:
        added.append((b"cache-control", b"no-store"))
    return headers + added


_SAFE_ID_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:")


def _clean_id(value: str | None) -> str | None:
    """Take a caller's id only if it is short and plain, so it cannot poison logs."""
    if value and len(value) <= 128 and set(value) <= _SAFE_ID_CHARS:
        return value
    return None


def _valid_traceparent(value: str | None) -> str | None:
    parts = (value or "").split("-")
    if len(parts) == 4 and [len(p) for p in parts] == [2, 32, 16, 2]:
        try:
            [int(p, 16) for p in parts]
            return value
        except ValueError:
            return None
    return None


def new_traceparent() -> str:
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


async def read_body(receive: Receive, max_bytes: int) -> bytes | None:
    """The whole body of an ASGI request, or None as soon as it is over `max_bytes`."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


class RequestContextMiddleware:
    """Sets the request, correlation and trace ids; logs and measures each request;
    refuses bodies over the size limit with a 413 problem before the route runs."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, management_port: int | None = None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.management_port = management_port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        request_id = _clean_id(headers.get("x-request-id")) or str(uuid.uuid4())
        correlation_id = _clean_id(headers.get("x-correlation-id")) or request_id
        traceparent = _valid_traceparent(headers.get("traceparent")) or new_traceparent()
        tokens = [
            request_id_var.set(request_id),
            correlation_id_var.set(correlation_id),
            traceparent_var.set(traceparent),
        ]
        started = time.perf_counter()
        status_holder: dict[str, int | bool] = {"status": 500, "started": False}

        async def send_with_ids(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = True
                message.setdefault("headers", [])
                message["headers"] = _with_security_headers(
                    list(message["headers"])
                    + [(b"x-request-id", request_id.encode()), (b"x-correlation-id", correlation_id.encode())]
                )
            await send(message)

        try:
            refusal = self._refusal(scope, headers)
            body = None if refusal else await self._limited_body(scope, receive, headers)
            if refusal is None and body is not None:
                refusal = self._body_refusal(body[1], headers)
            if refusal is not None:
                await refusal(scope, receive, send_with_ids)
            elif body is None:
                await self._too_large(send_with_ids)
            else:
                await self.app(scope, body[0], send_with_ids)
        except Exception as exc:
            # Answered here rather than by Starlette's last-resort handler, which
            # would re-raise it to the server and log the trace a second time.
            if status_holder.get("started"):
                raise
            response = unexpected_error(exc, scope.get("method", "?"), scope.get("path", "?"))
            await response(scope, receive, send_with_ids)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            route_path = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "?")
            HTTP_REQUESTS.labels(method, route_path, str(status_holder["status"])).inc()
            HTTP_LATENCY.labels(method, route_path).observe(elapsed)
            if not route_path.startswith(("/health", "/metrics")):
                log.info(
                    "%s %s -> %s in %.1f ms",
                    method,
                    scope.get("path"),
                    status_holder["status"],
                    elapsed * 1000,
                    extra={"status": status_holder["status"], "route": route_path},
                )
            for token in reversed(tokens):
                token.var.reset(token)

    def _refusal(self, scope: Scope, headers: dict[str, str]) -> Any:
        """The answer to a request refused before its body is read: on the management port,
        anything but health and metrics."""
        server = scope.get("server")
        on_management_port = bool(self.management_port and server and server[1] == self.management_port)
        if on_management_port and scope.get("path") not in MANAGEMENT_PATHS:
            return problem(404, "Not found", "the management port serves /health/* and /metrics only", "not-found")
        return None

    def _body_refusal(self, body: bytes, headers: dict[str, str]) -> Any:
        """The answer to a body refused before the route reads it: JSON with a number that is not finite."""
        if body and "json" in headers.get("content-type", "") and has_non_finite_number(body):
            return problem(
                400,
                "Body is not valid JSON",
                "a number in the body is not finite (NaN, Infinity, or too large for a double)",
                "malformed-json",
            )
        return None

    async def _limited_body(
        self, scope: Scope, receive: Receive, headers: dict[str, str]
    ) -> tuple[Receive, bytes] | None:
        """Read the whole body (they are small: at most `max_body_bytes`) and replay it to the app;
        None when it is over the limit."""
        if (
            scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE")
            and "content-length" not in headers
            and "transfer-encoding" not in headers
        ):
            return receive, b""
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            return None
        body = await read_body(receive, self.max_body_bytes)
        if body is None:
            return None
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay, body

    async def _too_large(self, send: Send) -> None:
        body = json.dumps(
            {
                "type": PROBLEM_BASE + "payload-too-large",
                "title": "Request body too large",
                "status": 413,
                "detail": f"the body is over the limit of {self.max_body_bytes} bytes",
                "request_id": request_id_var.get(),
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

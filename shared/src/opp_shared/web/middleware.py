"""Pure ASGI middleware: request ids and logs, the body size limit, and request metrics.

Written as plain ASGI (not BaseHTTPMiddleware) so that context variables set
here are seen by the route, and nothing is buffered twice.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opp_shared.logs import correlation_id_var, request_id_var, traceparent_var
from opp_shared.metrics import HTTP_LATENCY, HTTP_REQUESTS
from opp_shared.web.problems import PROBLEM_BASE, PROBLEM_JSON, unexpected_error

log = logging.getLogger("opp.http")

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


class RequestContextMiddleware:
    """Sets the request, correlation and trace ids; logs and measures each request;
    refuses bodies over the size limit with a 413 problem before the route runs."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

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
                message["headers"] = list(message["headers"]) + [
                    (b"x-request-id", request_id.encode()),
                    (b"x-correlation-id", correlation_id.encode()),
                ]
            await send(message)

        try:
            body_receive = await self._limited_body(scope, receive, headers)
            if body_receive is None:
                await self._too_large(send_with_ids)
            else:
                await self.app(scope, body_receive, send_with_ids)
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

    async def _limited_body(self, scope: Scope, receive: Receive, headers: dict[str, str]) -> Receive | None:
        """Read the whole body (they are small: at most `max_body_bytes`) and replay it to the app;
        None when it is over the limit."""
        if (
            scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE")
            and "content-length" not in headers
            and "transfer-encoding" not in headers
        ):
            return receive
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay

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

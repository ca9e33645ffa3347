"""The local gateway: every service behind one origin (port 8000), as compose's nginx does.

    .venv/bin/python -m opp_devstack.gateway_app --port 8000 --upstream partners=8001 --upstream funding=8002 ...

`make up` starts it after the services (`stack.py start gateway`). It routes by
the table compose's nginx is generated from (`opp_devstack.gateway`), streams
answers through (the notifications stream is Server-Sent Events), and answers
itself only what nginx answers itself, as problems: `/health`, 404 for a path
no service owns, 413 for a body over 1 MiB, 502 when the service cannot be
reached, 504 when it does not answer in time. A preflight is the services'
to answer (their `OPP_CORS_ORIGINS`), like any other request; the gateway's
own answers carry the CORS headers for the same origins, so that a browser
can read them too.

Why a small Python proxy rather than nginx: nginx is not on a fresh machine
of this project, installing Debian's needs root and a system package the
project does not otherwise use, and a second nginx configuration for the
local ports would be a second copy of the routes. This runs from the
project's .venv (httpx, uvicorn) like the services, on loopback only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import uvicorn

from opp_devstack.gateway import Location, route
from opp_shared.web.middleware import read_body

MAX_BODY_BYTES = 1_048_576
# Headers of one connection, not of the message (RFC 9110, 7.6.1): never forwarded.
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host"}
)
_PLAIN_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _problem(status: int, slug: str, title: str, detail: str, request_id: str) -> bytes:
    body = {"type": f"urn:opp:problem:{slug}", "title": title, "status": status, "detail": detail}
    return json.dumps({**body, "request_id": request_id}).encode()


class Gateway:
    """An ASGI app forwarding each request to the service its path belongs to."""

    def __init__(
        self,
        upstreams: dict[str, str],
        cors_origins: list[str],
        timeout: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.upstreams = upstreams  # service name -> base URL (http://127.0.0.1:8001)
        self.cors_origins = frozenset(cors_origins)
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=5.0), follow_redirects=False, transport=transport
        )

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        caller_id = headers.get("x-request-id", "")
        request_id = caller_id if _PLAIN_ID.match(caller_id) else str(uuid.uuid4())
        own = self._own_answer(send, request_id, headers.get("origin"))
        path = scope["path"]
        if path == "/health":
            await own(200, b'{"status":"ok"}', "application/json")
            return
        location = route(path)
        if location is None or location.service not in self.upstreams:
            detail = "no service answers this path"
            await own(404, _problem(404, "not-found", "Not found", detail, request_id))
            return
        body = await read_body(receive, MAX_BODY_BYTES)
        if body is None:
            detail = f"the body is over the limit of {MAX_BODY_BYTES} bytes"
            await own(413, _problem(413, "payload-too-large", "Request body too large", detail, request_id))
            return
        try:
            upstream = await self._forward(scope, location, headers, body, request_id)
        except httpx.TimeoutException:
            detail = "the service for this path did not answer in time"
            await own(504, _problem(504, "gateway-timeout", "Gateway timeout", detail, request_id))
            return
        except httpx.HTTPError:
            detail = "the service for this path cannot be reached; try again shortly"
            problem = _problem(502, "bad-gateway", "Bad gateway", detail, request_id)
            await own(502, problem, extra=[(b"retry-after", b"5")])
            return
        await self._relay(upstream, location, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _own_answer(self, send: Any, request_id: str, origin: str | None) -> Any:
        async def answer(
            status: int,
            body: bytes,
            content_type: str = "application/problem+json",
            extra: list[tuple[bytes, bytes]] | None = None,
        ) -> None:
            headers = [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"x-request-id", request_id.encode()),
                (b"cache-control", b"no-store"),
                (b"x-content-type-options", b"nosniff"),
                *(extra or []),
            ]
            if origin and origin in self.cors_origins:
                headers += [(b"access-control-allow-origin", origin.encode()), (b"vary", b"Origin")]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        return answer

    async def _forward(
        self, scope: dict[str, Any], location: Location, headers: dict[str, str], body: bytes, request_id: str
    ) -> httpx.Response:
        query = scope.get("query_string", b"").decode("latin-1")
        if location.target is None:
            target = scope.get("raw_path", scope["path"].encode()).decode("latin-1")
        else:
            target = location.target
        if query and (location.target is None or location.keeps_query):
            target += "?" + query
        client = scope.get("client") or ("unknown", 0)
        forwarded_for = ", ".join(filter(None, [headers.get("x-forwarded-for"), client[0]]))
        sent = [(k, v) for k, v in headers.items() if k not in HOP_BY_HOP and k != "content-length"]
        sent += [
            ("host", headers.get("host", "")),
            ("x-request-id", request_id),
            ("x-forwarded-for", forwarded_for),
            ("x-forwarded-proto", scope.get("scheme", "http")),
            ("x-forwarded-host", headers.get("host", "")),
        ]
        request = self.client.build_request(
            scope["method"], self.upstreams[location.service] + target, headers=sent, content=body
        )
        return await self.client.send(request, stream=True)

    @staticmethod
    async def _relay(upstream: httpx.Response, location: Location, send: Any) -> None:
        headers = [
            (k.lower(), v)
            for k, v in upstream.headers.raw
            if k.decode("latin-1").lower() not in HOP_BY_HOP and k.lower() != b"content-length"
        ]
        try:
            if location.docs_page:
                page = (await upstream.aread()).replace(
                    b"'/openapi.json'", f"'/{location.service}/openapi.json'".encode()
                )
                headers.append((b"content-length", str(len(page)).encode()))
                await send({"type": "http.response.start", "status": upstream.status_code, "headers": headers})
                await send({"type": "http.response.body", "body": page})
                return
            length = upstream.headers.get("content-length")
            if length is not None:
                headers.append((b"content-length", length.encode()))
            await send({"type": "http.response.start", "status": upstream.status_code, "headers": headers})
            async for chunk in _chunks(upstream):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await upstream.aclose()


async def _chunks(upstream: httpx.Response) -> AsyncIterator[bytes]:
    async for chunk in upstream.aiter_raw():
        if chunk:
            yield chunk


def _upstream(text: str) -> tuple[str, str]:
    name, _, port = text.partition("=")
    if not name or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected <service>=<port>, not {text!r}")
    return name, f"http://127.0.0.1:{port}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The local gateway: every service behind one origin.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--upstream", type=_upstream, action="append", default=[], help="<service>=<port>")
    args = parser.parse_args(argv)
    origins = [o.strip() for o in os.environ.get("OPP_CORS_ORIGINS", "").split(",") if o.strip()]
    app = Gateway(dict(args.upstream), origins)
    # The services' own Date and Server headers pass through; uvicorn adds none of its own.
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        server_header=False,
        date_header=False,
    )


if __name__ == "__main__":
    main()

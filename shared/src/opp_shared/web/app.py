"""The FastAPI application every service is built into.

`/docs` is Swagger UI as FastAPI serves it (from the jsDelivr CDN), under a
content security policy that admits exactly that origin and the page's one
inline script, by a nonce made per answer (a hash would not survive the
gateway, which rewrites the document's URL in that script). `/redoc` and the
OAuth2 redirect page are not served.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.datastructures import Headers
from starlette.responses import Response

from opp_shared.runtime import ServiceRuntime
from opp_shared.settings import ProcessPart
from opp_shared.web.middleware import RequestContextMiddleware
from opp_shared.web.openapi import install_openapi
from opp_shared.web.problems import install_problem_handlers, problem
from opp_shared.web.routes import history_router, operations_router
from opp_shared.web.security import FailedAuthentications

# Where Swagger UI's script and style come from (FastAPI's defaults), and its icon.
DOCS_ORIGIN = "https://cdn.jsdelivr.net"
DOCS_ICON_ORIGIN = "https://fastapi.tiangolo.com"


def docs_page(title: str, openapi_url: str) -> HTMLResponse:
    """Swagger UI, its inline script admitted by a nonce of this answer only."""
    nonce = secrets.token_urlsafe(16)
    html = get_swagger_ui_html(openapi_url=openapi_url, title=title).body.decode()
    html = html.replace("<script>", f'<script nonce="{nonce}">')
    policy = "; ".join(
        [
            "default-src 'none'",
            f"script-src 'nonce-{nonce}' {DOCS_ORIGIN}",
            # Swagger UI sets style attributes as it renders.
            f"style-src {DOCS_ORIGIN} 'unsafe-inline'",
            f"img-src 'self' data: {DOCS_ICON_ORIGIN}",
            "connect-src 'self'",  # the OpenAPI document, and "Try it out"
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": policy})


# What every service's /docs says first, after the service's own description.
API_GUIDE = """
**Calling it.** Send `Authorization: Bearer <JWT>` (claims `sub` and `roles`). Every error is an RFC 9457
problem (`application/problem+json`, schema `Problem`): switch on its `type`, show its `detail`, quote its
`request_id`. Resources carry `version` and an `ETag`; send `If-Match` with edits and actions (412 when
stale). Creating POSTs take an `Idempotency-Key`: a retry answers the first result. Lists take `limit` and
`cursor` and answer `items` and `next_cursor`. Answers that name partners by id (`partner_ids`) also carry
their names in `partners`. Behind the gateway (port 8000) every service shares one origin; the TypeScript
types of this document are in the repository's `clients/ts/`.
""".strip()

OPERATIONS_TAG = {
    "name": "operations",
    "description": "Health, metrics and the event contract. Which check failed, and the metrics, "
    "only to an admin token or on the management port.",
}


def cors_options(origins: list[str]) -> dict[str, object]:
    """What a browser page of one of `origins` may send and read (`OPP_CORS_ORIGINS`)."""
    return {
        "allow_origins": origins,
        "allow_methods": ["GET", "POST", "PATCH", "PUT", "DELETE"],
        "allow_headers": [
            "Authorization",
            "Content-Type",
            "If-Match",
            "Idempotency-Key",
            "X-Request-ID",
            "X-Correlation-ID",
            "traceparent",
        ],
        "expose_headers": [
            "ETag",
            "Location",
            "Idempotent-Replayed",
            "Retry-After",
            "X-Request-ID",
            "X-Correlation-ID",
        ],
        "max_age": 600,
    }


class Cors(CORSMiddleware):
    """Starlette's CORS, whose refusal of a preflight is a problem like every other refusal."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        refused = bytes(response.body).decode(errors="replace")  # Starlette's fixed words: "Disallowed CORS origin"
        return problem(403, "Cross-origin request refused", refused.lower(), "cors-refused")


def create_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    description: str,
    routers: list[APIRouter],
    tags: list[dict[str, str]] | None = None,
    version: str = "1.0.0",
) -> FastAPI:
    """A service's app. `tags` names and describes its groups of routes for `/docs`
    (`{"name": "partners", "description": "..."}`), in the order shown."""
    settings = runtime.settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title=title,
        description=f"{description}\n\n{API_GUIDE}",
        version=version,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.runtime = runtime
    app.state.token_verifier = runtime.token_verifier
    app.state.management_port = settings.management_port
    app.state.failed_authentications = FailedAuthentications(
        settings.auth_failure_limit, settings.auth_failure_window_seconds, settings.auth_failure_clients
    )
    install_problem_handlers(app)
    install_openapi(app, [*(tags or []), OPERATIONS_TAG])
    app.include_router(operations_router())

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return docs_page(f"{title} - Swagger UI", app.openapi_url or "/openapi.json")

    if settings.runs(ProcessPart.API):
        for router in routers:
            app.include_router(router)
        for repository in runtime.repositories.values():
            app.include_router(history_router(repository))
    if settings.cors_origins:
        app.add_middleware(Cors, **cors_options(settings.cors_origins))
    # Outermost, so that every answer (even a 413 or a CORS refusal) carries the ids and is measured.
    app.add_middleware(
        RequestContextMiddleware, max_body_bytes=settings.max_body_bytes, management_port=settings.management_port
    )
    return app

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

from opp_shared.runtime import ServiceRuntime
from opp_shared.settings import ProcessPart
from opp_shared.web.middleware import RequestContextMiddleware
from opp_shared.web.problems import install_problem_handlers
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


def create_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    description: str,
    routers: list[APIRouter],
    version: str = "1.0.0",
) -> FastAPI:
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
        description=description,
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
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "Idempotency-Key",
                "X-Request-ID",
                "X-Correlation-ID",
            ],
            expose_headers=["ETag", "Location", "X-Request-ID", "X-Correlation-ID", "Idempotent-Replayed"],
        )
    # Outermost, so that every answer (even a 413 or a CORS refusal) carries the ids and is measured.
    app.add_middleware(
        RequestContextMiddleware, max_body_bytes=settings.max_body_bytes, management_port=settings.management_port
    )
    return app

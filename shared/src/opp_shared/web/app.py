"""The FastAPI application every service is built into."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from opp_shared.runtime import ServiceRuntime
from opp_shared.settings import ProcessPart
from opp_shared.web.middleware import RequestContextMiddleware
from opp_shared.web.problems import install_problem_handlers
from opp_shared.web.routes import history_router, operations_router


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

    app = FastAPI(title=title, description=description, version=version, lifespan=lifespan)
    app.state.runtime = runtime
    app.state.token_verifier = runtime.token_verifier
    install_problem_handlers(app)
    app.include_router(operations_router())
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
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes)
    return app

"""Run a service's app with uvicorn: `python -m partners` and the like."""

from __future__ import annotations

from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from opp_shared.logs import setup_logging
from opp_shared.settings import ServiceSettings


def serve(create_app: Callable[[ServiceSettings], FastAPI], settings: ServiceSettings) -> None:
    setup_logging(settings.service_name, settings.log_level, settings.log_json)
    app = create_app(settings)
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        server_header=False,
        # SIGTERM: stop accepting, let requests in flight finish, then run the lifespan shutdown.
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
    )

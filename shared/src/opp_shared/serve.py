"""Run a service's app with uvicorn: `python -m partners` and the like.

With `OPP_MANAGEMENT_PORT` set, the one server listens on a second socket
too, at `OPP_MANAGEMENT_HOST` (127.0.0.1 by default); requests that come in
there are told apart by their local port, and see only `/health/*` and
`/metrics`, without credentials (`web.security.operator`).
"""

from __future__ import annotations

from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from opp_shared.logs import setup_logging
from opp_shared.settings import ServiceSettings


def serve(create_app: Callable[[ServiceSettings], FastAPI], settings: ServiceSettings) -> None:
    setup_logging(settings.service_name, settings.log_level, settings.log_json)
    app = create_app(settings)
    options = dict(
        log_config=None,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        server_header=False,
        # SIGTERM: stop accepting, let requests in flight finish, then run the lifespan shutdown.
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
    )
    config = uvicorn.Config(app, host=settings.http_host, port=settings.http_port, **options)
    server = uvicorn.Server(config)
    if settings.management_port is None:
        server.run()
        return
    management = uvicorn.Config(app, host=settings.management_host, port=settings.management_port, **options)
    server.run(sockets=[config.bind_socket(), management.bind_socket()])

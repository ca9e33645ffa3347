"""The platform's local development stack: Kafka, FerretDB and the services without Docker.

`make up` and the test fixtures run the same code. Stdlib only (Python 3.11),
so that `python3 deploy/local/stack.py` (a shim that puts this package's src/ on
sys.path) runs it before any virtualenv exists; the workspace also installs it
into .venv, where opp_shared.testing imports it. The modules:

    common     where the repository and the caches are; StackError
    manifest   services/manifest.toml: every service's name, port, database, settings, routes
    config     StackConfig: one stack's data dir and ports (OPP_STACK_* variables)
    install    Kafka's jars, FerretDB's binary, uv and the .venv, cached in .cache/
    probes     when a server or service is ready
    processes  pid files, locks, signals
    servers    start, stop and status of each part; up and down
    cli        the command line (stack.py --help)
    generate   the service blocks of nginx.conf and docker-compose.yml, from the manifest
    contracts  the committed AsyncAPI documents (needs the .venv: it imports the services)
    clients    the committed OpenAPI documents and their TypeScript types (the .venv and clients/ts's tools)
    gateway    the gateway's routes (compose's nginx and the local gateway share them)
    gateway_app  the local gateway `make up` runs on port 8000 (needs the .venv: httpx, uvicorn)

From Python (e.g. a pytest fixture)::

    from opp_devstack import StackConfig, free_ports, start, stop
    kafka, controller, mongo, debug = free_ports(4)
    cfg = StackConfig(data_dir=tmp_path, kafka_port=kafka, kafka_controller_port=controller,
                      mongo_port=mongo, ferretdb_debug_port=debug)
    start(cfg)             # or start(cfg, "kafka"); raises StackError on failure
    cfg.kafka_bootstrap, cfg.mongo_url
    stop(cfg)
"""

from opp_devstack.common import StackError
from opp_devstack.config import StackConfig, free_ports
from opp_devstack.servers import down, start, status, stop, up

__all__ = ["StackConfig", "StackError", "down", "free_ports", "start", "status", "stop", "up"]

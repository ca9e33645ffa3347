"""Local stack: fetch, build, start, check and stop Kafka, FerretDB and the services, without Docker.

Usage (from anywhere; stdlib only, so it runs before any virtualenv exists)::

    python3 deploy/local/stack.py up      [options]   # install everything, start servers, services, gateway
    python3 deploy/local/stack.py down    [options]   # stop services, then servers; keep data
    python3 deploy/local/stack.py install [python|kafka|ferretdb|all]
    python3 deploy/local/stack.py start   [WHICH] [options]
    python3 deploy/local/stack.py stop    [WHICH] [options]
    python3 deploy/local/stack.py status  [options]
    python3 deploy/local/stack.py generate            # write nginx.conf's and compose's service blocks

WHICH is `servers` (Kafka and FerretDB, the default), `services` (every service
of services/manifest.toml, run from the project's virtualenv), `gateway` (all of
them behind one origin), `all`, or one name: kafka (kafka-2, kafka-3 of a cluster),
ferretdb, mailpit, or a service's.

OPP_STACK_KAFKA_BROKERS=3 (or --kafka-brokers 3) runs Kafka as a three-node KRaft cluster
(each node a broker and a voter; node n on OPP_STACK_KAFKA_PORT + 2(n-1) and
OPP_STACK_KAFKA_CONTROLLER_PORT + 2(n-1)), topics with three replicas and
min.insync.replicas 2; a data dir holds one kind of Kafka or the other.

Every port moves with a variable: OPP_STACK_KAFKA_PORT, OPP_STACK_KAFKA_CONTROLLER_PORT,
OPP_STACK_MONGO_PORT, OPP_STACK_FERRETDB_DEBUG_PORT, OPP_STACK_MAILPIT_SMTP_PORT,
OPP_STACK_MAILPIT_UI_PORT, OPP_STACK_GATEWAY_PORT (8000), and OPP_STACK_<NAME>_PORT for
each service (default: its port in the manifest); the data with OPP_STACK_DATA_DIR
(default <repo>/.data). Several stacks with different data dirs and ports can run
side by side; they share the installed binaries in .cache/.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from opp_devstack import generate, manifest
from opp_devstack.common import StackError, say
from opp_devstack.config import StackConfig
from opp_devstack.install import INSTALLERS, install
from opp_devstack.servers import down, groups, specs, start, status, stop, up


def _parser() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument(
        "--data-dir", type=Path, help="data dir of the stack (OPP_STACK_DATA_DIR, default <repo>/.data)"
    )
    options.add_argument("--kafka-port", type=int, help="Kafka listener (OPP_STACK_KAFKA_PORT, default 9092)")
    options.add_argument(
        "--kafka-controller-port",
        type=int,
        help="Kafka KRaft controller (OPP_STACK_KAFKA_CONTROLLER_PORT, default 9093)",
    )
    options.add_argument(
        "--kafka-brokers",
        type=int,
        help="Kafka nodes, each a broker and a KRaft voter (OPP_STACK_KAFKA_BROKERS, default 1; 3 for a cluster)",
    )
    options.add_argument("--mongo-port", type=int, help="FerretDB MongoDB port (OPP_STACK_MONGO_PORT, default 27017)")
    options.add_argument(
        "--ferretdb-debug-port", type=int, help="FerretDB debug HTTP port (OPP_STACK_FERRETDB_DEBUG_PORT, default 8088)"
    )
    options.add_argument("--timeout", type=float, help="seconds to wait for readiness (OPP_STACK_TIMEOUT, default 90)")

    parser = argparse.ArgumentParser(
        prog="stack.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="The services and their ports: "
        + ", ".join(
            f"{name} {service.port} (OPP_STACK_{name.upper()}_PORT)" for name, service in manifest.services().items()
        ),
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("install", help="fetch/build (cached)").add_argument(
        "which", nargs="?", default="all", choices=[*INSTALLERS, "all"]
    )
    for name, text in (("start", "start in the background, wait until ready"), ("stop", "stop cleanly, keep data")):
        sub = commands.add_parser(name, parents=[options], help=text)
        sub.add_argument("which", nargs="?", default="servers", choices=[*groups(), *specs()])
    commands.add_parser("up", parents=[options], help="install, start servers and services, wait until ready")
    commands.add_parser("down", parents=[options], help="stop services and servers, keep data")
    commands.add_parser("status", parents=[options], help="one line per server and service")
    commands.add_parser(
        "generate", help="write the service blocks of nginx.conf and docker-compose.yml from the manifest"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        # Inside the try: the parser's choices come from the manifest, which may be unreadable.
        args = _parser().parse_args(argv)
        if args.command == "install":
            started = time.monotonic()
            install(args.which)
            say(f"==> installed ({args.which}) in {time.monotonic() - started:.1f} s")
            return 0
        if args.command == "generate":
            generate.write()
            return 0
        cfg = StackConfig.from_env(
            data_dir=args.data_dir,
            kafka_port=args.kafka_port,
            kafka_controller_port=args.kafka_controller_port,
            kafka_brokers=args.kafka_brokers,
            mongo_port=args.mongo_port,
            ferretdb_debug_port=args.ferretdb_debug_port,
            timeout=args.timeout,
        )
        if args.command == "up":
            up(cfg)
        elif args.command == "down":
            down(cfg)
        elif args.command == "start":
            start(cfg, args.which)
        elif args.command == "stop":
            stop(cfg, args.which)
        else:
            for st in status(cfg):
                say(st.line())
        return 0
    except StackError as e:
        print(f"stack.py: error: {e}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("stack.py: interrupted", file=sys.stderr)
        return 130

"""Start, stop and check the stack's parts: Kafka, FerretDB and the services of the manifest.

A part runs in the background in its own session (so it outlives the calling
shell), with its pid in run/<name>.pid and its output in logs/<name>.log under
the data dir. `start` returns once it answers; `stop` stops it cleanly (SIGTERM,
SIGKILL after 30 s) and keeps its data. Layout of the data dir:

    kafka/             server.properties and the Kafka log dirs (kafka/logs)
    ferretdb/          FerretDB's SQLite files, one per database
    ferretdb-state/    FerretDB's state.json
    logs/              kafka.log, ferretdb.log, <service>.log (stdout/stderr), kafka-server.log (log4j)
    run/               kafka.pid, ferretdb.pid, <service>.pid
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import signal
import string
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from opp_devstack import kafka_security, manifest, probes
from opp_devstack.common import REPO_ROOT, VENV_PYTHON, StackError, say
from opp_devstack.config import MAX_KAFKA_BROKERS, StackConfig, port_free, variable
from opp_devstack.install import (
    FERRETDB_BIN,
    FERRETDB_VERSION,
    KAFKA_LIBS,
    KAFKA_LOG4J,
    KAFKA_TEMPLATE,
    KAFKA_VERSION,
    MAILPIT_BIN,
    MAILPIT_VERSION,
    install,
    install_ferretdb,
    install_kafka,
    install_mailpit,
    install_python,
    require_tool,
)
from opp_devstack.processes import (
    CHILDREN,
    LOG_TAIL_LINES,
    alive,
    cmdline,
    file_lock,
    read_pid_file,
    signal_group,
    tail,
    terminate,
    wait_gone,
    write_pid_file,
)

# Kafka's nodes: kafka alone by default; kafka, kafka-2 and kafka-3 for a three-broker cluster.
KAFKA_NODES = tuple("kafka" if node == 1 else f"kafka-{node}" for node in range(1, MAX_KAFKA_BROKERS + 1))
SERVERS = (*KAFKA_NODES, "ferretdb")
# Started by `make up` (not by the tests' fixtures, which bring their own SMTP server).
MAIL = ("mailpit",)
# Started by `make up` after the services: all of them behind one origin.
GATEWAY = ("gateway",)
# The origins of the usual local dev servers of a browser frontend (Vite, Create React App and
# Next.js, Angular), allowed by `make up`'s services and gateway unless OPP_CORS_ORIGINS says
# otherwise. The services' own default is none.
LOCAL_CORS_ORIGINS = ",".join(
    f"http://{host}:{port}" for port in (5173, 3000, 4200) for host in ("localhost", "127.0.0.1")
)


@dataclasses.dataclass(frozen=True)
class Server:
    """What start/stop/status need to know about one part of the stack."""

    name: str
    title: str
    port_names: tuple[str, ...]  # its ports, named as StackConfig.ports() names them
    install: Callable[[], None]
    prepare: Callable[[StackConfig], None]  # create dirs, write config, format storage
    command: Callable[[StackConfig], list[str]]
    env: Callable[[StackConfig], dict[str, str]]
    # Strings that the server's /proc/<pid>/cmdline contains: tells our server
    # from an unrelated process that got the recycled pid.
    identity: Callable[[StackConfig], list[str]]
    ready: Callable[[StackConfig], bool]
    logs: Callable[[StackConfig], list[Path]]  # shown when start fails
    address: Callable[[StackConfig], str]
    # The ports it listens on, when they are not those of port_names (a Kafka node of a cluster).
    listen_ports: Callable[[StackConfig], dict[str, int]] | None = None


# ---- Kafka ----


def _java() -> str:
    return require_tool("java", "to run Kafka (Java 17)")


def _kafka_classpath() -> str:
    return f"{KAFKA_LIBS}/*"


def kafka_properties(cfg: StackConfig, node: int = 1) -> str:
    """The server.properties of Kafka node `node` (from 1)."""
    port, controller_port = cfg.kafka_node_ports(node)
    voters = ",".join(f"{n}@127.0.0.1:{cfg.kafka_node_ports(n)[1]}" for n in cfg.kafka_nodes)
    return string.Template(KAFKA_TEMPLATE.read_text()).substitute(
        node_id=node,
        voters=voters,
        port=port,
        controller_port=controller_port,
        log_dirs=cfg.kafka_node_dir(node) / "logs",
        replication_factor=cfg.kafka_replication_factor,
        min_insync_replicas=cfg.kafka_min_insync_replicas,
    )


def _recorded_kafka_cluster(cfg: StackConfig) -> dict[str, str]:
    """The cluster id and node count this data dir's Kafka was formatted with ({} when new); a
    StackError if they are not the configured ones (the voters are in each node's metadata log)."""
    path = cfg.kafka_cluster_file
    if path.exists():
        recorded = dict(line.split("=", 1) for line in path.read_text().split())
    elif (cfg.kafka_log_dirs / "meta.properties").exists():
        recorded = {"brokers": "1"}  # formatted before the node count was recorded: a single node
    else:
        return {}
    if int(recorded["brokers"]) != cfg.kafka_brokers:
        raise StackError(
            f"the Kafka of {cfg.data_dir} has {recorded['brokers']} node(s), not {cfg.kafka_brokers}: "
            f"use another data dir ({variable('data_dir')}) or remove its kafka* folders and {path.name}"
        )
    return recorded


def _prepare_kafka(cfg: StackConfig, node: int = 1) -> None:
    _recorded_kafka_cluster(cfg)  # refuses a data dir of another node count before anything starts
    node_dir = cfg.kafka_node_dir(node)
    log_dirs = node_dir / "logs"
    log_dirs.mkdir(parents=True, exist_ok=True)
    # Rendered on every start, so that other ports on an existing data dir work.
    properties = node_dir / "server.properties"
    properties.write_text(kafka_properties(cfg, node) + kafka_security.broker_properties(cfg))
    properties.chmod(0o600)  # with kafka_auth it holds the admin's password
    if (log_dirs / "meta.properties").exists():
        return  # formatted before: keep the cluster id and the data
    say(f"==> formatting Kafka storage in {log_dirs} (new data dir)")
    storage_tool = [_java(), "-cp", _kafka_classpath(), "kafka.tools.StorageTool"]
    result = subprocess.run(
        [
            *storage_tool,
            *("format", "-t", _kafka_cluster_id(cfg, storage_tool), "-c", str(properties)),
            *kafka_security.format_arguments(cfg),
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise StackError(f"formatting the Kafka storage failed:\n{result.stdout}{result.stderr}")


def _kafka_cluster_id(cfg: StackConfig, storage_tool: list[str]) -> str:
    """The id every node of this data dir's Kafka is formatted with: made once, kept in a file with
    the node count, so that a cluster's nodes agree and a data dir formatted for one node count is
    not started with another (the voters are part of each node's metadata log)."""
    recorded = _recorded_kafka_cluster(cfg)
    if recorded:
        return recorded["cluster.id"]
    result = subprocess.run([*storage_tool, "random-uuid"], check=False, capture_output=True, text=True)
    if result.returncode != 0:
        raise StackError(f"making a Kafka cluster id failed:\n{result.stdout}{result.stderr}")
    cluster_id = result.stdout.split()[-1]
    cfg.kafka_cluster_file.write_text(f"cluster.id={cluster_id}\nbrokers={cfg.kafka_brokers}\n")
    return cluster_id


def _kafka_command(cfg: StackConfig, node: int = 1) -> list[str]:
    return [
        _java(),
        "-Xms256m",
        "-Xmx512m",
        "-cp",
        _kafka_classpath(),
        f"-Dlog4j2.configurationFile={KAFKA_LOG4J}",
        f"-Dkafka.logs.dir={cfg.logs_dir}",
        # Each node's log4j file apart (kafka-server.log, kafka-2-server.log, ...).
        f"-Dkafka.logs.name={KAFKA_NODES[node - 1]}",
        "kafka.Kafka",
        str(cfg.kafka_node_dir(node) / "server.properties"),
    ]


def _kafka_node_ready(cfg: StackConfig, node: int) -> bool:
    port, controller_port = cfg.kafka_node_ports(node)
    if cfg.kafka_brokers == 1:
        return probes.kafka_ready(port, kafka_security.login(cfg))
    # A node of a cluster serves clients only once a majority of the voters runs, so each node is
    # started once its controller listener (which the voters elect a leader through) is up, and
    # `start` then waits for the whole cluster (wait_for_kafka).
    return probes.tcp_open(controller_port)


KAFKA_PORT_NAMES = ("kafka_port", "kafka_controller_port")


def _kafka_spec(node: int) -> Server:
    name = KAFKA_NODES[node - 1]
    return Server(
        name=name,
        title=f"Kafka {KAFKA_VERSION}" + (f" node {node}" if node > 1 else ""),
        # The stack's Kafka ports as configured (every node's follow from them) ...
        port_names=KAFKA_PORT_NAMES,
        install=install_kafka,
        prepare=lambda cfg: _prepare_kafka(cfg, node),
        command=lambda cfg: _kafka_command(cfg, node),
        env=lambda cfg: dict(os.environ),
        identity=lambda cfg: ["kafka.Kafka", str(cfg.kafka_node_dir(node) / "server.properties")],
        ready=lambda cfg: _kafka_node_ready(cfg, node),
        logs=lambda cfg: [cfg.log_file(name), cfg.logs_dir / f"{name}-server.log"],
        address=lambda cfg: (
            f"127.0.0.1:{cfg.kafka_node_ports(node)[0]} (controller 127.0.0.1:{cfg.kafka_node_ports(node)[1]})"
        ),
        # ... and the ones this node listens on.
        listen_ports=lambda cfg: dict(zip(KAFKA_PORT_NAMES, cfg.kafka_node_ports(node), strict=True)),
    )


KAFKA = _kafka_spec(1)


def kafka_node_in_use(cfg: StackConfig, server: str) -> bool:
    """False for a Kafka node beyond the configured broker count (kafka-2 of a single node)."""
    return server not in KAFKA_NODES or KAFKA_NODES.index(server) < cfg.kafka_brokers


def wait_for_kafka(cfg: StackConfig) -> None:
    """Wait until every Kafka node serves clients (a cluster's nodes once a majority runs)."""
    deadline = time.monotonic() + cfg.timeout
    for node in cfg.kafka_nodes:
        while not probes.kafka_ready(cfg.kafka_node_ports(node)[0], kafka_security.login(cfg)):
            if time.monotonic() > deadline:
                raise StackError(f"Kafka node {node} did not serve clients within {cfg.timeout:g} s")
            time.sleep(0.2)


# ---- FerretDB ----


def _prepare_ferretdb(cfg: StackConfig) -> None:
    # FerretDB does not create the SQLite directory itself.
    cfg.ferretdb_dir.mkdir(parents=True, exist_ok=True)
    cfg.ferretdb_state_dir.mkdir(parents=True, exist_ok=True)


def _ferretdb_command(cfg: StackConfig) -> list[str]:
    return [
        str(FERRETDB_BIN),
        "--handler=sqlite",
        f"--sqlite-url=file:{cfg.ferretdb_dir}/",
        f"--listen-addr=127.0.0.1:{cfg.mongo_port}",
        "--telemetry=disable",
        f"--state-dir={cfg.ferretdb_state_dir}",
        f"--debug-addr=127.0.0.1:{cfg.ferretdb_debug_port}",
        "--log-level=warn",
        # No --repl-set-name: drivers would then send retryable writes whose
        # txnNumber FerretDB ignores (see docs/infrastructure.md).
    ]


def _ferretdb_env(cfg: StackConfig) -> dict[str, str]:
    # Every FerretDB flag also reads a FERRETDB_* variable; one left in the
    # caller's environment (FERRETDB_REPL_SET_NAME, ...) would silently change
    # the server. The flags above say everything.
    return {k: v for k, v in os.environ.items() if not k.startswith("FERRETDB_")}


FERRETDB = Server(
    name="ferretdb",
    title=f"FerretDB {FERRETDB_VERSION}",
    port_names=("mongo_port", "ferretdb_debug_port"),
    install=install_ferretdb,
    prepare=_prepare_ferretdb,
    command=_ferretdb_command,
    env=_ferretdb_env,
    identity=lambda cfg: [str(FERRETDB_BIN), f"--state-dir={cfg.ferretdb_state_dir}"],
    ready=lambda cfg: probes.ferretdb_ready(cfg.mongo_port, cfg.ferretdb_debug_port),
    logs=lambda cfg: [cfg.log_file("ferretdb")],
    address=lambda cfg: f"{cfg.mongo_url} (debug http://127.0.0.1:{cfg.ferretdb_debug_port}/debug/)",
)


# ---- Mailpit ----


def _mailpit_command(cfg: StackConfig) -> list[str]:
    return [
        str(MAILPIT_BIN),
        # Explicit addresses: by default it listens on every interface.
        f"--smtp=127.0.0.1:{cfg.mailpit_smtp_port}",
        f"--listen=127.0.0.1:{cfg.mailpit_ui_port}",
        # Kept across restarts (without it, mail lives in a temporary database).
        f"--database={cfg.mailpit_database}",
        # A local catcher: no TLS, any or no login; it never relays anything anywhere.
        "--smtp-auth-accept-any",
        "--smtp-auth-allow-insecure",
    ]


MAILPIT = Server(
    name="mailpit",
    title=f"Mailpit {MAILPIT_VERSION}",
    port_names=("mailpit_smtp_port", "mailpit_ui_port"),
    install=install_mailpit,
    prepare=lambda cfg: None,
    command=_mailpit_command,
    env=lambda cfg: {k: v for k, v in os.environ.items() if not k.startswith("MP_")},
    identity=lambda cfg: [str(MAILPIT_BIN), f"--database={cfg.mailpit_database}"],
    ready=lambda cfg: (
        probes.http_ok(f"http://127.0.0.1:{cfg.mailpit_ui_port}/readyz") and probes.tcp_open(cfg.mailpit_smtp_port)
    ),
    logs=lambda cfg: [cfg.log_file("mailpit")],
    address=lambda cfg: f"smtp://127.0.0.1:{cfg.mailpit_smtp_port}, web UI http://127.0.0.1:{cfg.mailpit_ui_port}",
)


# ---- the platform's own services ----


def _service_env(cfg: StackConfig, service: str) -> dict[str, str]:
    # The caller's OPP_* settings (a JWT secret, a log level) pass through;
    # where the servers and this service listen comes from the stack.
    env = dict(os.environ)
    env.update(
        {
            "OPP_MONGO_URL": cfg.mongo_url,
            "OPP_KAFKA_BOOTSTRAP_SERVERS": cfg.kafka_bootstrap,
            # The topics a service creates itself, as create_topics does.
            "OPP_KAFKA_REPLICATION_FACTOR": str(cfg.kafka_replication_factor),
            "OPP_HTTP_HOST": "127.0.0.1",
            "OPP_HTTP_PORT": str(cfg.service_ports[service]),
            # The stack's Mailpit, for a service that sends email (the others ignore it).
            "OPP_SMTP_HOST": "127.0.0.1",
            "OPP_SMTP_PORT": str(cfg.mailpit_smtp_port),
            "PYTHONUNBUFFERED": "1",
            # Logs in to Kafka as its own principal (none without kafka_auth).
            **kafka_security.client_env(cfg, service),
        }
    )
    env.setdefault("OPP_CORS_ORIGINS", LOCAL_CORS_ORIGINS)
    return env


def _service_spec(service: str) -> Server:
    return Server(
        name=service,
        title=f"the {service} service",
        port_names=(f"{service}_port",),
        install=install_python,
        prepare=lambda cfg: None,
        command=lambda cfg: [str(VENV_PYTHON), "-m", service],
        env=lambda cfg: _service_env(cfg, service),
        identity=lambda cfg: [str(VENV_PYTHON), "-m", service],
        # Ready means its database and Kafka answer and its workers are set up.
        ready=lambda cfg: probes.http_ok(f"http://127.0.0.1:{cfg.service_ports[service]}/health/ready"),
        logs=lambda cfg: [cfg.log_file(service)],
        address=lambda cfg: f"http://127.0.0.1:{cfg.service_ports[service]}",
    )


# ---- the gateway ----


def _gateway_command(cfg: StackConfig) -> list[str]:
    upstreams = [f"--upstream={name}={port}" for name, port in cfg.service_ports.items()]
    return [str(VENV_PYTHON), "-m", "opp_devstack.gateway_app", f"--port={cfg.gateway_port}", *upstreams]


def _gateway_env(cfg: StackConfig) -> dict[str, str]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.setdefault("OPP_CORS_ORIGINS", LOCAL_CORS_ORIGINS)
    return env


GATEWAY_SPEC = Server(
    name="gateway",
    title="the gateway",
    port_names=("gateway_port",),
    install=install_python,
    prepare=lambda cfg: None,
    command=_gateway_command,
    env=_gateway_env,
    identity=lambda cfg: [str(VENV_PYTHON), "opp_devstack.gateway_app", f"--port={cfg.gateway_port}"],
    ready=lambda cfg: probes.http_ok(f"http://127.0.0.1:{cfg.gateway_port}/health"),
    logs=lambda cfg: [cfg.log_file("gateway")],
    address=lambda cfg: f"http://127.0.0.1:{cfg.gateway_port} (every service's API, /<service>/docs)",
)


@functools.cache
def specs() -> dict[str, Server]:
    """Every part of the stack by name: the servers, then the services in the manifest's order."""
    return {
        **{name: _kafka_spec(node) for node, name in enumerate(KAFKA_NODES, start=1)},
        "ferretdb": FERRETDB,
        "mailpit": MAILPIT,
        **{name: _service_spec(name) for name in manifest.services()},
        "gateway": GATEWAY_SPEC,
    }


def groups() -> dict[str, tuple[str, ...]]:
    services = tuple(manifest.services())
    return {
        "servers": SERVERS,
        "mail": MAIL,
        "services": services,
        "gateway": GATEWAY,
        "all": SERVERS + MAIL + services + GATEWAY,
    }


def select(which: str) -> list[str]:
    """The parts a name stands for: a group (servers, services, all) or one part."""
    if which in groups():
        return list(groups()[which])
    if which not in specs():
        raise StackError(f"unknown name {which!r}: expected one of {', '.join([*groups(), *specs()])}")
    return [which]


# ---- start and stop ----


def running_pid(cfg: StackConfig, server: str) -> int | None:
    """Pid of this stack's server if it is alive, else None (a stale pid file is removed)."""
    spec = specs()[server]
    pid, _ports = read_pid_file(cfg, server)
    if pid is None:
        cfg.pid_file(server).unlink(missing_ok=True)
        return None
    if alive(pid) and all(marker in cmdline(pid) for marker in spec.identity(cfg)):
        return pid
    cfg.pid_file(server).unlink(missing_ok=True)
    return None


def _as_started(cfg: StackConfig, server: str) -> StackConfig:
    """cfg with the ports the running server was started with (from its pid file)."""
    known = {k: v for k, v in read_pid_file(cfg, server)[1].items() if k in specs()[server].port_names}
    return cfg.with_ports(known)


def _failure(spec: Server, cfg: StackConfig, reason: str) -> StackError:
    parts = [f"{spec.title} {reason}"]
    for log in spec.logs(cfg):
        text = tail(log)
        if text.strip():
            parts.append(f"--- last {LOG_TAIL_LINES} lines of {log} ---\n{text.rstrip()}")
    return StackError("\n".join(parts))


def _server_lock(cfg: StackConfig, server: str) -> contextlib.AbstractContextManager[None]:
    # Two `start`s (or a start and a stop) of the same stack at once would
    # otherwise both launch a server and overwrite each other's pid file.
    return file_lock(cfg.run_dir / f"{server}.lock")


def start_server(cfg: StackConfig, server: str) -> int:
    """Start one part of the stack (installing it if needed); return its pid once it answers."""
    specs()[server].install()
    with _server_lock(cfg, server):
        return _start_locked(cfg, server)


def _start_locked(cfg: StackConfig, server: str) -> int:
    spec = specs()[server]
    pid = running_pid(cfg, server)
    if pid is not None:
        running_cfg = _as_started(cfg, server)
        if running_cfg != cfg:
            raise StackError(
                f"{spec.title} of {cfg.data_dir} is already running (pid {pid}) on "
                f"{spec.address(running_cfg)}, not on {spec.address(cfg)}. "
                f"Stop it first: stack.py stop {server} --data-dir {cfg.data_dir}"
            )
        # Ours, alive, same ports: wait in case it is still starting (a parallel `start`).
        deadline = time.monotonic() + cfg.timeout
        while not spec.ready(cfg):
            if time.monotonic() > deadline or not alive(pid):
                # Not killed: this call did not start it.
                raise _failure(spec, cfg, f"is running (pid {pid}) but does not answer on {spec.address(cfg)}")
            time.sleep(0.2)
        say(f"==> {spec.title} already running (pid {pid}) on {spec.address(cfg)}")
        return pid

    ports = {name: cfg.ports()[name] for name in spec.port_names}
    for name, port in (spec.listen_ports(cfg) if spec.listen_ports else ports).items():
        if not port_free(port):
            raise StackError(
                f"cannot start {spec.title}: port {port} ({variable(name)}) on 127.0.0.1 is already in use "
                f"by another process. Find it with `ss -ltnp 'sport = :{port}'`, or choose another port."
            )

    for d in (cfg.logs_dir, cfg.run_dir):
        d.mkdir(parents=True, exist_ok=True)
    spec.prepare(cfg)

    say(f"==> starting {spec.title} on {spec.address(cfg)}")
    started = time.monotonic()
    log_path = cfg.log_file(server)
    with open(log_path, "a") as log:
        log.write(f"\n===== stack.py start {time.strftime('%Y-%m-%d %H:%M:%S')} =====\n")
        log.flush()
        proc = subprocess.Popen(
            spec.command(cfg),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=cfg.data_dir,
            env=spec.env(cfg),
            # Own session: survives the calling shell (and its Ctrl-C), and
            # stop() can signal its whole process group.
            start_new_session=True,
        )
    CHILDREN[proc.pid] = proc
    write_pid_file(cfg, server, proc.pid, ports)

    deadline = started + cfg.timeout
    try:
        while not spec.ready(cfg):
            code = proc.poll()
            if code is not None:
                raise _failure(spec, cfg, f"exited with code {code} while starting")
            if time.monotonic() > deadline:
                raise _failure(spec, cfg, f"did not become ready within {cfg.timeout:g} s (killed it)")
            time.sleep(0.2)
    except BaseException:
        # Failed, timed out or Ctrl-C: leave no half-started server behind.
        terminate(proc.pid, grace=10)
        cfg.pid_file(server).unlink(missing_ok=True)
        raise
    say(f"    {spec.title} ready in {time.monotonic() - started:.1f} s (pid {proc.pid}, log {log_path})")
    return proc.pid


def stop_server(cfg: StackConfig, server: str) -> bool:
    """Stop one part cleanly (SIGTERM, SIGKILL after 30 s); keep its data. False if it was not running."""
    spec = specs()[server]
    if running_pid(cfg, server) is None:  # checked before locking: stop must not create the data dir
        say(f"==> {spec.title} is not running ({cfg.data_dir})")
        return False
    with _server_lock(cfg, server):
        pid = running_pid(cfg, server)
        if pid is None:
            say(f"==> {spec.title} is not running ({cfg.data_dir})")
            return False
        say(f"==> stopping {spec.title} (pid {pid})")
        started = time.monotonic()
        terminate(pid)
        cfg.pid_file(server).unlink(missing_ok=True)
    say(f"    stopped in {time.monotonic() - started:.1f} s")
    return True


def kill_server(cfg: StackConfig, server: str) -> int | None:
    """SIGKILL one part, as when its machine dies: no shutdown code runs (the fault-injection
    suite's fault). Answers the pid killed, None if it was not running."""
    with _server_lock(cfg, server):
        pid = running_pid(cfg, server)
        if pid is None:
            return None
        signal_group(pid, signal.SIGKILL)
        if not wait_gone(pid, 10):
            raise StackError(f"pid {pid} survived SIGKILL")
        cfg.pid_file(server).unlink(missing_ok=True)
    return pid


def start(cfg: StackConfig | None = None, which: str = "servers") -> dict[str, int]:
    """Start the given parts (installing them if needed); return {name: pid}. Raises StackError."""
    cfg = cfg or StackConfig.from_env()
    chosen = [server for server in select(which) if kafka_node_in_use(cfg, server)]
    pids = {server: start_server(cfg, server) for server in chosen}
    if cfg.kafka_brokers > 1 and set(chosen) & set(KAFKA_NODES):
        wait_for_kafka(cfg)
    return pids


def stop(cfg: StackConfig | None = None, which: str = "servers") -> None:
    """Stop the given parts; stopping a stopped one is fine. Services stop
    before the servers they use, so that they can commit and flush."""
    cfg = cfg or StackConfig.from_env()
    # A cluster's other nodes too when they run, even if this call's broker count is 1.
    chosen = [s for s in reversed(select(which)) if kafka_node_in_use(cfg, s) or running_pid(cfg, s) is not None]
    kafka_pids = [pid for s in chosen if s in KAFKA_NODES and (pid := running_pid(cfg, s)) is not None]
    if len(kafka_pids) > 1:
        # All a cluster's nodes at once: one by one, the last ones wait for a quorum that is gone.
        for pid in kafka_pids:
            signal_group(pid, signal.SIGTERM)
    for server in chosen:
        stop_server(cfg, server)


def create_topics(cfg: StackConfig) -> None:
    """Every topic of the event catalogue and its dead-letter topic, and (with kafka_auth) each
    principal's ACLs, created as the admin (as compose's `topics` step)."""
    env = dict(
        os.environ,
        OPP_KAFKA_BOOTSTRAP_SERVERS=cfg.kafka_bootstrap,
        OPP_KAFKA_REPLICATION_FACTOR=str(cfg.kafka_replication_factor),
    )
    env.update(kafka_security.client_env(cfg, kafka_security.ADMIN))
    acls = ["--grant-acls"] if cfg.kafka_auth else []
    result = subprocess.run(
        [str(VENV_PYTHON), "-m", "opp_shared.topics", *acls],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
    )
    if result.returncode != 0:
        raise StackError(f"creating the Kafka topics failed:\n{result.stdout}{result.stderr}")
    say("==> " + "; ".join(result.stdout.strip().splitlines()))


def up(cfg: StackConfig | None = None) -> None:
    """Everything a newcomer needs: install, start the servers, create the topics, start the services."""
    cfg = cfg or StackConfig.from_env()
    started = time.monotonic()
    install("all")
    start(cfg, "servers")
    start(cfg, "mail")
    create_topics(cfg)
    start(cfg, "services")
    start(cfg, "gateway")
    say(f"\n==> the platform is up in {time.monotonic() - started:.1f} s")
    for st in status(cfg):
        say("    " + st.line())
    say(f"    one origin: http://127.0.0.1:{cfg.gateway_port}/api/v1/... (docs: /<service>/docs)")
    say("    API docs: " + ", ".join(f"http://127.0.0.1:{port}/docs" for port in cfg.service_ports.values()))
    say(f"    email:    every email the platform sends is at http://127.0.0.1:{cfg.mailpit_ui_port} (Mailpit)")
    say("    a token:  make token ROLE=admin     stop: make down     logs: " + str(cfg.logs_dir))


def down(cfg: StackConfig | None = None) -> None:
    stop(cfg, "all")


@dataclasses.dataclass(frozen=True)
class ServerStatus:
    name: str
    running: bool
    ready: bool
    pid: int | None
    address: str

    def line(self) -> str:
        state = ("running" if self.ready else "NOT READY") if self.running else "stopped"
        pid = f"pid {self.pid}" if self.pid else "-"
        return f"{self.name:<13} {state:<10} {pid:<11} {self.address}"


def status(cfg: StackConfig | None = None) -> list[ServerStatus]:
    """State of each part of the stack (a running one: on the ports it was started with)."""
    cfg = cfg or StackConfig.from_env()
    result = []
    for server, spec in specs().items():
        pid = running_pid(cfg, server)
        if pid is None and not kafka_node_in_use(cfg, server):
            continue
        if pid is None:
            result.append(ServerStatus(server, False, False, None, spec.address(cfg)))
        else:
            started = _as_started(cfg, server)  # probe where it really listens
            result.append(ServerStatus(server, True, spec.ready(started), pid, spec.address(started)))
    return result

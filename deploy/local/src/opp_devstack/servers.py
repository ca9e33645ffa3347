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
import string
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from opp_devstack import kafka_security, manifest, probes
from opp_devstack.common import REPO_ROOT, VENV_PYTHON, StackError, say
from opp_devstack.config import StackConfig, variable
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
    port_free,
    read_pid_file,
    tail,
    terminate,
    write_pid_file,
)

SERVERS = ("kafka", "ferretdb")
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


# ---- Kafka ----


def _java() -> str:
    return require_tool("java", "to run Kafka (Java 17)")


def _kafka_classpath() -> str:
    return f"{KAFKA_LIBS}/*"


def _prepare_kafka(cfg: StackConfig) -> None:
    cfg.kafka_log_dirs.mkdir(parents=True, exist_ok=True)
    # Rendered on every start, so that other ports on an existing data dir work.
    text = string.Template(KAFKA_TEMPLATE.read_text()).substitute(
        port=cfg.kafka_port, controller_port=cfg.kafka_controller_port, log_dirs=cfg.kafka_log_dirs
    )
    cfg.kafka_properties.write_text(text + kafka_security.broker_properties(cfg))
    cfg.kafka_properties.chmod(0o600)  # with kafka_auth it holds the admin's password
    if (cfg.kafka_log_dirs / "meta.properties").exists():
        return  # formatted before: keep the cluster id and the data
    say(f"==> formatting Kafka storage in {cfg.kafka_log_dirs} (new data dir)")
    storage_tool = [_java(), "-cp", _kafka_classpath(), "kafka.tools.StorageTool"]
    result = subprocess.run([*storage_tool, "random-uuid"], check=False, capture_output=True, text=True)
    if result.returncode == 0:
        cluster_id = result.stdout.split()[-1]
        result = subprocess.run(
            [
                *storage_tool,
                *("format", "-t", cluster_id, "-c", str(cfg.kafka_properties)),
                *kafka_security.format_arguments(cfg),
            ],
            check=False,
            capture_output=True,
            text=True,
        )
    if result.returncode != 0:
        raise StackError(f"formatting the Kafka storage failed:\n{result.stdout}{result.stderr}")


def _kafka_command(cfg: StackConfig) -> list[str]:
    return [
        _java(),
        "-Xms256m",
        "-Xmx512m",
        "-cp",
        _kafka_classpath(),
        f"-Dlog4j2.configurationFile={KAFKA_LOG4J}",
        f"-Dkafka.logs.dir={cfg.logs_dir}",
        "kafka.Kafka",
        str(cfg.kafka_properties),
    ]


KAFKA = Server(
    name="kafka",
    title=f"Kafka {KAFKA_VERSION}",
    port_names=("kafka_port", "kafka_controller_port"),
    install=install_kafka,
    prepare=_prepare_kafka,
    command=_kafka_command,
    env=lambda cfg: dict(os.environ),
    identity=lambda cfg: ["kafka.Kafka", str(cfg.kafka_properties)],
    ready=lambda cfg: probes.kafka_ready(cfg.kafka_port, kafka_security.login(cfg)),
    logs=lambda cfg: [cfg.log_file("kafka"), cfg.logs_dir / "kafka-server.log"],
    address=lambda cfg: f"{cfg.kafka_bootstrap} (controller 127.0.0.1:{cfg.kafka_controller_port})",
)


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
        "kafka": KAFKA,
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
    for name, port in ports.items():
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


def start(cfg: StackConfig | None = None, which: str = "servers") -> dict[str, int]:
    """Start the given parts (installing them if needed); return {name: pid}. Raises StackError."""
    cfg = cfg or StackConfig.from_env()
    return {server: start_server(cfg, server) for server in select(which)}


def stop(cfg: StackConfig | None = None, which: str = "servers") -> None:
    """Stop the given parts; stopping a stopped one is fine. Services stop
    before the servers they use, so that they can commit and flush."""
    cfg = cfg or StackConfig.from_env()
    for server in reversed(select(which)):
        stop_server(cfg, server)


def create_topics(cfg: StackConfig) -> None:
    """Every topic of the event catalogue and its dead-letter topic, and (with kafka_auth) each
    principal's ACLs, created as the admin (as compose's `topics` step)."""
    env = dict(os.environ, OPP_KAFKA_BOOTSTRAP_SERVERS=cfg.kafka_bootstrap)
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
        if pid is None:
            result.append(ServerStatus(server, False, False, None, spec.address(cfg)))
        else:
            started = _as_started(cfg, server)  # probe where it really listens
            result.append(ServerStatus(server, True, spec.ready(started), pid, spec.address(started)))
    return result

#!/usr/bin/env python3
"""Local stack: fetch, build, start, check and stop Kafka and FerretDB without Docker.

This machine has no packages for the two servers the services talk to, so this
script installs them from the registries into the git-ignored ``.cache/``:

* Kafka 4.1.1 (single KRaft node, broker and controller in one JVM), from the
  Maven Central jars (``mvn dependency:copy-dependencies``), run with the
  system Java 17;
* FerretDB v1.24.2 with its SQLite backend (our local MongoDB), built with
  the Go on PATH from the module on the Go module proxy (see install_ferretdb
  for why not a plain ``go install``).

Usage (from anywhere; the repository root is two levels above this file)::

    python3 deploy/local/stack.py up      [options]   # install everything, start servers and services
    python3 deploy/local/stack.py down    [options]   # stop services, then servers; keep data
    python3 deploy/local/stack.py install [python|kafka|ferretdb|all]
    python3 deploy/local/stack.py start   [WHICH] [options]
    python3 deploy/local/stack.py stop    [WHICH] [options]
    python3 deploy/local/stack.py status  [options]

WHICH is `servers` (Kafka and FerretDB, the default), `services` (the four
FastAPI services, run from the project's virtualenv), `all`, or one name:
kafka, ferretdb, partners, funding, techtransfer, notifications.

Options (flag, environment variable, default)::

    --data-dir               OPP_STACK_DATA_DIR              <repo>/.data
    --kafka-port             OPP_STACK_KAFKA_PORT            9092
    --kafka-controller-port  OPP_STACK_KAFKA_CONTROLLER_PORT 9093
    --mongo-port             OPP_STACK_MONGO_PORT            27017
    --ferretdb-debug-port    OPP_STACK_FERRETDB_DEBUG_PORT   8088
    (services)               OPP_STACK_PARTNERS_PORT ...     8001, 8002, 8003, 8004
    --timeout                OPP_STACK_TIMEOUT               90 (seconds to wait for readiness)

``start`` installs what is missing, starts the servers in the background (in
their own session, so they outlive the calling shell) and returns once they
answer. ``stop`` stops them cleanly (SIGTERM, then SIGKILL after 30 s) and keeps
their data. Layout of the data dir::

    kafka/             server.properties and the Kafka log dirs (kafka/logs)
    ferretdb/          FerretDB's SQLite files, one per database
    ferretdb-state/    FerretDB's state.json
    logs/              kafka.log, ferretdb.log (stdout/stderr), kafka-server.log (log4j)
    run/               kafka.pid, ferretdb.pid

From Python (e.g. a pytest fixture), load this file with importlib and call::

    cfg = stack.StackConfig(data_dir=tmp_path, kafka_port=..., kafka_controller_port=...,
                            mongo_port=..., ferretdb_debug_port=...)
    stack.start(cfg)             # or start(cfg, "kafka"); raises StackError on failure
    cfg.kafka_bootstrap, cfg.mongo_url
    stack.stop(cfg)

Several stacks with different data dirs and ports can run side by side; they
share the installed binaries. ``stack.free_ports(4)`` picks free ports.

Stdlib only (Python 3.11), so that it runs before any virtualenv exists.
"""

import argparse
import contextlib
import dataclasses
import errno
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import string
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
CACHE_DIR = REPO_ROOT / ".cache"

KAFKA_VERSION = "4.1.1"
KAFKA_POM = HERE / "kafka" / "pom.xml"
KAFKA_LOG4J = HERE / "kafka" / "log4j2.properties"
KAFKA_TEMPLATE = HERE / "kafka" / "server.properties.template"
KAFKA_LIBS = CACHE_DIR / f"kafka-{KAFKA_VERSION}" / "libs"
M2_REPO = CACHE_DIR / "m2"

FERRETDB_VERSION = "v1.24.2"
FERRETDB_MODULE = "github.com/FerretDB/FerretDB"
FERRETDB_SRC = CACHE_DIR / f"ferretdb-{FERRETDB_VERSION}-src"
GO_BIN = CACHE_DIR / "bin"
FERRETDB_BIN = GO_BIN / "ferretdb"
GO_MODCACHE = CACHE_DIR / "gomod"
GO_BUILDCACHE = CACHE_DIR / "go-build"

# Written last by each install, so that an interrupted install is redone.
KAFKA_MARKER = KAFKA_LIBS / ".installed"
FERRETDB_MARKER = GO_BIN / ".ferretdb.installed"

SERVERS = ("kafka", "ferretdb")
SERVICES = ("partners", "funding", "techtransfer", "notifications")

# The Python side: uv bootstraps from PyPI into a venv of its own, then builds the project's .venv.
UV_VERSION = "0.13.8"
UV_TOOLS = CACHE_DIR / "tools"
UV_BIN = UV_TOOLS / "bin" / "uv"
VENV_PYTHON = REPO_ROOT / ".venv" / "bin" / "python"
STOP_GRACE_SECONDS = 30.0
LOG_TAIL_LINES = 40


class StackError(RuntimeError):
    """A server could not be installed, started or stopped; the message says why."""


def say(message: str) -> None:
    # flush: progress must show up at once even when stdout is a pipe (make, CI).
    print(message, flush=True)


# --------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class StackConfig:
    """Where one stack keeps its data and which ports it listens on (all on 127.0.0.1)."""

    data_dir: Path = REPO_ROOT / ".data"
    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    mongo_port: int = 27017
    ferretdb_debug_port: int = 8088
    partners_port: int = 8001
    funding_port: int = 8002
    techtransfer_port: int = 8003
    notifications_port: int = 8004
    timeout: float = 90.0

    # Environment variable of each field; a flag or an explicit argument wins.
    ENV = {
        "data_dir": "OPP_STACK_DATA_DIR",
        "kafka_port": "OPP_STACK_KAFKA_PORT",
        "kafka_controller_port": "OPP_STACK_KAFKA_CONTROLLER_PORT",
        "mongo_port": "OPP_STACK_MONGO_PORT",
        "ferretdb_debug_port": "OPP_STACK_FERRETDB_DEBUG_PORT",
        "partners_port": "OPP_STACK_PARTNERS_PORT",
        "funding_port": "OPP_STACK_FUNDING_PORT",
        "techtransfer_port": "OPP_STACK_TECHTRANSFER_PORT",
        "notifications_port": "OPP_STACK_NOTIFICATIONS_PORT",
        "timeout": "OPP_STACK_TIMEOUT",
    }

    def __post_init__(self) -> None:
        # Absolute: the path goes into the servers' command lines and configs,
        # and the servers run with the data dir as working directory.
        object.__setattr__(self, "data_dir", Path(self.data_dir).expanduser().resolve())

    @classmethod
    def from_env(cls, **overrides: object) -> "StackConfig":
        """Defaults, overridden by OPP_STACK_* variables, overridden by non-None arguments."""
        convert = {"data_dir": Path, "timeout": float}
        values: dict[str, object] = {}
        for name, variable in cls.ENV.items():
            raw = os.environ.get(variable)
            if raw:
                try:
                    values[name] = convert.get(name, int)(raw)
                except ValueError:
                    raise StackError(f"{variable}={raw!r} is not a valid value") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def mongo_url(self) -> str:
        return f"mongodb://127.0.0.1:{self.mongo_port}/"

    # Layout of the data dir.
    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def run_dir(self) -> Path:
        return self.data_dir / "run"

    @property
    def kafka_dir(self) -> Path:
        return self.data_dir / "kafka"

    @property
    def kafka_log_dirs(self) -> Path:
        return self.kafka_dir / "logs"

    @property
    def kafka_properties(self) -> Path:
        return self.kafka_dir / "server.properties"

    @property
    def ferretdb_dir(self) -> Path:
        return self.data_dir / "ferretdb"

    @property
    def ferretdb_state_dir(self) -> Path:
        return self.data_dir / "ferretdb-state"

    def pid_file(self, server: str) -> Path:
        return self.run_dir / f"{server}.pid"

    def log_file(self, server: str) -> Path:
        return self.logs_dir / f"{server}.log"


def free_ports(count: int) -> list[int]:
    """Ports that are free right now (for tests that run a stack on their own ports)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


# --------------------------------------------------------------------------
# Install (cached under .cache/, shared by all stacks)
# --------------------------------------------------------------------------

@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Exclusive lock between processes (released by the kernel if the holder dies)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _install_lock() -> contextlib.AbstractContextManager[None]:
    # Two stacks (or test workers) starting at once must not build into the
    # same folders at the same time; the second waits, then finds the marker.
    return _file_lock(CACHE_DIR / ".stack-install.lock")


def _run_tool(argv: list[str], what: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
    """Run a long build command, printing a heartbeat instead of its chatter.

    The output goes to a temporary file and is shown only when the command
    fails: Go prints a line per downloaded module, Maven a warning or two.
    """
    started = time.monotonic()
    with tempfile.TemporaryFile(mode="w+") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=cwd)
        next_beat = started + 30
        while proc.poll() is None:
            time.sleep(0.5)
            if time.monotonic() >= next_beat:
                say(f"    ... still {what} ({time.monotonic() - started:.0f} s)")
                next_beat += 30
        if proc.returncode != 0:
            out.seek(0)
            tail = "".join(out.readlines()[-60:])
            raise StackError(f"{what} failed (exit code {proc.returncode}): {' '.join(argv)}\n{tail}")


def _require_tool(name: str, why: str) -> str:
    path = shutil.which(name)
    if not path:
        raise StackError(f"'{name}' is not on PATH; it is needed {why}")
    return path


def _file_digest(*paths: Path) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.read_bytes())
    return h.hexdigest()


def kafka_installed() -> bool:
    # The marker holds the pom's digest: editing the pom (another version)
    # makes the next start fetch the jars again.
    return KAFKA_MARKER.is_file() and KAFKA_MARKER.read_text().strip() == _file_digest(KAFKA_POM)


def install_kafka() -> None:
    """Copy the Kafka jars and their dependencies into .cache/kafka-4.1.1/libs (once)."""
    if kafka_installed():
        return
    with _install_lock():
        if kafka_installed():  # another process did it while we waited
            return
        mvn = _require_tool("mvn", "to fetch the Kafka jars from Maven Central")
        _require_tool("java", "to run Kafka (Java 17)")
        say(f"==> fetching Kafka {KAFKA_VERSION} jars from Maven Central (first time only, ~10 s)")
        started = time.monotonic()
        # Start from an empty folder: jars left over from an older pom would
        # end up on the classpath next to the new ones.
        shutil.rmtree(KAFKA_LIBS, ignore_errors=True)
        _run_tool(
            [mvn, "-q", "-B", f"-Dmaven.repo.local={M2_REPO}", "-f", str(KAFKA_POM),
             "dependency:copy-dependencies", f"-DoutputDirectory={KAFKA_LIBS}"],
            "fetching the Kafka jars",
        )
        missing = [j for j in (f"kafka_2.13-{KAFKA_VERSION}.jar", f"kafka-tools-{KAFKA_VERSION}.jar")
                   if not (KAFKA_LIBS / j).is_file()]
        if missing:
            raise StackError(f"Maven finished but {', '.join(missing)} is missing from {KAFKA_LIBS}")
        KAFKA_MARKER.write_text(_file_digest(KAFKA_POM) + "\n")
        say(f"    Kafka jars ready in {time.monotonic() - started:.1f} s ({KAFKA_LIBS})")


def ferretdb_installed() -> bool:
    return FERRETDB_BIN.is_file() and FERRETDB_MARKER.is_file() and (
        FERRETDB_MARKER.read_text().strip() == FERRETDB_VERSION)


def _go_env() -> dict[str, str]:
    go = _require_tool("go", "to build FerretDB (Go 1.24 or newer)")
    env = dict(os.environ)
    # Keep the GOFLAGS already configured (environment or `go env -w`, e.g.
    # -buildvcs=false), and add -modcacherw so that the module cache under
    # .cache/ stays deletable with rm -rf.
    goflags = subprocess.run([go, "env", "GOFLAGS"], capture_output=True, text=True, check=True).stdout.split()
    if "-modcacherw" not in goflags:
        goflags.append("-modcacherw")
    env.update(
        GOMODCACHE=str(GO_MODCACHE),
        # The build cache too, so that everything lives (and is wiped) under .cache/.
        GOCACHE=str(GO_BUILDCACHE),
        GOFLAGS=" ".join(goflags),
        # Never let a go.mod "toolchain" line download another Go: build with
        # the Go on PATH, or fail with Go's clear "requires go >= ..." message.
        GOTOOLCHAIN="local",
    )
    return env


def install_ferretdb() -> None:
    """Build .cache/bin/ferretdb from the FerretDB module on the Go proxy (once).

    Not a plain `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2`:
    that binary panics at startup ("Invalid build/version/version.txt file
    content"), because FerretDB's build/version package requires a
    version.txt that its release tooling generates and the module zip lacks
    (and a Go overlay may not replace files in the module cache). So: download
    the module (checksum-verified like go install does), copy its 3 MB of
    source out of the read-only module cache, add version.txt, and `go build`
    there, with exactly the dependency versions of FerretDB's own go.sum.
    """
    if ferretdb_installed():
        return
    with _install_lock():
        if ferretdb_installed():
            return
        env = _go_env()
        go = shutil.which("go") or "go"
        say(f"==> building FerretDB {FERRETDB_VERSION} (first time only, ~1-2 min)")
        started = time.monotonic()
        FERRETDB_MARKER.unlink(missing_ok=True)
        CACHE_DIR.mkdir(parents=True, exist_ok=True)

        download = subprocess.run([go, "mod", "download", "-json", f"{FERRETDB_MODULE}@{FERRETDB_VERSION}"],
                                  check=False, capture_output=True, text=True, env=env, cwd=CACHE_DIR)
        try:
            module = json.loads(download.stdout)
        except json.JSONDecodeError:
            module = {"Error": download.stdout + download.stderr}
        if download.returncode != 0 or "Error" in module:
            raise StackError(f"go mod download {FERRETDB_MODULE}@{FERRETDB_VERSION} failed: {module.get('Error')}")

        shutil.rmtree(FERRETDB_SRC, ignore_errors=True)
        shutil.copytree(module["Dir"], FERRETDB_SRC)
        for folder, _dirs, _files in os.walk(FERRETDB_SRC):
            os.chmod(folder, 0o755)  # the module cache may be read-only; the copy must be writable and deletable
        (FERRETDB_SRC / "build" / "version" / "version.txt").write_text(FERRETDB_VERSION + "\n")

        GO_BIN.mkdir(parents=True, exist_ok=True)
        tmp_bin = FERRETDB_BIN.with_name("ferretdb.tmp")
        # -buildvcs=false: the copy sits inside this repository's git work
        # tree, whose commit must not be stamped into FerretDB's version info.
        _run_tool([go, "build", "-trimpath", "-buildvcs=false", "-o", str(tmp_bin), "./cmd/ferretdb"],
                  "building FerretDB", env=env, cwd=FERRETDB_SRC)
        check = subprocess.run([str(tmp_bin), "--version"], check=False, capture_output=True, text=True)
        if check.returncode != 0 or FERRETDB_VERSION not in check.stdout:
            raise StackError(f"the FerretDB binary built does not run:\n{check.stdout}{check.stderr}")
        tmp_bin.replace(FERRETDB_BIN)
        FERRETDB_MARKER.write_text(FERRETDB_VERSION + "\n")
        say(f"    FerretDB built in {time.monotonic() - started:.1f} s ({FERRETDB_BIN})")


def install_python() -> None:
    """uv (from PyPI, into .cache/tools) and the project's .venv from uv.lock (fast when in sync)."""
    with _install_lock():
        if not UV_BIN.exists():
            say(f"==> installing uv {UV_VERSION} (first time only)")
            _run_tool([sys.executable, "-m", "venv", str(UV_TOOLS)], "creating the tools venv")
            _run_tool([str(UV_TOOLS / "bin" / "pip"), "install", "--quiet", f"uv=={UV_VERSION}"], "installing uv")
        _run_tool([str(UV_BIN), "sync", "--frozen", "--quiet"], "syncing the project's .venv (uv sync)", cwd=REPO_ROOT)


INSTALLERS: dict[str, Callable[[], None]] = {
    "kafka": install_kafka,
    "ferretdb": install_ferretdb,
    **{service: install_python for service in SERVICES},
}


def install(which: str = "all") -> None:
    if which in ("python", "all"):
        install_python()
    if which != "python":
        for installer in dict.fromkeys(INSTALLERS[name] for name in _servers("servers" if which == "all" else which)):
            installer()


# --------------------------------------------------------------------------
# Readiness probes
# --------------------------------------------------------------------------

def _tcp_open(port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("connection closed by the broker")
        data += chunk
    return data


def kafka_ready(cfg: StackConfig, timeout: float = 2.0) -> bool:
    """True when the broker answers a Metadata request listing itself.

    Why a raw Metadata request rather than `TopicCommand --list`: each
    TopicCommand is a new JVM (1-2 s of CPU on these 2-core machines, competing
    with the starting broker), whereas this takes milliseconds and needs no
    client library. Why Metadata rather than a bare TCP connect: it proves the
    process on the port is a Kafka broker (not something else holding the
    port), and the broker lists itself only once it has registered with the
    controller and caught up with the metadata log, i.e. when clients can use it.
    Metadata v1 (Kafka 4.1 accepts v0-v13) is the oldest version that accepts
    an empty topic list, so the answer stays small.
    """
    correlation_id = 0x5ACC
    client_id = b"stack.py"
    # Request header v1: api_key=3 (Metadata), api_version=1, correlation id, client id;
    # body: topics = [] (int32 count 0).
    request = struct.pack(">hhih", 3, 1, correlation_id, len(client_id)) + client_id + struct.pack(">i", 0)
    try:
        with socket.create_connection(("127.0.0.1", cfg.kafka_port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(struct.pack(">i", len(request)) + request)
            (size,) = struct.unpack(">i", _recv_exact(sock, 4))
            body = _recv_exact(sock, size)
    except (OSError, struct.error):
        return False
    try:
        # Response v1: correlation id, brokers [node_id, host, port, rack], controller_id, topics.
        got_id, n_brokers = struct.unpack_from(">ii", body, 0)
        offset = 8
        ports = []
        for _ in range(n_brokers):
            _node_id, host_len = struct.unpack_from(">ih", body, offset)
            offset += 6 + host_len
            (port, rack_len) = struct.unpack_from(">ih", body, offset)
            offset += 6 + max(rack_len, 0)
            ports.append(port)
    except struct.error:
        return False
    return got_id == correlation_id and cfg.kafka_port in ports


def ferretdb_ready(cfg: StackConfig, timeout: float = 2.0) -> bool:
    """True when FerretDB's /debug/readyz answers 200 and its MongoDB port accepts connections.

    In v1.24.2 the debug server comes up first and /debug/readyz answers 500
    until the MongoDB listener is listening, then 200 with an empty body (its
    extra `ping` runs only with --setup-database, which we do not use). The
    TCP connect to the MongoDB port is a cheap second check, and the whole
    check if the debug endpoint cannot be reached at all.
    """
    url = f"http://127.0.0.1:{cfg.ferretdb_debug_port}/debug/readyz"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            if resp.status != 200:
                return False
    except urllib.error.HTTPError:
        return False  # the debug server answers, FerretDB says "not ready"
    except OSError:
        pass  # no debug server: fall back to the TCP check alone
    return _tcp_open(cfg.mongo_port, timeout)


# --------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------

def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [a.decode(errors="replace") for a in raw.split(b"\0") if a]


# Servers started by this Python process (e.g. a pytest fixture), by pid. Kept
# so that their exit is collected with Popen.poll(): otherwise the exited server
# stays a zombie that os.kill(pid, 0) still "finds", and a Popen object dropped
# while its process runs warns (ResourceWarning) when garbage-collected.
_CHILDREN: dict[int, "subprocess.Popen[bytes]"] = {}


def _alive(pid: int) -> bool:
    child = _CHILDREN.get(pid)
    if child is not None:
        if child.poll() is None:
            return True
        del _CHILDREN[pid]
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its new parent, here pid 1) is dead too.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _read_pid_file(cfg: StackConfig, server: str) -> tuple[int | None, dict[str, int]]:
    """(pid, ports it was started with) from run/<server>.pid; (None, {}) if absent or garbled.

    The pid file is the pid on the first line, then the server's ports as JSON
    ({"kafka_port": 9092, ...}): `status` and `stop` with only --data-dir then
    know where it listens, and `start` on other ports can say so.
    """
    try:
        lines = cfg.pid_file(server).read_text().splitlines()
        pid = int(lines[0])
    except (OSError, ValueError, IndexError):
        return None, {}
    try:
        ports = json.loads(lines[1])
    except (ValueError, IndexError):
        ports = {}  # a pid without ports is still a pid to stop
    return pid, ports if isinstance(ports, dict) else {}


def _write_pid_file(cfg: StackConfig, server: str, pid: int) -> None:
    ports = {name: getattr(cfg, name) for name in SERVER_SPECS[server].port_fields}
    # Through a temporary file and a rename: a reader never sees half a pid file.
    tmp = cfg.pid_file(server).with_suffix(".tmp")
    tmp.write_text(f"{pid}\n{json.dumps(ports)}\n")
    tmp.replace(cfg.pid_file(server))


def _as_started(cfg: StackConfig, server: str) -> StackConfig:
    """cfg with the ports the running server was started with (from its pid file)."""
    known = {k: v for k, v in _read_pid_file(cfg, server)[1].items() if k in SERVER_SPECS[server].port_fields}
    return dataclasses.replace(cfg, **known)  # type: ignore[arg-type]


def _port_free(port: int) -> bool:
    # SO_REUSEADDR as the servers use it: a socket in TIME_WAIT does not count
    # as taken, a listener (on 127.0.0.1 or 0.0.0.0) does.
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError as e:
            if e.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


@dataclasses.dataclass(frozen=True)
class Server:
    """What start/stop/status need to know about one kind of server."""

    name: str
    title: str
    port_fields: tuple[str, ...]  # the StackConfig fields of its ports
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
    return _require_tool("java", "to run Kafka (Java 17)")


def _kafka_classpath() -> str:
    return f"{KAFKA_LIBS}/*"


def _prepare_kafka(cfg: StackConfig) -> None:
    cfg.kafka_log_dirs.mkdir(parents=True, exist_ok=True)
    # Rendered on every start, so that other ports on an existing data dir work.
    text = string.Template(KAFKA_TEMPLATE.read_text()).substitute(
        port=cfg.kafka_port, controller_port=cfg.kafka_controller_port, log_dirs=cfg.kafka_log_dirs)
    cfg.kafka_properties.write_text(text)
    if (cfg.kafka_log_dirs / "meta.properties").exists():
        return  # formatted before: keep the cluster id and the data
    say(f"==> formatting Kafka storage in {cfg.kafka_log_dirs} (new data dir)")
    storage_tool = [_java(), "-cp", _kafka_classpath(), "kafka.tools.StorageTool"]
    result = subprocess.run([*storage_tool, "random-uuid"], check=False, capture_output=True, text=True)
    if result.returncode == 0:
        cluster_id = result.stdout.split()[-1]
        result = subprocess.run([*storage_tool, "format", "-t", cluster_id, "-c", str(cfg.kafka_properties)],
                                check=False, capture_output=True, text=True)
    if result.returncode != 0:
        raise StackError(f"formatting the Kafka storage failed:\n{result.stdout}{result.stderr}")


def _kafka_command(cfg: StackConfig) -> list[str]:
    return [
        _java(), "-Xms256m", "-Xmx512m",
        "-cp", _kafka_classpath(),
        f"-Dlog4j2.configurationFile={KAFKA_LOG4J}",
        f"-Dkafka.logs.dir={cfg.logs_dir}",
        "kafka.Kafka", str(cfg.kafka_properties),
    ]


KAFKA = Server(
    name="kafka",
    title=f"Kafka {KAFKA_VERSION}",
    port_fields=("kafka_port", "kafka_controller_port"),
    prepare=_prepare_kafka,
    command=_kafka_command,
    env=lambda cfg: dict(os.environ),
    identity=lambda cfg: ["kafka.Kafka", str(cfg.kafka_properties)],
    ready=kafka_ready,
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
        # txnNumber FerretDB ignores (see INFRA-NOTES.md).
    ]


def _ferretdb_env(cfg: StackConfig) -> dict[str, str]:
    # Every FerretDB flag also reads a FERRETDB_* variable; one left in the
    # caller's environment (FERRETDB_REPL_SET_NAME, ...) would silently change
    # the server. The flags above say everything.
    return {k: v for k, v in os.environ.items() if not k.startswith("FERRETDB_")}


FERRETDB = Server(
    name="ferretdb",
    title=f"FerretDB {FERRETDB_VERSION}",
    port_fields=("mongo_port", "ferretdb_debug_port"),
    prepare=_prepare_ferretdb,
    command=_ferretdb_command,
    env=_ferretdb_env,
    identity=lambda cfg: [str(FERRETDB_BIN), f"--state-dir={cfg.ferretdb_state_dir}"],
    ready=ferretdb_ready,
    logs=lambda cfg: [cfg.log_file("ferretdb")],
    address=lambda cfg: f"{cfg.mongo_url} (debug http://127.0.0.1:{cfg.ferretdb_debug_port}/debug/)",
)

# ---- the platform's own services ----

def _service_port(cfg: StackConfig, service: str) -> int:
    return int(getattr(cfg, f"{service}_port"))


def _service_env(cfg: StackConfig, service: str) -> dict[str, str]:
    # The caller's OPP_* settings (a JWT secret, a log level) pass through;
    # where the servers and this service listen comes from the stack.
    env = dict(os.environ)
    env.update({
        "OPP_MONGO_URL": cfg.mongo_url,
        "OPP_KAFKA_BOOTSTRAP_SERVERS": cfg.kafka_bootstrap,
        "OPP_HTTP_HOST": "127.0.0.1",
        "OPP_HTTP_PORT": str(_service_port(cfg, service)),
        "PYTHONUNBUFFERED": "1",
    })
    return env


def _http_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _service_spec(service: str) -> Server:
    return Server(
        name=service,
        title=f"the {service} service",
        port_fields=(f"{service}_port",),
        prepare=lambda cfg: None,
        command=lambda cfg: [str(VENV_PYTHON), "-m", service],
        env=lambda cfg: _service_env(cfg, service),
        identity=lambda cfg: [str(VENV_PYTHON), "-m", service],
        # Ready means its database and Kafka answer and its workers are set up.
        ready=lambda cfg: _http_ok(f"http://127.0.0.1:{_service_port(cfg, service)}/health/ready"),
        logs=lambda cfg: [cfg.log_file(service)],
        address=lambda cfg: f"http://127.0.0.1:{_service_port(cfg, service)}",
    )


SERVER_SPECS = {"kafka": KAFKA, "ferretdb": FERRETDB, **{service: _service_spec(service) for service in SERVICES}}
GROUPS = {"servers": SERVERS, "services": SERVICES, "all": SERVERS + SERVICES}


def _servers(which: str) -> list[str]:
    if which in GROUPS:
        return list(GROUPS[which])
    if which not in SERVER_SPECS:
        raise StackError(f"unknown name {which!r}: expected one of {', '.join([*GROUPS, *SERVER_SPECS])}")
    return [which]


def running_pid(cfg: StackConfig, server: str) -> int | None:
    """Pid of this stack's server if it is alive, else None (a stale pid file is removed)."""
    spec = SERVER_SPECS[server]
    pid, _ports = _read_pid_file(cfg, server)
    if pid is None:
        cfg.pid_file(server).unlink(missing_ok=True)
        return None
    args = _cmdline(pid)
    if _alive(pid) and all(marker in args for marker in spec.identity(cfg)):
        return pid
    cfg.pid_file(server).unlink(missing_ok=True)
    return None


def _kill_group(pid: int, sig: int) -> None:
    # The server leads its own session/process group (start_new_session=True):
    # signal the whole group so that no child outlives it.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return not _alive(pid)


def _terminate(pid: int, grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM to the server's process group; SIGKILL if it is still there after `grace` seconds."""
    _kill_group(pid, signal.SIGTERM)
    if not _wait_gone(pid, grace):
        say(f"    pid {pid} still running after {grace:.0f} s: SIGKILL")
        _kill_group(pid, signal.SIGKILL)
        if not _wait_gone(pid, 10):
            raise StackError(f"pid {pid} survived SIGKILL")
    # Whatever else is left in its process group goes too.
    _kill_group(pid, signal.SIGKILL)


def _failure(spec: Server, cfg: StackConfig, reason: str) -> StackError:
    parts = [f"{spec.title} {reason}"]
    for log in spec.logs(cfg):
        tail = _tail(log)
        if tail.strip():
            parts.append(f"--- last {LOG_TAIL_LINES} lines of {log} ---\n{tail.rstrip()}")
    return StackError("\n".join(parts))


def _server_lock(cfg: StackConfig, server: str) -> contextlib.AbstractContextManager[None]:
    # Two `start`s (or a start and a stop) of the same stack at once would
    # otherwise both launch a server and overwrite each other's pid file.
    return _file_lock(cfg.run_dir / f"{server}.lock")


def start_server(cfg: StackConfig, server: str) -> int:
    """Start one server of the stack (installing it if needed); return its pid once it answers."""
    INSTALLERS[server]()
    with _server_lock(cfg, server):
        return _start_locked(cfg, server)


def _start_locked(cfg: StackConfig, server: str) -> int:
    spec = SERVER_SPECS[server]
    pid = running_pid(cfg, server)
    if pid is not None:
        running_cfg = _as_started(cfg, server)
        if running_cfg != cfg:
            raise StackError(f"{spec.title} of {cfg.data_dir} is already running (pid {pid}) on "
                             f"{spec.address(running_cfg)}, not on {spec.address(cfg)}. "
                             f"Stop it first: stack.py stop {server} --data-dir {cfg.data_dir}")
        # Ours, alive, same ports: wait in case it is still starting (a parallel `start`).
        deadline = time.monotonic() + cfg.timeout
        while not spec.ready(cfg):
            if time.monotonic() > deadline or not _alive(pid):
                # Not killed: this call did not start it.
                raise _failure(spec, cfg, f"is running (pid {pid}) but does not answer on {spec.address(cfg)}")
            time.sleep(0.2)
        say(f"==> {spec.title} already running (pid {pid}) on {spec.address(cfg)}")
        return pid

    for field in spec.port_fields:
        port = getattr(cfg, field)
        if not _port_free(port):
            flag = "--" + field.replace("_", "-")
            raise StackError(
                f"cannot start {spec.title}: port {port} ({flag}) on 127.0.0.1 is already in use "
                f"by another process. Find it with `ss -ltnp 'sport = :{port}'`, or choose another port.")

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
            spec.command(cfg), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=cfg.data_dir, env=spec.env(cfg),
            # Own session: survives the calling shell (and its Ctrl-C), and
            # stop() can signal its whole process group.
            start_new_session=True,
        )
    _CHILDREN[proc.pid] = proc
    _write_pid_file(cfg, server, proc.pid)

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
        _terminate(proc.pid, grace=10)
        cfg.pid_file(server).unlink(missing_ok=True)
        raise
    say(f"    {spec.title} ready in {time.monotonic() - started:.1f} s (pid {proc.pid}, log {log_path})")
    return proc.pid


def stop_server(cfg: StackConfig, server: str) -> bool:
    """Stop one server cleanly (SIGTERM, SIGKILL after 30 s); keep its data. False if it was not running."""
    spec = SERVER_SPECS[server]
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
        _terminate(pid)
        cfg.pid_file(server).unlink(missing_ok=True)
    say(f"    stopped in {time.monotonic() - started:.1f} s")
    return True


def start(cfg: StackConfig | None = None, which: str = "servers") -> dict[str, int]:
    """Start the given servers (installing them if needed); return {server: pid}. Raises StackError."""
    cfg = cfg or StackConfig.from_env()
    return {server: start_server(cfg, server) for server in _servers(which)}


def stop(cfg: StackConfig | None = None, which: str = "servers") -> None:
    """Stop the given servers; stopping a stopped server is fine. Services stop
    before the servers they use, so that they can commit and flush."""
    cfg = cfg or StackConfig.from_env()
    for server in reversed(_servers(which)):
        stop_server(cfg, server)


def create_topics(cfg: StackConfig) -> None:
    """Every topic of the event catalogue and its dead-letter topic (as compose's `topics` step)."""
    env = dict(os.environ, OPP_KAFKA_BOOTSTRAP_SERVERS=cfg.kafka_bootstrap)
    result = subprocess.run([str(VENV_PYTHON), "-m", "opp_shared.topics"], env=env, capture_output=True, text=True,
                            timeout=120, cwd=REPO_ROOT)
    if result.returncode != 0:
        raise StackError(f"creating the Kafka topics failed:\n{result.stdout}{result.stderr}")
    say(f"==> {result.stdout.strip()}")


def up(cfg: StackConfig | None = None) -> None:
    """Everything a newcomer needs: install, start the servers, create the topics, start the services."""
    cfg = cfg or StackConfig.from_env()
    started = time.monotonic()
    install("all")
    start(cfg, "servers")
    create_topics(cfg)
    start(cfg, "services")
    say(f"\n==> the platform is up in {time.monotonic() - started:.1f} s")
    for st in status(cfg):
        say("    " + st.line())
    say("    API docs: " + ", ".join(f"http://127.0.0.1:{_service_port(cfg, s)}/docs" for s in SERVICES))
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
    """State of each server of the stack (a running one: on the ports it was started with)."""
    cfg = cfg or StackConfig.from_env()
    result = []
    for server in SERVER_SPECS:
        spec = SERVER_SPECS[server]
        pid = running_pid(cfg, server)
        if pid is None:
            result.append(ServerStatus(server, False, False, None, spec.address(cfg)))
        else:
            started = _as_started(cfg, server)  # probe where it really listens
            result.append(ServerStatus(server, True, spec.ready(started), pid, spec.address(started)))
    return result


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("--data-dir", type=Path,
                         help="data dir of the stack (OPP_STACK_DATA_DIR, default <repo>/.data)")
    options.add_argument("--kafka-port", type=int, help="Kafka listener (OPP_STACK_KAFKA_PORT, default 9092)")
    options.add_argument("--kafka-controller-port", type=int,
                         help="Kafka KRaft controller (OPP_STACK_KAFKA_CONTROLLER_PORT, default 9093)")
    options.add_argument("--mongo-port", type=int, help="FerretDB MongoDB port (OPP_STACK_MONGO_PORT, default 27017)")
    options.add_argument("--ferretdb-debug-port", type=int,
                         help="FerretDB debug HTTP port (OPP_STACK_FERRETDB_DEBUG_PORT, default 8088)")
    options.add_argument("--timeout", type=float, help="seconds to wait for readiness (OPP_STACK_TIMEOUT, default 90)")

    parser = argparse.ArgumentParser(
        prog="stack.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("install", help="fetch/build (cached)").add_argument(
        "which", nargs="?", default="all", choices=["python", *SERVERS, "all"])
    for name, text in (("start", "start in the background, wait until ready"), ("stop", "stop cleanly, keep data")):
        sub = commands.add_parser(name, parents=[options], help=text)
        sub.add_argument("which", nargs="?", default="servers", choices=[*GROUPS, *SERVER_SPECS])
    commands.add_parser("up", parents=[options], help="install, start servers and services, wait until ready")
    commands.add_parser("down", parents=[options], help="stop services and servers, keep data")
    commands.add_parser("status", parents=[options], help="one line per server and service")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "install":
            started = time.monotonic()
            install(args.which)
            say(f"==> installed ({args.which}) in {time.monotonic() - started:.1f} s")
            return 0
        cfg = StackConfig.from_env(
            data_dir=args.data_dir, kafka_port=args.kafka_port, kafka_controller_port=args.kafka_controller_port,
            mongo_port=args.mongo_port, ferretdb_debug_port=args.ferretdb_debug_port, timeout=args.timeout)
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


if __name__ == "__main__":
    sys.exit(main())

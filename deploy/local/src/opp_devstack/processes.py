"""The operating-system side of running servers: pid files, locks, liveness, signals, free ports."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from opp_devstack.common import StackError, say
from opp_devstack.config import StackConfig

STOP_GRACE_SECONDS = 30.0
LOG_TAIL_LINES = 40

# Servers started by this Python process (e.g. a pytest fixture), by pid. Kept
# so that their exit is collected with Popen.poll(): otherwise the exited server
# stays a zombie that os.kill(pid, 0) still "finds", and a Popen object dropped
# while its process runs warns (ResourceWarning) when garbage-collected.
CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Exclusive lock between processes (released by the kernel if the holder dies)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [a.decode(errors="replace") for a in raw.split(b"\0") if a]


def alive(pid: int) -> bool:
    child = CHILDREN.get(pid)
    if child is not None:
        if child.poll() is None:
            return True
        del CHILDREN[pid]
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


def read_pid_file(cfg: StackConfig, server: str) -> tuple[int | None, dict[str, int]]:
    """(pid, ports it was started with) from run/<server>.pid; (None, {}) if absent or garbled.

    The pid file is the pid on the first line, then the server's ports as JSON
    ({"kafka_port": 9092, ...}, named as StackConfig.ports() names them): `status`
    and `stop` with only --data-dir then know where it listens, and `start` on
    other ports can say so.
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


def write_pid_file(cfg: StackConfig, server: str, pid: int, ports: dict[str, int]) -> None:
    # Through a temporary file and a rename: a reader never sees half a pid file.
    tmp = cfg.pid_file(server).with_suffix(".tmp")
    tmp.write_text(f"{pid}\n{json.dumps(ports)}\n")
    tmp.replace(cfg.pid_file(server))


def tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


def signal_group(pid: int, sig: int) -> None:
    # The server leads its own session/process group (start_new_session=True):
    # signal the whole group so that no child outlives it.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.1)
    return not alive(pid)


def terminate(pid: int, grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM to the server's process group; SIGKILL if it is still there after `grace` seconds."""
    signal_group(pid, signal.SIGTERM)
    if not wait_gone(pid, grace):
        say(f"    pid {pid} still running after {grace:.0f} s: SIGKILL")
        signal_group(pid, signal.SIGKILL)
        if not wait_gone(pid, 10):
            raise StackError(f"pid {pid} survived SIGKILL")
    # Whatever else is left in its process group goes too.
    signal_group(pid, signal.SIGKILL)

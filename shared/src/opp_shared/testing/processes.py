"""Services as real processes (`python -m <service>`), for end-to-end tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx


def service_env(servers: Any, namespace: str, service: str, **env: object) -> dict[str, str]:
    """A service's settings against the test's servers (`servers.Servers`), isolated by
    `namespace` (its database and topics); `env` adds or overrides OPP_* variables."""
    values = {
        "OPP_MONGO_URL": servers.mongo_url,
        "OPP_MONGO_DATABASE": f"{namespace}_{service}",
        "OPP_KAFKA_BOOTSTRAP_SERVERS": servers.kafka_bootstrap,
        "OPP_KAFKA_NAMESPACE": f"{namespace}.",
        "OPP_KAFKA_TOPIC_PARTITIONS": "2",
        "OPP_RELAY_POLL_SECONDS": "0.2",
        "OPP_LOG_JSON": "false",
    }
    values.update({k: str(v) for k, v in env.items()})
    return values


def free_port() -> int:
    # Imported here, as in servers.local_stack: opp_shared must import without the development package.
    from opp_devstack import free_ports

    return free_ports(1)[0]


class ServiceProcess:
    def __init__(self, service: str, env: dict[str, str], log_dir: Path) -> None:
        self.service = service
        self.port = free_port()
        self.env = {
            **os.environ,
            **env,
            "OPP_HTTP_PORT": str(self.port),
            "OPP_HTTP_HOST": "127.0.0.1",
            "PYTHONUNBUFFERED": "1",
        }
        self.log_path = log_dir / f"{service}-{self.port}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServiceProcess:
        with open(self.log_path, "ab") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [sys.executable, "-m", self.service], env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        return self

    def wait_until(self, path: str = "/health/ready", timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"{self.service} exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(self.url + path, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.service} did not answer {path} within {timeout}s:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when a machine dies."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM, as an orchestrator stops a container; answers the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                self.terminate(20)
            except subprocess.TimeoutExpired:
                self.kill()

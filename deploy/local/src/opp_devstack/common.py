"""Where the repository and the caches are, and what every part of the stack reports with."""

from __future__ import annotations

from pathlib import Path

# deploy/local/src/opp_devstack/common.py: the repository is four folders up. The
# package is only ever used from the repository (run by stack.py from its src/, or
# installed editable into the workspace's .venv), never as a standalone wheel.
REPO_ROOT = Path(__file__).resolve().parents[4]
CACHE_DIR = REPO_ROOT / ".cache"
VENV_PYTHON = REPO_ROOT / ".venv" / "bin" / "python"


class StackError(RuntimeError):
    """A server could not be installed, started or stopped; the message says why."""


def say(message: str) -> None:
    # flush: progress must show up at once even when stdout is a pipe (make, CI).
    print(message, flush=True)

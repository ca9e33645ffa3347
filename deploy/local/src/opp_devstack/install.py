"""Install what the stack runs, cached under .cache/ and shared by every stack and worktree.

This machine has no packages for the two servers the services talk to, so they
come from the registries:

* Kafka 4.1.1 (single KRaft node, broker and controller in one JVM), from the
  Maven Central jars (``mvn dependency:copy-dependencies``), run with the
  system Java 17;
* FerretDB v1.24.2 with its SQLite backend (our local MongoDB), built with the
  Go on PATH from the module on the Go module proxy (see install_ferretdb for
  why not a plain ``go install``);
* Mailpit v1.33.1, the local SMTP server with a web UI that keeps every email
  the notifications service sends, built with `go install` from the Go module proxy;
* uv from PyPI, which builds the project's .venv from uv.lock;
* the official AsyncAPI parser (`@asyncapi/parser`, npm) for the event contract's
  test, from tools/asyncapi/package-lock.json, with the Node.js and npm on PATH.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from opp_devstack.common import CACHE_DIR, REPO_ROOT, StackError, say
from opp_devstack.processes import file_lock

KAFKA_DIR = REPO_ROOT / "deploy" / "local" / "kafka"
KAFKA_VERSION = "4.1.1"
KAFKA_POM = KAFKA_DIR / "pom.xml"
KAFKA_LOG4J = KAFKA_DIR / "log4j2.properties"
KAFKA_TEMPLATE = KAFKA_DIR / "server.properties.template"
KAFKA_LIBS = CACHE_DIR / f"kafka-{KAFKA_VERSION}" / "libs"
M2_REPO = CACHE_DIR / "m2"

FERRETDB_VERSION = "v1.24.2"
FERRETDB_MODULE = "github.com/FerretDB/FerretDB"
FERRETDB_SRC = CACHE_DIR / f"ferretdb-{FERRETDB_VERSION}-src"
GO_BIN = CACHE_DIR / "bin"
FERRETDB_BIN = GO_BIN / "ferretdb"
GO_MODCACHE = CACHE_DIR / "gomod"
GO_BUILDCACHE = CACHE_DIR / "go-build"

MAILPIT_VERSION = "v1.33.1"
MAILPIT_MODULE = "github.com/axllent/mailpit"
MAILPIT_BIN = GO_BIN / "mailpit"

ASYNCAPI_TOOLS = REPO_ROOT / "tools" / "asyncapi"
ASYNCAPI_LOCK = ASYNCAPI_TOOLS / "package-lock.json"
# Keyed by the lock file's digest: another lock gets a folder of its own (several worktrees share .cache).
ASYNCAPI_DIR = CACHE_DIR / "asyncapi-parser"
NPM_CACHE = CACHE_DIR / "npm"

# Written last by each install, so that an interrupted install is redone.
KAFKA_MARKER = KAFKA_LIBS / ".installed"
FERRETDB_MARKER = GO_BIN / ".ferretdb.installed"
MAILPIT_MARKER = GO_BIN / ".mailpit.installed"

# The Python side: uv bootstraps from PyPI into a venv of its own, then builds the project's .venv.
UV_VERSION = "0.13.8"
UV_TOOLS = CACHE_DIR / "tools"
UV_BIN = UV_TOOLS / "bin" / "uv"


def _install_lock() -> contextlib.AbstractContextManager[None]:
    # Two stacks (or test workers) starting at once must not build into the
    # same folders at the same time; the second waits, then finds the marker.
    return file_lock(CACHE_DIR / ".stack-install.lock")


def run_tool(argv: list[str], what: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
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


def require_tool(name: str, why: str) -> str:
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
        mvn = require_tool("mvn", "to fetch the Kafka jars from Maven Central")
        require_tool("java", "to run Kafka (Java 17)")
        say(f"==> fetching Kafka {KAFKA_VERSION} jars from Maven Central (first time only, ~10 s)")
        started = time.monotonic()
        # Start from an empty folder: jars left over from an older pom would
        # end up on the classpath next to the new ones.
        shutil.rmtree(KAFKA_LIBS, ignore_errors=True)
        run_tool(
            [
                mvn,
                "-q",
                "-B",
                f"-Dmaven.repo.local={M2_REPO}",
                "-f",
                str(KAFKA_POM),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={KAFKA_LIBS}",
            ],
            "fetching the Kafka jars",
        )
        missing = [
            j
            for j in (f"kafka_2.13-{KAFKA_VERSION}.jar", f"kafka-tools-{KAFKA_VERSION}.jar")
            if not (KAFKA_LIBS / j).is_file()
        ]
        if missing:
            raise StackError(f"Maven finished but {', '.join(missing)} is missing from {KAFKA_LIBS}")
        KAFKA_MARKER.write_text(_file_digest(KAFKA_POM) + "\n")
        say(f"    Kafka jars ready in {time.monotonic() - started:.1f} s ({KAFKA_LIBS})")


def ferretdb_installed() -> bool:
    return (
        FERRETDB_BIN.is_file()
        and FERRETDB_MARKER.is_file()
        and (FERRETDB_MARKER.read_text().strip() == FERRETDB_VERSION)
    )


def _go_env() -> dict[str, str]:
    go = require_tool("go", "to build FerretDB (Go 1.24 or newer)")
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

        download = subprocess.run(
            [go, "mod", "download", "-json", f"{FERRETDB_MODULE}@{FERRETDB_VERSION}"],
            check=False,
            capture_output=True,
            text=True,
            env=env,
            cwd=CACHE_DIR,
        )
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
        run_tool(
            [go, "build", "-trimpath", "-buildvcs=false", "-o", str(tmp_bin), "./cmd/ferretdb"],
            "building FerretDB",
            env=env,
            cwd=FERRETDB_SRC,
        )
        check = subprocess.run([str(tmp_bin), "--version"], check=False, capture_output=True, text=True)
        if check.returncode != 0 or FERRETDB_VERSION not in check.stdout:
            raise StackError(f"the FerretDB binary built does not run:\n{check.stdout}{check.stderr}")
        tmp_bin.replace(FERRETDB_BIN)
        FERRETDB_MARKER.write_text(FERRETDB_VERSION + "\n")
        say(f"    FerretDB built in {time.monotonic() - started:.1f} s ({FERRETDB_BIN})")


def mailpit_installed() -> bool:
    return MAILPIT_BIN.is_file() and MAILPIT_MARKER.is_file() and MAILPIT_MARKER.read_text().strip() == MAILPIT_VERSION


def install_mailpit() -> None:
    """Build .cache/bin/mailpit with `go install` from the module proxy (once; about a minute).

    Unlike FerretDB's, Mailpit's module builds and runs as it is (its version
    then reads `dev`, which it does not need)."""
    if mailpit_installed():
        return
    with _install_lock():
        if mailpit_installed():
            return
        env = {**_go_env(), "GOBIN": str(GO_BIN)}
        say(f"==> building Mailpit {MAILPIT_VERSION} (first time only, ~1 min)")
        started = time.monotonic()
        GO_BIN.mkdir(parents=True, exist_ok=True)
        run_tool(
            [shutil.which("go") or "go", "install", f"{MAILPIT_MODULE}@{MAILPIT_VERSION}"],
            "building Mailpit",
            env=env,
            cwd=CACHE_DIR,
        )
        check = subprocess.run([str(MAILPIT_BIN), "--help"], check=False, capture_output=True, text=True)
        if check.returncode != 0 or "--smtp" not in check.stdout:
            raise StackError(f"the Mailpit binary built does not run:\n{check.stdout}{check.stderr}")
        MAILPIT_MARKER.write_text(MAILPIT_VERSION + "\n")
        say(f"    Mailpit built in {time.monotonic() - started:.1f} s ({MAILPIT_BIN})")


def asyncapi_parser_dir() -> Path:
    """Where the parser of the committed lock is installed (its node_modules' parent)."""
    return ASYNCAPI_DIR / _file_digest(ASYNCAPI_LOCK)[:16]


def asyncapi_parser_installed() -> bool:
    return (asyncapi_parser_dir() / ".installed").is_file()


def install_asyncapi_parser() -> None:
    """`npm ci` of tools/asyncapi into .cache/asyncapi-parser/<lock digest>/ (once per lock; never global)."""
    if asyncapi_parser_installed():
        return
    with _install_lock():
        if asyncapi_parser_installed():
            return
        npm = require_tool("npm", "to install the AsyncAPI parser (Node.js 20)")
        require_tool("node", "to run the AsyncAPI parser (Node.js 20)")
        target = asyncapi_parser_dir()
        say("==> installing the AsyncAPI parser from npm (first time only, ~20 s)")
        started = time.monotonic()
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy2(ASYNCAPI_TOOLS / name, target / name)
        run_tool(
            [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--cache", str(NPM_CACHE)],
            "installing the AsyncAPI parser (npm ci)",
            cwd=target,
        )
        (target / ".installed").write_text(_file_digest(ASYNCAPI_LOCK) + "\n")
        say(f"    AsyncAPI parser ready in {time.monotonic() - started:.1f} s ({target})")


def install_python() -> None:
    """uv (from PyPI, into .cache/tools) and the project's .venv from uv.lock (fast when in sync).

    --all-packages: every member of the workspace (the library, each service, this
    package), so that the root's pyproject.toml need not name the services.
    """
    with _install_lock():
        if not UV_BIN.exists():
            say(f"==> installing uv {UV_VERSION} (first time only)")
            run_tool([sys.executable, "-m", "venv", str(UV_TOOLS)], "creating the tools venv")
            run_tool([str(UV_TOOLS / "bin" / "pip"), "install", "--quiet", f"uv=={UV_VERSION}"], "installing uv")
        run_tool(
            [str(UV_BIN), "sync", "--frozen", "--all-packages", "--quiet"],
            "syncing the project's .venv (uv sync)",
            cwd=REPO_ROOT,
        )


# The TypeScript tools (openapi-typescript, tsc) that write and check clients/ts/*.d.ts,
# from clients/ts/package-lock.json, into clients/ts/node_modules (ignored).
TS_DIR = REPO_ROOT / "clients" / "ts"
TS_LOCK = TS_DIR / "package-lock.json"
TS_MARKER = TS_DIR / "node_modules" / ".opp-installed"


def typescript_installed() -> bool:
    return TS_MARKER.is_file() and TS_MARKER.read_text().strip() == _file_digest(TS_LOCK)


def install_typescript() -> None:
    """`npm ci` in clients/ts (never a global install); again only when the lock file changes."""
    with _install_lock():
        if typescript_installed():
            return
        npm = require_tool("npm", "to install the TypeScript tools (Node.js 18 or newer)")
        say("==> installing the TypeScript tools (npm ci in clients/ts)")
        run_tool(
            [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"], "installing the TypeScript tools", cwd=TS_DIR
        )
        TS_MARKER.write_text(_file_digest(TS_LOCK) + "\n")


# What `install` accepts, in the order `all` runs them.
INSTALLERS: dict[str, Callable[[], None]] = {
    "python": install_python,
    "kafka": install_kafka,
    "ferretdb": install_ferretdb,
    "mailpit": install_mailpit,
    "asyncapi": install_asyncapi_parser,
    "typescript": install_typescript,
}


def install(which: str = "all") -> None:
    """One of INSTALLERS, or all of them."""
    if which != "all" and which not in INSTALLERS:
        raise StackError(f"cannot install {which!r}: expected one of {', '.join(INSTALLERS)}, all")
    for name in INSTALLERS if which == "all" else [which]:
        INSTALLERS[name]()

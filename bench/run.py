"""Benchmarks of the write model, the relay, the HTTP write path and the end-to-end paths, each
against a baseline measured in the same run on the same servers (see bench/README.md).

    make bench                              # installs what is needed, then the default size
    .venv/bin/python bench/run.py --quick   # a few minutes
    .venv/bin/python bench/run.py --help

Starts its own FerretDB and Kafka on free ports in a temporary folder (as the tests do), or
uses OPP_TEST_MONGO_URL and OPP_TEST_KAFKA_BOOTSTRAP when both are set. Prints a table and
writes bench/out/<timestamp>.json (every raw number), bench/out/<timestamp>.png and
bench/out/latest.json (one record per figure, for checks).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import http_path  # noqa: E402
import latency  # noqa: E402
import publish  # noqa: E402
import reads  # noqa: E402
import relay  # noqa: E402
import report  # noqa: E402
import writes  # noqa: E402
from aiokafka.admin import AIOKafkaAdminClient  # noqa: E402
from common import Comparison, new_namespace  # noqa: E402
from pymongo import AsyncMongoClient  # noqa: E402

from opp_shared.mongo import connect  # noqa: E402
from opp_shared.testing.servers import Servers, local_stack  # noqa: E402

# FerretDB's updates cost time in proportion to the collection (see README.md), so appends and the
# relay slow down as N grows: these sizes keep a default run within a few minutes.
SIZES = {
    "quick": dict(
        rounds=3,
        appends=150,
        writers=8,
        hot_changes=80,
        relay_records=200,
        latency_rate=100.0,
        latency_seconds=10.0,
        latency_rounds=2,
        http_seconds=5.0,
        http_rounds=2,
    ),
    "default": dict(
        rounds=5,
        appends=300,
        writers=8,
        hot_changes=160,
        relay_records=400,
        latency_rate=100.0,
        latency_seconds=60.0,
        latency_rounds=2,
        http_seconds=15.0,
        http_rounds=3,
    ),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small sizes: about a minute")
    p.add_argument("--rounds", type=int, help="rounds of each throughput comparison (default 5, quick 3)")
    p.add_argument("--appends", type=int, help="N for append vs insert (default 300, quick 150)")
    p.add_argument("--concurrency", type=int, default=1, help="tasks doing the N appends / inserts (default 1)")
    p.add_argument("--writers", type=int, help="C concurrent writers in the contention test (default 8)")
    p.add_argument("--hot-changes", type=int, help="changes per round in the contention test (default 160, quick 80)")
    p.add_argument("--relay-records", type=int, help="N event records for the relay (default 400, quick 200)")
    p.add_argument(
        "--latency-rate", type=float, help="events (and partners registered) per second end to end (default 100)"
    )
    p.add_argument("--latency-seconds", type=float, help="seconds of each end-to-end round (default 60, quick 10)")
    p.add_argument("--latency-rounds", type=int, help="rounds of the end-to-end tests (default 2)")
    p.add_argument("--http-seconds", type=float, help="seconds per side of each HTTP round (default 15, quick 5)")
    p.add_argument("--http-rounds", type=int, help="rounds of the HTTP write path (default 3, quick 2)")
    p.add_argument("--in-flight", type=int, default=64, help="HTTP requests outstanding at most (default 64)")
    p.add_argument("--no-java", action="store_true", help="skip Kafka's ProducerPerformance baseline")
    p.add_argument(
        "--java-records",
        type=int,
        help="records per ProducerPerformance run (default: the relay's N; more shows Kafka warmed up)",
    )
    p.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated subset of {','.join(SECTIONS)}")
    p.add_argument("--out", type=Path, default=HERE / "out", help="where the JSON and PNG go (default bench/out)")
    p.add_argument(
        "--replot",
        type=Path,
        metavar="JSON",
        help="measure nothing: print the table of a saved run and draw its PNG again (next to the JSON)",
    )
    p.add_argument(
        "--markdown",
        type=Path,
        metavar="LATEST_JSON",
        help="measure nothing: print the figures of a latest.json as bench/README.md's Markdown table",
    )
    args = p.parse_args(argv)
    for name, value in SIZES["quick" if args.quick else "default"].items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(args.only) - set(SECTIONS)
    if unknown:
        p.error(f"unknown section(s) {sorted(unknown)}; choose from {SECTIONS}")
    return args


def log(message: str) -> None:
    print(message, flush=True)


@contextmanager
def servers():
    """The servers the tests would use: named ones, or a private local stack (never Docker here)."""
    url, bootstrap = os.environ.get("OPP_TEST_MONGO_URL"), os.environ.get("OPP_TEST_KAFKA_BOOTSTRAP")
    if url and bootstrap:
        log(f"==> using the servers named by OPP_TEST_MONGO_URL / OPP_TEST_KAFKA_BOOTSTRAP ({bootstrap})")
        yield Servers(url, bootstrap, "external")
        return
    data_dir = Path(tempfile.mkdtemp(prefix="opp-bench-"))
    try:
        started = time.monotonic()
        with local_stack(data_dir) as found:
            log(f"==> private stack ready in {time.monotonic() - started:.1f} s ({data_dir})")
            yield found
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


async def cleanup(found: Servers, ns: str) -> None:
    """On servers someone else runs, leave nothing of ours behind (a private stack is simply deleted)."""
    if found.kind != "external":
        return
    client = connect(found.mongo_url)
    try:
        for name in await client.list_database_names():
            if name.startswith(ns):
                await client.drop_database(name)
    finally:
        await client.close()
    admin = AIOKafkaAdminClient(bootstrap_servers=found.kafka_bootstrap, client_id=f"{ns}-cleanup")
    await admin.start()
    try:
        ours = [t for t in await admin.list_topics() if t.startswith(ns)]
        if ours:
            await admin.delete_topics(ours)
    finally:
        await admin.close()


def _print_breakdowns(raw: dict[str, Any]) -> None:
    width = 40

    def row(label: str, value: str) -> None:
        log(f"    {label:<{width}} {value}")

    append = raw.get("writes", {}).get("breakdown")
    if append:
        n = append["n"]
        log(
            f"\nWhere an append's time goes (diagnostic pass, {n} sequential appends, "
            f"driver-measured round trips, per append):"
        )
        for c in append["append_commands"]:
            row(f"{c['command']} {c['collection']} (x{c['count'] / n:.1f})", f"{1000 * c['seconds'] / n:6.2f} ms")
        row("client side (event, pydantic, driver)", f"{append['append_client_ms']:6.2f} ms")
        row("= one append", f"{append['append_ms']:6.2f} ms")
        row("a raw insert_one of the same record", f"{append['insert_ms']:6.2f} ms")
        chunks = raw["writes"].get("append_vs_insert")
        if chunks:

            def tenth(side: str, index: int) -> float:
                return _med([r["chunk_rates"][index] for r in chunks[side] if r["chunk_rates"]])

            log(
                f"    as the collections grow, the rate in the first / last tenth of a round: append "
                f"{tenth('append', 0):,.0f} / {tenth('append', -1):,.0f} per s, "
                f"insert {tenth('insert', 0):,.0f} / {tenth('insert', -1):,.0f} per s"
            )
    contention = raw.get("writes", {}).get("contention")
    if contention:
        hot = contention["hot"]
        log(
            f"\nOne hot aggregate: {sum(r['gave_up'] for r in hot)} of "
            f"{sum(r['accepted'] + r['gave_up'] for r in hot)} "
            f"commands gave up after the repository's attempts (Contention, 503);\n"
            f"records = accepted + 1 in {sum(r['records'] == r['records_expected'] for r in hot)}/{len(hot)} rounds; "
            "projection behind the records afterwards in "
            f"{sum(r['projection_behind'] > 0 for r in hot)}/{len(hot)} rounds."
        )
    relay = raw.get("relay", {}).get("breakdown")
    if relay:
        total = relay["seconds"]
        log(f"\nWhere the relay's time goes (diagnostic pass, {relay['n']} records, {total:.2f} s):")
        for c in relay["commands"]:
            row(
                f"{c['command']} {c['collection']} (x{c['count']})",
                f"{c['seconds']:6.2f} s ({100 * c['seconds'] / total:4.1f} %)",
            )
        rest = total - relay["database_seconds"]
        row("the rest: Kafka sends and acks, Python", f"{rest:6.2f} s ({100 * rest / total:4.1f} %)")
    http = raw.get("http")
    if http and http.get("server_seconds") and http.get("partners"):
        inside = http["server_seconds"]
        peaks = [r["peak"] for r in http["partners"]]
        log(
            f"\nThe HTTP write path: a POST spent {inside['mean_ms_in_app']:.1f} ms inside the partners app on average "
            f"(its request histogram, {inside['posts']:.0f} POSTs); at the peak a request took "
            f"{_med([p.get('p50', float('nan')) for p in peaks]):.1f} ms (p50) at the client, "
            f"{http['in_flight']} in flight."
        )
    lat = raw.get("latency")
    if lat and lat.get("write_model"):
        appends = [v for r in lat["write_model"] for v in r["append_ms"]]
        log(
            f"\nThe appends during the latency test took {_med(appends):.1f} ms (median); the latency is counted "
            f"from their return."
        )


def _med(values: list[float]) -> float:
    import statistics

    return statistics.median(values) if values else float("nan")


@dataclass
class Context:
    """What a section measures with: the servers, the arguments, this run's namespace, a database client."""

    found: Servers
    args: argparse.Namespace
    ns: str
    client: AsyncMongoClient


# A section answers its figures (Comparisons, which become the table's rows and the records of
# latest.json) and its raw numbers (kept in <timestamp>.json under the section's name).
SectionResult = tuple[list[Comparison], dict[str, Any]]


async def writes_section(ctx: Context) -> SectionResult:
    args, raw = ctx.args, {}
    comparisons = []
    c, raw["append_vs_insert"] = await writes.append_vs_insert(
        ctx.client, ctx.ns, n=args.appends, rounds=args.rounds, concurrency=args.concurrency, log=log
    )
    comparisons.append(c)
    log(f"      {args.writers} writers, {args.hot_changes} changes: one hot aggregate vs {args.writers} aggregates")
    cs, raw["contention"] = await writes.hot_vs_spread(
        ctx.client, ctx.ns, writers=args.writers, changes=args.hot_changes, rounds=args.rounds, log=log
    )
    comparisons.extend(cs)
    raw["breakdown"] = await writes.append_breakdown(ctx.found.mongo_url, ctx.ns, n=max(100, args.appends // 4))
    return comparisons, raw


async def relay_section(ctx: Context) -> SectionResult:
    args = ctx.args
    return await publish.relay_vs_producer(
        ctx.client,
        ctx.found.mongo_url,
        ctx.found.kafka_bootstrap,
        ctx.ns,
        n=args.relay_records,
        rounds=args.rounds,
        java=not args.no_java,
        java_records=args.java_records or args.relay_records,
        log=log,
    )


async def latency_section(ctx: Context) -> SectionResult:
    args = ctx.args
    return await latency.end_to_end(
        ctx.client,
        ctx.found.kafka_bootstrap,
        ctx.ns,
        count=round(args.latency_rate * args.latency_seconds),
        rate=args.latency_rate,
        rounds=args.latency_rounds,
        log=log,
    )


async def http_section(ctx: Context) -> SectionResult:
    args = ctx.args
    return await http_path.write_path(
        ctx.found.mongo_url,
        ctx.found.kafka_bootstrap,
        ctx.ns,
        seconds=args.http_seconds,
        rounds=args.http_rounds,
        in_flight=args.in_flight,
        log=log,
    )


async def inbox_section(ctx: Context) -> SectionResult:
    args = ctx.args
    return await http_path.http_to_inbox(
        ctx.found.mongo_url,
        ctx.found.kafka_bootstrap,
        ctx.ns,
        rate=args.latency_rate,
        seconds=args.latency_seconds,
        rounds=args.latency_rounds,
        in_flight=args.in_flight,
        log=log,
    )


@dataclass(frozen=True)
class Section:
    describe: Callable[[argparse.Namespace], str]  # the line printed before it runs
    measure: Callable[[Context], Awaitable[SectionResult]]


def history_sizes(args: argparse.Namespace) -> tuple[int, int]:
    """How many records and calls a section with a history already in the database uses."""
    return (400, 50) if args.quick else (1000, 200)


async def relay_history_section(ctx: Context) -> SectionResult:
    n, _ = history_sizes(ctx.args)
    return await relay.relay_with_history(
        ctx.client, ctx.found.kafka_bootstrap, ctx.ns, n=n, rounds=ctx.args.rounds, log=log
    )


async def reads_section(ctx: Context) -> SectionResult:
    _, calls = history_sizes(ctx.args)
    return await reads.reads_vs_find_one(ctx.client, ctx.ns, calls=calls, rounds=ctx.args.rounds, log=log)


# Every section, in the order they run (`--only` picks some). A new module registers here.
HISTORIES = " and ".join(f"{s:,}" for s in reads.HISTORY_SIZES)
SECTIONS: dict[str, Section] = {
    "writes": Section(
        lambda a: f"write model: {a.appends} appends vs inserts, {a.rounds} rounds, concurrency {a.concurrency}",
        writes_section,
    ),
    "relay": Section(lambda a: f"relay: {a.relay_records} records, {a.rounds} rounds", relay_section),
    "latency": Section(
        lambda a: (
            f"append -> handled: {a.latency_rate:g} events/s for {a.latency_seconds:g} s, {a.latency_rounds} rounds"
        ),
        latency_section,
    ),
    "http": Section(
        lambda a: f"HTTP write path: {a.in_flight} in flight, {a.http_seconds:g} s per side, {a.http_rounds} rounds",
        http_section,
    ),
    "inbox": Section(
        lambda a: (
            f"HTTP 201 -> inbox: {a.latency_rate:g} partners/s for {a.latency_seconds:g} s, {a.latency_rounds} rounds"
        ),
        inbox_section,
    ),
    "relay_history": Section(
        lambda a: f"relay drain of {history_sizes(a)[0]} records with {HISTORIES} in history", relay_history_section
    ),
    "reads": Section(lambda a: f"reads, {history_sizes(a)[1]} calls, with {HISTORIES} in history", reads_section),
}


async def bench(
    found: Servers, args: argparse.Namespace, ns: str, raw: dict[str, Any], comparisons: list[Comparison]
) -> None:
    """Run the chosen sections; one that fails leaves its error in `raw` and the others run."""
    client = connect(found.mongo_url, app_name="bench")
    chosen = [name for name in SECTIONS if name in args.only]
    try:
        for n, name in enumerate(chosen, 1):
            log(f"\n[{n}/{len(chosen)}] {SECTIONS[name].describe(args)}")
            try:
                figures, raw[name] = await SECTIONS[name].measure(Context(found, args, ns, client))
                comparisons.extend(figures)
            except Exception:
                raw[name] = {"error": traceback.format_exc()}
                log(f"    the {name} section failed:\n{raw[name]['error']}")
    finally:
        await client.close()
        await cleanup(found, ns)


def _git_commit() -> str | None:
    try:
        return (
            subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=5
            ).stdout.strip()
            or None
        )
    except OSError:
        return None


def draw(document: dict[str, Any], png_path: Path) -> bool:
    """The PNG of a run, from its JSON document (so that --replot draws exactly what a run draws)."""
    meta, raw = document["meta"], document["raw"]
    comparisons = [Comparison.from_json(key, data) for key, data in document["comparisons"].items()]
    if not comparisons:
        return False
    where = (
        "a private FerretDB 1.24 (SQLite) + Kafka 4.1.1"
        if meta["servers"]["kind"] == "local"
        else f"servers named by OPP_TEST_* ({meta['servers']['kafka']})"
    )
    title = (
        f"opp benchmarks {meta['timestamp']} · {meta['host']['cpus']} CPUs · {where} · "
        f"commit {meta['git_commit']} · {'--quick' if meta['args']['quick'] else 'default size'}"
    )
    growth = raw.get("writes", {}).get("append_vs_insert")
    growth = growth and {
        "n": meta["args"]["appends"],
        "append": [r["chunk_rates"] for r in growth["append"]],
        "insert": [r["chunk_rates"] for r in growth["insert"]],
    }
    latency_raw = raw.get("latency") if raw.get("latency", {}).get("bare") else None
    try:
        report.plot(png_path, comparisons, latency_raw, growth, title)
    except Exception:  # the figures are printed and in the JSON already
        log(f"the plot failed:\n{traceback.format_exc()}")
        return False
    return True


def replot(path: Path) -> int:
    document = json.loads(path.read_text())
    comparisons = [Comparison.from_json(key, data) for key, data in document["comparisons"].items()]
    log(report.table(comparisons))
    _print_breakdowns(document["raw"])
    png_path = path.with_suffix(".png")
    if draw(document, png_path):
        log(f"\ndrew {png_path}")
    return 0


def _terminate(signum, frame):  # SIGTERM behaves like Ctrl-C: unwind, stop the stack, delete its folder
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:  # now, not after minutes of measuring
        import matplotlib  # noqa: F401
    except ImportError:
        log("matplotlib is missing: run `.cache/tools/bin/uv sync --frozen --group bench` (or `make bench`)")
        return 2
    if args.replot:
        return replot(args.replot)
    if args.markdown:
        log(report.markdown(json.loads(args.markdown.read_text())))
        return 0
    signal.signal(signal.SIGTERM, _terminate)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # Group joins on a fresh broker log "coordinator not available" at ERROR; real failures raise.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    ns = new_namespace()
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    started = time.monotonic()
    raw: dict[str, Any] = {}
    comparisons: list[Comparison] = []
    meta: dict[str, Any] = {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "namespace": ns,
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "git_commit": _git_commit(),
        "host": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "load_average_at_start": os.getloadavg(),  # 1, 5, 15 minutes: the machine is shared
    }
    try:
        with servers() as found:
            meta["servers"] = {"kind": found.kind, "kafka": found.kafka_bootstrap}
            asyncio.run(bench(found, args, ns, raw, comparisons))
    except KeyboardInterrupt:
        log("\ninterrupted: the stack is stopped; nothing written")
        return 130
    meta["seconds"] = time.monotonic() - started
    meta["load_average_at_end"] = os.getloadavg()

    log("\n" + report.table(comparisons))
    _print_breakdowns(raw)

    args.out.mkdir(parents=True, exist_ok=True)
    json_path, png_path = args.out / f"{stamp}.json", args.out / f"{stamp}.png"
    document = {"meta": meta, "comparisons": {c.key: c.to_json() for c in comparisons}, "raw": raw}
    json_path.write_text(json.dumps(document, indent=1, default=str))
    drawn = draw(json.loads(json_path.read_text()), png_path)
    where = json_path.relative_to(REPO) if json_path.is_relative_to(REPO) else json_path
    log(f"\nwrote {where}" + (f" and {png_path.name}" if drawn else "") + f" in {meta['seconds']:.0f} s")
    failed = [name for name, section in raw.items() if isinstance(section, dict) and section.get("error")]
    latest = write_latest(args.out, meta, comparisons, failed)
    log(f"wrote {latest.relative_to(REPO) if latest.is_relative_to(REPO) else latest} (every figure, for checks)")
    return 1 if failed else 0


def write_latest(out: Path, meta: dict[str, Any], comparisons: list[Comparison], failed: list[str]) -> Path:
    """bench/out/latest.json: one record per figure of the last run (bench/README.md, "latest.json"),
    whichever section measured it; the sections that failed are named, their figures absent."""
    document = {"meta": meta, "figures": [c.figure() for c in comparisons], "failed_sections": failed}
    path = out / "latest.json"
    path.write_text(json.dumps(document, indent=1, default=str, allow_nan=False))
    return path


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmarks of the write model, the relay and the end-to-end path, each against a baseline
measured in the same run on the same servers (see bench/README.md).

    make bench                              # installs what is needed, then the default size (about 3 minutes)
    .venv/bin/python bench/run.py --quick   # about a minute
    .venv/bin/python bench/run.py --help

Starts its own FerretDB and Kafka on free ports in a temporary folder (as the tests do), or
uses OPP_TEST_MONGO_URL and OPP_TEST_KAFKA_BOOTSTRAP when both are set. Prints a table and
writes bench/out/<timestamp>.json (every raw number) and bench/out/<timestamp>.png.
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
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import latency  # noqa: E402
import publish  # noqa: E402
import reads  # noqa: E402
import relay  # noqa: E402
import report  # noqa: E402
import writes  # noqa: E402
from aiokafka.admin import AIOKafkaAdminClient  # noqa: E402
from common import Comparison, new_namespace  # noqa: E402

from opp_shared.mongo import connect  # noqa: E402
from opp_shared.testing.servers import Servers, local_stack  # noqa: E402

SECTIONS = ("writes", "relay", "latency", "relay_history", "reads")
# FerretDB's updates cost time in proportion to the collection (see README.md), so appends and the
# relay slow down as N grows: these sizes keep a default run within a few minutes.
SIZES = {
    "quick": dict(
        rounds=3,
        appends=150,
        writers=8,
        hot_changes=80,
        relay_records=200,
        latency_events=40,
        latency_rate=10.0,
        latency_rounds=2,
    ),
    "default": dict(
        rounds=5,
        appends=300,
        writers=8,
        hot_changes=160,
        relay_records=400,
        latency_events=90,
        latency_rate=10.0,
        latency_rounds=3,
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
    p.add_argument("--latency-events", type=int, help="M events per latency round (default 90, quick 40)")
    p.add_argument("--latency-rate", type=float, help="events per second in the latency test (default 10)")
    p.add_argument("--latency-rounds", type=int, help="rounds of the latency test (default 3, quick 2)")
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
            f"commands gave up after the repository's attempts (RuleViolation, retryable);\n"
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


async def bench(
    found: Servers, args: argparse.Namespace, ns: str, raw: dict[str, Any], comparisons: list[Comparison]
) -> None:
    client = connect(found.mongo_url, app_name="bench")
    try:
        if "writes" in args.only:
            log(
                f"\n[1/3] write model: {args.appends} appends vs inserts, {args.rounds} rounds, "
                f"concurrency {args.concurrency}"
            )
            section: dict[str, Any] = {}
            raw["writes"] = section
            try:
                c, section["append_vs_insert"] = await writes.append_vs_insert(
                    client, ns, n=args.appends, rounds=args.rounds, concurrency=args.concurrency, log=log
                )
                comparisons.append(c)
                log(
                    f"      {args.writers} writers, {args.hot_changes} changes: "
                    f"one hot aggregate vs {args.writers} aggregates"
                )
                t, a, section["contention"] = await writes.hot_vs_spread(
                    client, ns, writers=args.writers, changes=args.hot_changes, rounds=args.rounds, log=log
                )
                comparisons.extend([t, a])
                section["breakdown"] = await writes.append_breakdown(found.mongo_url, ns, n=max(100, args.appends // 4))
            except Exception:
                section["error"] = traceback.format_exc()
                log(f"    the write model section failed:\n{section['error']}")
        if "relay" in args.only:
            log(f"\n[2/3] relay: {args.relay_records} records, {args.rounds} rounds")
            try:
                cs, raw["relay"] = await publish.relay_vs_producer(
                    client,
                    found.mongo_url,
                    found.kafka_bootstrap,
                    ns,
                    n=args.relay_records,
                    rounds=args.rounds,
                    java=not args.no_java,
                    java_records=args.java_records or args.relay_records,
                    log=log,
                )
                comparisons.extend(cs)
            except Exception:
                raw["relay"] = {"error": traceback.format_exc()}
                log(f"    the relay section failed:\n{raw['relay']['error']}")
        if "latency" in args.only:
            log(
                f"\n[3/3] end-to-end latency: {args.latency_events} events at {args.latency_rate:g}/s, "
                f"{args.latency_rounds} rounds"
            )
            try:
                cs, raw["latency"] = await latency.end_to_end(
                    client,
                    found.kafka_bootstrap,
                    ns,
                    count=args.latency_events,
                    rate=args.latency_rate,
                    rounds=args.latency_rounds,
                    log=log,
                )
                comparisons.extend(cs)
            except Exception:
                raw["latency"] = {"error": traceback.format_exc()}
                log(f"    the latency section failed:\n{raw['latency']['error']}")
        # With a history already in the database: bench/relay.py and bench/reads.py.
        n, calls = (400, 50) if args.quick else (1000, 200)
        for section, title, measure in (
            (
                "relay_history",
                f"relay drain of {n} records",
                lambda: relay.relay_with_history(client, found.kafka_bootstrap, ns, n=n, rounds=args.rounds, log=log),
            ),
            (
                "reads",
                f"reads, {calls} calls",
                lambda: reads.reads_vs_find_one(client, ns, calls=calls, rounds=args.rounds, log=log),
            ),
        ):
            if section in args.only:
                log(f"\n[{section}] {title} with {' and '.join(f'{s:,}' for s in reads.HISTORY_SIZES)} in history")
                try:
                    cs, raw[section] = await measure()
                    comparisons.extend(cs)
                except Exception:
                    raw[section] = {"error": traceback.format_exc()}
                    log(f"    the {section} section failed:\n{raw[section]['error']}")
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
    }
    try:
        with servers() as found:
            meta["servers"] = {"kind": found.kind, "kafka": found.kafka_bootstrap}
            asyncio.run(bench(found, args, ns, raw, comparisons))
    except KeyboardInterrupt:
        log("\ninterrupted: the stack is stopped; nothing written")
        return 130
    meta["seconds"] = time.monotonic() - started

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
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The fault-injection suite: load, SIGKILL of each part in turn, and a check of every acknowledged change.

    make chaos                                   # single Kafka node: every service, Kafka, FerretDB
    make chaos-cluster                           # three brokers, each service as API and worker copies
    .venv/bin/python tests/chaos/run.py --help   # --faults partners,kafka --load-seconds 10 ...

Starts its own Kafka and FerretDB on free ports in a temporary folder and the four services as
processes (see chaos.py). Prints a table (scenario, acknowledged, lost, duplicated effects, time to
recover) and writes tests/chaos/out/<timestamp>.json and .png (git-ignored; the plot needs
matplotlib, from the `bench` dependency group). Exits 1 when a change was lost or had an effect twice.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from chaos import Ack, Result, Row, Scenario, run, table  # noqa: E402

OUT = HERE / "out"
BIN_SECONDS = 5


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--brokers", type=int, default=1, help="Kafka brokers: 1, or 3 for a KRaft cluster (default 1)")
    p.add_argument(
        "--copies",
        type=int,
        help="1: one process per service running everything; N > 1: N API and N worker processes "
        "per service (default 1, with --brokers 3: 2)",
    )
    p.add_argument(
        "--faults", help="comma-separated parts to kill, in order (default: every service, Kafka node, FerretDB)"
    )
    p.add_argument("--load-seconds", type=float, default=6.0, help="load before and after each fault (default 6)")
    p.add_argument("--down-seconds", type=float, default=3.0, help="how long a killed part stays dead (default 3)")
    p.add_argument("--writers", type=int, default=4, help="concurrent HTTP writers (default 4)")
    p.add_argument("--rate", type=float, default=2.0, help="changes per second the writers attempt in all (default 2)")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (logs of every part)")
    p.add_argument("--replot", type=Path, help="draw the plot of a run's JSON again, measuring nothing")
    return p.parse_args(argv)


def plot(result: Result, path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("chaos: no plot (matplotlib is missing: `uv sync --group bench`, as make chaos does)")
        return False
    figure, (timeline, recovery) = plt.subplots(2, 1, figsize=(11, 7.5), gridspec_kw={"height_ratios": [3, 2]})
    end = max((a.at for a in result.acks), default=1.0)
    bins = [0] * (int(end // BIN_SECONDS) + 1)  # acknowledged changes per bin of BIN_SECONDS
    for ack in result.acks:
        bins[int(ack.at // BIN_SECONDS)] += 1
    starts = [i * BIN_SECONDS for i in range(len(bins))]
    timeline.step(starts, [n / BIN_SECONDS for n in bins], where="post", color="tab:blue", linewidth=1.2)
    for scenario in result.scenarios:
        if scenario.killed_at is None:
            continue
        recovered = scenario.recovered_at or end
        timeline.axvspan(scenario.killed_at, recovered, color="tab:red", alpha=0.15)
        timeline.text(
            scenario.killed_at, 0.97, scenario.name, transform=timeline.get_xaxis_transform(), va="top", fontsize=8
        )
    timeline.set_xlabel("seconds since the load started (shaded: from the kill until a new change has every effect)")
    timeline.set_ylabel(f"acknowledged changes/s ({BIN_SECONDS} s bins)")
    shape = f"{result.brokers} Kafka broker(s), {result.copies} copy(ies) of each service part"
    timeline.set_title(f"Acknowledged writes under SIGKILL ({shape})")

    faulted = [row for row in result.rows if row.recover_seconds is not None]
    names = [row.scenario for row in faulted]
    recovery.bar(names, [row.recover_seconds for row in faulted], color="tab:gray")
    for i, row in enumerate(faulted):
        verdict = f"{row.acknowledged} ack, {row.lost} lost, {row.duplicated} dup"
        recovery.text(i, row.recover_seconds or 0, verdict, ha="center", va="bottom", fontsize=8)
    recovery.set_ylabel("time to recover (s)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    return True


def replot(path: Path) -> int:
    document = json.loads(path.read_text())
    result = Result(
        rows=[Row(**row) for row in document["rows"]],
        acks=[Ack(**ack) for ack in document["acks"]],
        scenarios=[Scenario(**scenario) for scenario in document["scenarios"]],
        brokers=document["brokers"],
        copies=document["copies"],
        seconds=document["seconds"],
    )
    print(table(result.rows))
    if plot(result, path.with_suffix(".png")):
        print(f"chaos: plot in {path.with_suffix('.png')}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.replot:
        return replot(args.replot)
    copies = args.copies or (2 if args.brokers > 1 else 1)
    faults = args.faults.split(",") if args.faults else None
    folder = Path(tempfile.mkdtemp(prefix="opp-chaos-"))
    result = asyncio.run(
        run(
            folder,
            faults=faults,
            brokers=args.brokers,
            copies=copies,
            load_seconds=args.load_seconds,
            down_seconds=args.down_seconds,
            writers=args.writers,
            rate=args.rate,
        )
    )
    if not args.keep:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    else:
        print(f"chaos: logs in {folder}")
    print()
    print(table(result.rows))
    for row in result.rows:
        for problem in row.problems[:10]:
            print(f"  {row.scenario}: {problem}")
    OUT.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"{stamp}-{args.brokers}broker"
    document = {
        "brokers": result.brokers,
        "copies": result.copies,
        "seconds": result.seconds,
        "rows": [asdict(row) for row in result.rows],
        "scenarios": [asdict(s) for s in result.scenarios],
        "acks": [asdict(a) for a in result.acks],
    }
    (OUT / f"{name}.json").write_text(json.dumps(document, indent=1))
    print(f"\nchaos: {result.seconds:.0f} s in all; raw figures in {OUT / (name + '.json')}")
    if plot(result, OUT / f"{name}.png"):
        print(f"chaos: plot in {OUT / (name + '.png')}")
    return 1 if any(row.lost or row.duplicated for row in result.rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())

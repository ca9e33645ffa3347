"""The printed table and the plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from common import Comparison, quantile


def _figure(summary: dict[str, float], unit: str) -> str:
    digits = 1 if unit in ("ms",) else 2 if unit == "attempts" else 0
    fmt = f"{{:,.{digits}f}}"
    return f"{fmt.format(summary['median'])} [{fmt.format(summary['min'])}–{fmt.format(summary['max'])}]"


def table(comparisons: list[Comparison]) -> str:
    rows = [("figure", "unit", "measured", "baseline", "baseline is", "× baseline cost")]
    for c in comparisons:
        s = c.summary()
        if not s:
            continue
        cost = s["cost"]
        rows.append(
            (
                c.title,
                c.unit,
                _figure(s["subject"], c.unit),
                _figure(s["baseline"], c.unit),
                c.baseline,
                f"{cost['median']:.2f} [{cost['min']:.2f}–{cost['max']:.2f}]",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append(
            "  ".join(
                cell.ljust(w) if i in (0, 1, 4) else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    notes = list(dict.fromkeys(note for c in comparisons if c.rounds for note in c.notes))
    if notes:
        lines.append("")
        lines.extend(f"  - {note}" for note in notes)
    lines.append("")
    lines.append("median [min–max] of the rounds; × baseline cost = time per item of the measured path over the")
    lines.append("baseline's, computed round by round (1.00 = as cheap as the baseline, higher = slower)")
    return "\n".join(lines)


def markdown(latest: dict[str, Any]) -> str:
    """The figures of a latest.json as the Markdown table of bench/README.md."""

    def number(value: float | None, unit: str) -> str:
        if value is None:
            return "n/a"
        digits = 1 if unit == "ms" else 2 if unit in ("attempts", "ratio") else 0
        return f"{value:,.{digits}f}"

    def spread(values: dict[str, float | None] | None, unit: str) -> str:
        if not values:
            return "n/a"
        return f"{number(values['median'], unit)} [{number(values['min'], unit)}–{number(values['max'], unit)}]"

    rows = [
        "| figure | unit | measured | baseline | baseline is | ratio measured/baseline | target | met |",
        "| --- | --- | ---: | ---: | --- | ---: | --- | --- |",
    ]
    for f in latest["figures"]:
        met = {True: "yes", False: "**no**", None: ""}[f.get("met")]
        rows.append(
            f"| {f['name']} | {f['unit']} | {spread(f.get('measured'), f['unit'])} | "
            f"{spread(f.get('baseline_value'), f['unit'])} | {f['baseline']} | {spread(f.get('ratio'), 'ratio')} | "
            f"{f.get('target', '')} | {met} |"
        )
    return "\n".join(rows)


def plot(
    path: Path,
    comparisons: list[Comparison],
    latency: dict[str, Any] | None,
    growth: dict[str, Any] | None,
    title: str,
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    shown = [c for c in comparisons if c.rounds]
    fig = plt.figure(figsize=(16, 9))
    grid = fig.add_gridspec(2, 2, width_ratios=[1.2, 1])
    left = fig.add_subplot(grid[:, 0])
    right = fig.add_subplot(grid[0, 1])
    below = fig.add_subplot(grid[1, 1])

    # Left: cost relative to the baseline, median with min–max of the rounds and each round as a dot.
    labels = [f"{c.title.strip()}\nvs {c.baseline}" for c in shown]
    ys = list(range(len(shown)))[::-1]
    for y, c in zip(ys, shown, strict=True):
        s = c.summary()["cost"]
        left.barh(y, s["median"], color="#4c72b0" if c.unit != "ms" else "#dd8452", alpha=0.85, height=0.6)
        left.errorbar(
            s["median"],
            y,
            xerr=[[s["median"] - s["min"]], [s["max"] - s["median"]]],
            fmt="none",
            ecolor="black",
            capsize=4,
            lw=1.2,
        )
        left.scatter(c.costs(), [y] * len(c.rounds), s=12, color="black", zorder=3)
        left.annotate(f"{s['median']:.2f}×", (s["max"], y), xytext=(6, -4), textcoords="offset points", fontsize=9)
    left.axvline(1.0, color="grey", ls="--", lw=1)
    left.set_yticks(ys, labels, fontsize=8)
    left.set_xscale("log")
    left.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}×"))
    left.xaxis.set_minor_formatter(NullFormatter())
    left.set_xlabel("× baseline cost (time per item over the baseline's; 1 = as cheap; log scale)")
    left.set_title(
        "Cost relative to a baseline measured in the same run\n"
        "(bar: median of rounds, whiskers: min–max, dots: rounds)",
        fontsize=10,
    )
    left.grid(axis="x", which="both", alpha=0.3)
    lo = min(min(c.costs()) for c in shown)
    hi = max(max(c.costs()) for c in shown)
    left.set_xlim(min(0.5, lo * 0.8), hi * 2.0)

    # Right: the latency distributions (all rounds pooled), as empirical CDFs.
    if latency:
        for key, label, color in (
            ("write_model", "append returned → handled (relay + ConsumerWorker)", "#dd8452"),
            ("bare", "bare aiokafka produce → consume", "#55a868"),
        ):
            values = sorted(v for r in latency[key] for v in r["latencies_ms"])
            if not values:
                continue
            ys_cdf = [(i + 1) / len(values) for i in range(len(values))]
            right.step(
                values,
                ys_cdf,
                where="post",
                label=f"{label}\np50 {quantile(values, 0.5):.1f} · "
                f"p95 {quantile(values, 0.95):.1f} · p99 {quantile(values, 0.99):.1f} ms",
                color=color,
            )
            for q in (0.5, 0.95, 0.99):
                right.plot([quantile(values, q)], [q], "o", color=color, ms=4)
        right.set_xscale("log")
        right.xaxis.set_major_locator(FixedLocator([1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 300, 500, 1000, 2000, 5000]))
        right.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
        right.xaxis.set_minor_formatter(NullFormatter())
        right.set_xlabel("latency (ms, log scale)")
        right.set_ylabel("fraction of events")
        right.set_yticks([0, 0.25, 0.5, 0.75, 0.9, 1.0])
        right.grid(which="both", alpha=0.3)
        right.legend(loc="lower right", fontsize=8)
        right.set_title(
            f"End-to-end latency, {latency['count']} events × {len(latency['bare'])} rounds "
            f"at {latency['rate']:g}/s (pooled)",
            fontsize=10,
        )
    else:
        right.set_axis_off()

    # Below: the rate within each tenth of an append/insert round, against the collection's size then.
    if growth and growth.get("append"):
        n = growth["n"]
        for key, label, color in (
            ("append", "EventStore.append", "#4c72b0"),
            ("insert", "insert_one, same record", "#55a868"),
        ):
            for i, rates in enumerate(growth[key]):
                xs = [(k + 0.5) * n / len(rates) for k in range(len(rates))]
                below.plot(xs, rates, "o-", color=color, alpha=0.6, ms=3, lw=1, label=label if i == 0 else None)
        below.set_yscale("log")
        below.set_xlabel("documents already in the collections (new aggregates written so far)")
        below.set_ylabel("changes/s in that tenth of the round (log)")
        below.grid(which="both", alpha=0.3)
        below.legend(fontsize=8)
        below.set_title("Append vs insert rate as the collections grow (every round)", fontsize=10)
    else:
        below.set_axis_off()
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)

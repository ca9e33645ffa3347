"""What the measurements share: statistics, the comparison record, payloads, names, a command timer,
tokens and the notifications stream."""

from __future__ import annotations

import json
import math
import os
import statistics
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
from pymongo import AsyncMongoClient, monitoring

from opp_shared.auth import issue_local_token
from opp_shared.settings import LOCAL_JWT_SECRET

AGGREGATE = "partners.partner"  # a real catalogue topic; the bench owns it in databases of its own
SOURCE = "/opp/bench"
PROJECTIONS = {AGGREGATE: "partners"}


# -- statistics ----------------------------------------------------------------


def quantile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); `q` in [0, 1]."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def spread(values: list[float]) -> dict[str, float]:
    """Median, min, max and interquartile range of a few rounds."""
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "q1": quantile(values, 0.25),
        "q3": quantile(values, 0.75),
        "n": len(values),
    }


@dataclass(frozen=True)
class Target:
    """What a figure should reach, judged on the median of its rounds: the measured value
    (`of="measured"`) or the ratio measured / baseline (`of="ratio"`), at most or at least a bound."""

    of: str  # "measured" or "ratio"
    at_most: float | None = None
    at_least: float | None = None

    def met(self, value: float) -> bool:
        return (self.at_most is None or value <= self.at_most) and (self.at_least is None or value >= self.at_least)

    def text(self, unit: str) -> str:
        bound = f"<= {self.at_most:g}" if self.at_most is not None else f">= {self.at_least:g}"
        return f"ratio {bound}" if self.of == "ratio" else f"{bound} {unit}"

    def to_json(self) -> dict[str, Any]:
        return {"of": self.of, "at_most": self.at_most, "at_least": self.at_least}


def _finite(value: float) -> float | None:
    """JSON has no infinity: a ratio over a zero baseline is written as null."""
    return value if math.isfinite(value) else None  # also NaN: a percentile of nothing


@dataclass
class Comparison:
    """One figure measured against its baseline, round by round in the same run.

    `cost` of a round is the subject's time per item over the baseline's: for a
    throughput (higher is better) baseline/subject, for a latency (lower is
    better) subject/baseline. So 1.0 means "as cheap as the baseline" and 3.0
    "three times the time per item", whichever the unit."""

    key: str
    title: str
    unit: str
    subject: str
    baseline: str
    higher_is_better: bool
    rounds: list[dict[str, float]] = field(default_factory=list)  # {"subject": x, "baseline": y}
    notes: list[str] = field(default_factory=list)
    target: Target | None = None

    def add(self, subject: float, baseline: float) -> None:
        self.rounds.append({"subject": subject, "baseline": baseline})

    def ratios(self) -> list[float]:
        """Measured over baseline, round by round (1.0 when both are 0, e.g. no give-ups on either side)."""
        return [_ratio(r["subject"], r["baseline"]) for r in self.rounds]

    def costs(self) -> list[float]:
        if self.higher_is_better:
            return [_ratio(r["baseline"], r["subject"]) for r in self.rounds]
        return self.ratios()

    def figure(self) -> dict[str, Any]:
        """This comparison as one record of bench/out/latest.json (see bench/README.md)."""
        summary = self.summary()
        ratios = self.ratios()
        record: dict[str, Any] = {
            "key": self.key,
            "name": self.title.strip(),
            "unit": self.unit,
            "subject": self.subject,
            "baseline": self.baseline,
            "higher_is_better": self.higher_is_better,
            "rounds": len(self.rounds),
        }
        if summary:
            record["measured"] = {k: _finite(summary["subject"][k]) for k in ("median", "min", "max")}
            record["baseline_value"] = {k: _finite(summary["baseline"][k]) for k in ("median", "min", "max")}
            record["ratio"] = {
                "median": _finite(statistics.median(ratios)),
                "min": _finite(min(ratios)),
                "max": _finite(max(ratios)),
            }
            record["cost"] = {k: _finite(summary["cost"][k]) for k in ("median", "min", "max")}
        if self.target is not None:
            record["target"] = self.target.text(self.unit)
            measured = record.get("measured", {}).get("median")
            judged = statistics.median(ratios) if self.target.of == "ratio" else measured
            record["met"] = None if judged is None else self.target.met(judged)
        record["notes"] = self.notes
        return record

    def summary(self) -> dict[str, Any]:
        if not self.rounds:
            return {}
        return {
            "subject": spread([r["subject"] for r in self.rounds]),
            "baseline": spread([r["baseline"] for r in self.rounds]),
            "cost": spread(self.costs()),
        }

    @classmethod
    def from_json(cls, key: str, data: dict[str, Any]) -> Comparison:
        fields = ("title", "unit", "subject", "baseline", "higher_is_better", "rounds", "notes")
        target = Target(**data["target"]) if data.get("target") else None
        return cls(key=key, target=target, **{name: data[name] for name in fields})

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "unit": self.unit,
            "subject": self.subject,
            "baseline": self.baseline,
            "higher_is_better": self.higher_is_better,
            "rounds": self.rounds,
            "costs": self.costs(),
            "summary": self.summary(),
            "notes": self.notes,
            "target": self.target.to_json() if self.target else None,
        }


def latency_figures(
    key: str, title: str, subject: str, baseline: str, *, quantiles=(50, 99), p99_at_most: float | None = None
) -> dict[int, Comparison]:
    """One latency figure (ms, lower is better) per quantile: `{key}_p{q}` titled `{title}, p{q}`."""
    return {
        q: Comparison(
            key=f"{key}_p{q}",
            title=f"{title}, p{q}",
            unit="ms",
            subject=subject,
            baseline=baseline,
            higher_is_better=False,
            target=Target("measured", at_most=p99_at_most) if q == 99 and p99_at_most is not None else None,
        )
        for q in quantiles
    }


def _ratio(numerator: float, denominator: float) -> float:
    if numerator == denominator:
        return 1.0
    return numerator / denominator if denominator > 0 else float("inf")


def subject_first(round_index: int) -> bool:
    """Alternate which side runs first, so that a slow drift of the machine does not favour one."""
    return round_index % 2 == 0


# -- payloads --------------------------------------------------------------------


def partner_state(i: int) -> dict[str, Any]:
    """A state shaped like a registered partner's (about the size of the real one)."""
    return {
        "name": f"Benchmark University {i}",
        "name_key": f"benchmark university {i}",
        "kind": "university",
        "country": "GB",
        "status": "prospect",
        "tier": "standard",
        "website": f"https://www.example-{i}.ac.uk",
        "description": "A partner created by the benchmark; its fields have realistic sizes.",
        "relationship_owner": "alice",
        "contacts": [{"name": "Dr. A. Example", "email": f"contact{i}@example.ac.uk", "role": "liaison"}],
        "counter": 0,
    }


def new_namespace() -> str:
    """Prefix of every database, topic and consumer group of one run."""
    return "bench" + uuid.uuid4().hex[:8]


def now() -> float:
    return time.perf_counter()


# -- where the database time goes ------------------------------------------------------


class CommandTimer(monitoring.CommandListener):
    """Sums the driver-measured duration (round trip to the server) of each command by
    (command, collection). Used only in the diagnostic passes, never in a timed round."""

    def __init__(self) -> None:
        self._pending: dict[int, tuple[str, str]] = {}
        self.totals: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0.0])
        self.enabled = False

    def reset(self) -> None:
        self._pending.clear()
        self.totals.clear()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.enabled:
            collection = event.command.get("collection" if event.command_name == "getMore" else event.command_name)
            self._pending[event.request_id] = (event.command_name, collection if isinstance(collection, str) else "")

    def _done(self, event: Any) -> None:
        key = self._pending.pop(event.request_id, None)
        if key is not None:
            total = self.totals[key]
            total[0] += 1
            total[1] += event.duration_micros / 1e6

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._done(event)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._done(event)

    def report(self) -> list[dict[str, Any]]:
        return [
            {"command": name, "collection": coll, "count": count, "seconds": seconds}
            for (name, coll), (count, seconds) in sorted(self.totals.items(), key=lambda kv: -kv[1][1])
        ]


def timed_client(url: str, timer: CommandTimer) -> AsyncMongoClient:
    """A client with the options of opp_shared.mongo.connect, plus the command timer."""
    return AsyncMongoClient(
        url,
        tz_aware=True,
        serverSelectionTimeoutMS=5000,
        connectTimeoutMS=5000,
        appname="bench-diagnostics",
        event_listeners=[timer],
    )


# -- the HTTP API ---------------------------------------------------------------------


def token(sub: str, *roles: str) -> dict[str, str]:
    """Authorization headers for a local bearer token (OPP_JWT_SECRET, or the local default)."""
    secret = os.environ.get("OPP_JWT_SECRET", LOCAL_JWT_SECRET)
    return {"Authorization": "Bearer " + issue_local_token(secret, sub, list(roles))}


async def stream_arrivals(api: httpx.AsyncClient, who: dict[str, str], arrived: dict[str, float], ready) -> None:
    """Read `who`'s live notifications stream, noting when each subject's first notice arrived (wall clock)."""
    ticket = (await api.post("/api/v1/notifications/stream-tickets", headers=who)).json()
    async with api.stream("GET", ticket["stream_url"], timeout=httpx.Timeout(10, read=None)) as stream:
        async for line in stream.aiter_lines():
            if line == ": connected":
                ready.set()
            if line.startswith("data: "):
                arrived.setdefault(json.loads(line[6:])["subject"], time.time())

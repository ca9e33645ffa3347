"""What the three measurements share: statistics, the comparison record, payloads, names, a command timer."""

from __future__ import annotations

import statistics
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from pymongo import AsyncMongoClient, monitoring

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

    def add(self, subject: float, baseline: float) -> None:
        self.rounds.append({"subject": subject, "baseline": baseline})

    def costs(self) -> list[float]:
        out = []
        for r in self.rounds:
            s, b = r["subject"], r["baseline"]
            if self.higher_is_better:
                out.append(b / s if s > 0 else float("inf"))
            else:
                out.append(s / b if b > 0 else float("inf"))
        return out

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
        return cls(key=key, **{name: data[name] for name in fields})

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
        }


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

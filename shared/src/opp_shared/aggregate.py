"""The two shapes the domain and the write model pass each other (pure).

A service's domain loads an aggregate as a `Snapshot` (its id, version and
whole public state), decides, and answers with one `Change`: the event type,
the aggregate's whole new state and what is particular to the event. One
command makes one change to one aggregate; work that spans aggregates runs
as a chain of events, each change on its own sequence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Fields the write model keeps in every state; the domain does not set them.
META_FIELDS = ("id", "version", "created_at", "updated_at")


@dataclass(frozen=True)
class Change:
    type: str
    state: dict[str, Any]
    change: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        clash = [name for name in META_FIELDS if name in self.state]
        if clash:
            raise ValueError(f"the write model sets {clash}; the domain must not")


@dataclass(frozen=True)
class Snapshot:
    id: str
    version: int
    state: dict[str, Any]

    @property
    def etag(self) -> str:
        return f'"{self.version}"'

    def domain_state(self) -> dict[str, Any]:
        """The state without the write model's meta fields."""
        return {k: v for k, v in self.state.items() if k not in META_FIELDS}

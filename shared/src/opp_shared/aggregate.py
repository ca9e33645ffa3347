"""The two shapes the domain and the write model pass each other (pure).

A service's domain loads an aggregate as a `Snapshot` (its id, version and
whole public state), decides, and answers with one `Change`: the event type,
the aggregate's whole new state and what is particular to the event. One
command makes one change to one aggregate; work that spans aggregates runs
as a chain of events, each change on its own sequence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from opp_shared.errors import InvalidInput

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


class AggregateState(BaseModel):
    """Base of a domain's aggregate state: immutable, built from a snapshot, dumped to JSON.

    `evolve` validates the whole new state, so a change that would break one
    of the model's rules is refused as invalid input instead of recorded.
    """

    # Every field is always in the state (defaults included), so the published schema says so.
    model_config = ConfigDict(frozen=True, json_schema_serialization_defaults_required=True)

    # Computed fields are stored beside the state for queries; they are derived, not read back.
    derived_fields: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def of(cls, snapshot: Snapshot) -> Self:
        return cls.from_state(snapshot.domain_state())

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Self:
        return cls.model_validate({k: v for k, v in state.items() if k not in cls.derived_fields})

    def state(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def evolve(self, **changes: Any) -> Self:
        values = {k: v for k, v in self.model_dump().items() if k not in self.derived_fields}
        try:
            return type(self).model_validate({**values, **changes})
        except ValidationError as exc:
            raise InvalidInput(first_error(exc), errors=field_errors(exc)) from None


def field_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """Validation errors as problem `errors`, each with a JSON pointer (`#` for a rule across fields)."""
    return [
        {
            "pointer": "#/" + "/".join(str(part) for part in error.get("loc", ())) if error.get("loc") else "#",
            "detail": str(error.get("msg", "invalid")).removeprefix("Value error, "),
        }
        for error in exc.errors()
    ]


def first_error(exc: ValidationError) -> str:
    """The first message of a validation error, without pydantic's prefix."""
    errors = exc.errors()
    return str(errors[0].get("msg", exc)).removeprefix("Value error, ") if errors else str(exc)

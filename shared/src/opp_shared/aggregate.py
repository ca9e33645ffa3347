"""What the domain and the write model pass each other, and what an aggregate type is (pure).

A service's domain reads an aggregate as its state model, decides, and
answers with one `Change`: the event type, the aggregate's whole new state
and what is particular to the event (its `data.change`, which must fit the
model its event type declares). The write model answers with a
`Snapshot` (id, version and whole public state). One command makes one
change to one aggregate; work that spans aggregates runs as a chain of
events, each change on its own sequence.

`AggregateType` is the one declaration of an aggregate type: its topic, state
model, the model of each event type's `data.change`, id prefix, collection,
route and indexes. The runtime derives from it the projection, the event
contract (AsyncAPI, per-type JSON Schemas), the history route, the index
set-up and a typed repository, so a fact about an aggregate type is written once.

A change is checked against its event type's change model twice: when the
domain builds it from `KIND.event(action)` (the name carries the model), and
when the repository records it. Either way a service cannot publish a
`data.change` its contract does not describe (docs/conventions.md, "The
contract, and changing it").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from typing import Any, ClassVar, Generic, Self, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from opp_shared.catalogue import EVENT_TYPES
from opp_shared.errors import InvalidInput
from opp_shared.ids import new_id

# Fields the write model keeps in every state; the domain does not set them.
META_FIELDS = ("id", "version", "created_at", "updated_at")


class UndescribedChange(ValueError):
    """A `data.change` that its event type's change model does not describe: a bug of the domain."""


@dataclass(frozen=True)
class OlderVersion:
    """An earlier major version of an event type: its change model, how to make it from the
    current version's change, and the last day (UTC) of its deprecation period. Events
    recorded up to that day are published in both versions; later ones only in the current."""

    version: int
    change: type[EventChange]
    downgrade: Callable[[dict[str, Any]], dict[str, Any]]
    published_until: date

    def published_for(self, recorded_on: date) -> bool:
        return recorded_on <= self.published_until


class EventChange(BaseModel):
    """Base of the model of one event type's `data.change`: what is particular to the event.

    A field without a default is in every event of the type; one with a default is
    there only when the domain sets it. A field the model does not name is refused
    when the change is built (the contract must describe it first), but subscribers
    are told to ignore fields they do not know, so adding one later is no break.

    `schema_version` is the event type's major version (its `dataschema` ends in it);
    `older_versions` the earlier ones, still described for the records that carry
    them and published beside this one until their deprecation period ends
    (docs/conventions.md, "A new major version of an event type").
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    schema_version: ClassVar[int] = 1
    older_versions: ClassVar[tuple[OlderVersion, ...]] = ()

    @classmethod
    def normalize(cls, change: Mapping[str, Any], event_type: str = "") -> dict[str, Any]:
        """The change as published (JSON, by alias, only what was given), or UndescribedChange."""
        try:
            model = cls.model_validate(dict(change))
        except ValidationError as exc:
            what = f"{event_type or cls.__name__}: data.change does not fit {cls.__name__}: {exc}"
            raise UndescribedChange(what) from exc
        return model.model_dump(mode="json", by_alias=True, exclude_unset=True)


class NoChange(EventChange):
    """Nothing is particular to the event: its new state says it all."""


class FieldsChanged(EventChange):
    """An edit: which of the state's fields it changed."""

    fields: list[str]


class EventType(str):
    """An event type's name (`partners.partner.registered`) that knows the model of its `data.change`:
    what `AggregateType.event` answers, so that a `Change` built from it is checked at once."""

    change_model: type[EventChange]

    def __new__(cls, name: str, change_model: type[EventChange]) -> EventType:
        made = super().__new__(cls, name)
        made.change_model = change_model
        return made


@dataclass(frozen=True)
class Change:
    type: str
    state: dict[str, Any]
    change: dict[str, Any] = field(default_factory=dict)
    # The major version of the event type's contract the change was checked against.
    schema_version: int = 1

    def __post_init__(self) -> None:
        clash = [name for name in META_FIELDS if name in self.state]
        if clash:
            raise ValueError(f"the write model sets {clash}; the domain must not")
        model = getattr(self.type, "change_model", None)
        if model is not None:
            object.__setattr__(self, "change", model.normalize(self.change, self.type))
            object.__setattr__(self, "schema_version", model.schema_version)
            object.__setattr__(self, "type", str(self.type))


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


class Meta(BaseModel):
    """What the write model adds to every aggregate's public state."""

    id: str
    version: int
    created_at: str
    updated_at: str


S = TypeVar("S", bound=AggregateState)

# An index: one field name, or several; a leading "-" sorts that field descending.
IndexKeys = str | tuple[str, ...]


@dataclass(frozen=True)
class AggregateType(Generic[S]):
    """One aggregate type of a service, declared once beside its state model."""

    topic: str  # `partners.partner`: the Kafka topic, and the prefix of its event types
    state: type[S]  # the domain's state model
    noun: str  # `partner`, for messages
    id_prefix: str  # `ptn`, for the ids the server makes
    collection: str  # the MongoDB collection of its current-state documents
    route: str  # `/api/v1/partners`: the API's collection path
    # The model of `data.change` of each of its event types: every action of the catalogue, no other.
    changes: Mapping[str, type[EventChange]] = field(default_factory=dict, hash=False)
    indexes: tuple[IndexKeys, ...] = ()  # what its lists and queries filter and sort on
    history_roles: tuple[str, ...] = ()  # who may read its `/history` (default: every role)

    def __post_init__(self) -> None:
        if self.topic not in EVENT_TYPES:
            raise ValueError(f"{self.topic!r} is not a topic of the event catalogue")
        if not self.route.startswith("/api/v1/"):
            raise ValueError(f"the route of {self.topic} must start with /api/v1/")
        missing = [a for a in EVENT_TYPES[self.topic] if a not in self.changes]
        unknown = [a for a in self.changes if a not in EVENT_TYPES[self.topic]]
        if missing or unknown:
            raise ValueError(
                f"{self.topic} declares the change model of every action of the catalogue and no other: "
                f"missing {missing}, unknown {unknown}"
            )
        for action, model in self.changes.items():
            if not (isinstance(model, type) and issubclass(model, EventChange)):
                raise ValueError(f"the change model of {self.topic}.{action} must be an EventChange")

    def event(self, action: str) -> EventType:
        """The full event type of an action (`registered` -> `partners.partner.registered`)."""
        if action not in EVENT_TYPES[self.topic]:
            raise ValueError(f"{self.topic}.{action} is not in the event catalogue")
        return EventType(f"{self.topic}.{action}", self.changes[action])

    def checked(self, change: Change) -> Change:
        """`change` as its event type's model publishes it (UndescribedChange if it does not fit)."""
        topic, _, action = change.type.rpartition(".")
        if topic != self.topic or action not in self.changes:
            raise UndescribedChange(f"{change.type!r} is not an event type of {self.topic}")
        model = self.changes[action]
        return replace(change, change=model.normalize(change.change, change.type), schema_version=model.schema_version)

    def new_id(self) -> str:
        return new_id(self.id_prefix)

    def read(self, snapshot: Snapshot) -> S:
        """The state model of a snapshot."""
        return self.state.from_state(snapshot.domain_state())

    @cached_property
    def response(self) -> type[BaseModel]:
        """The API's answer for one aggregate (and the events' `data.state`): its state plus `Meta`."""
        return create_model(f"{self.state.__name__}Out", __base__=(self.state, Meta), __module__=self.state.__module__)

    @cached_property
    def page(self) -> type[BaseModel]:
        """The API's answer for a list of them."""
        return create_model(
            f"{self.state.__name__}Page",
            items=(list[self.response], ...),  # type: ignore[name-defined]
            next_cursor=(str | None, ...),
            __module__=self.state.__module__,
        )

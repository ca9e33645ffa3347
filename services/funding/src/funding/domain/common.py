"""What the funding aggregates share: people, partners on the co-investigator side, and edits (pure).

People are named by their person id (the `sub` of their token), with a display
name beside it, so that notifications can address them and a reviewer's
token can be matched to an assignment.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict

from opp_shared.aggregate import AggregateState
from opp_shared.errors import InvalidInput


class Person(BaseModel):
    """Someone of the university: a fund manager, a principal investigator (with the unit they belong to)."""

    model_config = ConfigDict(frozen=True)

    person_id: str
    name: str
    unit: str | None = None


class CoInvestigator(BaseModel):
    """A co-investigator: usually from a partner (`partner_id`); a person id when they have one here."""

    model_config = ConfigDict(frozen=True)

    person_id: str | None = None
    name: str
    partner_id: str
    unit: str | None = None


def same_unit(a: str | None, b: str | None) -> bool:
    """Units compared without case and extra spaces (`School of Medicine` = `school of  medicine`)."""
    return bool(a and b) and " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def changed_fields(before: AggregateState, after: AggregateState, edits: dict[str, Any]) -> list[str]:
    return sorted(k for k in edits if getattr(after, k) != getattr(before, k))


def require_editable(edits: dict[str, Any], editable: tuple[str, ...] | frozenset[str]) -> None:
    unknown = sorted(set(edits) - set(editable))
    if unknown:
        raise InvalidInput(f"not editable: {unknown}")


def happened_on(given: date | None, today: date, pointer: str) -> date:
    """The day something happened: the one given, or today; never in the future (422 at `pointer`)."""
    day = given or today
    if day > today:
        raise InvalidInput(
            "the day cannot be in the future", errors=[{"pointer": f"#/{pointer}", "detail": "after today"}]
        )
    return day

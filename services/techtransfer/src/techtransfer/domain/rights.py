"""Rights granted in a technology, and when two of them cannot both stand (pure).

A license (or assignment) holds its rights in each of its technologies as a
`Grant` recorded in the technology itself, so that every grant of one
technology is decided on that technology's sequence: of two executions
racing for overlapping rights, only one can record its grant (see
`technology.reserve` and the service README, "Exclusivity").

When two grants conflict:
- an assignment hands the whole technology over: it conflicts with every
  other grant, before it (the technology must be free) and after it (nothing
  can be licensed or assigned again);
- an exclusive license is exclusive against every other grant, exclusive or
  not, that overlaps it in territory (`worldwide` overlaps every country) and
  in field of use (`all` overlaps every field);
- non-exclusive licenses and options never conflict with each other.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from techtransfer.domain.values import fields_overlap, territories_overlap


class LicenseKind(StrEnum):
    EXCLUSIVE = "exclusive"
    NON_EXCLUSIVE = "non_exclusive"
    OPTION = "option"
    ASSIGNMENT = "assignment"


class Grant(BaseModel):
    """One license's rights in one technology, as the technology records them.

    `attempt` names the execution that reserved it: a grant counts while that
    execution is pending or its license is in force, and is stale for good
    once the attempt was refused or the license ended."""

    model_config = ConfigDict(frozen=True)

    license_id: str
    attempt: str
    licensee_id: str
    kind: LicenseKind
    territory: list[str]
    field_of_use: str
    in_force: bool = False  # the license's execution completed


def conflicts(new: Grant, held: Grant) -> bool:
    """Whether `new` cannot be granted while `held` stands."""
    if new.license_id == held.license_id:
        return False
    if LicenseKind.ASSIGNMENT in (new.kind, held.kind):
        return True
    if LicenseKind.EXCLUSIVE not in (new.kind, held.kind):
        return False
    return territories_overlap(new.territory, held.territory) and fields_overlap(new.field_of_use, held.field_of_use)


def first_conflict(new: Grant, held: list[Grant]) -> Grant | None:
    return next((grant for grant in held if conflicts(new, grant)), None)

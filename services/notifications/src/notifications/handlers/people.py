"""The directory: admins register, edit and remove people; each person edits their own preferences."""

from __future__ import annotations

from typing import Any

from notifications.domain import people as rules
from notifications.domain.people import PERSON, Person
from notifications.handlers import read_document
from opp_shared.aggregate import Snapshot
from opp_shared.documents import equal_to
from opp_shared.errors import AlreadyExists, VersionConflict
from opp_shared.pagination import PageParams, paginate
from opp_shared.repository import Repository


class PeopleCommands:
    def __init__(self, people: Repository[Person]) -> None:
        self.repository = people

    async def register(self, person_id: str, fields: dict[str, Any]) -> Snapshot:
        change = rules.register(fields)
        try:
            return await self.repository.create(person_id, change)
        except VersionConflict:
            raise AlreadyExists(f"{person_id!r} is in the directory already", conflicting_id=person_id) from None

    async def edit(self, person_id: str, edits: dict[str, Any], *, if_match: int | None) -> Snapshot:
        return await self.repository.change(person_id, lambda p: rules.edit(p, edits), if_match=if_match)

    async def edit_own(self, person_id: str, edits: dict[str, Any], *, if_match: int | None) -> Snapshot:
        return await self.repository.change(
            person_id, lambda p: rules.edit(p, edits, rules.PREFERENCES), if_match=if_match
        )

    async def remove(self, person_id: str, *, if_match: int | None) -> Snapshot:
        return await self.repository.change(person_id, rules.remove, if_match=if_match)

    async def list(
        self, page: PageParams, *, role: str | None = None, active: bool | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        return await paginate(self.repository.documents, equal_to(roles=role, active=active), page)


class Directory:
    """What the recorders need of the directory: people by id, and who holds a role."""

    def __init__(self, people: Repository[Person]) -> None:
        self.people = people

    async def lookup(self, person_ids: list[str], roles: list[str]) -> tuple[dict[str, Person], dict[str, list[str]]]:
        found: dict[str, Person] = {}
        for person_id in dict.fromkeys(person_ids):
            snapshot = await self.people.find(person_id)
            if snapshot is not None:
                found[person_id] = self.people.kind.read(snapshot)
        members: dict[str, list[str]] = {role: [] for role in roles}
        if roles:
            for document in await self.people.documents.find({"roles": {"$in": roles}, "active": True}):
                person = read_document(PERSON, document)
                found.setdefault(document["_id"], person)
                for role in person.roles:
                    if role.value in members:
                        members[role.value].append(document["_id"])
        return found, members

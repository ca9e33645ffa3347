"""Views of other services' aggregates, each built from one of their topics.

Services never call each other to do their work: a service that must know
another's aggregates (funding checks the partners a fund names; techtransfer
links a technology to its origin project) keeps a view of them, fed by a
consumer group of its own. A view holds each aggregate's latest state and
applies an event only when its sequence is newer than what it holds, so
duplicates, replays and late events change nothing, and a lost event is
repaired by the next one (each event carries the whole state).

    PROJECTS = ForeignViewSpec(name="project-view", topic="funding.project", collection="project_view")
    projects = runtime.add_foreign_view(PROJECTS)
    await projects.get(project_id)

The partner directory, which funding and techtransfer both keep, is one
such view with the rule they share: a partner named by something new must
exist and not be archived.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opp_shared.aggregate import IndexKeys
from opp_shared.consumer import EventRouter
from opp_shared.envelope import CloudEvent
from opp_shared.errors import RuleViolation

if TYPE_CHECKING:
    from opp_shared.documents import Documents
    from opp_shared.ports import ViewStore


@dataclass(frozen=True)
class ForeignViewSpec:
    name: str  # the consumer group's name within the service (`partner-directory`)
    topic: str  # the other service's topic (`partners.partner`)
    collection: str  # where the view lives in this service's database
    indexes: tuple[IndexKeys, ...] = ()


class ForeignView:
    def __init__(self, spec: ForeignViewSpec, store: ViewStore) -> None:
        self.spec = spec
        self.store = store

    def route(self, router: EventRouter) -> None:
        router.on(f"{self.spec.topic}.*", self.apply)

    async def apply(self, event: CloudEvent) -> None:
        await self.store.apply(event)

    async def get(self, aggregate_id: str) -> dict[str, Any] | None:
        return await self.store.get(aggregate_id)


PARTNER_DIRECTORY = ForeignViewSpec(
    name="partner-directory", topic="partners.partner", collection="partner_directory", indexes=("name_key",)
)


class PartnerDirectory(ForeignView):
    """Partners as another service knows them, from `partners.partner` events."""

    async def require_usable(self, partner_ids: list[str]) -> list[dict[str, Any]]:
        """The partners something new names, which must exist and not be archived;
        answers their states (409 `rule-violation` naming the first that fails)."""
        found = []
        for partner_id in dict.fromkeys(partner_ids):
            partner = await self.get(partner_id)
            if partner is None:
                raise RuleViolation(f"no partner {partner_id!r}", partner_id=partner_id)
            if partner.get("status") == "archived":
                successor = partner.get("merged_into")
                raise RuleViolation(
                    f"partner {partner_id!r} is archived and takes nothing new"
                    + (f"; it was merged into {successor!r}" if successor else ""),
                    partner_id=partner_id,
                    successor_id=successor,
                )
            found.append(partner)
        return found

    async def refs(self, partner_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The names of the partners the directory knows, by id (for answers: `opp_shared.web.names`)."""
        return await partner_refs(self.store.documents, partner_ids)

    async def names(self, partner_ids: list[str]) -> dict[str, str | None]:
        """Each partner's name as the directory knows it (None when it does not)."""
        names: dict[str, str | None] = {}
        for partner_id in dict.fromkeys(partner_ids):
            partner = await self.get(partner_id)
            names[partner_id] = partner.get("name") if partner else None
        return names


# Up to this many partners are read one by one, by `_id` (the one query FerretDB answers from an
# index); more (a page of agreements with many parties) in one `$in` query, which it scans once.
REFS_BY_ID = 10


async def partner_refs(documents: Documents, partner_ids: list[str]) -> dict[str, dict[str, Any]]:
    """`name` and `name_local` of each partner `documents` holds (its `_id` the partner's id), by id."""
    ids = list(dict.fromkeys(partner_ids))
    if len(ids) <= REFS_BY_ID:
        found = [await documents.find_one({"_id": partner_id}) for partner_id in ids]
    else:
        found = await documents.find({"_id": {"$in": ids}}, fields=["name", "name_local"])
    return {d["_id"]: {"name": d.get("name"), "name_local": d.get("name_local")} for d in found if d is not None}

"""Technology commands: disclose, edit, the life-cycle actions, patent records, the deadline schedule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from opp_shared.aggregate import Snapshot
from opp_shared.repository import CreateRequest, Repository
from techtransfer.domain import technology as rules
from techtransfer.domain.technology import Technology
from techtransfer.handlers.entries import entry_id
from techtransfer.store.projects import ProjectView
from techtransfer.store.technologies import TechnologyQueries


class TechnologyCommands:
    def __init__(
        self,
        technologies: Repository[Technology],
        queries: TechnologyQueries,
        projects: ProjectView,
        today: Callable[[], date],
        *,
        lead_days: tuple[int, ...],
    ) -> None:
        self.repository = technologies
        self.queries = queries
        self.projects = projects
        self.today = today
        self.lead_days = lead_days

    async def disclose(self, fields: dict[str, Any], request: CreateRequest) -> tuple[Snapshot, bool]:
        change = rules.disclose(today=self.today(), **fields)  # refuses bad input before anything else
        if fields.get("origin_project_id"):
            await self.projects.require_known(fields["origin_project_id"])
        return await self.repository.create_once(
            "techtransfer.technologies.disclose", request, lambda tid: self.repository.create(tid, change)
        )

    async def edit(self, technology_id: str, edits: dict[str, Any], *, if_match: int | None) -> Snapshot:
        current = await self.repository.read(technology_id)
        project_id = edits.get("origin_project_id")
        if project_id and project_id != current.origin_project_id:
            await self.projects.require_known(project_id)
        return await self.repository.change(technology_id, lambda t: rules.edit(t, edits), if_match=if_match)

    async def evaluate(self, technology_id: str, *, if_match: int | None) -> Snapshot:
        return await self.repository.change(technology_id, rules.evaluate, if_match=if_match)

    async def protect(self, technology_id: str, *, if_match: int | None) -> Snapshot:
        return await self.repository.change(technology_id, rules.protect, if_match=if_match)

    async def offer(self, technology_id: str, *, if_match: int | None) -> Snapshot:
        return await self.repository.change(technology_id, rules.offer, if_match=if_match)

    async def abandon(self, technology_id: str, reason: str, *, if_match: int | None) -> Snapshot:
        return await self.repository.change(technology_id, lambda t: rules.abandon(t, reason), if_match=if_match)

    # -- patent records ------------------------------------------------------------------

    async def record_patent(
        self, technology_id: str, fields: dict[str, Any], request: CreateRequest, *, if_match: int | None
    ) -> tuple[Snapshot, str, bool]:
        """Answer the technology, the new record's id, and whether this was a replay."""
        patent_id = entry_id("pat", request)
        snapshot, recorded = await self.repository.execute(
            technology_id,
            lambda t: rules.record_patent(t, {**fields, "id": patent_id}, self.today()),
            if_match=if_match,
        )
        return snapshot, patent_id, not recorded

    async def update_patent(
        self, technology_id: str, patent_id: str, edits: dict[str, Any], *, if_match: int | None
    ) -> Snapshot:
        return await self.repository.change(
            technology_id, lambda t: rules.update_patent(t, patent_id, edits, self.today()), if_match=if_match
        )

    # -- the schedule ----------------------------------------------------------------------

    async def run_deadlines(self, today: date) -> int:
        """Announce the patent deadlines whose reminders are due (each once)."""
        fired = 0
        for technology_id in await self.queries.with_deadlines_near(today, max(self.lead_days)):
            while True:  # one reminder per change; several deadlines may be near at once
                _, recorded = await self.repository.execute(
                    technology_id, lambda t: rules.remind_deadline(t, today, self.lead_days)
                )
                if not recorded:
                    break
                fired += 1
        return fired

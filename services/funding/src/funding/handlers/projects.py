"""Project commands: plan (from an award or not), edit, the life cycle, milestones and invoices."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from funding.domain import project as rules
from funding.domain.award import Award
from funding.domain.project import Project, ProjectKind
from funding.handlers.calls import existing
from opp_shared.aggregate import Snapshot
from opp_shared.errors import RuleViolation
from opp_shared.foreign_views import PartnerDirectory
from opp_shared.repository import CreateRequest, Repository


class ProjectCommands:
    def __init__(
        self,
        projects: Repository[Project],
        awards: Repository[Award],
        partners: PartnerDirectory,
        today: Callable[[], date],
    ) -> None:
        self.repository = projects
        self.awards = awards
        self.partners = partners
        self.today = today

    async def plan(self, fields: dict[str, Any], request: CreateRequest) -> tuple[Snapshot, bool]:
        fields = dict(fields)
        if fields.get("award_id"):
            award = self.awards.kind.read(await existing(self.awards, fields["award_id"], "award_id"))
            fields["fund_id"] = award.fund_id
            if fields.get("budget") is None:
                fields["budget"] = award.amount.to_api()
        change = rules.plan(**fields)  # refuses bad input before the partners are looked up
        await self._check_partners(fields, known=[])
        return await self.repository.create_once(
            "funding.projects.plan", request, lambda project_id: self.repository.create(project_id, change)
        )

    async def _check_partners(self, fields: dict[str, Any], known: list[str]) -> None:
        """New partners must exist and not be archived; a commissioned project's client is an enterprise."""
        found = await self.partners.require_usable([p for p in fields.get("partner_ids", []) if p not in known])
        contract = fields.get("contract")
        if contract:
            client = next((p for p in found if p.get("id") == contract["client_id"]), None)
            client = client or await self.partners.get(contract["client_id"])
            if client is not None and client.get("kind") != "enterprise":
                raise RuleViolation("the client of commissioned R&D is an enterprise", partner_id=contract["client_id"])

    async def edit(self, project_id: str, edits: dict[str, Any], *, if_match: int | None) -> Snapshot:
        current = await self.repository.read(project_id)
        if current.kind == ProjectKind.COMMISSIONED or "partner_ids" in edits:
            await self._check_partners(
                {"partner_ids": edits.get("partner_ids", []), "contract": edits.get("contract")},
                known=current.partner_ids,
            )
        return await self.repository.change(project_id, lambda p: rules.edit(p, edits), if_match=if_match)

    async def start(self, project_id: str, started_on: date | None, *, if_match: int | None) -> Snapshot:
        return await self.repository.change(
            project_id, lambda p: rules.start(p, self.today(), started_on), if_match=if_match
        )

    async def reach_milestone(self, project_id: str, key: str, reached_on: date | None, *, if_match: int | None):
        return await self.repository.change(
            project_id, lambda p: rules.reach_milestone(p, key, self.today(), reached_on), if_match=if_match
        )

    async def pay_invoice(self, project_id: str, number: str, paid_on: date | None, *, if_match: int | None):
        return await self.repository.change(
            project_id, lambda p: rules.pay_invoice(p, number, self.today(), paid_on), if_match=if_match
        )

    async def complete(self, project_id: str, *, if_match: int | None) -> Snapshot:
        return await self.repository.change(project_id, lambda p: rules.complete(p, self.today()), if_match=if_match)

    async def terminate(self, project_id: str, reason: str, *, if_match: int | None) -> Snapshot:
        return await self.repository.change(
            project_id, lambda p: rules.terminate(p, self.today(), reason), if_match=if_match
        )

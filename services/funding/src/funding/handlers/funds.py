"""Fund commands: create, edit, close; the agreement flag; the disbursed figure."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from funding.domain import fund as rules
from funding.domain.fund import Fund
from funding.store.agreements import AgreementDirectory
from funding.store.queries import CallQueries, FundQueries
from opp_shared.aggregate import Snapshot
from opp_shared.errors import RuleViolation
from opp_shared.foreign_views import PartnerDirectory
from opp_shared.money import Money
from opp_shared.repository import CreateRequest, Repository


class FundCommands:
    def __init__(
        self,
        funds: Repository[Fund],
        queries: FundQueries,
        calls: CallQueries,
        partners: PartnerDirectory,
        agreements: AgreementDirectory,
        today: Callable[[], date],
    ) -> None:
        self.repository = funds
        self.queries = queries
        self.calls = calls
        self.partners = partners
        self.agreements = agreements
        self.today = today

    async def create(self, fields: dict[str, Any], request: CreateRequest) -> tuple[Snapshot, bool]:
        await self.partners.require_usable(fields["partner_ids"])
        check = await self.agreements.check(fields["partner_ids"])
        change = rules.create(**{**fields, "budget": Money.model_validate(fields["budget"])}, flag=check)
        return await self.repository.create_once(
            "funding.funds.create", request, lambda fund_id: self.repository.create(fund_id, change)
        )

    async def edit(self, fund_id: str, edits: dict[str, Any], *, if_match: int | None) -> Snapshot:
        current = await self.repository.read(fund_id)
        if "partner_ids" in edits:
            await self.partners.require_usable([p for p in edits["partner_ids"] if p not in current.partner_ids])
        if "budget" in edits:
            budget = Money.model_validate(edits["budget"])
            largest = await self.calls.largest_award(fund_id)
            if largest is not None and largest.currency == budget.currency and budget < largest:
                raise RuleViolation(
                    "the budget cannot go below the largest award one of the fund's calls offers",
                    max_award=largest.to_api(),
                    budget=budget.to_api(),
                )
        snapshot = await self.repository.change(fund_id, lambda f: rules.edit(f, edits), if_match=if_match)
        if {"partner_ids", "agreement_required"} & set(edits):
            snapshot = await self.reevaluate(fund_id) or snapshot
        return snapshot

    async def close(self, fund_id: str, reason: str | None, *, if_match: int | None) -> Snapshot:
        return await self.repository.change(fund_id, lambda f: rules.close(f, self.today(), reason), if_match=if_match)

    # -- the agreement requirement ---------------------------------------------------

    async def reevaluate(self, fund_id: str) -> Snapshot | None:
        """Flag or clear a fund from the view of its sponsors' agreements; answers the fund
        when that recorded a change."""
        fund = await self.repository.read(fund_id)
        if not fund.agreement_required and not fund.flagged:
            return None
        check = await self.agreements.check(fund.partner_ids)

        def decide(current: Fund):
            if current.partner_ids != fund.partner_ids:
                return None  # the sponsors changed meanwhile: that edit re-evaluates it
            return rules.set_agreement_flag(current, check)

        snapshot, recorded = await self.repository.execute(fund_id, decide)
        return snapshot if recorded else None

    async def reevaluate_sponsors_of(self, partner_ids: list[str]) -> int:
        """After an agreement of these partners changed: the funds they sponsor."""
        changed = 0
        for fund_id in await self.queries.requiring_agreement(partner_ids):
            changed += await self.reevaluate(fund_id) is not None
        return changed

    async def run_agreement_check(self) -> int:
        """Every open fund that requires an agreement, against the view as it stands (the
        schedule's net under the consumer: it repairs a fund created while an agreement
        event was in flight)."""
        changed = 0
        for fund_id in await self.queries.requiring_agreement():
            changed += await self.reevaluate(fund_id) is not None
        return changed

"""Disbursement commands: planned against their award's ledger, approved, paid or cancelled.

Scheduling is two aggregates in an order a crash cannot break: the award
sets the money aside (`award.plan_disbursement`, on the award's sequence: the
rule that disbursements stay within the award), under a disbursement id fixed
first; then the disbursement is created under that id. The award's
`disbursement_planned` event completes the second step if the process dies
in between. A payment is recorded on the award, and the award's paid figure
on the fund; a cancellation gives the money back to the award. Each of
those steps is repeated by a follow-up of the event before it, and decides
nothing when it is already done.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from funding.domain import award as award_rules
from funding.domain import disbursement as rules
from funding.domain import fund as fund_rules
from funding.domain.award import Award
from funding.domain.disbursement import Disbursement
from funding.domain.fund import Fund
from funding.handlers.calls import existing
from funding.handlers.ledger import change_ledger
from opp_shared.aggregate import Snapshot
from opp_shared.errors import VersionConflict
from opp_shared.money import Money
from opp_shared.repository import CreateRequest, Repository


class DisbursementCommands:
    def __init__(
        self,
        disbursements: Repository[Disbursement],
        awards: Repository[Award],
        funds: Repository[Fund],
        today: Callable[[], date],
    ) -> None:
        self.repository = disbursements
        self.awards = awards
        self.funds = funds
        self.today = today

    async def schedule(self, fields: dict[str, Any], request: CreateRequest) -> tuple[Snapshot, bool]:
        award = self.awards.kind.read(await existing(self.awards, fields["award_id"], "award_id"))
        amount = Money.model_validate(fields["amount"])
        terms = rules.terms_of(
            award_id=fields["award_id"],
            award=award,
            amount=amount,
            scheduled_on=fields["scheduled_on"],
            deliverable=fields.get("deliverable"),
            note=fields.get("note"),
        )
        rules.schedule(terms)  # refuses bad terms before anything is claimed or recorded

        async def create(disbursement_id: str) -> Snapshot:
            await change_ledger(
                "award",
                self.awards,
                fields["award_id"],
                lambda a: award_rules.plan_disbursement(a, disbursement_id, amount, terms),
            )
            return await self.complete(disbursement_id, terms)

        return await self.repository.create_once("funding.disbursements.schedule", request, create)

    async def complete(self, disbursement_id: str, terms: dict[str, Any]) -> Snapshot:
        found = await self.repository.find(disbursement_id)
        if found is not None:
            return found
        try:
            return await self.repository.create(disbursement_id, rules.schedule(terms))
        except VersionConflict:
            return await self.repository.get(disbursement_id)

    async def accept_deliverable(self, disbursement_id: str, by: str, *, if_match: int | None) -> Snapshot:
        return await self.repository.change(
            disbursement_id, lambda d: rules.accept_deliverable(d, by, self.today()), if_match=if_match
        )

    async def approve(self, disbursement_id: str, by: str, *, if_match: int | None) -> Snapshot:
        return await self.repository.change(
            disbursement_id, lambda d: rules.approve(d, by, self.today()), if_match=if_match
        )

    async def pay(
        self, disbursement_id: str, by: str, paid_on: date | None, reference: str | None, *, if_match: int | None
    ) -> Snapshot:
        snapshot = await self.repository.change(
            disbursement_id, lambda d: rules.pay(d, by, self.today(), paid_on, reference), if_match=if_match
        )
        await self.settle(snapshot)
        return snapshot

    async def cancel(self, disbursement_id: str, reason: str, *, if_match: int | None) -> Snapshot:
        snapshot = await self.repository.change(
            disbursement_id, lambda d: rules.cancel(d, reason, self.today()), if_match=if_match
        )
        await self.settle(snapshot)
        return snapshot

    async def settle(self, disbursement: Snapshot) -> None:
        """Bring the award (and, for a payment, the fund) in line with a paid or cancelled disbursement."""
        state = self.repository.kind.read(disbursement)
        if state.status == rules.DisbursementStatus.PAID:
            award = await change_ledger(
                "award", self.awards, state.award_id, lambda a: award_rules.record_paid(a, disbursement.id)
            )
            await self.follow_award(award)
        elif state.status == rules.DisbursementStatus.CANCELLED:
            await change_ledger("award", self.awards, state.award_id, lambda a: award_rules.release(a, disbursement.id))

    async def follow_award(self, award: Snapshot) -> None:
        """The fund's disbursed figure follows what the award has paid (as of that award version)."""
        state = self.awards.kind.read(award)
        await change_ledger(
            "fund",
            self.funds,
            state.fund_id,
            lambda f: fund_rules.record_disbursed(f, award.id, state.paid_minor, award.version),
        )

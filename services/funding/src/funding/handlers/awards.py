"""Award commands: an award made from a proposal through its fund's ledger, and closing it.

Three aggregates, in an order a crash cannot break (docs/domain.md, Funding):
1. the fund commits the money (`fund.commit`, on the fund's sequence: the
   budget rule), under an award id fixed before anything is recorded;
2. the award is created under that id, from the terms the commitment carries;
3. the proposal records the award and its decision.
If the process dies after 1, the fund's `committed` event completes 2, and
the award's `granted` event completes 3 (`workers.follow_ups`); a retry with
the same Idempotency-Key reaches the same award id and completes them too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from funding.domain import award as rules
from funding.domain import fund as fund_rules
from funding.domain import proposal as proposal_rules
from funding.domain.award import Award
from funding.domain.fund import Fund
from funding.domain.proposal import Proposal
from funding.handlers.ledger import change_ledger
from opp_shared.aggregate import Snapshot
from opp_shared.clock import Clock, rfc3339
from opp_shared.errors import VersionConflict
from opp_shared.money import Money
from opp_shared.repository import CreateRequest, Repository


class AwardCommands:
    def __init__(
        self,
        awards: Repository[Award],
        funds: Repository[Fund],
        proposals: Repository[Proposal],
        clock: Clock,
        today: Callable[[], date],
    ) -> None:
        self.repository = awards
        self.funds = funds
        self.proposals = proposals
        self.clock = clock
        self.today = today

    async def award(
        self, proposal_id: str, amount: dict[str, Any], reason: str, granted_by: str, request: CreateRequest
    ) -> tuple[Snapshot, bool]:
        money = Money.model_validate(amount)
        proposal = await self.proposals.read(proposal_id)
        if request.key is None or proposal.award_id is None:
            # Refused before anything is claimed; a keyed retry of an award already made goes on to its replay
            # (and an award with another key is refused by the fund: the proposal has its award).
            proposal_rules.check_awardable(proposal, money)
        granted_at = rfc3339(self.clock.now())

        async def create(award_id: str) -> Snapshot:
            terms = rules.terms_of(
                fund_id=proposal.fund_id,
                proposal_id=proposal_id,
                proposal=proposal,
                amount=money,
                granted_by=granted_by,
                granted_at=granted_at,
                reason=reason,
            )
            await change_ledger(
                "fund",
                self.funds,
                proposal.fund_id,
                lambda fund: fund_rules.commit(fund, award_id, proposal_id, money, terms),
            )
            award = await self.complete(award_id, terms)
            await self.record_on_proposal(award)
            return award

        return await self.repository.create_once(f"funding.proposals.award:{proposal_id}", request, create)

    async def complete(self, award_id: str, terms: dict[str, Any]) -> Snapshot:
        """The award its fund committed, created if it is not there yet."""
        existing = await self.repository.find(award_id)
        if existing is not None:
            return existing
        try:
            return await self.repository.create(award_id, rules.grant(terms))
        except VersionConflict:  # the follow-up (or a retry) created it meanwhile
            return await self.repository.get(award_id)

    async def record_on_proposal(self, award: Snapshot) -> None:
        state = self.repository.kind.read(award)
        await self.proposals.change(
            state.proposal_id,
            lambda p: proposal_rules.record_award(p, award.id, state.granted_by, state.reason, state.granted_at),
        )

    async def close(self, award_id: str, reason: str | None, *, if_match: int | None) -> Snapshot:
        return await self.repository.change(award_id, lambda a: rules.close(a, self.today(), reason), if_match=if_match)

"""Proposal commands: draft, edit, submit, withdraw, reviews, rejection (awards: `awards.py`)."""

from __future__ import annotations

from typing import Any

from funding.domain import call as call_rules
from funding.domain import proposal as rules
from funding.domain.call import Call
from funding.domain.common import Person
from funding.domain.fund import Fund
from funding.domain.proposal import Proposal
from funding.handlers.calls import existing
from opp_shared.aggregate import Snapshot
from opp_shared.clock import Clock
from opp_shared.foreign_views import PartnerDirectory
from opp_shared.repository import CreateRequest, Repository


class ProposalCommands:
    def __init__(
        self,
        proposals: Repository[Proposal],
        calls: Repository[Call],
        funds: Repository[Fund],
        partners: PartnerDirectory,
        clock: Clock,
    ) -> None:
        self.repository = proposals
        self.calls = calls
        self.funds = funds
        self.partners = partners
        self.clock = clock

    async def _rules_of(self, call_id: str) -> tuple[Call, list[str]]:
        """The call a proposal answers and the sponsors of its fund (for eligibility)."""
        call = self.calls.kind.read(await existing(self.calls, call_id, "call_id"))
        fund = await self.funds.read(call.fund_id)
        return call, fund.partner_ids

    async def draft(self, fields: dict[str, Any], request: CreateRequest) -> tuple[Snapshot, bool]:
        call, sponsors = await self._rules_of(fields["call_id"])
        await self.partners.require_usable([c["partner_id"] for c in fields.get("co_pis", [])])
        change = rules.draft(call=call, sponsor_ids=sponsors, **fields)
        proposal = self.repository.kind.state.from_state(change.state)

        def freeze(current: Call):
            # Judged again on the call as it is now: its rules may have changed since it was read.
            rules.check_fit(proposal, current, sponsors)
            return call_rules.freeze(current)

        async def create(proposal_id: str) -> Snapshot:
            # The call's rules are frozen before the proposal exists, on the call's own sequence,
            # so an edit of the rules racing the first proposal is refused or comes first.
            await self.calls.change(fields["call_id"], freeze)
            return await self.repository.create(proposal_id, change)

        return await self.repository.create_once("funding.proposals.draft", request, create)

    async def edit(self, proposal_id: str, edits: dict[str, Any], *, if_match: int | None) -> Snapshot:
        current = await self.repository.read(proposal_id)
        call, sponsors = await self._rules_of(current.call_id)
        if "co_pis" in edits:
            await self.partners.require_usable(
                [c["partner_id"] for c in edits["co_pis"] if c["partner_id"] not in current.partner_ids]
            )
        return await self.repository.change(
            proposal_id, lambda p: rules.edit(p, edits, call, sponsors), if_match=if_match
        )

    async def submit(self, proposal_id: str, *, if_match: int | None) -> Snapshot:
        current = await self.repository.read(proposal_id)
        call, sponsors = await self._rules_of(current.call_id)
        now = self.clock.now()
        return await self.repository.change(
            proposal_id, lambda p: rules.submit(p, call, sponsors, now), if_match=if_match
        )

    async def withdraw(self, proposal_id: str, reason: str | None, *, if_match: int | None) -> Snapshot:
        now = self.clock.now()
        return await self.repository.change(proposal_id, lambda p: rules.withdraw(p, reason, now), if_match=if_match)

    async def assign_reviewer(
        self, proposal_id: str, reviewer: dict[str, Any], assigned_by: str, *, if_match: int | None
    ) -> Snapshot:
        person = Person.model_validate(reviewer)
        now = self.clock.now()
        return await self.repository.change(
            proposal_id, lambda p: rules.assign_reviewer(p, person, assigned_by, now), if_match=if_match
        )

    async def review(
        self, proposal_id: str, reviewer_id: str, score: int, comments: str | None, *, if_match: int | None
    ) -> Snapshot:
        now = self.clock.now()
        return await self.repository.change(
            proposal_id, lambda p: rules.review(p, reviewer_id, score, comments, now), if_match=if_match
        )

    async def reject(self, proposal_id: str, decided_by: str, reason: str, *, if_match: int | None) -> Snapshot:
        now = self.clock.now()
        return await self.repository.change(
            proposal_id, lambda p: rules.reject(p, decided_by, reason, now), if_match=if_match
        )

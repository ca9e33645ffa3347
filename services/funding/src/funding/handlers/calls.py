"""Call commands: schedule, edit, freeze (by the first proposal), and the opening and closing schedule."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from funding.domain import call as rules
from funding.domain.call import Call
from funding.domain.fund import Fund, FundStatus
from funding.store.queries import CallQueries
from opp_shared.aggregate import Snapshot
from opp_shared.clock import Clock
from opp_shared.errors import RuleViolation
from opp_shared.repository import CreateRequest, Repository


async def existing(repository: Repository, aggregate_id: str, field: str) -> Snapshot:
    """An aggregate a body refers to: one that does not exist is a rule violation (409), not a 404."""
    found = await repository.find(aggregate_id)
    if found is None:
        raise RuleViolation(f"no {repository.noun} {aggregate_id!r}", **{field: aggregate_id})
    return found


class CallCommands:
    def __init__(self, calls: Repository[Call], queries: CallQueries, funds: Repository[Fund], clock: Clock) -> None:
        self.repository = calls
        self.queries = queries
        self.funds = funds
        self.clock = clock

    async def fund_of(self, fund_id: str) -> Fund:
        return self.funds.kind.read(await existing(self.funds, fund_id, "fund_id"))

    async def schedule(self, fields: dict[str, Any], request: CreateRequest) -> tuple[Snapshot, bool]:
        fund = await self.fund_of(fields["fund_id"])
        if fund.status != FundStatus.OPEN:
            raise RuleViolation(f"fund {fields['fund_id']} is {fund.status.value}: it takes no new calls")
        change = rules.schedule(fund_budget=fund.budget, now=self.clock.now(), **fields)
        return await self.repository.create_once(
            "funding.calls.schedule", request, lambda call_id: self.repository.create(call_id, change)
        )

    async def edit(self, call_id: str, edits: dict[str, Any], *, if_match: int | None) -> Snapshot:
        current = await self.repository.read(call_id)
        fund = await self.fund_of(current.fund_id)
        return await self.repository.change(call_id, lambda c: rules.edit(c, edits, fund.budget), if_match=if_match)

    async def run_schedule(self, now: datetime) -> int:
        """Open the calls whose opening has come, close those whose closing has; each once
        (a change of the call: a second copy racing finds it done and decides nothing)."""
        fired = 0
        for call_id in await self.queries.due(now):
            for step in (rules.open_if_due, rules.close_if_due):
                _, recorded = await self.repository.execute(call_id, lambda c, step=step: step(c, now))
                fired += recorded
        return fired

"""Funding's workers besides the relay: follow-ups of its own events, the watch on partners'
agreements, and the schedule.

Follow-ups make the multi-aggregate steps crash-proof. Each step's first
change carries what the next step needs, and the event of that change,
delivered at least once, completes the next step if the process died before
it did; each step decides nothing when it is already done:

| event | follow-up |
| --- | --- |
| `funding.fund.committed` | create the award the fund committed |
| `funding.award.granted` | the proposal records its award |
| `funding.award.disbursement_planned` | create the disbursement the award planned |
| `funding.disbursement.paid` | the award records it as paid |
| `funding.disbursement.cancelled` | the award releases its money |
| `funding.award.disbursement_paid` | the fund's disbursed figure follows the award's |

The agreement watch keeps the view of `partners.agreement` and, in the same
handler (so it never reads the view before the event is in it), flags or
clears the funds those agreements' partners sponsor.
"""

from __future__ import annotations

from datetime import datetime

from funding.handlers.awards import AwardCommands
from funding.handlers.calls import CallCommands
from funding.handlers.disbursements import DisbursementCommands
from funding.handlers.funds import FundCommands
from opp_shared.consumer import EventRouter
from opp_shared.envelope import CloudEvent
from opp_shared.foreign_views import ForeignView

FOLLOW_UP_TOPICS = ["funding.fund", "funding.award", "funding.disbursement"]


def follow_ups(awards: AwardCommands, disbursements: DisbursementCommands) -> EventRouter:
    router = EventRouter()

    async def committed(event: CloudEvent) -> None:
        award_id, terms = event.change.get("award_id"), event.change.get("award")
        if award_id and isinstance(terms, dict):
            await awards.record_on_proposal(await awards.complete(award_id, terms))

    async def granted(event: CloudEvent) -> None:
        award = await awards.repository.find(event.subject or "")
        if award is not None:
            await awards.record_on_proposal(award)

    async def planned(event: CloudEvent) -> None:
        disbursement_id, terms = event.change.get("disbursement_id"), event.change.get("disbursement")
        if disbursement_id and isinstance(terms, dict):
            await disbursements.complete(disbursement_id, terms)

    async def settled(event: CloudEvent) -> None:
        disbursement = await disbursements.repository.find(event.subject or "")
        if disbursement is not None:
            await disbursements.settle(disbursement)

    async def award_paid(event: CloudEvent) -> None:
        award = await awards.repository.find(event.subject or "")
        if award is not None:
            await disbursements.follow_award(award)

    router.on("funding.fund.committed", committed)
    router.on("funding.award.granted", granted)
    router.on("funding.award.disbursement_planned", planned)
    router.on("funding.disbursement.paid", settled)
    router.on("funding.disbursement.cancelled", settled)
    router.on("funding.award.disbursement_paid", award_paid)
    return router


def agreement_watch(view: ForeignView, funds: FundCommands) -> EventRouter:
    router = EventRouter()

    async def changed(event: CloudEvent) -> None:
        before = await view.get(event.subject or "") or {}
        await view.apply(event)
        # The partners before and after: an agreement that lost a party may leave that party's funds uncovered.
        named = [ids for ids in (before.get("partner_ids"), event.state.get("partner_ids")) if isinstance(ids, list)]
        partner_ids = list(dict.fromkeys(p for ids in named for p in ids if isinstance(p, str)))
        if partner_ids:
            await funds.reevaluate_sponsors_of(partner_ids)

    router.on(f"{view.spec.topic}.*", changed)
    return router


class Job:
    """A scheduled job: `run(now)` fires what is due and answers how many changes it recorded."""

    def __init__(self, name: str, run) -> None:
        self.name = name
        self._run = run

    async def run(self, now: datetime) -> int:
        return await self._run(now)


def schedule(calls: CallCommands, funds: FundCommands) -> list[Job]:
    return [
        # Calls open and close on their instants, once each.
        Job("call-schedule", calls.run_schedule),
        # Funds that require an agreement, against the view as it stands.
        Job("fund-agreements", lambda now: funds.run_agreement_check()),
    ]

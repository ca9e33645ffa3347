"""Partners' workers besides the relay: follow-ups of its own events, the portfolio feed, the schedule.

Follow-ups make multi-aggregate work crash-proof: a merge archives one
partner, and the `merged` event, delivered at least once, makes everything
that referred to it follow; a drafted amendment or agreement under a
framework is linked on its parent; an amendment that becomes active changes
its parent's terms; a renewal whose successor was not drafted (the process
died in between) is completed, and one whose successor was withdrawn frees
its predecessor. Each step is idempotent: the domain decides nothing when it
is already done.

A follow-up changes other aggregates, so it acts only on what partners
itself recorded: the runner has already refused a record that breaks the
event contract (another source, a state that is not the subject's), and
each follow-up then takes the event from partners' own event store
(`contract.recorded`) and works from that copy. A forged `merged`,
`drafted` or `renewed` that is not in the store does nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime

from opp_shared.consumer import EventRouter
from opp_shared.contract import recorded
from opp_shared.envelope import CloudEvent
from partners.handlers.agreements import AgreementCommands
from partners.handlers.centers import CenterCommands
from partners.handlers.partners import PartnerCommands
from partners.settings import PartnersSettings

FOLLOW_UP_TOPICS = ["partners.partner", "partners.agreement"]


def follow_ups(partners: PartnerCommands, agreements: AgreementCommands, centers: CenterCommands) -> EventRouter:
    router = EventRouter()

    async def merged(received: CloudEvent) -> None:
        event = await recorded(partners.repository.events, received)
        if event is None or not event.subject:
            return
        successor_id = event.change.get("successor_id") or event.state.get("merged_into")
        if not successor_id:
            return
        await partners.record_merged_from(successor_id, event.subject)
        await agreements.follow_merge(event.subject, successor_id)
        await centers.follow_merge(event.subject, successor_id)

    async def drafted(received: CloudEvent) -> None:
        # A child's parent is fixed at drafting, so the event's own state says where to link it.
        if not (received.state.get("amends") or received.state.get("framework_id")):
            return  # most drafts have no parent: no need to look the event up
        event = await recorded(agreements.repository.events, received)
        if event is not None and event.subject:
            await agreements.link_to_parent(event.subject, event.state)

    async def renewed(received: CloudEvent) -> None:
        event = await recorded(agreements.repository.events, received)
        if event is None or not event.subject:
            return
        predecessor = await agreements.repository.find(event.subject)
        # Only this renewal's successor: a later one (after this one was withdrawn) has its own event and terms.
        successor_id = event.change.get("successor_id") or event.state.get("renewed_by")
        if predecessor is not None and successor_id and predecessor.state.get("renewed_by") == successor_id:
            await agreements.complete_renewal(predecessor, event.change.get("terms") or {})

    async def activated(received: CloudEvent) -> None:
        # The activation applies an amendment to its parent itself; this completes it after a crash.
        if not received.state.get("amends"):
            return  # most activations are not of amendments: no need to look the event up
        event = await recorded(agreements.repository.events, received)
        if event is not None and event.subject:
            await agreements.apply_amendment(event.subject, event.state)

    async def withdrawn(received: CloudEvent) -> None:
        if not received.state.get("renewal_of"):
            return
        event = await recorded(agreements.repository.events, received)
        if event is not None and event.subject:
            await agreements.release_withdrawn_renewal(event.subject, event.state)

    router.on("partners.partner.merged", merged)
    router.on("partners.agreement.drafted", drafted)
    router.on("partners.agreement.renewed", renewed)
    router.on("partners.agreement.activated", activated)
    router.on("partners.agreement.withdrawn", withdrawn)
    return router


class DailyRule:
    """A scheduled job whose rule works on the office's calendar day (expiries, overdue signatures)."""

    def __init__(self, name: str, run_on: Callable[[date], Awaitable[int]], settings: PartnersSettings) -> None:
        self.name = name
        self.run_on = run_on
        self.settings = settings

    async def run(self, now: datetime) -> int:
        return await self.run_on(self.settings.local_date(now))


def schedule(agreements: AgreementCommands, settings: PartnersSettings) -> list[DailyRule]:
    return [
        # Reminders 90, 30 and 7 days before expiry, and the expiry on the day.
        DailyRule("agreement-expiry", agreements.run_expiry_schedule, settings),
        # Agreements waiting too long before signature.
        DailyRule("signature-overdue", agreements.run_signature_watch, settings),
    ]

"""Agreement commands: draft, edit, the life-cycle actions, renewal, families, amendments, the schedule."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from opp_shared.aggregate import Snapshot
from opp_shared.errors import NotFound, RuleViolation, VersionConflict
from opp_shared.repository import CreateRequest, Repository
from partners.domain import agreement as rules
from partners.domain.agreement import Agreement, AgreementStatus, AgreementType, AmendmentChanges
from partners.domain.partner import Partner
from partners.handlers.partners import require_usable
from partners.store.agreements import AgreementQueries

log = logging.getLogger(__name__)


class AgreementCommands:
    def __init__(
        self,
        agreements: Repository[Agreement],
        queries: AgreementQueries,
        partners: Repository[Partner],
        today: Callable[[], date],
        *,
        overdue_after_days: int,
    ) -> None:
        self.repository = agreements
        self.queries = queries
        self.partners = partners
        self.today = today
        self.overdue_after_days = overdue_after_days

    # -- drafting and editing ----------------------------------------------------

    async def draft(self, fields: dict[str, Any], request: CreateRequest) -> tuple[Snapshot, bool]:
        await require_usable(self.partners, [p["partner_id"] for p in fields["parties"]])
        if fields.get("amends"):
            await self._check_amendment(fields["amends"], rules.amendment_changes(fields.get("changes")))
        if fields.get("framework_id"):
            parent = await self._parent(fields["framework_id"])
            if parent.type != AgreementType.FRAMEWORK:
                raise RuleViolation(f"{fields['framework_id']} is a {parent.type.value} agreement, not a framework")
            if parent.status in rules.ENDED:
                raise RuleViolation(f"framework {fields['framework_id']} has ended ({parent.status.value})")
        change = rules.draft(today=self.today(), **fields)
        return await self.repository.create_once(
            "partners.agreements.draft", request, lambda agreement_id: self.repository.create(agreement_id, change)
        )

    async def _parent(self, agreement_id: str) -> Agreement:
        parent = await self.repository.find(agreement_id)
        if parent is None:
            raise RuleViolation(f"no agreement {agreement_id!r}", agreement_id=agreement_id)
        return self.repository.kind.read(parent)

    async def _check_amendment(self, parent_id: str, changes: AmendmentChanges | None) -> None:
        """The agreement amended can take these changes now (409 otherwise): checked when an
        amendment is drafted, when its changes are edited and when it is activated."""
        parent = await self._parent(parent_id)
        if changes is not None:
            await require_usable(self.partners, [p.partner_id for p in changes.add_parties])
        rules.check_amendment(parent, changes, self.today())

    async def edit(self, agreement_id: str, edits: dict[str, Any], *, if_match: int | None) -> Snapshot:
        if "parties" in edits or edits.get("changes"):
            current = await self.repository.read(agreement_id)
            if "parties" in edits:
                added = [p["partner_id"] for p in edits["parties"] if p["partner_id"] not in current.party_ids]
                await require_usable(self.partners, added)
            if edits.get("changes") and current.amends:
                await self._check_amendment(current.amends, rules.amendment_changes(edits["changes"]))
        return await self.repository.change(agreement_id, lambda a: rules.edit(a, edits), if_match=if_match)

    # -- the life cycle ------------------------------------------------------------

    async def submit(self, agreement_id: str, *, if_match: int | None) -> Snapshot:
        return await self.repository.change(agreement_id, lambda a: rules.submit(a, self.today()), if_match=if_match)

    async def sign(
        self, agreement_id: str, signed_on: date, signatories: list[dict[str, Any]] | None, *, if_match: int | None
    ) -> Snapshot:
        return await self.repository.change(
            agreement_id, lambda a: rules.sign(a, self.today(), signed_on, signatories), if_match=if_match
        )

    async def activate(self, agreement_id: str, effective_from: date | None, *, if_match: int | None) -> Snapshot:
        current = await self.repository.read(agreement_id)
        if current.amends and current.status == AgreementStatus.SIGNED:
            # An amendment takes effect when it becomes active: its parent must be able to take it now.
            await self._check_amendment(current.amends, current.changes)
        activated = await self.repository.change(
            agreement_id, lambda a: rules.activate(a, self.today(), effective_from), if_match=if_match
        )
        if current.amends:
            # The parent changes now, so that whoever activated it reads the parent changed and the
            # schedule never runs on the old date meanwhile; if this process dies first, or the
            # parent ended in between, the `activated` event's follow-up does it (or dead-letters it).
            try:
                await self.apply_amendment(activated.id, activated.state)
            except RuleViolation as exc:
                log.warning("amendment %s activated but not applied to %s: %s", activated.id, current.amends, exc)
        return activated

    async def withdraw(self, agreement_id: str, reason: str, *, if_match: int | None) -> Snapshot:
        return await self.repository.change(
            agreement_id, lambda a: rules.withdraw(a, self.today(), reason), if_match=if_match
        )

    async def terminate(
        self, agreement_id: str, reason: str, terminated_on: date | None, *, if_match: int | None
    ) -> Snapshot:
        return await self.repository.change(
            agreement_id, lambda a: rules.terminate(a, self.today(), reason, terminated_on), if_match=if_match
        )

    # -- renewal ---------------------------------------------------------------------

    async def renew(
        self, agreement_id: str, terms: dict[str, Any], request: CreateRequest, *, if_match: int | None
    ) -> tuple[Snapshot, bool]:
        """Two aggregates, in an order a crash cannot break: first the predecessor records
        its successor's id (a second renewal is then a conflict), then the successor is
        drafted under that id. If the process dies in between, a retry with the same
        Idempotency-Key, or the `renewed` event's follow-up, drafts it."""
        current = await self.repository.read(agreement_id)  # 404 before anything is claimed
        # Everything the successor must satisfy is checked before the predecessor records
        # anything: its parties may still take agreements, its terms are valid.
        await require_usable(self.partners, current.party_ids)
        rules.renewal_draft(agreement_id, current, self.today(), terms)

        async def create(successor_id: str) -> Snapshot:
            def decide(current: Agreement):
                if current.renewed_by == successor_id:
                    return None  # this very renewal, retried
                return rules.mark_renewed(current, successor_id, terms)

            predecessor = await self.repository.change(agreement_id, decide, if_match=if_match)
            return await self.complete_renewal(predecessor, terms)

        return await self.repository.create_once(f"partners.agreements.renew:{agreement_id}", request, create)

    async def complete_renewal(self, predecessor: Snapshot, terms: dict[str, Any]) -> Snapshot:
        successor_id = predecessor.state["renewed_by"]
        existing = await self.repository.find(successor_id)
        if existing is not None:
            return existing
        change = rules.renewal_draft(predecessor.id, self.repository.kind.read(predecessor), self.today(), terms)
        try:
            return await self.repository.create(successor_id, change)
        except VersionConflict:
            return await self.repository.get(successor_id)

    # -- families ----------------------------------------------------------------------

    async def link_to_parent(self, child_id: str, child_state: dict[str, Any]) -> None:
        for field, relation in (("amends", "amendment"), ("framework_id", "under_framework")):
            parent_id = child_state.get(field)
            if parent_id:
                # The parent's id was checked at drafting; nothing to link if it is gone.
                with contextlib.suppress(NotFound):
                    await self.repository.change(parent_id, lambda a, rel=relation: rules.link_child(a, child_id, rel))

    # -- amendments taking effect ----------------------------------------------------

    async def apply_amendment(self, amendment_id: str, amendment_state: dict[str, Any]) -> None:
        """An active amendment's changes become the parent's, as the parent's own change; once,
        even when the `activated` event comes again (the parent records the amendment it took).
        A new `expires_on` already past ends the parent at once, as its expiry would."""
        parent_id = amendment_state.get("amends")
        if not parent_id:
            return
        changes = rules.amendment_changes(amendment_state.get("changes"))
        today = self.today()
        with contextlib.suppress(NotFound):  # checked at drafting and activation; nothing to amend if it is gone
            await self.repository.change(parent_id, lambda a: rules.apply_amendment(a, amendment_id, changes, today))
            await self.repository.change(parent_id, lambda a: rules.expire(a, today))

    async def release_withdrawn_renewal(self, successor_id: str, successor_state: dict[str, Any]) -> None:
        """A withdrawn renewal no longer holds its predecessor's one renewal."""
        predecessor_id = successor_state.get("renewal_of")
        if predecessor_id:
            with contextlib.suppress(NotFound):
                await self.repository.change(predecessor_id, lambda a: rules.forget_withdrawn_renewal(a, successor_id))

    # -- merges ------------------------------------------------------------------------

    async def follow_merge(self, old_id: str, new_id: str) -> int:
        changed = 0
        for document in await self.queries.of_partners([old_id]):
            _, recorded = await self.repository.execute(
                document["_id"], lambda a: rules.replace_party(a, old_id, new_id)
            )
            changed += recorded
        return changed

    # -- the schedule --------------------------------------------------------------------

    async def run_expiry_schedule(self, today: date) -> int:
        fired = 0
        for agreement_id in await self.queries.expiring_by(today):
            while True:  # several reminders may be due after a long outage: one change each
                _, recorded = await self.repository.execute(agreement_id, lambda a: rules.remind_expiry(a, today))
                if not recorded:
                    break
                fired += 1
            _, recorded = await self.repository.execute(agreement_id, lambda a: rules.expire(a, today))
            fired += recorded
        return fired

    async def run_signature_watch(self, today: date) -> int:
        fired = 0
        for agreement_id in await self.queries.waiting_for_signature_since(
            today - timedelta(days=self.overdue_after_days)
        ):
            _, recorded = await self.repository.execute(
                agreement_id, lambda a: rules.flag_signature_overdue(a, today, self.overdue_after_days)
            )
            fired += recorded
        return fired

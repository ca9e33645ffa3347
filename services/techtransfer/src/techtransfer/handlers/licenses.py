"""License commands: draft, edit, export classification, execution, the term, the rights they hold.

Execution spans the license and each of its technologies, in an order a crash
or a race cannot break (the service README, "Exclusivity", says why it holds):

1. the license records a pending attempt (`execution_requested`), on its own sequence;
2. each technology, in the order of their ids, records the attempt's grant
   (`rights_reserved`) unless a grant that still counts conflicts with it: this
   is where of two racing executions exactly one can win;
3. the license records the outcome, once: `executed`, or `execution_refused`
   naming the license that holds the conflicting rights; only then are the
   refused attempt's grants released;
4. the technologies put the grant in force and become licensed (or transferred).

Every step is idempotent, and the `execution_requested`, `executed`,
`execution_refused`, `terminated` and `expired` events drive the same steps
again in the follow-up consumer (`workers.py`), so a process that dies
anywhere leaves the execution to be completed, or refused, by another.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import date
from typing import Any

from opp_shared.aggregate import Snapshot
from opp_shared.errors import PlatformError, RuleViolation
from opp_shared.foreign_views import PartnerDirectory
from opp_shared.ids import new_id
from opp_shared.repository import CreateRequest, Repository
from techtransfer.domain import license as rules
from techtransfer.domain import technology as technology_rules
from techtransfer.domain.license import IN_FORCE, LICENSE, ExportClassification, License, LicenseStatus, grant_of
from techtransfer.domain.rights import Grant
from techtransfer.domain.technology import FINAL, Technology
from techtransfer.store.licenses import LicenseQueries

PRECHECK = "precheck"  # the attempt named by a dry run of the reservation


class LicenseCommands:
    def __init__(
        self,
        licenses: Repository[License],
        queries: LicenseQueries,
        technologies: Repository[Technology],
        partners: PartnerDirectory,
        today: Callable[[], date],
        *,
        university_country: str,
        default_grace_days: int,
    ) -> None:
        self.repository = licenses
        self.queries = queries
        self.technologies = technologies
        self.partners = partners
        self.today = today
        self.university_country = university_country
        self.default_grace_days = default_grace_days

    # -- what a license names ----------------------------------------------------------------

    async def _usable_licensee_country(self, licensee_id: str) -> str:
        [partner] = await self.partners.require_usable([licensee_id])
        country = partner.get("country")
        if not isinstance(country, str):
            raise RuleViolation(f"partner {licensee_id!r} has no country on record", partner_id=licensee_id)
        return country

    async def _known_country(self, current: License) -> str:
        """The licensee's country as the partner directory has it now (or as recorded)."""
        partner = await self.partners.get(current.licensee_id)
        country = partner.get("country") if partner else None
        return country if isinstance(country, str) else current.licensee_country

    async def _require_technologies(self, technology_ids: list[str]) -> list[Technology]:
        found = []
        for technology_id in dict.fromkeys(technology_ids):
            snapshot = await self.technologies.find(technology_id)
            if snapshot is None:
                raise RuleViolation(f"no technology {technology_id!r}", technology_id=technology_id)
            technology = self.technologies.kind.read(snapshot)
            if technology.status in FINAL:
                raise RuleViolation(
                    f"technology {technology_id!r} is {technology.status.value} and can be licensed no more",
                    technology_id=technology_id,
                    technology_status=technology.status.value,
                )
            found.append(technology)
        return found

    # -- drafting and editing ------------------------------------------------------------------

    async def draft(self, fields: dict[str, Any], request: CreateRequest) -> tuple[Snapshot, bool]:
        currency = fields["currency"]
        fields = {
            "upfront_fee": {"amount": "0", "currency": currency},
            "minimum_annual_royalty": {"amount": "0", "currency": currency},
            "royalty_rate": "0",
            "report_grace_days": self.default_grace_days,
            **{k: v for k, v in fields.items() if v is not None},
        }
        # Bad terms are refused (422) before the references are looked at (409).
        rules.draft(licensee_country=self.university_country, university_country=self.university_country, **fields)

        async def create(license_id: str) -> Snapshot:
            # Checked only when the draft is new: a retry of one made before answers it, even
            # if its licensee has been archived or a technology assigned since.
            country = await self._usable_licensee_country(fields["licensee_id"])
            await self._require_technologies(fields["technology_ids"])
            change = rules.draft(licensee_country=country, university_country=self.university_country, **fields)
            return await self.repository.create(license_id, change)

        return await self.repository.create_once("techtransfer.licenses.draft", request, create)

    async def edit(self, license_id: str, edits: dict[str, Any], *, if_match: int | None) -> Snapshot:
        current = await self.repository.read(license_id)
        if "licensee_id" in edits and edits["licensee_id"] != current.licensee_id:
            country = await self._usable_licensee_country(edits["licensee_id"])
        else:
            country = await self._known_country(current)
        if "technology_ids" in edits:
            await self._require_technologies([t for t in edits["technology_ids"] if t not in current.technology_ids])
        return await self.repository.change(
            license_id,
            lambda lic: rules.edit(lic, edits, licensee_country=country, university_country=self.university_country),
            if_match=if_match,
        )

    async def classify_export(
        self,
        license_id: str,
        classification: ExportClassification,
        permit_reference: str | None,
        note: str | None,
        *,
        if_match: int | None,
    ) -> Snapshot:
        current = await self.repository.read(license_id)
        country = await self._known_country(current)
        return await self.repository.change(
            license_id,
            lambda lic: rules.classify_export(
                lic,
                classification,
                permit_reference,
                note,
                self.today(),
                licensee_country=country,
                university_country=self.university_country,
            ),
            if_match=if_match,
        )

    # -- execution -------------------------------------------------------------------------------

    async def execute(self, license_id: str, actor: str | None, *, if_match: int | None) -> Snapshot:
        current = await self.repository.read(license_id)
        if current.status == LicenseStatus.NEGOTIATING and current.pending_attempt is None:
            # Everything that can be checked before anything is recorded is: a refusal here
            # (partner archived, export not cleared, rights taken) changes nothing.
            country = await self._usable_licensee_country(current.licensee_id)
            rules.check_executable(
                current, self.today(), licensee_country=country, university_country=self.university_country
            )
            await self._require_technologies(current.technology_ids)
            for technology_id in sorted(current.technology_ids):
                await self._reserve(technology_id, grant_of(license_id, current, PRECHECK), dry_run=True)
        else:
            country = await self._known_country(current)
        attempt = new_id("exe")
        snapshot = await self.repository.change(
            license_id,
            lambda lic: rules.request_execution(
                lic,
                attempt,
                self.today(),
                actor,
                licensee_country=country,
                university_country=self.university_country,
            ),
            if_match=if_match,
        )
        license = LICENSE.read(snapshot)
        if license.execution is None or license.status not in (LicenseStatus.NEGOTIATING, *IN_FORCE):
            return snapshot
        return await self.drive(license_id, license.execution.attempt)

    async def drive(self, license_id: str, attempt: str) -> Snapshot:
        """Take an execution attempt as far as it goes: reserve, then record the outcome,
        then put the rights in force. Safe to run again, and by several at once."""
        current = await self.repository.read(license_id)
        if current.execution is None or current.execution.attempt != attempt:
            return await self.repository.get(license_id)
        if current.execution.state == "refused":
            raise RuleViolation(
                current.execution.reason or "the execution was refused", conflicting_id=current.execution.conflicting_id
            )
        grant = grant_of(license_id, current, attempt)
        if current.execution.state == "pending":
            for technology_id in sorted(
                current.technology_ids
            ):  # one order for everyone: no two attempts wait on each other
                try:
                    await self._reserve(technology_id, grant)
                except RuleViolation as refusal:
                    return await self._refuse(license_id, attempt, refusal)
            try:
                snapshot = await self.repository.change(
                    license_id, lambda lic: rules.complete_execution(lic, attempt, self.today())
                )
            except RuleViolation:
                # Refused meanwhile by another copy of this saga: what this one reserved since goes too.
                await self.release_rights(license_id, "execution refused", attempt=attempt)
                raise
        else:
            snapshot = await self.repository.get(license_id)
        if LICENSE.read(snapshot).status not in IN_FORCE:
            return snapshot  # ended since: its rights are being released, not put in force
        for technology_id in sorted(current.technology_ids):
            await self.technologies.change(
                technology_id, lambda t: technology_rules.put_in_force(t, license_id, attempt)
            )
        return snapshot

    async def _refuse(self, license_id: str, attempt: str, refusal: RuleViolation) -> Snapshot:
        """Record the outcome first, then release: a grant of a refused attempt no longer
        counts anywhere, so the order leaves nothing that could be mistaken for a right."""
        snapshot = await self.repository.change(
            license_id,
            lambda lic: rules.refuse_execution(lic, attempt, refusal.detail, refusal.extensions.get("conflicting_id")),
        )
        license = LICENSE.read(snapshot)
        if license.execution is not None and license.execution.attempt == attempt and license.execution.state == "done":
            return snapshot  # another copy of this saga completed it before the right was taken
        await self.release_rights(license_id, "execution refused", attempt=attempt)
        raise refusal

    async def _reserve(self, technology_id: str, grant: Grant, *, dry_run: bool = False) -> None:
        technology = await self.technologies.read(technology_id)
        stale = await self._stale_attempts(technology, grant.license_id)
        if dry_run:
            technology_rules.reserve(technology, grant, stale)
            return
        await self.technologies.change(technology_id, lambda t: technology_rules.reserve(t, grant, stale))

    async def _stale_attempts(self, technology: Technology, license_id: str) -> frozenset[str]:
        """The attempts behind a technology's grants that no longer count: refused, superseded,
        or of a license that has ended. Once stale, an attempt stays stale, so this verdict
        cannot be outdated by the time it is used; a grant recorded since is not in it and counts."""
        stale = set()
        for grant in technology.grants:
            if grant.license_id == license_id:
                continue
            holder = await self.repository.find(grant.license_id)
            if holder is None or not LICENSE.read(holder).counts(grant.attempt):
                stale.add(grant.attempt)
        return frozenset(stale)

    async def release_rights(
        self, license_id: str, reason: str, *, attempt: str | None = None, technology_ids: list[str] | None = None
    ) -> None:
        """Drop the license's grants (of one attempt, or all) in its technologies: those it
        names now, or those it named when the attempt was refused (it may have been edited since)."""
        if technology_ids is None:
            technology_ids = (await self.repository.read(license_id)).technology_ids
        for technology_id in sorted(technology_ids):
            await self.technologies.change(
                technology_id, lambda t: technology_rules.release(t, license_id, reason, attempt)
            )

    # -- the term ----------------------------------------------------------------------------------

    async def activate(self, license_id: str, *, if_match: int | None) -> Snapshot:
        return await self.repository.change(
            license_id, lambda lic: rules.activate(lic, self.today()), if_match=if_match
        )

    async def terminate(
        self, license_id: str, reason: str, terminated_on: date | None, *, if_match: int | None
    ) -> Snapshot:
        snapshot = await self.repository.change(
            license_id, lambda lic: rules.terminate(lic, self.today(), reason, terminated_on), if_match=if_match
        )
        await self.release_rights(license_id, "license terminated")
        return snapshot

    async def run_term(self, today: date) -> int:
        """Activate executed licenses whose term has begun; expire those whose term has ended."""
        changed = 0
        for license_id in await self.queries.term_due(today):
            _, activated = await self.repository.execute(license_id, lambda lic: rules.activate_due(lic, today))
            _, expired = await self.repository.execute(license_id, lambda lic: rules.expire(lic, today))
            if expired:
                await self.release_rights(license_id, "license expired")
            changed += activated + expired
        return changed

    async def resume_pending(self) -> int:
        """Executions left pending (their process died, their event not yet followed up)."""
        resumed = 0
        for license_id in await self.queries.pending_executions():
            current = await self.repository.read(license_id)
            if current.pending_attempt is None:
                continue
            with contextlib.suppress(PlatformError):  # refused: that outcome is now recorded
                await self.drive(license_id, current.pending_attempt)
            resumed += 1
        return resumed

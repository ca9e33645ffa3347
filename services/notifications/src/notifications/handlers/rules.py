"""The rule book: the service's rules, the defaults among them, read by the recorders through a short cache.

The defaults (`domain.defaults.DEFAULT_RULES`) are added by the service itself
the first time a process reads its rules: each is created under its own id,
and the unique insert of its first event record makes that happen once however
many copies start together. A default whose definition changed in the code
replaces its stored copy, unless an admin edited it.

A process reads the enabled rules at most every `OPP_RULES_CACHE_SECONDS`
(and at once after a change it made itself), so an admin's change applies
everywhere within that time, without a restart.
"""

from __future__ import annotations

import time
from typing import Any

from notifications.domain import rules as domain
from notifications.domain.rules import RULE, DefaultRule, Rule
from notifications.handlers import read_document
from opp_shared.aggregate import Snapshot
from opp_shared.documents import equal_to
from opp_shared.errors import VersionConflict
from opp_shared.pagination import PageParams, paginate
from opp_shared.repository import CreateRequest, Repository


class RuleBook:
    def __init__(self, rules: Repository[Rule], defaults: list[DefaultRule], *, cache_seconds: float) -> None:
        self.repository = rules
        self.defaults = defaults
        self.cache_seconds = cache_seconds
        self._defaults_added = False
        self._cached: tuple[float, list[tuple[str, Rule]]] | None = None

    async def add_defaults(self) -> int:
        """Add the defaults not stored yet, and follow those changed in the code; answers how many changed."""
        changed = 0
        for default in self.defaults:
            snapshot = await self.repository.find(default.id)
            if snapshot is None:
                try:
                    await self.repository.create(default.id, domain.add_default(default))
                    changed += 1
                except VersionConflict:
                    pass  # another copy of the service added it at the same moment
            else:
                _, recorded = await self.repository.execute(
                    default.id, lambda r, d=default: domain.follow_default(r, d)
                )
                changed += recorded
        self._defaults_added = True
        return changed

    async def enabled(self) -> list[tuple[str, Rule]]:
        """The enabled rules with their ids (cached for a moment)."""
        if self._cached is not None and time.monotonic() - self._cached[0] < self.cache_seconds:
            return self._cached[1]
        if not self._defaults_added:
            await self.add_defaults()
        documents = await self.repository.documents.find({"enabled": True}, sort=[("_id", 1)])
        rules = [(d["_id"], read_document(RULE, d)) for d in documents]
        self._cached = (time.monotonic(), rules)
        return rules

    def forget(self) -> None:
        self._cached = None

    # -- the admins' commands -----------------------------------------------------------

    async def add(self, fields: dict[str, Any], request: CreateRequest) -> tuple[Snapshot, bool]:
        change = domain.add(fields)  # refuses bad input before anything is claimed

        async def create(rule_id: str) -> Snapshot:
            return await self.repository.create(rule_id, change)

        result = await self.repository.create_once("rules.add", request, create)
        self.forget()
        return result

    async def edit(self, rule_id: str, edits: dict[str, Any], *, if_match: int | None) -> Snapshot:
        snapshot = await self.repository.change(rule_id, lambda r: domain.edit(r, edits), if_match=if_match)
        self.forget()
        return snapshot

    async def switch(self, rule_id: str, enabled: bool, *, if_match: int | None) -> Snapshot:
        snapshot = await self.repository.change(rule_id, lambda r: domain.switch(r, enabled), if_match=if_match)
        self.forget()
        return snapshot

    async def list(
        self, page: PageParams, *, enabled: bool | None = None, event_type: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        if not self._defaults_added:
            await self.add_defaults()
        query = equal_to(enabled=enabled)
        if event_type:
            query["event_types"] = {"$in": domain.patterns_for(event_type)}
        return await paginate(self.repository.documents, query, page)

"""Partners in MongoDB: name claims and list queries (the write model's repository is the runtime's)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from opp_shared.documents import ASCENDING, Documents, equal_to
from opp_shared.errors import AlreadyExists
from opp_shared.foreign_views import partner_refs
from opp_shared.pagination import PageParams, paginate
from opp_shared.ports import ClaimStore, Clock
from opp_shared.repository import Repository
from partners.domain.partner import Partner
from partners.domain.text import name_key, query_keys

# A claim whose partner does not exist yet may belong to a registration in
# progress; only after this long is it taken for a crash's leftover.
CLAIM_GRACE = timedelta(seconds=30)


def name_claim_key(country: str, key: str) -> str:
    return f"partner-name:{country}:{key}"


class PartnerNames:
    """A partner's name is unique in its country: a claim keyed by country and folded name."""

    def __init__(self, claims: ClaimStore, partners: Repository[Partner], clock: Clock) -> None:
        self.claims = claims
        self.partners = partners
        self.clock = clock

    async def claim(self, country: str, key: str, owner: str) -> None:
        """Reserve a name in a country for `owner`, or raise AlreadyExists naming the holder."""
        claim_key = name_claim_key(country, key)
        claim = await self.claims.claim(claim_key, owner, kind="partner-name")
        if claim["owner"] == owner:
            return
        holder = await self.partners.find(claim["owner"])
        if holder is not None and holder.state.get("country") == country and holder.state.get("name_key") == key:
            raise AlreadyExists(f"a partner with this name already exists in {country}", conflicting_id=holder.id)
        young = self.clock.now() - claim["claimed_at"] < CLAIM_GRACE
        if holder is None and young:
            # Most likely a registration of the same name still in flight.
            raise AlreadyExists(
                f"a partner with this name is being registered in {country}", conflicting_id=claim["owner"]
            )
        # The holder was renamed, or crashed before it existed: the claim is stale.
        taken = await self.claims.take_over(claim_key, claim["owner"], owner, kind="partner-name")
        if taken["owner"] != owner:
            raise AlreadyExists(f"a partner with this name already exists in {country}", conflicting_id=taken["owner"])

    async def release(self, country: str, key: str, owner: str) -> None:
        await self.claims.release(name_claim_key(country, key), owner)


class PartnerQueries:
    def __init__(self, documents: Documents) -> None:
        self.documents = documents

    async def refs(self, partner_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The names of partners by id, for answers that name them (`opp_shared.web.names`)."""
        return await partner_refs(self.documents, partner_ids)

    async def list(
        self,
        page: PageParams,
        *,
        kind: str | None = None,
        country: str | None = None,
        status: str | None = None,
        tier: str | None = None,
        search: str | None = None,
        sort_by_name: bool = False,
        relationship_owner_id: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        query = equal_to(
            kind=kind, country=country, status=status, tier=tier, relationship_owner_id=relationship_owner_id
        )
        keys = query_keys(search) if search else []
        if search and keys:
            # Every word of the query starts a word of the name, the local name or an alias
            # ("zurich" finds "Universität Zürich", "清华" finds 清华大学, "unsw" an alias): equality
            # on `search_keys`, which an index serves on MongoDB. A partner stored before it had
            # search keys is still found by the start of a word of its name.
            query["$or"] = [
                {"search_keys": {"$all": keys}},
                {
                    "search_keys": {"$exists": False},
                    "name_key": {"$regex": "(^| )" + re.escape(name_key(search))},
                },
            ]
        sort = [("name_key", ASCENDING)] if sort_by_name else None
        return await paginate(self.documents, query, page, sort=sort)

"""`/api/v1/partners`: register, read, list, edit; the history of each partner."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from opp_shared.auth import Principal, Role
from opp_shared.errors import InvalidInput
from opp_shared.fields import CountryCode, Name
from opp_shared.web.http import IdempotencyKeyHeader, IfMatchHeader, parse_if_match, resource_response
from opp_shared.web.pagination import PageQuery
from opp_shared.web.security import Reader, requires
from fastapi import Depends
from partners.api.schemas import EditPartner, PartnerOut, PartnerPage, RegisterPartner
from partners.domain.partner import PartnerKind, PartnerStatus, PartnerTier
from partners.handlers import PartnerHandlers
from partners.store.partners import PartnerStore

PREFIX = "/api/v1/partners"
Writer = Annotated[Principal, Depends(requires(Role.ADMIN, Role.PARTNERSHIPS_OFFICER))]


def _body(snapshot) -> dict[str, Any]:
    return dict(snapshot.state)


def partners_router(store: PartnerStore, handlers: PartnerHandlers) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["partners"])

    @router.post("", status_code=201, response_model=PartnerOut, summary="Register a partner organization")
    async def register(
        body: RegisterPartner, principal: Writer, request: Request, idempotency_key: IdempotencyKeyHeader = None
    ) -> JSONResponse:
        fields = body.model_dump(mode="json")
        fields["contacts"] = [c for c in fields["contacts"]]
        snapshot, replayed = await handlers.register(
            _domain_fields(fields), caller=principal.sub, idempotency_key=idempotency_key
        )
        return resource_response(
            snapshot, _body(snapshot), status=201, replayed=replayed, location=f"{PREFIX}/{snapshot.id}"
        )

    @router.get("", response_model=PartnerPage, summary="List partners")
    async def list_partners(
        page: PageQuery,
        _: Reader,
        kind: PartnerKind | None = None,
        country: CountryCode | None = None,
        status: PartnerStatus | None = None,
        tier: PartnerTier | None = None,
        q: Annotated[Name | None, Query(description="Name prefix, compared without case and accents")] = None,
        sort: Annotated[str, Query(pattern="^(created|name)$", description="`created` (default) or `name`")] = "created",
    ) -> dict[str, Any]:
        items, cursor = await store.list(
            page, kind=kind, country=country, status=status, tier=tier, name_prefix=q, sort_by_name=sort == "name"
        )
        return {"items": [_strip(d) for d in items], "next_cursor": cursor}

    @router.get("/{partner_id}", response_model=PartnerOut, summary="Read one partner")
    async def get_partner(partner_id: str, _: Reader) -> JSONResponse:
        snapshot = await store.get(partner_id)
        return resource_response(snapshot, _body(snapshot))

    @router.patch("/{partner_id}", response_model=PartnerOut, summary="Edit a partner (send If-Match)")
    async def edit_partner(partner_id: str, body: EditPartner, _: Writer, if_match: IfMatchHeader = None) -> JSONResponse:
        edits = _domain_fields(body.model_dump(mode="json", exclude_unset=True))
        if not edits:
            raise InvalidInput("send at least one field to change")
        for required in ("name", "kind", "country", "tier"):
            if required in edits and edits[required] is None:
                raise InvalidInput(f"{required} cannot be cleared", errors=[{"pointer": f"#/{required}", "detail": "may not be null"}])
        snapshot = await handlers.edit(partner_id, edits, if_match=parse_if_match(if_match))
        return resource_response(snapshot, _body(snapshot))

    return router


def _domain_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """JSON-mode dump → domain keyword arguments (contacts as domain Contacts)."""
    from partners.domain.partner import Contact

    if fields.get("contacts") is not None:
        fields["contacts"] = [Contact(**c) for c in fields["contacts"]]
    return fields


def _strip(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "_id"}

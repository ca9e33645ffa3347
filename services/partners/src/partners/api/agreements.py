"""`/api/v1/agreements`: draft, read, list, edit, the life-cycle actions, renewal, families."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from opp_shared.fields import Reference
from opp_shared.web.http import IdempotencyKeyHeader, IfMatchHeader, edits_of, parse_if_match, resource_response
from opp_shared.web.pagination import PageQuery
from partners.api.access import Reader, Writer
from partners.api.schemas import (
    ActivateAgreement,
    AgreementFamily,
    AgreementOut,
    AgreementPage,
    DraftAgreement,
    EditAgreement,
    RenewAgreement,
    SignAgreement,
    TerminateAgreement,
)
from partners.domain.agreement import AgreementStatus, AgreementType
from partners.handlers.agreements import AgreementHandlers
from partners.store.agreements import AgreementStore

PREFIX = "/api/v1/agreements"
NOT_NULL = ("type", "title", "parties")


def agreements_router(store: AgreementStore, handlers: AgreementHandlers) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["agreements"])

    def answer(snapshot, status: int = 200, replayed: bool = False) -> JSONResponse:
        return resource_response(snapshot, dict(snapshot.state), status=status, replayed=replayed, location=f"{PREFIX}/{snapshot.id}" if status == 201 else None)

    @router.post("", status_code=201, response_model=AgreementOut, summary="Draft an agreement (also an amendment, or one under a framework)")
    async def draft(body: DraftAgreement, principal: Writer, idempotency_key: IdempotencyKeyHeader = None) -> JSONResponse:
        snapshot, replayed = await handlers.draft(
            body.model_dump(mode="json"), caller=principal.sub, idempotency_key=idempotency_key
        )
        return answer(snapshot, 201, replayed)

    @router.get("", response_model=AgreementPage, summary="List agreements")
    async def list_agreements(
        page: PageQuery,
        _: Reader,
        status: AgreementStatus | None = None,
        type: AgreementType | None = None,
        partner_id: Reference | None = None,
        framework_id: Reference | None = None,
        expires_before: date | None = None,
        expires_after: date | None = None,
    ) -> dict[str, Any]:
        items, cursor = await store.list(
            page, status=status, type=type, partner_id=partner_id, framework_id=framework_id,
            expires_before=expires_before, expires_after=expires_after,
        )
        return {"items": [{k: v for k, v in d.items() if k != "_id"} for d in items], "next_cursor": cursor}

    @router.get("/{agreement_id}", response_model=AgreementOut, summary="Read one agreement")
    async def get_agreement(agreement_id: str, _: Reader) -> JSONResponse:
        return answer(await store.repository.get(agreement_id))

    @router.patch("/{agreement_id}", response_model=AgreementOut, summary="Edit an agreement's terms (before signature) or documents and notes")
    async def edit(agreement_id: str, body: EditAgreement, _: Writer, if_match: IfMatchHeader = None) -> JSONResponse:
        edits = edits_of(body, not_null=NOT_NULL)
        return answer(await handlers.edit(agreement_id, edits, if_match=parse_if_match(if_match)))

    @router.post("/{agreement_id}/submit", response_model=AgreementOut, summary="draft -> under_review")
    async def submit(agreement_id: str, _: Writer, if_match: IfMatchHeader = None) -> JSONResponse:
        return answer(await handlers.submit(agreement_id, if_match=parse_if_match(if_match)))

    @router.post("/{agreement_id}/sign", response_model=AgreementOut, summary="under_review -> signed")
    async def sign(agreement_id: str, body: SignAgreement, _: Writer, if_match: IfMatchHeader = None) -> JSONResponse:
        signatories = body.model_dump(mode="json")["signatories"]
        return answer(await handlers.sign(agreement_id, body.signed_on, signatories, if_match=parse_if_match(if_match)))

    @router.post("/{agreement_id}/activate", response_model=AgreementOut, summary="signed -> active (needs effective_from and signed_on)")
    async def activate(agreement_id: str, _: Writer, body: ActivateAgreement | None = None, if_match: IfMatchHeader = None) -> JSONResponse:
        return answer(await handlers.activate(agreement_id, body.effective_from if body else None, if_match=parse_if_match(if_match)))

    @router.post("/{agreement_id}/terminate", response_model=AgreementOut, summary="signed or active -> terminated (an early end, with a reason)")
    async def terminate(agreement_id: str, body: TerminateAgreement, _: Writer, if_match: IfMatchHeader = None) -> JSONResponse:
        return answer(await handlers.terminate(agreement_id, body.reason, body.terminated_on, if_match=parse_if_match(if_match)))

    @router.post("/{agreement_id}/renew", status_code=201, response_model=AgreementOut, summary="Renew: drafts a successor linked to this agreement")
    async def renew(
        agreement_id: str, body: RenewAgreement, principal: Writer,
        idempotency_key: IdempotencyKeyHeader = None, if_match: IfMatchHeader = None,
    ) -> JSONResponse:
        snapshot, replayed = await handlers.renew(
            agreement_id, body.model_dump(mode="json"), caller=principal.sub, idempotency_key=idempotency_key,
            if_match=parse_if_match(if_match),
        )
        return answer(snapshot, 201, replayed)

    @router.get("/{agreement_id}/family", response_model=AgreementFamily, summary="Renewal chain, amendments, framework and what is made under it")
    async def family(agreement_id: str, _: Reader) -> dict[str, Any]:
        return await handlers.family(agreement_id)

    return router


"""`/api/v1/agreements`: draft, read, list, edit, the life-cycle actions, withdrawal, renewal, families."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from opp_shared.fields import PersonId, Reference
from opp_shared.web.http import (
    IdempotencyKeyHeader,
    IfMatchHeader,
    PageQuery,
    answer,
    create_request,
    created,
    edits_of,
    page_answer,
    parse_if_match,
    person_or_me,
)
from partners.api.access import Reader, Writer
from partners.api.schemas import (
    ActivateAgreement,
    AgreementFamily,
    DraftAgreement,
    EditAgreement,
    RenewAgreement,
    SignAgreement,
    TerminateAgreement,
    WithdrawAgreement,
)
from partners.domain.agreement import AGREEMENT, AgreementStatus, AgreementType
from partners.handlers.agreements import AgreementCommands
from partners.handlers.queries import AgreementFamilies
from partners.store.agreements import AgreementQueries

NOT_NULL = ("type", "title", "parties")
Out = AGREEMENT.response


def agreements_router(commands: AgreementCommands, queries: AgreementQueries, families: AgreementFamilies) -> APIRouter:
    router = APIRouter(prefix=AGREEMENT.route, tags=["agreements"])

    @router.post(
        "",
        status_code=201,
        response_model=Out,
        summary="Draft an agreement (also an amendment, or one under a framework)",
    )
    async def draft(
        body: DraftAgreement, principal: Writer, idempotency_key: IdempotencyKeyHeader = None
    ) -> JSONResponse:
        fields = body.model_dump(mode="json")
        snapshot, replayed = await commands.draft(fields, create_request(principal, idempotency_key, fields))
        return created(snapshot, replayed, AGREEMENT.route)

    @router.get("", response_model=AGREEMENT.page, summary="List agreements")
    async def list_agreements(
        page: PageQuery,
        principal: Reader,
        status: AgreementStatus | None = None,
        type: AgreementType | None = None,
        partner_id: Reference | None = None,
        framework_id: Reference | None = None,
        expires_before: date | None = None,
        expires_after: date | None = None,
        owner: Annotated[
            PersonId | None, Query(description="The owner's person id, or `me` for the caller's own agreements")
        ] = None,
    ) -> dict[str, Any]:
        found = await queries.list(
            page,
            status=status,
            type=type,
            partner_id=partner_id,
            framework_id=framework_id,
            expires_before=expires_before,
            expires_after=expires_after,
            owner_id=person_or_me(owner, principal),
        )
        return page_answer(*found)

    @router.get("/{agreement_id}", response_model=Out, summary="Read one agreement")
    async def get_agreement(agreement_id: str, _: Reader) -> JSONResponse:
        return answer(await commands.repository.get(agreement_id))

    @router.patch(
        "/{agreement_id}",
        response_model=Out,
        summary="Edit an agreement's terms (before signature) or documents and notes",
    )
    async def edit(agreement_id: str, body: EditAgreement, _: Writer, if_match: IfMatchHeader = None) -> JSONResponse:
        edits = edits_of(body, not_null=NOT_NULL)
        return answer(await commands.edit(agreement_id, edits, if_match=parse_if_match(if_match)))

    @router.post("/{agreement_id}/submit", response_model=Out, summary="draft -> under_review")
    async def submit(agreement_id: str, _: Writer, if_match: IfMatchHeader = None) -> JSONResponse:
        return answer(await commands.submit(agreement_id, if_match=parse_if_match(if_match)))

    @router.post("/{agreement_id}/sign", response_model=Out, summary="under_review -> signed")
    async def sign(agreement_id: str, body: SignAgreement, _: Writer, if_match: IfMatchHeader = None) -> JSONResponse:
        signatories = body.model_dump(mode="json")["signatories"]
        return answer(await commands.sign(agreement_id, body.signed_on, signatories, if_match=parse_if_match(if_match)))

    @router.post(
        "/{agreement_id}/activate", response_model=Out, summary="signed -> active (needs effective_from and signed_on)"
    )
    async def activate(
        agreement_id: str, _: Writer, body: ActivateAgreement | None = None, if_match: IfMatchHeader = None
    ) -> JSONResponse:
        return answer(
            await commands.activate(
                agreement_id, body.effective_from if body else None, if_match=parse_if_match(if_match)
            )
        )

    @router.post(
        "/{agreement_id}/terminate",
        response_model=Out,
        summary="signed or active -> terminated (an early end, with a reason)",
    )
    async def terminate(
        agreement_id: str, body: TerminateAgreement, _: Writer, if_match: IfMatchHeader = None
    ) -> JSONResponse:
        return answer(
            await commands.terminate(agreement_id, body.reason, body.terminated_on, if_match=parse_if_match(if_match))
        )

    @router.post(
        "/{agreement_id}/withdraw",
        response_model=Out,
        summary="draft or under_review -> withdrawn (abandoned before signature, with a reason; final)",
    )
    async def withdraw(
        agreement_id: str, body: WithdrawAgreement, _: Writer, if_match: IfMatchHeader = None
    ) -> JSONResponse:
        return answer(await commands.withdraw(agreement_id, body.reason, if_match=parse_if_match(if_match)))

    @router.post(
        "/{agreement_id}/renew",
        status_code=201,
        response_model=Out,
        summary="Renew: drafts a successor linked to this agreement",
    )
    async def renew(
        agreement_id: str,
        body: RenewAgreement,
        principal: Writer,
        idempotency_key: IdempotencyKeyHeader = None,
        if_match: IfMatchHeader = None,
    ) -> JSONResponse:
        terms = body.model_dump(mode="json")
        snapshot, replayed = await commands.renew(
            agreement_id, terms, create_request(principal, idempotency_key, terms), if_match=parse_if_match(if_match)
        )
        return created(snapshot, replayed, AGREEMENT.route)

    @router.get(
        "/{agreement_id}/family",
        response_model=AgreementFamily,
        summary="Renewal chain, amendments, framework and what is made under it",
    )
    async def family(agreement_id: str, _: Reader) -> dict[str, Any]:
        return await families.family(agreement_id)

    return router

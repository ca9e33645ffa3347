"""`/api/v1/agreements`: draft, read, list, edit, the life-cycle actions, withdrawal, renewal, families."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from opp_shared.fields import PersonId, Reference
from opp_shared.web.http import (
    PageQuery,
    answer,
    created,
    edits_of,
    page_answer,
    person_or_me,
)
from opp_shared.web.openapi import example_answer, example_of
from opp_shared.web.routing import IfMatch
from partners.api.access import Creating, Reader, Writer
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
from partners.domain import agreement as rules
from partners.domain.agreement import AGREEMENT, AgreementStatus, AgreementType
from partners.handlers.agreements import AgreementCommands
from partners.handlers.queries import AgreementFamilies
from partners.store.agreements import AgreementQueries

NOT_NULL = ("type", "title", "parties")
EXAMPLE = example_answer(
    rules.draft(today=date(2027, 1, 10), **DraftAgreement.model_config["json_schema_extra"]["examples"][0]).state,
    "agr_01JD3W7K2M4N6P8Q0R2S4T6V8W",
    partners={"ptn_01JD3W5V6Q8ZK4R7N2M0XYBC9T": {"name": "Tsinghua University", "name_local": "清华大学"}},
)
Out = AGREEMENT.response


def agreements_router(
    commands: AgreementCommands,
    queries: AgreementQueries,
    families: AgreementFamilies,
    *,
    names: type[APIRoute] = APIRoute,
) -> APIRouter:
    router = APIRouter(prefix=AGREEMENT.route, tags=["agreements"], route_class=names)

    @router.post(
        "",
        operation_id="draftAgreement",
        responses=example_of(201, example=EXAMPLE),
        status_code=201,
        response_model=Out,
        summary="Draft an agreement (also an amendment, or one under a framework)",
    )
    async def draft(body: DraftAgreement, by: Creating) -> JSONResponse:
        return await by.create(body, commands.draft, AGREEMENT.route)

    @router.get("", operation_id="listAgreements", response_model=AGREEMENT.page, summary="List agreements")
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

    @router.get(
        "/{agreement_id}",
        operation_id="getAgreement",
        response_model=Out,
        responses=example_of(200, example=EXAMPLE),
        summary="Read one agreement",
    )
    async def get_agreement(agreement_id: str, _: Reader) -> JSONResponse:
        return answer(await commands.repository.get(agreement_id))

    @router.patch(
        "/{agreement_id}",
        operation_id="editAgreement",
        response_model=Out,
        summary="Edit an agreement's terms (before signature) or documents and notes",
    )
    async def edit(agreement_id: str, body: EditAgreement, _: Writer, version: IfMatch) -> JSONResponse:
        edits = edits_of(body, not_null=NOT_NULL)
        return answer(await commands.edit(agreement_id, edits, if_match=version))

    @router.post(
        "/{agreement_id}/submit", operation_id="submitAgreement", response_model=Out, summary="draft -> under_review"
    )
    async def submit(agreement_id: str, _: Writer, version: IfMatch) -> JSONResponse:
        return answer(await commands.submit(agreement_id, if_match=version))

    @router.post(
        "/{agreement_id}/sign", operation_id="signAgreement", response_model=Out, summary="under_review -> signed"
    )
    async def sign(agreement_id: str, body: SignAgreement, _: Writer, version: IfMatch) -> JSONResponse:
        signatories = body.model_dump(mode="json")["signatories"]
        return answer(await commands.sign(agreement_id, body.signed_on, signatories, if_match=version))

    @router.post(
        "/{agreement_id}/activate",
        operation_id="activateAgreement",
        response_model=Out,
        summary="signed -> active (needs effective_from and signed_on)",
    )
    async def activate(
        agreement_id: str, _: Writer, version: IfMatch, body: ActivateAgreement | None = None
    ) -> JSONResponse:
        return answer(await commands.activate(agreement_id, body.effective_from if body else None, if_match=version))

    @router.post(
        "/{agreement_id}/terminate",
        operation_id="terminateAgreement",
        response_model=Out,
        summary="signed or active -> terminated (an early end, with a reason)",
    )
    async def terminate(agreement_id: str, body: TerminateAgreement, _: Writer, version: IfMatch) -> JSONResponse:
        return answer(await commands.terminate(agreement_id, body.reason, body.terminated_on, if_match=version))

    @router.post(
        "/{agreement_id}/withdraw",
        operation_id="withdrawAgreement",
        response_model=Out,
        summary="draft or under_review -> withdrawn (abandoned before signature, with a reason; final)",
    )
    async def withdraw(agreement_id: str, body: WithdrawAgreement, _: Writer, version: IfMatch) -> JSONResponse:
        return answer(await commands.withdraw(agreement_id, body.reason, if_match=version))

    @router.post(
        "/{agreement_id}/renew",
        operation_id="renewAgreement",
        status_code=201,
        response_model=Out,
        summary="Renew: drafts a successor linked to this agreement",
    )
    async def renew(
        agreement_id: str,
        body: RenewAgreement,
        by: Creating,
        version: IfMatch,
    ) -> JSONResponse:
        terms = body.model_dump(mode="json")
        snapshot, replayed = await commands.renew(agreement_id, terms, by.request(terms), if_match=version)
        return created(snapshot, replayed, AGREEMENT.route)

    @router.get(
        "/{agreement_id}/family",
        operation_id="getAgreementFamily",
        response_model=AgreementFamily,
        summary="Renewal chain, amendments, framework and what is made under it",
    )
    async def family(agreement_id: str, _: Reader) -> dict[str, Any]:
        return await families.family(agreement_id)

    return router

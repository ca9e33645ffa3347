"""`/api/v1/licenses`: draft, read, list, edit, export classification, execute, activate, terminate."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from opp_shared.fields import CountryCode, Reference
from opp_shared.web.http import (
    PageQuery,
    answer,
    edits_of,
    page_answer,
)
from opp_shared.web.routing import IfMatch
from techtransfer.api.access import Creating, Reader, Writer
from techtransfer.api.schemas import ClassifyExport, DraftLicense, EditLicense, TerminateLicense
from techtransfer.domain.license import LICENSE, ExportClassification, LicenseStatus
from techtransfer.domain.rights import LicenseKind
from techtransfer.handlers.licenses import LicenseCommands
from techtransfer.store.licenses import LicenseQueries

NOT_NULL = (
    "title",
    "licensee_id",
    "technology_ids",
    "kind",
    "territory",
    "field_of_use",
    "currency",
    "upfront_fee",
    "royalty_rate",
    "minimum_annual_royalty",
    "report_frequency",
    "report_grace_days",
)
Out = LICENSE.response


def licenses_router(
    commands: LicenseCommands, queries: LicenseQueries, *, names: type[APIRoute] = APIRoute
) -> APIRouter:
    router = APIRouter(prefix=LICENSE.route, tags=["licenses"], route_class=names)

    @router.post(
        "",
        operation_id="draftLicense",
        status_code=201,
        response_model=Out,
        summary="Draft a license or assignment (negotiating)",
    )
    async def draft(body: DraftLicense, by: Creating) -> JSONResponse:
        return await by.create(body, commands.draft, LICENSE.route)

    @router.get("", operation_id="listLicenses", response_model=LICENSE.page, summary="List licenses")
    async def list_licenses(
        page: PageQuery,
        _: Reader,
        status: LicenseStatus | None = None,
        kind: LicenseKind | None = None,
        licensee_id: Reference | None = None,
        technology_id: Reference | None = None,
        country: CountryCode | None = None,
        export_classification: ExportClassification | None = None,
    ) -> dict[str, Any]:
        found = await queries.list(
            page,
            status=status,
            kind=kind,
            licensee_id=licensee_id,
            technology_id=technology_id,
            country=country,
            export_classification=export_classification,
        )
        return page_answer(*found)

    @router.get("/{license_id}", operation_id="getLicense", response_model=Out, summary="Read one license")
    async def get_license(license_id: str, _: Reader) -> JSONResponse:
        return answer(await commands.repository.get(license_id))

    @router.patch(
        "/{license_id}",
        operation_id="editLicense",
        response_model=Out,
        summary="Edit a license's terms while negotiating",
    )
    async def edit(license_id: str, body: EditLicense, _: Writer, version: IfMatch) -> JSONResponse:
        edits = edits_of(body, not_null=NOT_NULL)
        return answer(await commands.edit(license_id, edits, if_match=version))

    @router.post(
        "/{license_id}/export-classification",
        operation_id="classifyLicenseExport",
        response_model=Out,
        summary="Record the export classification (free, restricted with a permit, prohibited)",
    )
    async def classify_export(license_id: str, body: ClassifyExport, _: Writer, version: IfMatch) -> JSONResponse:
        return answer(
            await commands.classify_export(
                license_id, body.classification, body.permit_reference, body.note, if_match=version
            )
        )

    @router.post(
        "/{license_id}/execute",
        operation_id="executeLicense",
        response_model=Out,
        summary="negotiating -> executed (export cleared; rights not held by another license)",
    )
    async def execute(license_id: str, principal: Writer, version: IfMatch) -> JSONResponse:
        return answer(await commands.execute(license_id, principal.sub, if_match=version))

    @router.post(
        "/{license_id}/activate",
        operation_id="activateLicense",
        response_model=Out,
        summary="executed -> active (on or after effective_from)",
    )
    async def activate(license_id: str, _: Writer, version: IfMatch) -> JSONResponse:
        return answer(await commands.activate(license_id, if_match=version))

    @router.post(
        "/{license_id}/terminate",
        operation_id="terminateLicense",
        response_model=Out,
        summary="executed or active -> terminated",
    )
    async def terminate(license_id: str, body: TerminateLicense, _: Writer, version: IfMatch) -> JSONResponse:
        return answer(await commands.terminate(license_id, body.reason, body.terminated_on, if_match=version))

    return router

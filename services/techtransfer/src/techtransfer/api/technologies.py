"""`/api/v1/technologies`: disclose, read, list, edit, the life-cycle actions, patent records."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from opp_shared.fields import Key, Reference, ShortText
from opp_shared.web.http import (
    PageQuery,
    answer,
    edits_of,
    page_answer,
)
from opp_shared.web.routing import IfMatch
from techtransfer.api.access import Creating, Reader, Writer
from techtransfer.api.schemas import AbandonTechnology, DiscloseTechnology, EditPatent, EditTechnology, RecordPatent
from techtransfer.domain.technology import TECHNOLOGY, PatentRecord, TechnologyStatus
from techtransfer.handlers.technologies import TechnologyCommands
from techtransfer.store.technologies import TechnologyQueries

NOT_NULL = ("title", "department", "readiness_level", "inventors")
PATENT_NOT_NULL = ("jurisdiction", "application_number", "priority_date", "filing_date", "status")
Out = TECHNOLOGY.response


def technologies_router(
    commands: TechnologyCommands, queries: TechnologyQueries, *, names: type[APIRoute] = APIRoute
) -> APIRouter:
    router = APIRouter(prefix=TECHNOLOGY.route, tags=["technologies"], route_class=names)

    @router.post(
        "",
        operation_id="discloseTechnology",
        status_code=201,
        response_model=Out,
        summary="Disclose an invention (a new technology)",
    )
    async def disclose(body: DiscloseTechnology, by: Creating) -> JSONResponse:
        return await by.create(body, commands.disclose, TECHNOLOGY.route)

    @router.get("", operation_id="listTechnologies", response_model=TECHNOLOGY.page, summary="List technologies")
    async def list_technologies(
        page: PageQuery,
        _: Reader,
        status: TechnologyStatus | None = None,
        department: ShortText | None = None,
        inventor: Key | None = None,
        keyword: ShortText | None = None,
        origin_project_id: Reference | None = None,
        licensee_id: Reference | None = None,
    ) -> dict[str, Any]:
        found = await queries.list(
            page,
            status=status,
            department=department,
            inventor=inventor,
            keyword=keyword,
            origin_project_id=origin_project_id,
            licensee_id=licensee_id,
        )
        return page_answer(*found)

    @router.get("/{technology_id}", operation_id="getTechnology", response_model=Out, summary="Read one technology")
    async def get_technology(technology_id: str, _: Reader) -> JSONResponse:
        return answer(await commands.repository.get(technology_id))

    @router.patch(
        "/{technology_id}",
        operation_id="editTechnology",
        response_model=Out,
        summary="Edit a technology (send If-Match)",
    )
    async def edit(technology_id: str, body: EditTechnology, _: Writer, version: IfMatch) -> JSONResponse:
        edits = edits_of(body, not_null=NOT_NULL)
        return answer(await commands.edit(technology_id, edits, if_match=version))

    @router.post(
        "/{technology_id}/evaluate",
        operation_id="evaluateTechnology",
        response_model=Out,
        summary="disclosed -> evaluated",
    )
    async def evaluate(technology_id: str, _: Writer, version: IfMatch) -> JSONResponse:
        return answer(await commands.evaluate(technology_id, if_match=version))

    @router.post(
        "/{technology_id}/protect",
        operation_id="protectTechnology",
        response_model=Out,
        summary="evaluated -> protected (needs a pending or granted patent record)",
    )
    async def protect(technology_id: str, _: Writer, version: IfMatch) -> JSONResponse:
        return answer(await commands.protect(technology_id, if_match=version))

    @router.post(
        "/{technology_id}/offer",
        operation_id="offerTechnology",
        response_model=Out,
        summary="evaluated or protected -> available",
    )
    async def offer(technology_id: str, _: Writer, version: IfMatch) -> JSONResponse:
        return answer(await commands.offer(technology_id, if_match=version))

    @router.post(
        "/{technology_id}/abandon",
        operation_id="abandonTechnology",
        response_model=Out,
        summary="-> abandoned (not once licensed)",
    )
    async def abandon(technology_id: str, body: AbandonTechnology, _: Writer, version: IfMatch) -> JSONResponse:
        return answer(await commands.abandon(technology_id, body.reason, if_match=version))

    @router.post(
        "/{technology_id}/patents",
        operation_id="recordPatent",
        status_code=201,
        response_model=Out,
        summary="Record a patent application (answers the technology, with its deadlines)",
    )
    async def record_patent(
        technology_id: str,
        body: RecordPatent,
        by: Creating,
        version: IfMatch,
    ) -> JSONResponse:
        fields = body.model_dump(mode="json")
        snapshot, patent_id, replayed = await commands.record_patent(
            technology_id,
            fields,
            by.request(fields),
            if_match=version,
        )
        return answer(
            snapshot, status=201, replayed=replayed, location=f"{TECHNOLOGY.route}/{technology_id}/patents/{patent_id}"
        )

    @router.get(
        "/{technology_id}/patents/{patent_id}",
        operation_id="getPatent",
        response_model=PatentRecord,
        summary="Read one patent record",
    )
    async def get_patent(technology_id: str, patent_id: str, _: Reader) -> dict[str, Any]:
        technology = await commands.repository.read(technology_id)
        return technology.patent(patent_id).model_dump(mode="json")

    @router.patch(
        "/{technology_id}/patents/{patent_id}",
        operation_id="updatePatent",
        response_model=Out,
        summary="Update a patent record: numbers, dates, status (send If-Match)",
    )
    async def update_patent(
        technology_id: str, patent_id: str, body: EditPatent, _: Writer, version: IfMatch
    ) -> JSONResponse:
        edits = edits_of(body, not_null=PATENT_NOT_NULL)
        return answer(await commands.update_patent(technology_id, patent_id, edits, if_match=version))

    return router

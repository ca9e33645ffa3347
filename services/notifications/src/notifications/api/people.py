"""`/api/v1/people` (admins keep the directory) and `/api/v1/me` (each person's own entry and preferences)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from notifications.api.access import Admin, Authenticated
from notifications.api.schemas import EditPerson, EditPreferences, RegisterPerson
from notifications.domain.people import PERSON
from notifications.handlers.people import PeopleCommands
from opp_shared.auth import Role
from opp_shared.web.http import PageQuery, answer, edits_of, page_answer
from opp_shared.web.routing import IfMatch


def people_router(people: PeopleCommands) -> APIRouter:
    router = APIRouter(prefix=PERSON.route, tags=["people"])

    @router.post(
        "",
        operation_id="registerPerson",
        status_code=201,
        response_model=PERSON.response,
        summary="Add a person to the directory",
    )
    async def register(body: RegisterPerson, _: Admin) -> JSONResponse:
        fields = body.model_dump(mode="json", exclude={"id"})
        snapshot = await people.register(body.id, fields)
        return answer(snapshot, status=201, location=f"{PERSON.route}/{snapshot.id}")

    @router.get("", operation_id="listPeople", response_model=PERSON.page, summary="List the directory")
    async def list_people(
        page: PageQuery, _: Admin, role: Role | None = None, active: bool | None = None
    ) -> dict[str, Any]:
        return page_answer(*await people.list(page, role=role.value if role else None, active=active))

    @router.get("/{person_id}", operation_id="getPerson", response_model=PERSON.response, summary="Read one person")
    async def get_person(person_id: str, _: Admin) -> JSONResponse:
        return answer(await people.repository.get(person_id))

    @router.patch(
        "/{person_id}",
        operation_id="editPerson",
        response_model=PERSON.response,
        summary="Edit a person (send If-Match)",
    )
    async def edit_person(person_id: str, body: EditPerson, _: Admin, version: IfMatch) -> JSONResponse:
        edits = edits_of(body, not_null=("name", "roles", "channels", "language"))
        return answer(await people.edit(person_id, edits, if_match=version))

    @router.delete(
        "/{person_id}",
        operation_id="removePerson",
        response_model=PERSON.response,
        summary="Remove a person: no more notices by email",
    )
    async def remove_person(person_id: str, _: Admin, version: IfMatch) -> JSONResponse:
        return answer(await people.remove(person_id, if_match=version))

    return router


NOT_IN_DIRECTORY = {404: {"description": "You are not in the directory (an admin adds you)"}}


def me_router(people: PeopleCommands) -> APIRouter:
    router = APIRouter(prefix="/api/v1/me", tags=["people"], responses=NOT_IN_DIRECTORY)

    @router.get("", operation_id="getMe", response_model=PERSON.response, summary="Your entry in the directory")
    async def me(principal: Authenticated) -> JSONResponse:
        return answer(await people.repository.get(principal.sub))

    @router.patch(
        "",
        operation_id="editMyPreferences",
        response_model=PERSON.response,
        summary="Your preferences: channels and language",
    )
    async def edit_me(body: EditPreferences, principal: Authenticated, version: IfMatch) -> JSONResponse:
        edits = edits_of(body, not_null=("channels", "language"))
        return answer(await people.edit_own(principal.sub, edits, if_match=version))

    return router

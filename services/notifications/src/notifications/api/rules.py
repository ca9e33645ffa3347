"""`/api/v1/rules`: admins list, add, change and switch off the rules, effective without a restart."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from notifications.api.access import Admin, AdminCreating
from notifications.api.schemas import EditRule, RuleBody
from notifications.domain.rules import RULE
from notifications.handlers.rules import RuleBook
from opp_shared.web.http import (
    PageQuery,
    answer,
    created,
    edits_of,
    page_answer,
)
from opp_shared.web.routing import IfMatch


def rules_router(book: RuleBook) -> APIRouter:
    router = APIRouter(prefix=RULE.route, tags=["rules"])

    @router.post("", operation_id="addRule", status_code=201, response_model=RULE.response, summary="Add a rule")
    async def add(body: RuleBody, by: AdminCreating) -> JSONResponse:
        fields = body.model_dump(mode="json", exclude_none=True)
        snapshot, replayed = await book.add(fields, by.request(fields))
        return created(snapshot, replayed, RULE.route)

    @router.get(
        "", operation_id="listRules", response_model=RULE.page, summary="List the rules (the defaults among them)"
    )
    async def list_rules(
        page: PageQuery, _: Admin, enabled: bool | None = None, event_type: str | None = None
    ) -> dict[str, Any]:
        return page_answer(*await book.list(page, enabled=enabled, event_type=event_type))

    @router.get("/{rule_id}", operation_id="getRule", response_model=RULE.response, summary="Read one rule")
    async def get_rule(rule_id: str, _: Admin) -> JSONResponse:
        return answer(await book.repository.get(rule_id))

    @router.patch(
        "/{rule_id}", operation_id="editRule", response_model=RULE.response, summary="Change a rule (send If-Match)"
    )
    async def edit(rule_id: str, body: EditRule, _: Admin, version: IfMatch) -> JSONResponse:
        edits = edits_of(body, not_null=("name", "event_types", "recipients", "channels", "conditions"))
        return answer(await book.edit(rule_id, edits, if_match=version))

    @router.post(
        "/{rule_id}/disable", operation_id="disableRule", response_model=RULE.response, summary="Switch a rule off"
    )
    async def disable(rule_id: str, _: Admin, version: IfMatch) -> JSONResponse:
        return answer(await book.switch(rule_id, False, if_match=version))

    @router.post(
        "/{rule_id}/enable", operation_id="enableRule", response_model=RULE.response, summary="Switch a rule on"
    )
    async def enable(rule_id: str, _: Admin, version: IfMatch) -> JSONResponse:
        return answer(await book.switch(rule_id, True, if_match=version))

    return router

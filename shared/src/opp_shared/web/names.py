"""Names for screens: answers that name partners by id also carry who those partners are.

Every aggregate that involves partners names them in `partner_ids`
(an agreement's parties, a fund's sponsors, a license's licensee). A screen
shows names, so each such answer (a resource, or each item of a list page)
gains `partners`: for each id of its `partner_ids`, in order, the partner's
`name` and `name_local` as this service knows them (partners: its own
partners; the other services: their partner directory). An additive field
of the answers only: the events' states are unchanged.

    router = APIRouter(prefix=..., route_class=naming_partners(directory.refs))

The route class names partners in the JSON answers of the router's routes,
and documents the field wherever a route's answer model has `partner_ids`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any

from fastapi.routing import APIRoute
from pydantic import BaseModel, Field, create_model
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

# partner ids -> {id: {"name": ..., "name_local": ...}} for those it knows
PartnerLookup = Callable[[list[str]], Awaitable[dict[str, dict[str, Any]]]]


class PartnerRef(BaseModel):
    """A partner named by this resource: its id, and its names where this service knows it."""

    id: str
    name: str | None = Field(description="Its name (null when this service does not know the partner yet)")
    name_local: str | None = Field(None, description="Its name in its own language and script")


# Optional to the model (a route's own answer is checked before the names are added), and
# always present in what is answered: required in the document.
PARTNERS_FIELD = (
    list[PartnerRef],
    Field(
        default_factory=list,
        description="The partners of `partner_ids`, in that order, with their names: for screens",
    ),
)


def _names_partners(model: type[BaseModel]) -> bool:
    return "partner_ids" in model.model_fields or "partner_ids" in model.model_computed_fields


@cache
def named(model: type[BaseModel]) -> type[BaseModel]:
    """The answer model with `partners` beside `partner_ids` (a page: in each item)."""
    fields = model.model_fields
    if _names_partners(model):
        return create_model(model.__name__, __base__=model, __module__=model.__module__, partners=PARTNERS_FIELD)
    items = fields.get("items")
    item = (getattr(items.annotation, "__args__", None) or [None])[0] if items else None
    if isinstance(item, type) and issubclass(item, BaseModel) and _names_partners(item):
        return create_model(model.__name__, __base__=model, __module__=model.__module__, items=(list[named(item)], ...))
    return model


def _with_partners(resource: dict[str, Any], known: dict[str, dict[str, Any]]) -> None:
    ids = resource.get("partner_ids")
    if isinstance(ids, list):
        refs = [{"id": i, "name": None, "name_local": None, **known.get(i, {})} for i in ids if isinstance(i, str)]
        resource["partners"] = [{"id": r["id"], "name": r["name"], "name_local": r["name_local"]} for r in refs]


async def name_partners(body: Any, lookup: PartnerLookup) -> bool:
    """Add `partners` to a resource or to each item of a page (in place); whether it did."""
    resources = body.get("items") if isinstance(body, dict) and isinstance(body.get("items"), list) else [body]
    resources = [r for r in resources if isinstance(r, dict) and isinstance(r.get("partner_ids"), list)]
    if not resources:
        return False
    ids = list(dict.fromkeys(i for r in resources for i in r["partner_ids"] if isinstance(i, str)))
    known = await lookup(ids) if ids else {}
    for resource in resources:
        _with_partners(resource, known)
    return True


def naming_partners(lookup: PartnerLookup) -> type[APIRoute]:
    """A route class answering `partners` beside `partner_ids` (see the module's docstring)."""

    class NamingRoute(APIRoute):
        def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
            model = kwargs.get("response_model")
            if isinstance(model, type) and issubclass(model, BaseModel):
                kwargs["response_model"] = named(model)
            super().__init__(path, endpoint, **kwargs)

        def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
            handler = super().get_route_handler()

            async def with_names(request: Request) -> Response:
                response = await handler(request)
                is_json = response.headers.get("content-type", "").startswith("application/json")
                if not is_json or response.status_code >= 300 or not hasattr(response, "body"):
                    return response  # a stream, an error, or not JSON
                body = json.loads(response.body)
                if not await name_partners(body, lookup):
                    return response
                headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
                return JSONResponse(body, status_code=response.status_code, headers=headers)

            return with_names

    return NamingRoute

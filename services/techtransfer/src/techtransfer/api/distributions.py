"""`/api/v1/distributions`: share an income; read and list what was shared."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from opp_shared.fields import CurrencyCode, Key, Reference
from opp_shared.web.http import PageQuery, answer, page_answer
from techtransfer.api.access import Creating, Reader
from techtransfer.api.schemas import MakeDistribution
from techtransfer.domain.distribution import DISTRIBUTION
from techtransfer.handlers.distributions import DistributionCommands
from techtransfer.store.distributions import DistributionQueries

Out = DISTRIBUTION.response


def distributions_router(
    commands: DistributionCommands, queries: DistributionQueries, *, names: type[APIRoute] = APIRoute
) -> APIRouter:
    router = APIRouter(prefix=DISTRIBUTION.route, tags=["distributions"], route_class=names)

    @router.post(
        "",
        operation_id="distributeIncome",
        status_code=201,
        response_model=Out,
        summary="Distribute an income: direct costs first, then inventors, department, university",
    )
    async def make(body: MakeDistribution, by: Creating) -> JSONResponse:
        return await by.create(body, commands.make, DISTRIBUTION.route)

    @router.get("", operation_id="listDistributions", response_model=DISTRIBUTION.page, summary="List distributions")
    async def list_distributions(
        page: PageQuery,
        _: Reader,
        technology_id: Reference | None = None,
        license_id: Reference | None = None,
        royalty_report_id: Reference | None = None,
        inventor: Key | None = None,
        currency: CurrencyCode | None = None,
    ) -> dict[str, Any]:
        found = await queries.list(
            page,
            technology_id=technology_id,
            license_id=license_id,
            royalty_report_id=royalty_report_id,
            inventor=inventor,
            currency=currency,
        )
        return page_answer(*found)

    @router.get(
        "/{distribution_id}", operation_id="getDistribution", response_model=Out, summary="Read one distribution"
    )
    async def get_distribution(distribution_id: str, _: Reader) -> JSONResponse:
        return answer(await commands.repository.get(distribution_id))

    return router

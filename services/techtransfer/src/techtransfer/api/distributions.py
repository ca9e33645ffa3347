"""`/api/v1/distributions`: share an income; read and list what was shared."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from opp_shared.fields import CurrencyCode, Key, Reference
from opp_shared.web.http import IdempotencyKeyHeader, PageQuery, answer, create_request, created, page_answer
from techtransfer.api.access import Reader, Writer
from techtransfer.api.schemas import MakeDistribution
from techtransfer.domain.distribution import DISTRIBUTION
from techtransfer.handlers.distributions import DistributionCommands
from techtransfer.store.distributions import DistributionQueries

Out = DISTRIBUTION.response


def distributions_router(commands: DistributionCommands, queries: DistributionQueries) -> APIRouter:
    router = APIRouter(prefix=DISTRIBUTION.route, tags=["distributions"])

    @router.post(
        "",
        status_code=201,
        response_model=Out,
        summary="Distribute an income: direct costs first, then inventors, department, university",
    )
    async def make(
        body: MakeDistribution, principal: Writer, idempotency_key: IdempotencyKeyHeader = None
    ) -> JSONResponse:
        fields = body.model_dump(mode="json")
        snapshot, replayed = await commands.make(fields, create_request(principal, idempotency_key, fields))
        return created(snapshot, replayed, DISTRIBUTION.route)

    @router.get("", response_model=DISTRIBUTION.page, summary="List distributions")
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

    @router.get("/{distribution_id}", response_model=Out, summary="Read one distribution")
    async def get_distribution(distribution_id: str, _: Reader) -> JSONResponse:
        return answer(await commands.repository.get(distribution_id))

    return router

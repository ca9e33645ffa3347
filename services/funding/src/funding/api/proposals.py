"""`/api/v1/proposals` (with their reviews and decisions) and `/api/v1/reviews` (a reviewer's assignments)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from funding.api.access import Authenticated, Reader, Writer
from funding.api.schemas import (
    AssignReviewer,
    AwardProposal,
    DraftProposal,
    EditProposal,
    GiveReview,
    PersonId,
    Reason,
    RequiredReason,
)
from funding.domain.award import AWARD
from funding.domain.proposal import PROPOSAL, ProposalStatus
from funding.handlers.awards import AwardCommands
from funding.handlers.proposals import ProposalCommands
from funding.store.queries import Queries
from opp_shared.auth import Principal
from opp_shared.errors import Forbidden
from opp_shared.fields import Reference
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
)


class ReviewItem(BaseModel):
    """One reviewer's assignment on one proposal."""

    proposal_id: str
    call_id: str
    fund_id: str
    title: str
    proposal_status: str
    reviewer_id: str
    name: str
    unit: str | None
    status: str
    score: int | None
    comments: str | None
    assigned_by: str
    assigned_at: str
    submitted_at: str | None


class ReviewPage(BaseModel):
    items: list[ReviewItem]
    next_cursor: str | None


def _reads_everything(principal: Principal) -> bool:
    return bool(principal.roles)


def proposals_router(commands: ProposalCommands, awards: AwardCommands, queries: Queries) -> APIRouter:
    router = APIRouter(prefix=PROPOSAL.route, tags=["proposals"])

    @router.post("", status_code=201, response_model=PROPOSAL.response, summary="Draft a proposal to a call")
    async def draft(
        body: DraftProposal, principal: Writer, idempotency_key: IdempotencyKeyHeader = None
    ) -> JSONResponse:
        fields = body.model_dump(mode="json")
        snapshot, replayed = await commands.draft(fields, create_request(principal, idempotency_key, fields))
        return created(snapshot, replayed, PROPOSAL.route)

    @router.get("", response_model=PROPOSAL.page, summary="List proposals")
    async def list_proposals(
        page: PageQuery,
        _: Reader,
        call_id: Reference | None = None,
        fund_id: Reference | None = None,
        status: ProposalStatus | None = None,
        partner_id: Reference | None = None,
        pi_id: PersonId | None = None,
        reviewer_id: PersonId | None = None,
    ) -> dict[str, Any]:
        found = await queries.list(
            page,
            call_id=call_id,
            fund_id=fund_id,
            status=status,
            partner_ids=partner_id,
            reviewer_ids=reviewer_id,
            **{"pi.person_id": pi_id},
        )
        return page_answer(*found)

    @router.get(
        "/{proposal_id}",
        response_model=PROPOSAL.response,
        summary="Read one proposal (every role; a reviewer, the proposals assigned to them)",
    )
    async def get_proposal(proposal_id: str, principal: Authenticated) -> JSONResponse:
        snapshot = await commands.repository.get(proposal_id)
        if not _reads_everything(principal) and principal.sub not in snapshot.state.get("reviewer_ids", []):
            raise Forbidden("only the office's roles and the reviewers assigned to it read this proposal")
        return answer(snapshot)

    @router.patch("/{proposal_id}", response_model=PROPOSAL.response, summary="Edit a draft proposal")
    async def edit(proposal_id: str, body: EditProposal, _: Writer, if_match: IfMatchHeader = None) -> JSONResponse:
        edits = edits_of(body, not_null=("title", "requested", "pi"))
        return answer(await commands.edit(proposal_id, edits, if_match=parse_if_match(if_match)))

    @router.post(
        "/{proposal_id}/submit", response_model=PROPOSAL.response, summary="draft -> submitted (while the call is open)"
    )
    async def submit(proposal_id: str, _: Writer, if_match: IfMatchHeader = None) -> JSONResponse:
        return answer(await commands.submit(proposal_id, if_match=parse_if_match(if_match)))

    @router.post(
        "/{proposal_id}/withdraw",
        response_model=PROPOSAL.response,
        summary="draft, submitted or under review -> withdrawn",
    )
    async def withdraw(
        proposal_id: str, _: Writer, body: Reason | None = None, if_match: IfMatchHeader = None
    ) -> JSONResponse:
        reason = body.reason if body else None
        return answer(await commands.withdraw(proposal_id, reason, if_match=parse_if_match(if_match)))

    @router.post(
        "/{proposal_id}/reviews",
        response_model=PROPOSAL.response,
        summary="Assign a reviewer (not on the proposal, not of its unit); submitted -> under_review",
    )
    async def assign(
        proposal_id: str, body: AssignReviewer, principal: Writer, if_match: IfMatchHeader = None
    ) -> JSONResponse:
        reviewer = body.reviewer.model_dump(mode="json")
        return answer(
            await commands.assign_reviewer(proposal_id, reviewer, principal.sub, if_match=parse_if_match(if_match))
        )

    @router.put(
        "/{proposal_id}/reviews/{reviewer_id}",
        response_model=PROPOSAL.response,
        summary="Give (or revise, until the decision) your own review",
    )
    async def review(
        proposal_id: str, reviewer_id: str, body: GiveReview, principal: Authenticated, if_match: IfMatchHeader = None
    ) -> JSONResponse:
        if reviewer_id != principal.sub:
            raise Forbidden("a review is given by the reviewer assigned, with their own token")
        return answer(
            await commands.review(
                proposal_id, reviewer_id, body.score, body.comments, if_match=parse_if_match(if_match)
            )
        )

    @router.post(
        "/{proposal_id}/reject", response_model=PROPOSAL.response, summary="under_review -> rejected (who and why kept)"
    )
    async def reject(
        proposal_id: str, body: RequiredReason, principal: Writer, if_match: IfMatchHeader = None
    ) -> JSONResponse:
        return answer(await commands.reject(proposal_id, principal.sub, body.reason, if_match=parse_if_match(if_match)))

    @router.post(
        "/{proposal_id}/award",
        status_code=201,
        response_model=AWARD.response,
        summary="Award it: the fund commits the amount (within its budget), the award is granted",
    )
    async def award(
        proposal_id: str, body: AwardProposal, principal: Writer, idempotency_key: IdempotencyKeyHeader = None
    ) -> JSONResponse:
        fields = body.model_dump(mode="json")
        snapshot, replayed = await awards.award(
            proposal_id,
            fields["amount"],
            body.reason,
            principal.sub,
            create_request(principal, idempotency_key, fields),
        )
        return created(snapshot, replayed, AWARD.route)

    return router


def reviews_router(queries: Queries) -> APIRouter:
    router = APIRouter(prefix="/api/v1/reviews", tags=["reviews"])

    @router.get(
        "",
        response_model=ReviewPage,
        summary="A reviewer's assignments, one per proposal (default: yours)",
    )
    async def my_reviews(
        page: PageQuery,
        principal: Authenticated,
        reviewer_id: PersonId | None = None,
        status: ProposalStatus | None = None,
    ) -> dict[str, Any]:
        reviewer_id = reviewer_id or principal.sub
        if reviewer_id != principal.sub and not _reads_everything(principal):
            raise Forbidden("a reviewer lists their own assignments")
        proposals, cursor = await queries.list(page, reviewer_ids=reviewer_id, status=status)
        items = []
        for proposal in proposals:
            review = next(r for r in proposal["reviews"] if r["reviewer_id"] == reviewer_id)
            items.append(
                {
                    "proposal_id": proposal["_id"],
                    "call_id": proposal["call_id"],
                    "fund_id": proposal["fund_id"],
                    "title": proposal["title"],
                    "proposal_status": proposal["status"],
                    **review,
                }
            )
        return {"items": items, "next_cursor": cursor}

    return router

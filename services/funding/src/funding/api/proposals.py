"""`/api/v1/proposals` (with their reviews and decisions) and `/api/v1/reviews` (a reviewer's assignments)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel

from funding.api.access import Authenticated, Creating, Reader, Writer
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
    PageQuery,
    answer,
    created,
    edits_of,
    page_answer,
)
from opp_shared.web.routing import IfMatch


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


def proposals_router(
    commands: ProposalCommands, awards: AwardCommands, queries: Queries, *, names: type[APIRoute] = APIRoute
) -> APIRouter:
    router = APIRouter(prefix=PROPOSAL.route, tags=["proposals"], route_class=names)

    @router.post(
        "",
        operation_id="draftProposal",
        status_code=201,
        response_model=PROPOSAL.response,
        summary="Draft a proposal to a call",
    )
    async def draft(body: DraftProposal, by: Creating) -> JSONResponse:
        return await by.create(body, commands.draft, PROPOSAL.route)

    @router.get("", operation_id="listProposals", response_model=PROPOSAL.page, summary="List proposals")
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
        operation_id="getProposal",
        response_model=PROPOSAL.response,
        summary="Read one proposal (every role; a reviewer, the proposals assigned to them)",
    )
    async def get_proposal(proposal_id: str, principal: Authenticated) -> JSONResponse:
        snapshot = await commands.repository.get(proposal_id)
        if not _reads_everything(principal) and principal.sub not in snapshot.state.get("reviewer_ids", []):
            raise Forbidden("only the office's roles and the reviewers assigned to it read this proposal")
        return answer(snapshot)

    @router.patch(
        "/{proposal_id}", operation_id="editProposal", response_model=PROPOSAL.response, summary="Edit a draft proposal"
    )
    async def edit(proposal_id: str, body: EditProposal, _: Writer, version: IfMatch) -> JSONResponse:
        edits = edits_of(body, not_null=("title", "requested", "pi"))
        return answer(await commands.edit(proposal_id, edits, if_match=version))

    @router.post(
        "/{proposal_id}/submit",
        operation_id="submitProposal",
        response_model=PROPOSAL.response,
        summary="draft -> submitted (while the call is open)",
    )
    async def submit(proposal_id: str, _: Writer, version: IfMatch) -> JSONResponse:
        return answer(await commands.submit(proposal_id, if_match=version))

    @router.post(
        "/{proposal_id}/withdraw",
        operation_id="withdrawProposal",
        response_model=PROPOSAL.response,
        summary="draft, submitted or under review -> withdrawn",
    )
    async def withdraw(proposal_id: str, _: Writer, version: IfMatch, body: Reason | None = None) -> JSONResponse:
        reason = body.reason if body else None
        return answer(await commands.withdraw(proposal_id, reason, if_match=version))

    @router.post(
        "/{proposal_id}/reviews",
        operation_id="assignReviewer",
        response_model=PROPOSAL.response,
        summary="Assign a reviewer (not on the proposal, not of its unit); submitted -> under_review",
    )
    async def assign(proposal_id: str, body: AssignReviewer, principal: Writer, version: IfMatch) -> JSONResponse:
        reviewer = body.reviewer.model_dump(mode="json")
        return answer(await commands.assign_reviewer(proposal_id, reviewer, principal.sub, if_match=version))

    @router.put(
        "/{proposal_id}/reviews/{reviewer_id}",
        operation_id="giveReview",
        response_model=PROPOSAL.response,
        summary="Give (or revise, until the decision) your own review",
    )
    async def review(
        proposal_id: str, reviewer_id: str, body: GiveReview, principal: Authenticated, version: IfMatch
    ) -> JSONResponse:
        if reviewer_id != principal.sub:
            raise Forbidden("a review is given by the reviewer assigned, with their own token")
        return answer(await commands.review(proposal_id, reviewer_id, body.score, body.comments, if_match=version))

    @router.post(
        "/{proposal_id}/reject",
        operation_id="rejectProposal",
        response_model=PROPOSAL.response,
        summary="under_review -> rejected (who and why kept)",
    )
    async def reject(proposal_id: str, body: RequiredReason, principal: Writer, version: IfMatch) -> JSONResponse:
        return answer(await commands.reject(proposal_id, principal.sub, body.reason, if_match=version))

    @router.post(
        "/{proposal_id}/award",
        operation_id="awardProposal",
        status_code=201,
        response_model=AWARD.response,
        summary="Award it: the fund commits the amount (within its budget), the award is granted",
    )
    async def award(proposal_id: str, body: AwardProposal, by: Creating) -> JSONResponse:
        fields = body.model_dump(mode="json")
        snapshot, replayed = await awards.award(
            proposal_id,
            fields["amount"],
            body.reason,
            by.principal.sub,
            by.request(fields),
        )
        return created(snapshot, replayed, AWARD.route)

    return router


def reviews_router(queries: Queries, *, names: type[APIRoute] = APIRoute) -> APIRouter:
    router = APIRouter(prefix="/api/v1/reviews", tags=["reviews"], route_class=names)

    @router.get(
        "",
        operation_id="listMyReviews",
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

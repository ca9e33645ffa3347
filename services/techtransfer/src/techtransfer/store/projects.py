"""Funding's projects as techtransfer knows them, from `funding.project` events.

A technology may name the project it came out of; the project must be known
here. The view keeps each project's latest state and reads only what funding
always puts in it: `id`, `title`, `kind`, `status`, `partner_ids`,
`lead_partner_id`.
"""

from __future__ import annotations

from typing import Any

from opp_shared.errors import RuleViolation
from opp_shared.foreign_views import ForeignView, ForeignViewSpec

PROJECT_VIEW = ForeignViewSpec(name="project-view", topic="funding.project", collection="project_view")
PROJECT_FIELDS = ("id", "title", "kind", "status", "partner_ids", "lead_partner_id")


class ProjectView(ForeignView):
    async def require_known(self, project_id: str) -> dict[str, Any]:
        """The project a technology names as its origin (409 naming it when unknown)."""
        project = await self.get(project_id)
        if project is None:
            raise RuleViolation(
                f"no project {project_id!r} is known here (projects come from the funding service)",
                project_id=project_id,
            )
        return {name: project.get(name) for name in PROJECT_FIELDS}

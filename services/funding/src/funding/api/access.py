"""Who may do what in the funding service.

- `funding_officer` and `admin` write: funds, calls, proposals, decisions,
  awards, disbursements, projects, and assigning reviewers;
- every role reads;
- a reviewer is anyone with a valid token (roles or none) who has been
  assigned to a proposal: they read that proposal, list their own
  assignments, and give their own review (`Authenticated`, then the handler
  checks the assignment).
"""

from typing import Annotated

from fastapi import Depends

from opp_shared.auth import Principal, Role
from opp_shared.web.routing import creating
from opp_shared.web.security import Authenticated, Reader, requires

Writer = Annotated[Principal, Depends(requires(Role.ADMIN, Role.FUNDING_OFFICER))]
Creating = creating(Writer)  # who creates, with which Idempotency-Key

__all__ = ["Creating", "Authenticated", "Reader", "Writer"]

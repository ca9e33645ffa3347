"""Who may do what in the partners service: partnerships officers and admins write; every role reads."""

from typing import Annotated

from fastapi import Depends

from opp_shared.auth import Principal, Role
from opp_shared.web.routing import creating
from opp_shared.web.security import Reader, requires

Writer = Annotated[Principal, Depends(requires(Role.ADMIN, Role.PARTNERSHIPS_OFFICER))]
Creating = creating(Writer)  # who creates, with which Idempotency-Key

__all__ = ["Creating", "Reader", "Writer"]

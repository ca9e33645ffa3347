"""Who may do what in the notifications service: anyone with a valid token, a role or none, reads their
own inbox and keeps their own preferences (the rules address people the other services name by person
id: a proposal's PI, a reviewer, an inventor, who need hold no role); every role keeps its own
subscriptions; admins keep the directory, the rules, the webhook endpoints and the deliveries."""

from typing import Annotated

from fastapi import Depends

from opp_shared.auth import Principal, Role
from opp_shared.web.routing import creating
from opp_shared.web.security import Authenticated, Reader, requires

Admin = Annotated[Principal, Depends(requires(Role.ADMIN))]
AdminCreating = creating(Admin)  # an admin creates, with which Idempotency-Key
Creating = creating(Reader)

__all__ = ["AdminCreating", "Creating", "Admin", "Authenticated", "Reader"]

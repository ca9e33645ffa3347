"""Who may do what in the notifications service: everyone reads their own inbox and keeps their own
preferences and subscriptions; admins keep the directory, the rules, the webhook endpoints and the deliveries."""

from typing import Annotated

from fastapi import Depends

from opp_shared.auth import Principal, Role
from opp_shared.web.security import Reader, requires

Admin = Annotated[Principal, Depends(requires(Role.ADMIN))]

__all__ = ["Admin", "Reader"]

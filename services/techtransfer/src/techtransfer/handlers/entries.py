"""Ids of entries kept inside an aggregate (a patent record, a payment), made once per Idempotency-Key."""

from __future__ import annotations

from opp_shared.ids import derived_id, new_id
from opp_shared.repository import CreateRequest


def entry_id(prefix: str, request: CreateRequest) -> str:
    """A new entry's id: from the caller and the Idempotency-Key when there is one, so that a
    retry names the same entry and the aggregate recognises it (the same entry changes
    nothing, another under that id is refused); otherwise new."""
    if request.key is None:
        return new_id(prefix)
    return derived_id(prefix, f"{request.caller}\x00{request.key}", at_ms=0)

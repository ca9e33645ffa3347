"""Notifications: domain layer (who is told what; pure)."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from opp_shared.aggregate import field_errors, first_error
from opp_shared.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)


def build(model: type[M], fields: dict[str, Any]) -> M:
    """A new state from fields, a rule it breaks refused as invalid input (422), as `evolve` does."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        raise InvalidInput(first_error(exc), errors=field_errors(exc)) from None

"""A life cycle: which action leads from which states to which state (pure).

    PROPOSAL_LIFE = Lifecycle("proposal", {
        "submit": ({Status.DRAFT}, Status.SUBMITTED),
        "withdraw": ({Status.DRAFT, Status.SUBMITTED, Status.UNDER_REVIEW}, Status.WITHDRAWN),
    })
    target = PROPOSAL_LIFE.move(current.status, "submit")

Any other move is refused with 409 `illegal-transition`, naming the current
status and the states the action may start from, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Generic, TypeVar

from opp_shared.errors import IllegalTransition

E = TypeVar("E", bound=StrEnum)


class Lifecycle(Generic[E]):
    def __init__(self, noun: str, moves: dict[str, tuple[Iterable[E], E]]) -> None:
        self.noun = noun
        self.moves = {action: (frozenset(sources), target) for action, (sources, target) in moves.items()}

    def sources(self, action: str) -> frozenset[E]:
        return self.moves[action][0]

    def allows(self, current: E, action: str) -> bool:
        return current in self.sources(action)

    def move(self, current: E, action: str) -> E:
        """The state `action` leads to from `current` (IllegalTransition when it may not start there)."""
        sources, target = self.moves[action]
        if current not in sources:
            raise IllegalTransition(
                f"cannot {action.replace('_', ' ')} a {self.noun} that is {current.value.replace('_', ' ')}",
                current_status=current.value,
                allowed_from=sorted(s.value for s in sources),
            )
        return target

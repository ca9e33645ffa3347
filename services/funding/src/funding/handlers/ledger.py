"""Changes to a ledger (a fund's awards, an award's disbursements), counted.

A ledger change is the one decision that keeps a sum within its limit: like
every change, it is decided one at a time per aggregate in this process, and
decided again when a copy of the service elsewhere recorded first. How many
decisions each change took is measured (`opp_funding_ledger_attempts`), so a
hot fund shows up in the metrics.
"""

from __future__ import annotations

from funding.metrics import LEDGER_ATTEMPTS
from opp_shared.aggregate import Change, S, Snapshot
from opp_shared.repository import Decide, Repository


async def change_ledger(ledger: str, repository: Repository[S], aggregate_id: str, decide: Decide[S]) -> Snapshot:
    attempts = 0

    def counted(state: S) -> Change | None:
        nonlocal attempts
        attempts += 1
        return decide(state)

    try:
        return await repository.change(aggregate_id, counted)
    finally:
        if attempts:
            LEDGER_ATTEMPTS.labels(ledger).observe(attempts)

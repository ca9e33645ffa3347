"""The funding service's own metrics (beside the platform's, on `/metrics`)."""

from prometheus_client import Histogram

# How many times a ledger change was decided before it was recorded or refused: 1 when
# nothing raced it. Labels: `ledger` is `fund` (awards) or `award` (disbursements).
LEDGER_ATTEMPTS = Histogram(
    "opp_funding_ledger_attempts",
    "Decisions taken per ledger change (more than one: it lost a race and was decided again)",
    ["ledger"],
    buckets=(1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64),
)

"""Funding: api layer."""

# The groups of routes in /docs, in the order shown.
TAGS = [
    {
        "name": "funds",
        "description": (
            "Joint funds with sponsoring partners (`partners` names them), their budget and live "
            "figures: committed, disbursed, available."
        ),
    },
    {
        "name": "calls",
        "description": "Calls for proposals of a fund, open between two instants.",
    },
    {
        "name": "proposals",
        "description": (
            "Proposals to a call: drafted, submitted, reviewed, then rejected or awarded (the fund commits the amount)."
        ),
    },
    {
        "name": "reviews",
        "description": "A reviewer's assignments and their own reviews.",
    },
    {
        "name": "awards",
        "description": "Awards made from proposals, with their disbursement figures.",
    },
    {
        "name": "disbursements",
        "description": "Payments of an award: scheduled, approved (its deliverable accepted), paid or cancelled.",
    },
    {
        "name": "projects",
        "description": (
            "Joint research, commissioned and multi-party projects with milestones, deliverables and invoices."
        ),
    },
]

"""Partners' HTTP API: routes and schemas; turns HTTP into commands, nothing more."""

# The groups of routes in /docs, in the order shown.
TAGS = [
    {
        "name": "partners",
        "description": (
            "Partner organizations abroad: universities, institutes, enterprises, foundations, "
            "agencies. Register, edit, change status, archive, merge; search with `q` by any word of "
            "the name, the local name or an alias; a partner's portfolio across the platform."
        ),
    },
    {
        "name": "agreements",
        "description": (
            "Agreements with partners and their life cycle: draft → under_review → signed → active → "
            "expired or terminated, withdrawal before signature, renewals, amendments and frameworks. "
            "Each answer names its parties in `partners`."
        ),
    },
    {
        "name": "centers",
        "description": "Joint research centers with partners: establish, edit, close.",
    },
]

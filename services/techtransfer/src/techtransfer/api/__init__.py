"""The techtransfer HTTP API: routes and request schemas."""

# The groups of routes in /docs, in the order shown.
TAGS = [
    {
        "name": "technologies",
        "description": "Inventions disclosed by the university's inventors, their patents and deadlines.",
    },
    {
        "name": "licenses",
        "description": (
            "Licenses and assignments of technologies to partners (`partners` names the licensee): "
            "terms, export classification, execution."
        ),
    },
    {
        "name": "royalty-reports",
        "description": "A license's royalty reports per period and currency, payments against them, and totals.",
    },
    {
        "name": "distributions",
        "description": "How an income is shared: direct costs first, then inventors, department and university.",
    },
]

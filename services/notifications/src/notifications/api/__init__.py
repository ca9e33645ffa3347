"""Notifications: api layer."""

# The groups of routes in /docs, in the order shown.
TAGS = [
    {
        "name": "notifications",
        "description": (
            "Your inbox: notices addressed to you or your roles, read state, and a live stream (Server-Sent Events)."
        ),
    },
    {
        "name": "people",
        "description": (
            "The directory of people who get notices (admins), and your own entry and preferences (`/me`)."
        ),
    },
    {
        "name": "rules",
        "description": "Which events notify whom, by which channel: the defaults and the office's own (admins).",
    },
    {
        "name": "subscriptions",
        "description": "Your subscriptions to event types, optionally about one aggregate.",
    },
    {
        "name": "webhooks",
        "description": "Endpoints of other university systems that receive signed events (admins).",
    },
    {
        "name": "deliveries",
        "description": "Every email and webhook delivery with its attempts; replay one (admins).",
    },
]

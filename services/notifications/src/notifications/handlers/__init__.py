"""Notifications' handlers: commands on people, rules, subscriptions and webhook endpoints; the consumers'
recording of notices and deliveries; the senders' attempts."""

from __future__ import annotations

from typing import Any

from opp_shared.aggregate import AggregateType, S, Snapshot


def read_document(kind: AggregateType[S], document: dict[str, Any]) -> S:
    """The state model of a current-state document (as lists and queries find them)."""
    return kind.read(Snapshot(document["_id"], document["version"], document))

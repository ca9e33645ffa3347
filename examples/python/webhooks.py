"""Verify a webhook delivery of the platform's notifications service (Standard Webhooks), stdlib only.

    verify(secret, headers, body)  # raises InvalidSignature, or answers None

`secret` is the endpoint's `whsec_...` secret, `headers` the request's headers (any case),
`body` its bytes exactly as received. See docs/subscribing.md, "Webhooks".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping

TOLERANCE_SECONDS = 5 * 60


class InvalidSignature(Exception):
    pass


def verify(secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> None:
    lower = {name.lower(): value for name, value in headers.items()}
    try:
        message_id, timestamp, signatures = (
            lower["webhook-id"],
            lower["webhook-timestamp"],
            lower["webhook-signature"],
        )
        sent_at = int(timestamp)
    except (KeyError, ValueError):
        raise InvalidSignature("webhook-id, webhook-timestamp and webhook-signature are required") from None
    if abs((time.time() if now is None else now) - sent_at) > TOLERANCE_SECONDS:
        raise InvalidSignature("the timestamp is too far from now (a replay?)")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for signature in signatures.split():
        version, _, value = signature.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return
    raise InvalidSignature("no signature matches")

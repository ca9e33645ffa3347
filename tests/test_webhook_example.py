"""The subscriber's guide's webhook check (examples/python/webhooks.py, stdlib only) verifies what the
notifications service signs, and refuses what it did not sign."""

import base64
import importlib.util
import os
from datetime import UTC, datetime, timedelta

import pytest

from notifications.senders import sign
from opp_devstack.common import REPO_ROOT

spec = importlib.util.spec_from_file_location("webhooks", REPO_ROOT / "examples" / "python" / "webhooks.py")
webhooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(webhooks)


def secret():
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


def delivery(secrets, body, at):
    return {
        "Webhook-Id": "dlv_01JD3W5V6Q8ZK4R7N2M0XYBC9T",
        "Webhook-Timestamp": str(int(at.timestamp())),
        "Webhook-Signature": sign(secrets, "dlv_01JD3W5V6Q8ZK4R7N2M0XYBC9T", at, body.decode()),
    }


def test_a_delivery_signed_by_the_service_verifies_and_nothing_else_does():
    old, new, body, now = secret(), secret(), b'{"specversion":"1.0","id":"e1"}', datetime.now(UTC)
    webhooks.verify(new, delivery([new], body, now), body)
    rotating = delivery([old, new], body, now)  # both secrets sign while one is being rotated
    webhooks.verify(old, rotating, body)
    webhooks.verify(new, rotating, body)
    refused = {
        "another secret": (secret(), delivery([new], body, now), body),
        "a changed body": (new, delivery([new], body, now), body.replace(b"e1", b"e2")),
        "an old timestamp": (new, delivery([new], body, now - timedelta(minutes=6)), body),
        "no signature": (new, {k: v for k, v in delivery([new], body, now).items() if k != "Webhook-Signature"}, body),
    }
    for what, (key, headers, content) in refused.items():
        with pytest.raises(webhooks.InvalidSignature):
            webhooks.verify(key, headers, content)
            pytest.fail(what)

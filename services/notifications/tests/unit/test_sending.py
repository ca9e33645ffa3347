"""The senders' side on in-memory ports: attempts, backoff, failure, replay, endpoints disabled, secrets rotated."""

from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook as Verifier

from notifications.domain.deliveries import Backoff, Outcome, next_step
from notifications.domain.webhooks import check_url
from notifications.senders import sign
from opp_shared.errors import InvalidInput, RuleViolation
from opp_shared.repository import CreateRequest

from .conftest import FakeWay, Office, event


async def due_now(office, clock, channel="webhook"):
    """Move the clock past every due_at, then drain once."""
    clock.advance(timedelta(hours=2))
    return await office.drain(channel)


async def test_a_receiver_that_fails_three_times_gets_the_delivery_once_on_the_fourth(clock):
    office = Office(clock, webhook=FakeWay(fail=3))
    await office.endpoint()
    await office.webhook_deliveries.record(event("partners.partner.registered", {"name": "X"}))
    assert await office.drain("webhook") == 1  # the first attempt, at once
    for _ in range(4):
        await due_now(office, clock)
    [delivery] = await office.deliveries.records.documents.find({})
    assert delivery["status"] == "sent" and delivery["attempts"] == 4
    assert [n for _, n in office.webhook.calls] == [1, 2, 3, 4]
    assert office.ports.events("notifications.delivery") == []


async def test_one_that_always_fails_ends_failed_announced_once_and_in_the_log(clock):
    office = Office(clock, webhook=FakeWay(fail=99), webhook_max_attempts=3)
    await office.endpoint()
    await office.webhook_deliveries.record(event("partners.partner.registered", {"name": "X"}))
    for _ in range(6):
        await due_now(office, clock)
    [delivery] = await office.deliveries.records.documents.find({})
    assert delivery["status"] == "failed" and delivery["attempts"] == 3
    [failed] = office.ports.events("notifications.delivery")
    assert failed.type == "notifications.delivery.failed" and failed.subject == delivery["_id"]
    assert failed.state["attempts"] == 3 and failed.state["channel"] == "webhook"
    assert [a["outcome"] for a in await office.deliveries.attempts_of(delivery["_id"])] == ["failed"] * 3
    # the admins hear of it, and the failure is not sent to the endpoint it is about
    await office.notices.record(failed)
    assert (await office.inbox_of("root", "admin"))[0]["event_type"] == "notifications.delivery.failed"
    assert await office.webhook_deliveries.record(failed) == 0


async def test_a_replay_sends_again_with_a_new_round_and_the_same_key(clock):
    from notifications.handlers.sending import replay

    office = Office(clock, webhook=FakeWay(fail=2), webhook_max_attempts=2)
    await office.endpoint()
    await office.webhook_deliveries.record(event("partners.partner.registered", {"name": "X"}))
    for _ in range(3):
        await due_now(office, clock)
    [delivery] = await office.deliveries.records.documents.find({})
    assert delivery["status"] == "failed"
    await replay(office.deliveries, delivery["_id"], clock.now())
    await due_now(office, clock)
    assert (await office.deliveries.get(delivery["_id"]))["status"] == "sent"
    assert {key for key, _ in office.webhook.calls} == {delivery["_id"]}
    await replay(office.deliveries, delivery["_id"], clock.now())  # a sent one may be sent again too
    with pytest.raises(RuleViolation):  # but not while it is pending
        await replay(office.deliveries, delivery["_id"], clock.now())


async def test_an_attempt_claimed_by_another_sender_is_not_made_twice_and_a_dead_one_is_taken_over(clock):
    office = Office(clock)
    await office.endpoint()
    await office.webhook_deliveries.record(event("partners.partner.registered", {"name": "X"}))
    [delivery] = await office.deliveries.records.documents.find({})
    assert await office.deliveries.begin_attempt(delivery, 1, "2027-03-01T08:00:00.000Z")  # another copy, then it died
    assert await office.drain("webhook") == 0 and office.webhook.calls == []
    clock.advance(timedelta(minutes=5))
    await office.drain("webhook")  # the dead attempt counts as interrupted
    await due_now(office, clock)
    assert office.webhook.calls == [(delivery["_id"], 2)]
    assert (await office.deliveries.get(delivery["_id"]))["status"] == "sent"


async def test_an_endpoint_is_disabled_after_a_run_of_failures_until_enabled(clock):
    office = Office(clock, webhook=FakeWay(fail=99), webhook_disable_after_failures=3, webhook_max_attempts=2)
    snapshot, _ = await office.endpoint()
    for n in range(2):
        await office.webhook_deliveries.record(event("partners.partner.registered", {"name": f"X{n}"}))
    for _ in range(3):
        await due_now(office, clock)
    endpoint = await office.webhooks.repository.read(snapshot.id)
    assert not endpoint.enabled and "3 failed attempts" in endpoint.disabled_reason
    assert await office.webhook_deliveries.record(event("partners.partner.registered", {"name": "Y"})) == 0
    await office.webhooks.enable(snapshot.id, if_match=None)
    assert await office.webhook_deliveries.record(event("partners.partner.registered", {"name": "Z"})) == 1


async def test_email_failures_are_not_announced_by_email(clock):
    office = Office(clock, email=FakeWay(fail=99, permanent=True))
    await office.person("alice")
    await office.notices.record(event("partners.partner.registered", {"name": "X", "relationship_owner_id": "alice"}))
    await office.drain("email")
    [failed] = office.ports.events("notifications.delivery")
    fields = {
        "name": "Everything by email to admins",
        "event_types": ["*"],
        "recipients": ["role:admin"],
        "channels": ["inbox", "email"],
    }
    await office.rules.add(fields, CreateRequest("admin", None, fields))
    await office.person("root", roles=["admin"])
    assert await office.notices.record(failed) == (1, 0)


def test_backoff_doubles_with_jitter_up_to_a_cap_and_the_last_attempt_fails():
    backoff = Backoff(base_seconds=10, cap_seconds=60, max_attempts=3)
    assert [backoff.delay(n, lambda: 0.0).total_seconds() for n in (1, 2, 3, 4)] == [5, 10, 20, 30]
    assert [backoff.delay(n, lambda: 1.0).total_seconds() for n in (1, 2, 3, 4)] == [10, 20, 40, 60]
    now = datetime(2027, 1, 1, tzinfo=UTC)
    assert next_step(2, Outcome(sent=False), backoff, now)["status"] == "pending"
    assert next_step(3, Outcome(sent=False), backoff, now)["status"] == "failed"
    assert next_step(4, Outcome(sent=False), backoff, now, round_start=3)["status"] == "pending"
    assert next_step(1, Outcome(sent=False, permanent=True), backoff, now)["status"] == "failed"


async def test_while_a_secret_is_rotated_both_sign_and_either_verifies(office, clock):
    snapshot, old = await office.endpoint()
    rotated, new = await office.webhooks.rotate_secret(snapshot.id, timedelta(hours=1), if_match=None)
    endpoint = office.webhooks.repository.kind.read(rotated)
    secrets = await office.webhooks.signing_secrets(endpoint, clock.now())
    assert secrets == [old, new] and old != new
    now = datetime.now(UTC)
    headers = {"webhook-id": "dlv_1", "webhook-timestamp": str(int(now.timestamp()))}
    headers["webhook-signature"] = sign(secrets, "dlv_1", now, '{"a":1}')
    assert Verifier(old).verify('{"a":1}', headers) == {"a": 1}
    assert Verifier(new).verify('{"a":1}', headers) == {"a": 1}
    clock.advance(timedelta(hours=2))
    assert await office.webhooks.signing_secrets(endpoint, clock.now()) == [new]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8080/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:10.0.0.1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_urls_to_private_addresses_are_refused_unless_allowed(url):
    with pytest.raises(RuleViolation):
        check_url(url, allow_private=False)
    assert check_url(url, allow_private=True) == url


def test_a_url_is_http_without_credentials():
    assert check_url("https://hooks.example.edu/x", allow_private=False)
    for bad in ("ftp://example.edu/x", "https://user:pw@example.edu/x"):
        with pytest.raises(InvalidInput):
            check_url(bad, allow_private=False)

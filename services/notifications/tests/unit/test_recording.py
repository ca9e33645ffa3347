"""What the consumers record: inbox entries and deliveries, once per event, channel and target."""

from notifications.domain.rules import Channel
from opp_shared.pagination import PageParams
from opp_shared.repository import CreateRequest

from .conftest import event, principal

OWNED = {"name": "University of Tokyo", "country": "JP", "kind": "university", "status": "active"}


async def test_a_registration_reaches_the_office_and_by_email_its_relationship_owner(office):
    await office.person("alice", email="alice@example.edu")
    registered = event("partners.partner.registered", {**OWNED, "relationship_owner_id": "alice"})
    assert await office.notices.record(registered) == (3, 1)
    [entry] = await office.inbox_of("alice")
    assert entry["recipient"] == "user:alice" and entry["title"] == "New partner: University of Tokyo (JP)"
    assert [e["recipient"] for e in await office.inbox_of("someone", "partnerships_officer")] == [
        "role:partnerships_officer"
    ]
    [delivery] = await office.deliveries.records.documents.find({"channel": "email"})
    assert delivery["target"] == "alice" and delivery["message"]["to"] == "alice@example.edu"
    assert delivery["message"]["subject"] == "New partner: University of Tokyo (JP)"


async def test_a_duplicate_event_gives_one_effect_per_channel(office):
    await office.person("alice")
    await office.endpoint()
    registered = event("partners.partner.registered", {**OWNED, "relationship_owner_id": "alice"})
    first = (await office.notices.record(registered), await office.webhook_deliveries.record(registered))
    again = (await office.notices.record(registered), await office.webhook_deliveries.record(registered))
    assert first == ((3, 1), 1) and again == ((0, 0), 0)
    assert len(await office.deliveries.records.documents.find({})) == 2


async def test_someone_addressed_personally_and_through_a_role_finds_the_notice_once(office):
    await office.person("olivia", roles=["partnerships_officer"], channels=["inbox"])
    registered = event("partners.partner.registered", {**OWNED, "relationship_owner_id": "olivia"})
    await office.notices.record(registered)
    entries = await office.inbox_of("olivia", "partnerships_officer")
    assert [e["recipient"] for e in entries] == ["role:partnerships_officer"]
    assert await office.deliveries.records.documents.find({}) == []  # she takes no email


async def test_a_new_relationship_owner_hears_of_it_and_other_edits_stay_quiet(office):
    other = event("partners.partner.updated", {**OWNED, "relationship_owner_id": "bob"}, {"fields": ["website"]})
    assert await office.notices.record(other) == (0, 0)
    assigned = event(
        "partners.partner.updated", {**OWNED, "relationship_owner_id": "bob"}, {"fields": ["relationship_owner_id"]}
    )
    assert (await office.notices.record(assigned))[0] == 1
    assert (await office.inbox_of("bob"))[0]["event_type"] == "partners.partner.updated"


async def test_an_admin_s_new_rule_applies_at_once_and_a_switched_off_default_stops(office):
    await office.rules.enabled()  # the defaults are added on first use
    fields = {
        "name": "Strategic partners to funding officers",
        "event_types": ["partners.partner.*"],
        "conditions": [{"field": "state.tier", "op": "eq", "value": "strategic"}],
        "recipients": ["role:funding_officer"],
        "template": {"subject": "Strategic: {name}", "text": "{name} ({s[tier]})"},
    }
    await office.rules.add(fields, CreateRequest("admin", None, fields))
    await office.rules.switch("partners-partner-office", False, if_match=None)
    await office.notices.record(event("partners.partner.registered", {**OWNED, "tier": "standard"}))
    await office.notices.record(event("partners.partner.registered", {**OWNED, "tier": "strategic"}))
    [entry] = await office.inbox_of("fiona", "funding_officer")
    assert entry["title"] == "Strategic: University of Tokyo"
    assert await office.inbox_of("olivia", "partnerships_officer") == []


async def test_a_default_changed_in_the_code_follows_unless_an_admin_edited_it(office):
    await office.rules.enabled()
    await office.rules.edit("partners-center-office", {"channels": ["inbox", "email"]}, if_match=None)
    changed = [d.model_copy(update={"name": d.name + " (v2)"}) for d in office.rules.defaults]
    office.rules.defaults = changed
    assert await office.rules.add_defaults() == len(changed) - 1
    center = await office.rules.repository.read("partners-center-office")
    office_rule = await office.rules.repository.read("partners-partner-office")
    assert not center.name.endswith("(v2)") and center.channels == [Channel.INBOX, Channel.EMAIL]
    assert office_rule.name.endswith("(v2)")


async def test_a_subscription_narrowed_to_a_partner_hears_of_its_agreements(office):
    fields = {"event_types": ["partners.agreement.*"], "aggregate_id": "ptn_9", "channels": ["inbox"]}
    await office.subscriptions.create("sam", fields, CreateRequest("sam", None, fields))
    await office.notices.record(
        event("partners.agreement.drafted", {"title": "A", "partner_ids": ["ptn_1"]}, subject="agr_1")
    )
    await office.notices.record(
        event("partners.agreement.drafted", {"title": "B", "partner_ids": ["ptn_9"]}, subject="agr_2")
    )
    assert [e["subject"] for e in await office.inbox_of("sam")] == ["agr_2"]


async def test_read_state_is_per_person_also_for_a_role_s_notices(office, clock):
    await office.notices.record(event("partners.partner.archived", OWNED))
    await office.notices.record(event("partners.center.established", {"name": "Joint Center"}, subject="ctr_1"))
    ann, ben = principal("ann", "admin"), principal("ben", "admin")
    entries = await office.inbox_of("ann", "admin")
    await office.inbox.read_one(ann, entries[0]["_id"], "2027-03-01T08:00:01.000Z")
    assert await office.inbox.unread_count(ann) == 1 and await office.inbox.unread_count(ben) == 2
    assert [e["read"] for e in await office.inbox_of("ann", "admin")] == [True, False]
    assert len(await office.inbox_of("ann", "admin", unread=True)) == 1
    await office.inbox.read_all(ben, "2027-03-01T09:00:00.000Z")
    assert await office.inbox.unread_count(ben) == 0 and await office.inbox.unread_count(ann) == 1
    await office.inbox.read_all(ben, "2027-01-01T00:00:00.000Z")  # never moved back
    assert await office.inbox.unread_count(ben) == 0
    items, _ = await office.inbox.list_for(ann, PageParams(limit=1))
    assert len(items) == 1

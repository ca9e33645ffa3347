"""Notifications' default rules for funding's and techtransfer's events fire for the events the real
services produce, driven through their APIs and schedules; emails reach a real SMTP server.

Partners' rules have their own test beside the service (services/notifications/tests/integration/
test_default_rules.py). Here every rule whose id starts with `funding-` or `techtransfer-` must fire
for every event type it names, for the people the events name: a proposal's reviewer
(`change.reviewer_id`), PI and co-PIs (`state.pi`, `state.co_pis`), an award's PI, a technology's
and a distribution's inventors (`state.inventor_ids`), a license's and a royalty report's owner
(`state.owner_id`), and the offices by role.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from notifications.domain.defaults import DEFAULT_RULES
from opp_shared.clock import rfc3339
from opp_shared.testing.helpers import auth, eventually

from .conftest import ADMIN, Platform, money

WANTED = [rule for rule in DEFAULT_RULES if rule.id.startswith(("funding-", "techtransfer-"))]
OFFICES = {"partnerships_officer": "pat", "techtransfer_officer": "tess", "funding_officer": "fred"}
PEOPLE = ["rev.wang", "pi.zhang", "cora.smith", "ivy.li", "ian.chen", "lena.ma"]

# Whom each rule reaches in this world (an inbox entry per role, or per person the event names).
RECIPIENTS = {
    "funding-office": {"role:admin", "role:funding_officer"},
    "funding-fund-flagged-partnerships": {"role:admin", "role:partnerships_officer"},
    "funding-fund-created-flagged-partnerships": {"role:admin", "role:partnerships_officer"},
    "funding-reviewer": {"user:rev.wang"},
    "funding-proposal-team": {"user:pi.zhang", "user:cora.smith"},
    "funding-award-pi": {"user:pi.zhang"},
    "techtransfer-office": {"role:admin", "role:techtransfer_officer"},
    "techtransfer-deadline-urgent": {"role:admin", "role:techtransfer_officer"},
    "techtransfer-inventors": {"user:ivy.li", "user:ian.chen"},
    "techtransfer-license-owner": {"user:lena.ma"},
}


def email(person: str) -> str:
    return f"{person}@example.edu"


def at(day: str) -> datetime:
    """10:00 in Beijing on that day."""
    return datetime.fromisoformat(day).replace(hour=2, tzinfo=UTC)


async def drive_funding(p: Platform) -> dict[str, str]:
    """Every funding event a rule names, through funding's API and schedule; partners' agreements
    (through partners' API) flag and clear a fund."""
    f = p.funding
    cambridge = await p.partner("University of Cambridge", "university", "GB")
    chunfeng = await p.partner("Chunfeng Foundation", "foundation", "CN")

    # A fund that needs an agreement with its sponsor: cleared when one comes into force, flagged when it ends.
    guarded = await f.create(
        "/api/v1/funds",
        {
            "name": "Chunfeng Seed Fund",
            "partner_ids": [chunfeng],
            "budget": money("50000.00"),
            "agreement_required": True,
        },
    )
    assert guarded["flagged"]
    agreement = await p.agreement_in_force(chunfeng)

    async def flag_is(flagged: bool) -> bool:
        return (await f.read(f"/api/v1/funds/{guarded['id']}"))["flagged"] is flagged

    await eventually(lambda: flag_is(False))
    terminate = {"reason": "programme ended", "terminated_on": "2027-03-01"}
    await p.partners.act(f"/api/v1/agreements/{agreement}/terminate", terminate)
    await eventually(lambda: flag_is(True))
    await f.act(f"/api/v1/funds/{guarded['id']}/close", {"reason": "no agreement in sight"})

    fund = await f.create(
        "/api/v1/funds", {"name": "Cambridge Joint Fund", "partner_ids": [cambridge], "budget": money("300000.00")}
    )
    now = p.clock.now()
    call = await f.create(
        "/api/v1/calls",
        {
            "fund_id": fund["id"],
            "title": "Seed call 2027",
            "opens_at": rfc3339(now + timedelta(hours=1)),
            "closes_at": rfc3339(now + timedelta(days=20)),
            "max_award": money("50000.00"),
        },
    )
    p.clock.advance(timedelta(hours=1))
    assert (await p.tick())["funding"]["call-schedule"] == 1  # opened

    async def proposal(title: str, co_pi: dict) -> str:
        body = {
            "call_id": call["id"],
            "title": title,
            "requested": money("40000.00"),
            "pi": {"person_id": "pi.zhang", "name": "Prof. Zhang", "unit": "Civil Engineering"},
            "co_pis": [{"name": "Dr. Smith", "partner_id": cambridge, **co_pi}],
        }
        return (await f.create("/api/v1/proposals", body))["id"]

    reviewer = {"reviewer": {"person_id": "rev.wang", "name": "Prof. Wang", "unit": "Architecture"}}
    awarded = await proposal("Low-carbon cement", {"person_id": "cora.smith"})
    rejected = await proposal("Self-healing concrete", {})
    for proposal_id in (awarded, rejected):
        await f.act(f"/api/v1/proposals/{proposal_id}/submit")
        await f.act(f"/api/v1/proposals/{proposal_id}/reviews", reviewer)
    review = {"score": 8, "comments": "a convincing plan"}
    await f.ok("PUT", f"/api/v1/proposals/{awarded}/reviews/rev.wang", review, headers=auth(sub="rev.wang"))
    decision = {"amount": money("40000.00"), "reason": "ranked first"}
    award = await f.create(f"/api/v1/proposals/{awarded}/award", decision)
    await f.act(f"/api/v1/proposals/{rejected}/reject", {"reason": "out of scope"})
    withdrawn = await proposal("Bamboo trusses", {})
    await f.act(f"/api/v1/proposals/{withdrawn}/withdraw", {"reason": "the PI moved"})

    paid = await f.create(
        "/api/v1/disbursements",
        {
            "award_id": award["id"],
            "amount": money("10000.00"),
            "scheduled_on": "2027-04-01",
            "deliverable": {"title": "Progress report"},
        },
    )
    for action in ("deliverable/accept", "approve", "pay"):
        await f.act(f"/api/v1/disbursements/{paid['id']}/{action}")
    cancelled = await f.create(
        "/api/v1/disbursements", {"award_id": award["id"], "amount": money("5000.00"), "scheduled_on": "2027-06-01"}
    )
    await f.act(f"/api/v1/disbursements/{cancelled['id']}/cancel", {"reason": "merged into the first"})
    await f.act(f"/api/v1/awards/{award['id']}/close", {"reason": "all paid"})

    research = await f.create(
        "/api/v1/projects",
        {
            "title": "Low-carbon cement pilot",
            "kind": "joint_research",
            "partner_ids": [cambridge],
            "award_id": award["id"],
            "milestones": [{"key": "m1", "title": "Prototype mix"}],
        },
    )
    for action in ("start", "milestones/m1/reach", "complete"):
        await f.act(f"/api/v1/projects/{research['id']}/{action}")
    siemens = await p.partner("Siemens AG", "enterprise", "DE")
    commissioned = await f.create(
        "/api/v1/projects",
        {
            "title": "Cement kiln sensors",
            "kind": "commissioned",
            "partner_ids": [siemens],
            "contract": {"client_id": siemens, "value": money("100000.00")},
            "invoices": [{"number": "INV-1", "amount": money("50000.00"), "due_on": "2027-06-01"}],
        },
    )
    for action in ("start", "invoices/INV-1/pay"):
        await f.act(f"/api/v1/projects/{commissioned['id']}/{action}")
    await f.act(f"/api/v1/projects/{commissioned['id']}/terminate", {"reason": "client withdrew"})
    return {
        "siemens": siemens,
        "chunfeng": chunfeng,
        "awarded": "Low-carbon cement",
        "rejected": "Self-healing concrete",
    }


async def drive_techtransfer(p: Platform, siemens: str) -> dict[str, str]:
    """Every techtransfer event a rule names, through techtransfer's API and schedule, on 1 March,
    1 April and 2 May 2027."""
    t = p.techtransfer
    inventors = [
        {"person_id": "ivy.li", "name": "Li Ivy", "unit": "Materials", "share": "60"},
        {"person_id": "ian.chen", "name": "Chen Ian", "unit": "Materials", "share": "40"},
    ]
    body = {"title": "Solid-state separator", "department": "Materials", "readiness_level": 5, "inventors": inventors}
    technology = (await t.create("/api/v1/technologies", body))["id"]
    patent = {  # the priority year ends on 20 May 2027: within the 90-day lead time today
        "jurisdiction": "CN",
        "application_number": "CN202610055555.1",
        "priority_date": "2026-05-20",
        "filing_date": "2026-05-20",
    }
    await t.create(f"/api/v1/technologies/{technology}/patents", patent)
    for action in ("evaluate", "protect", "offer"):
        await t.act(f"/api/v1/technologies/{technology}/{action}")

    async def license(title: str, **terms) -> str:
        body = {
            "title": title,
            "licensee_id": siemens,
            "technology_ids": [technology],
            "kind": "exclusive",
            "territory": ["DE"],
            "field_of_use": "industrial batteries",
            "effective_from": "2027-01-01",
            "currency": "EUR",
            "royalty_rate": "3.5",
            "owner_id": "lena.ma",
            **terms,
        }
        return (await t.create("/api/v1/licenses", body))["id"]

    exclusive = await license("Separator licence, Germany", minimum_annual_royalty=money("10000.00"))
    classify = f"/api/v1/licenses/{exclusive}/export-classification"
    await t.act(classify, {"classification": "restricted"})  # no permit yet
    await t.act(classify, {"classification": "restricted", "permit_reference": "MOFCOM-2027-0042"})
    await t.act(f"/api/v1/licenses/{exclusive}/execute")
    rival = await license("Separator licence, Germany, again")
    await t.act(f"/api/v1/licenses/{rival}/export-classification", {"classification": "free"})
    refused = await t.attempt(f"/api/v1/licenses/{rival}/execute")  # refused before anything is recorded
    assert refused.status_code == 409 and refused.json()["conflicting_id"] == exclusive, refused.text
    assert (await t.read(f"/api/v1/licenses/{rival}"))["version"] == 2
    # `execution_refused` is recorded only when two executions both passed those checks and raced
    # for the same rights: two licenses of one technology executed at once (a new pair each round,
    # for the rare round where the second request's checks already saw the first's reservation).
    for round_ in range(5):
        contested = (await t.create("/api/v1/technologies", body | {"title": f"Sodium anode {round_}"}))["id"]
        for action in ("evaluate", "offer"):
            await t.act(f"/api/v1/technologies/{contested}/{action}")
        pair = [await license(f"Anode licence {n}", technology_ids=[contested]) for n in "AB"]
        for license_id in pair:
            await t.act(f"/api/v1/licenses/{license_id}/export-classification", {"classification": "free"})
        answers = await asyncio.gather(*(t.attempt(f"/api/v1/licenses/{x}/execute") for x in pair))
        assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
        loser = [a.status_code for a in answers].index(409)
        history = await t.read(f"/api/v1/licenses/{pair[loser]}/history")
        if history["items"][-1]["type"] == "techtransfer.license.execution_refused":
            refused_title = f"Anode licence {'AB'[loser]}"
            break
    else:
        raise AssertionError("no execution was refused in a race in five rounds")

    short = await license(
        "Separator licence, France", kind="non_exclusive", territory=["FR"], field_of_use="all", expires_on="2027-04-30"
    )
    await t.act(f"/api/v1/licenses/{short}/export-classification", {"classification": "free"})
    await t.act(f"/api/v1/licenses/{short}/execute")
    executed = 2 + round_ + 1  # the German and French licences, and each round's winner
    fired = (await p.tick())["techtransfer"]
    assert fired["patent-deadlines"] == 1 and fired["license-term"] == executed  # in force since 1 January

    p.clock.set(at("2027-04-01"))  # the first quarter's reports open
    assert (await p.tick())["techtransfer"]["royalty-reports"] == executed
    [report] = (await t.read("/api/v1/royalty-reports", license_id=short))["items"]
    await t.act(f"/api/v1/royalty-reports/{report['id']}/receive", {"revenue": money("20000.00")})
    payment = await t.client.post(
        f"/api/v1/royalty-reports/{report['id']}/payments", json={"amount": money("400.00")}, headers=t.writer
    )
    assert payment.status_code == 201, payment.text
    payment_id = payment.headers["Location"].rsplit("/", 1)[1]
    distribution = {"technology_id": technology, "royalty_report_id": report["id"], "payment_id": payment_id}
    await t.create("/api/v1/distributions", distribution)

    p.clock.set(at("2027-05-02"))  # the German report is overdue (due 30 April), the French licence expired
    fired = (await p.tick())["techtransfer"]
    assert fired["royalty-reports"] >= 1 and fired["license-term"] == 1 and fired["patent-deadlines"] == 1
    await t.act(f"/api/v1/licenses/{exclusive}/terminate", {"reason": "licensee breach"})
    return {"technology": "Solid-state separator", "license": "Separator licence, Germany", "refused": refused_title}


async def test_funding_and_techtransfer_events_reach_the_people_the_rules_name(platform: Platform):
    p = platform
    for role, person in OFFICES.items():
        body = {"id": person, "name": person.title(), "email": email(person), "roles": [role]}
        await p.notifications.create("/api/v1/people", body, headers=ADMIN)
    for person in PEOPLE:
        await p.notifications.create("/api/v1/people", {"id": person, "name": person, "email": email(person)})

    funding = await drive_funding(p)
    techtransfer = await drive_techtransfer(p, funding["siemens"])

    entries_of = p.notifications.app.state.notifications.inbox.entries.documents

    async def every_rule_fired_for_every_type():
        entries = await entries_of.find({"event_type": {"$regex": "^(funding|techtransfer)[.]"}})
        missing, reached = [], {}
        for rule in WANTED:
            mine = [e for e in entries if rule.id in e["reasons"]]
            missing += [(rule.id, t) for t in rule.event_types if not any(e["event_type"] == t for e in mine)]
            reached[rule.id] = {e["recipient"] for e in mine}
        assert not missing, missing
        assert reached == {rule.id: RECIPIENTS[rule.id] for rule in WANTED}
        return entries

    entries = await eventually(every_rule_fired_for_every_type, timeout=60)
    # Each template, in every language, found what it reads in the real events: no "?" for a missing field.
    unrendered = [
        (e["event_type"], language, text["title"], text["body"])
        for e in entries
        for language, text in e["texts"].items()
        if "?" in text["title"] + text["body"]
    ]
    assert not unrendered, "\n".join(map(repr, sorted(set(unrendered))))

    # The people read theirs over HTTP, in their own inbox.
    owner_inbox = await p.notifications.read("/api/v1/notifications", headers=auth(sub="lena.ma"), limit=200)
    assert {"techtransfer.royalty_report.overdue", "techtransfer.license.expired"} <= {
        e["event_type"] for e in owner_inbox["items"]
    }

    # Email rules: the message at the SMTP server, to the person's address.
    wanted_mail = [
        ("pat", "New fund: Chunfeng Seed Fund"),  # born flagged: announced as created
        ("pat", "No active agreement: Chunfeng Seed Fund"),
        ("rev.wang", f"Please review: {funding['awarded']}"),
        ("pi.zhang", f"Awarded: {funding['awarded']}"),
        ("pi.zhang", f"Not awarded: {funding['rejected']}"),
        ("cora.smith", f"Awarded: {funding['awarded']}"),
        ("tess", f"Patent deadline on 2027-05-20: {techtransfer['technology']}"),
        ("lena.ma", f"Export permit needed: {techtransfer['license']}"),
        ("lena.ma", f"Execution refused: {techtransfer['refused']}"),
        ("lena.ma", f"License executed: {techtransfer['license']}"),
        ("lena.ma", f"License terminated: {techtransfer['license']}"),
        ("lena.ma", "License expired: Separator licence, France"),
        ("lena.ma", "Royalty report overdue"),
    ]

    def subjects(person: str) -> set[str]:
        return {m["Subject"] for m in p.mailbox.to(email(person))}

    def contents(person: str, subject: str) -> list[str]:
        return [m.get_content() for m in p.mailbox.to(email(person)) if m["Subject"] == subject]

    async def mailed():
        missing = [(person, subject) for person, subject in wanted_mail if subject not in subjects(person)]
        assert not missing, missing
        return True

    await eventually(mailed, timeout=30)
    [born_flagged] = contents("pat", "New fund: Chunfeng Seed Fund")
    assert "New fund: Cambridge Joint Fund" not in subjects("pat")  # needs no agreement: the funding office's
    assert f"50000.00 EUR: no active agreement with sponsor {funding['chunfeng']}." in born_flagged
    overdue = contents("lena.ma", "Royalty report overdue")
    assert all("2027-01-01 to 2027-03-31 was due on 2027-04-30" in text for text in overdue)
    assert subjects("ivy.li") == set()  # the inventors' rule is for the inbox only

"""Bad input of every kind answers a specific 4xx problem and changes nothing.

Every case goes to one funding service (module scoped) on the real FerretDB and
Kafka. Around each case the test takes a snapshot of what a request could
change: the number of event records (every change is the insert of one), the
idempotency claims, and the number of current-state documents. The answer must
be the expected status as an RFC 9457 problem (with the field named, where
one is), and the snapshot after must equal the one before. The client does not
re-raise the app's exceptions, so a crash shows as the 500 a client would see.
Cases are written, sent and judged with `opp_shared.testing.bad_input`, as in
partners and techtransfer.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from funding.main import create_app
from funding.settings import FundingSettings
from opp_shared.clock import ManualClock
from opp_shared.testing.bad_input import Case, case, judge, send
from opp_shared.testing.helpers import (
    assert_problem,
    auth,
    event_publisher,
    eventually,
    new_namespace,
    running,
    settings_for,
)

WRITER = auth("funding_officer", sub="officer-1")
READER = auth("viewer", sub="viewer-1")
NOBODY = auth(sub="someone")  # a valid token without a role
JSON = {"content-type": "application/json"}
UNKNOWN = "fnd_00000000000000000000000000"
F, C, P, A, D, J = (f"/api/v1/{r}" for r in ("funds", "calls", "proposals", "awards", "disbursements", "projects"))
COLLECTIONS = ("funds", "calls", "proposals", "awards", "disbursements", "projects")


def eur(amount: Any) -> dict[str, Any]:
    return {"amount": amount, "currency": "EUR"}


@dataclass
class World:
    client: httpx.AsyncClient
    app: Any
    ids: dict[str, str] = field(default_factory=dict)

    async def snapshot(self) -> dict[str, Any]:
        """Everything a request could change: the event records (every change of an aggregate is the
        insert of one; the current-state documents only follow them), the idempotency claims, and the
        number of current-state documents (a document written without its event would show here)."""
        runtime = self.app.state.runtime
        return {
            "events": await runtime.store.events.count_documents({}),
            "claims": await runtime.claims.collection.count_documents({"kind": "idempotency"}),
            "documents": [await runtime.db[c].estimated_document_count() for c in COLLECTIONS],
        }


async def _ok(answer: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    return answer.json()


@pytest.fixture(scope="module")
async def world(servers):
    namespace = new_namespace()
    settings = settings_for(FundingSettings, servers, namespace)
    app = create_app(settings, clock=ManualClock(datetime(2027, 3, 1, 2, 0, tzinfo=UTC)))
    async with (
        event_publisher(servers.kafka_bootstrap, namespace) as publish,
        running(app, raise_app_exceptions=False) as client,
    ):
        w = World(client, app)
        # The partners the cases name, announced as the partners service would.
        for name, kind, status in (
            ("partner", "university", "active"),
            ("enterprise", "enterprise", "active"),
            ("archived", "university", "archived"),
        ):
            partner_id = f"ptn_{uuid.uuid4().hex[:12]}"
            state = {"name": f"{name} org", "kind": kind, "status": status}
            await publish("partners.partner", partner_id, 1, state, "partners.partner.registered")
            w.ids[name] = partner_id
        for partner_id in w.ids.values():
            await eventually(lambda p=partner_id: app.state.partner_directory.get(p))

        async def post(path, body, status=201):
            return await _ok(await client.post(path, json=body, headers=WRITER), status)

        fund = await post(F, {"name": "Fund", "partner_ids": [w.ids["partner"]], "budget": eur("1000.00")})
        w.ids["fund"] = fund["id"]
        call = {
            "fund_id": fund["id"],
            "title": "Call",
            "opens_at": "2027-02-01T00:00:00Z",
            "closes_at": "2027-06-01T00:00:00Z",
            "max_award": eur("500.00"),
        }
        w.ids["call"] = (await post(C, call))["id"]
        proposal = {
            "call_id": w.ids["call"],
            "title": "Proposal",
            "requested": eur("400.00"),
            "pi": {"person_id": "pi-1", "name": "Prof. Li", "unit": "Physics"},
            "co_pis": [{"name": "Dr. X", "partner_id": w.ids["partner"]}],
        }
        w.ids["draft"] = (await post(P, proposal))["id"]
        w.ids["proposal"] = (await post(P, proposal))["id"]
        await post(f"{P}/{w.ids['proposal']}/submit", None, 200)
        reviewer = {"reviewer": {"person_id": "rev-1", "name": "R", "unit": "Chemistry"}}
        await post(f"{P}/{w.ids['proposal']}/reviews", reviewer, 200)
        under_review = (await post(P, proposal))["id"]
        await post(f"{P}/{under_review}/submit", None, 200)
        await post(f"{P}/{under_review}/reviews", reviewer, 200)
        award = await post(f"{P}/{under_review}/award", {"amount": eur("300.00"), "reason": "good"})
        w.ids["award"] = award["id"]
        disbursement = {
            "award_id": award["id"],
            "amount": eur("100.00"),
            "scheduled_on": "2027-04-01",
            "deliverable": {"title": "Report"},
        }
        w.ids["disbursement"] = (await post(D, disbursement))["id"]
        project = {"title": "Project", "kind": "joint_research", "partner_ids": [w.ids["partner"]]}
        w.ids["project"] = (await post(J, project))["id"]
        yield w


async def check(world: World, c: Case) -> None:
    before = await world.snapshot()
    judge(await send(world.client, c, world.ids, writer=WRITER), c, world.ids)
    assert await world.snapshot() == before, "a refused request changed something"


# -- the cases ------------------------------------------------------------------------------------

FUND = {"name": "New fund", "partner_ids": ["{partner}"], "budget": eur("100.00")}
CALL = {
    "fund_id": "{fund}",
    "title": "New call",
    "opens_at": "2027-03-01T00:00:00Z",
    "closes_at": "2027-05-01T00:00:00Z",
    "max_award": eur("100.00"),
}
PROPOSAL = {
    "call_id": "{call}",
    "title": "New proposal",
    "requested": eur("100.00"),
    "pi": {"person_id": "pi-2", "name": "Prof. Wu", "unit": "Physics"},
    "co_pis": [{"name": "Dr. Y", "partner_id": "{partner}"}],
}
DISBURSEMENT = {"award_id": "{award}", "amount": eur("10.00"), "scheduled_on": "2027-05-01"}
PROJECT = {"title": "New project", "kind": "joint_research", "partner_ids": ["{partner}"]}
CREATES = {F: FUND, C: CALL, P: PROPOSAL, D: DISBURSEMENT, J: PROJECT}


def without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


MONEY_CASES = (
    [
        case(f"{where}-{name}", "POST", path, 422, body | {key: value}, pointer=pointer)
        for where, path, body, key in (
            ("fund-budget", F, FUND, "budget"),
            ("call-max", C, CALL, "max_award"),
            ("proposal-requested", P, PROPOSAL, "requested"),
            ("disbursement", D, DISBURSEMENT, "amount"),
        )
        for name, value, pointer in (
            ("float", eur(100.5), f"#/{key}/amount"),
            ("integer", eur(100), f"#/{key}/amount"),
            ("exponent", eur("1e3"), f"#/{key}/amount"),
            ("nan", eur("NaN"), f"#/{key}/amount"),
            ("infinity", eur("Infinity"), f"#/{key}/amount"),
            ("comma", eur("1,000.00"), f"#/{key}/amount"),
            ("too-many-decimals", eur("1.001"), None),
            ("huge", eur("9" * 16), f"#/{key}/amount"),
            ("operator", eur({"$gt": "0"}), f"#/{key}/amount"),
            ("currency-lower", {"amount": "1.00", "currency": "eur"}, f"#/{key}/currency"),
            ("currency-unknown", {"amount": "1.00", "currency": "XYZ"}, f"#/{key}/currency"),
            ("currency-metal", {"amount": "1.00", "currency": "XAU"}, f"#/{key}/currency"),
            ("jpy-decimals", {"amount": "1.50", "currency": "JPY"}, None),
            ("missing-currency", {"amount": "1.00"}, f"#/{key}/currency"),
            ("string", "100.00 EUR", f"#/{key}"),
            ("number", 100, f"#/{key}"),
            ("null", None, f"#/{key}"),
            ("extra-field", {"amount": "1.00", "currency": "EUR", "rate": "1"}, f"#/{key}/rate"),
        )
    ]
    + [
        case(f"{where}-zero", "POST", path, 422, body | {key: eur("0.00")}, pointer=f"#/{key}")
        for where, path, body, key in (
            ("call-max", C, CALL, "max_award"),
            ("proposal-requested", P, PROPOSAL, "requested"),
            ("disbursement", D, DISBURSEMENT, "amount"),
        )
    ]
    + [
        case(f"{where}-negative", "POST", path, 422, body | {key: eur("-1.00")}, pointer=f"#/{key}")
        for where, path, body, key in (("fund-budget", F, FUND, "budget"), ("disbursement", D, DISBURSEMENT, "amount"))
    ]
)

SHAPE_CASES = [
    case(f"{name}-{kind}", "POST", path, status, **options)
    for name, path in (("fund", F), ("call", C), ("proposal", P), ("disbursement", D), ("project", J))
    for kind, status, options in (
        ("array", 422, {"body": [CREATES[path]], "pointer": "#/"}),
        ("no-body", 422, {"pointer": "#/"}),
        ("not-json", 400, {"content": b"{not json", "headers": WRITER | JSON}),
        ("unknown-field", 422, {"body": CREATES[path] | {"colour": "blue"}, "pointer": "#/colour"}),
        ("server-field-id", 422, {"body": CREATES[path] | {"id": "x"}, "pointer": "#/id"}),
        ("server-field-status", 422, {"body": CREATES[path] | {"status": "closed"}, "pointer": "#/status"}),
        ("operator-key", 422, {"body": CREATES[path] | {"$where": "1"}, "pointer": "#/$where"}),
        ("2mb", 413, {"body": CREATES[path] | {"note": "x" * 2_000_000}}),
        (
            "nested-deep",
            400,
            {"content": b'{"title": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "headers": WRITER | JSON},
        ),
        (
            "title-surrogate",
            422,
            {
                "content": json.dumps(CREATES[path] | {"title": "?"}).replace('"?"', '"\\ud800"').encode(),
                "headers": WRITER | JSON,
            },
        ),
    )
]

FIELD_CASES = [
    # funds
    case("fund-no-sponsor", "POST", F, 422, FUND | {"partner_ids": []}, pointer="#/partner_ids"),
    case("fund-sponsor-operator", "POST", F, 422, FUND | {"partner_ids": [{"$ne": ""}]}, pointer="#/partner_ids/0"),
    case("fund-sponsor-dollar", "POST", F, 422, FUND | {"partner_ids": ["$ne"]}, pointer="#/partner_ids/0"),
    case("fund-sponsors-51", "POST", F, 422, FUND | {"partner_ids": [f"p{i}" for i in range(51)]}),
    case("fund-sponsor-twice", "POST", F, 422, FUND | {"partner_ids": ["{partner}", "{partner}"]}),
    case("fund-sponsor-unknown", "POST", F, 409, FUND | {"partner_ids": ["ptn_unknown"]}),
    case("fund-sponsor-archived", "POST", F, 409, FUND | {"partner_ids": ["{archived}"]}),
    case("fund-name-newline", "POST", F, 422, FUND | {"name": "a\nb"}, pointer="#/name"),
    case("fund-name-nul", "POST", F, 422, FUND | {"name": "a\x00b"}, pointer="#/name"),
    case("fund-name-501", "POST", F, 422, FUND | {"name": "x" * 501}, pointer="#/name"),
    case("fund-missing-budget", "POST", F, 422, without(FUND, "budget"), pointer="#/budget"),
    case("fund-agreement-word", "POST", F, 422, FUND | {"agreement_required": "maybe"}),
    case("fund-manager-no-id", "POST", F, 422, FUND | {"manager": {"name": "M"}}, pointer="#/manager/person_id"),
    case("fund-areas-51", "POST", F, 422, FUND | {"research_areas": [f"a{i}" for i in range(51)]}),
    case("fund-patch-empty", "PATCH", F + "/{fund}", 422, {}),
    case("fund-patch-budget-null", "PATCH", F + "/{fund}", 422, {"budget": None}, pointer="#/budget"),
    case("fund-patch-currency", "PATCH", F + "/{fund}", 422, {"budget": {"amount": "1000", "currency": "JPY"}}),
    case("fund-patch-below-awards", "PATCH", F + "/{fund}", 409, {"budget": eur("299.99")}),
    case("fund-patch-below-call", "PATCH", F + "/{fund}", 409, {"budget": eur("499.99")}),
    case("fund-patch-commitments", "PATCH", F + "/{fund}", 422, {"commitments": []}, pointer="#/commitments"),
    case("fund-patch-flagged", "PATCH", F + "/{fund}", 422, {"flagged": False}, pointer="#/flagged"),
    case("fund-patch-archived-sponsor", "PATCH", F + "/{fund}", 409, {"partner_ids": ["{archived}"]}),
    case("fund-patch-unknown", "PATCH", F + "/" + UNKNOWN, 404, {"name": "x"}),
    case("fund-close-unknown", "POST", F + f"/{UNKNOWN}/close", 404),
    # calls
    case("call-instant-no-offset", "POST", C, 422, CALL | {"opens_at": "2027-03-01T00:00:00"}, pointer="#/opens_at"),
    case("call-instant-number", "POST", C, 422, CALL | {"opens_at": 1798761600}, pointer="#/opens_at"),
    case("call-instant-bad", "POST", C, 422, CALL | {"closes_at": "2027-02-30T00:00:00Z"}, pointer="#/closes_at"),
    case("call-instant-3000", "POST", C, 422, CALL | {"closes_at": "3000-01-01T00:00:00Z"}, pointer="#/closes_at"),
    case("call-closes-first", "POST", C, 422, CALL | {"closes_at": "2027-02-01T00:00:00Z"}),
    case(
        "call-already-closed",
        "POST",
        C,
        422,
        CALL | {"opens_at": "2027-01-01T00:00:00Z", "closes_at": "2027-02-01T00:00:00Z"},
    ),
    case("call-over-budget", "POST", C, 409, CALL | {"max_award": eur("1000.01")}),
    case("call-other-currency", "POST", C, 409, CALL | {"max_award": {"amount": "100", "currency": "JPY"}}),
    case("call-unknown-fund", "POST", C, 409, CALL | {"fund_id": UNKNOWN}),
    case("call-fund-operator", "POST", C, 422, CALL | {"fund_id": {"$gt": ""}}, pointer="#/fund_id"),
    case("call-waiver-word", "POST", C, 422, CALL | {"sponsor_co_pi_required": "no"}),
    case("call-patch-frozen", "PATCH", C + "/{call}", 409, {"max_award": eur("10.00")}),
    case("call-patch-rules-frozen-field", "PATCH", C + "/{call}", 422, {"rules_frozen": False}),
    case("call-patch-opens-null", "PATCH", C + "/{call}", 422, {"opens_at": None}, pointer="#/opens_at"),
    # proposals and reviews
    case("proposal-unknown-call", "POST", P, 409, PROPOSAL | {"call_id": "cal_00000000000000000000000000"}),
    case("proposal-over-max", "POST", P, 409, PROPOSAL | {"requested": eur("500.01")}),
    case("proposal-no-sponsor-co-pi", "POST", P, 409, PROPOSAL | {"co_pis": []}),
    case("proposal-co-pi-archived", "POST", P, 409, PROPOSAL | {"co_pis": [{"name": "A", "partner_id": "{archived}"}]}),
    case(
        "proposal-pi-no-unit", "POST", P, 422, PROPOSAL | {"pi": {"person_id": "x", "name": "X"}}, pointer="#/pi/unit"
    ),
    case(
        "proposal-co-pi-no-partner",
        "POST",
        P,
        422,
        PROPOSAL | {"co_pis": [{"name": "A"}]},
        pointer="#/co_pis/0/partner_id",
    ),
    case("proposal-co-pis-31", "POST", P, 422, PROPOSAL | {"co_pis": [{"name": "A", "partner_id": "{partner}"}] * 31}),
    case("proposal-patch-submitted", "PATCH", P + "/{proposal}", 409, {"title": "New title"}),
    case("proposal-patch-status", "PATCH", P + "/{draft}", 422, {"status": "awarded"}, pointer="#/status"),
    case("proposal-patch-reviews", "PATCH", P + "/{draft}", 422, {"reviews": []}, pointer="#/reviews"),
    case("proposal-submit-twice", "POST", P + "/{proposal}/submit", 409),
    case(
        "proposal-assign-draft",
        "POST",
        P + "/{draft}/reviews",
        409,
        {"reviewer": {"person_id": "r", "name": "R", "unit": "U"}},
    ),
    case(
        "proposal-assign-pi",
        "POST",
        P + "/{proposal}/reviews",
        409,
        {"reviewer": {"person_id": "pi-1", "name": "P", "unit": "U"}},
    ),
    case(
        "proposal-assign-unit",
        "POST",
        P + "/{proposal}/reviews",
        409,
        {"reviewer": {"person_id": "r9", "name": "R", "unit": "PHYSICS"}},
    ),
    case(
        "proposal-assign-no-unit",
        "POST",
        P + "/{proposal}/reviews",
        422,
        {"reviewer": {"person_id": "r", "name": "R"}},
        pointer="#/reviewer/unit",
    ),
    case(
        "review-score-0",
        "PUT",
        P + "/{proposal}/reviews/rev-1",
        422,
        {"score": 0},
        headers=auth(sub="rev-1"),
        pointer="#/score",
    ),
    case(
        "review-score-11",
        "PUT",
        P + "/{proposal}/reviews/rev-1",
        422,
        {"score": 11},
        headers=auth(sub="rev-1"),
        pointer="#/score",
    ),
    case(
        "review-score-float",
        "PUT",
        P + "/{proposal}/reviews/rev-1",
        422,
        {"score": 7.5},
        headers=auth(sub="rev-1"),
        pointer="#/score",
    ),
    case(
        "review-score-string",
        "PUT",
        P + "/{proposal}/reviews/rev-1",
        422,
        {"score": "7"},
        headers=auth(sub="rev-1"),
        pointer="#/score",
    ),
    case(
        "review-score-bool",
        "PUT",
        P + "/{proposal}/reviews/rev-1",
        422,
        {"score": True},
        headers=auth(sub="rev-1"),
        pointer="#/score",
    ),
    case(
        "review-by-someone-else", "PUT", P + "/{proposal}/reviews/rev-1", 403, {"score": 5}, headers=auth(sub="rev-2")
    ),
    case("review-by-officer-for-reviewer", "PUT", P + "/{proposal}/reviews/rev-1", 403, {"score": 5}),
    case("review-not-assigned", "PUT", P + "/{proposal}/reviews/officer-1", 404, {"score": 5}),
    case("review-of-draft", "PUT", P + "/{draft}/reviews/rev-1", 404, {"score": 5}, headers=auth(sub="rev-1")),
    case("award-over-requested", "POST", P + "/{proposal}/award", 409, {"amount": eur("400.01"), "reason": "r"}),
    case(
        "award-other-currency",
        "POST",
        P + "/{proposal}/award",
        409,
        {"amount": {"amount": "1", "currency": "JPY"}, "reason": "r"},
    ),
    case("award-of-draft", "POST", P + "/{draft}/award", 409, {"amount": eur("1.00"), "reason": "r"}),
    case("award-no-reason", "POST", P + "/{proposal}/award", 422, {"amount": eur("1.00")}, pointer="#/reason"),
    case(
        "award-unknown-proposal",
        "POST",
        P + "/prp_00000000000000000000000000/award",
        404,
        {"amount": eur("1.00"), "reason": "r"},
    ),
    case("reject-no-reason", "POST", P + "/{proposal}/reject", 422, {}, pointer="#/reason"),
    case("reject-draft", "POST", P + "/{draft}/reject", 409, {"reason": "r"}),
    # awards and disbursements
    case("disbursement-over-award", "POST", D, 409, DISBURSEMENT | {"amount": eur("200.01")}),
    case("disbursement-unknown-award", "POST", D, 409, DISBURSEMENT | {"award_id": "awd_00000000000000000000000000"}),
    case(
        "disbursement-bad-date", "POST", D, 422, DISBURSEMENT | {"scheduled_on": "2027-02-30"}, pointer="#/scheduled_on"
    ),
    case(
        "disbursement-date-number", "POST", D, 422, DISBURSEMENT | {"scheduled_on": 20270501}, pointer="#/scheduled_on"
    ),
    case(
        "disbursement-deliverable-kind", "POST", D, 422, DISBURSEMENT | {"deliverable": {"title": "R", "kind": "poem"}}
    ),
    case("disbursement-approve-waiting", "POST", D + "/{disbursement}/approve", 409),
    case("disbursement-pay-scheduled", "POST", D + "/{disbursement}/pay", 409),
    case(
        "disbursement-pay-3000", "POST", D + "/{disbursement}/pay", 422, {"paid_on": "3000-01-01"}, pointer="#/paid_on"
    ),
    case("disbursement-cancel-no-reason", "POST", D + "/{disbursement}/cancel", 422, {}, pointer="#/reason"),
    case("award-close-pending", "POST", A + "/{award}/close", 409),
    case("award-create-directly", "POST", A, 405, {"amount": eur("1.00")}),
    # projects
    case("project-kind-unknown", "POST", J, 422, PROJECT | {"kind": "hobby"}, pointer="#/kind"),
    case("project-multi-party-one", "POST", J, 422, PROJECT | {"kind": "multi_party", "lead_partner_id": "{partner}"}),
    case("project-lead-outside", "POST", J, 422, PROJECT | {"lead_partner_id": "{enterprise}"}),
    case("project-commissioned-no-contract", "POST", J, 422, PROJECT | {"kind": "commissioned"}),
    case(
        "project-commissioned-university-client",
        "POST",
        J,
        409,
        PROJECT | {"kind": "commissioned", "contract": {"client_id": "{partner}", "value": eur("1.00")}},
    ),
    case("project-partner-archived", "POST", J, 409, PROJECT | {"partner_ids": ["{archived}"]}),
    case("project-ends-first", "POST", J, 422, PROJECT | {"starts_on": "2027-06-01", "ends_on": "2027-01-01"}),
    case(
        "project-milestone-twice",
        "POST",
        J,
        422,
        PROJECT | {"milestones": [{"key": "m", "title": "a"}, {"key": "m", "title": "b"}]},
    ),
    case("project-milestone-key-dollar", "POST", J, 422, PROJECT | {"milestones": [{"key": "$m", "title": "a"}]}),
    case("project-unknown-award", "POST", J, 409, PROJECT | {"award_id": "awd_00000000000000000000000000"}),
    case("project-complete-planned", "POST", J + "/{project}/complete", 409),
    case("project-reach-unknown-milestone", "POST", J + "/{project}/milestones/m9/reach", 404),
    case("project-pay-unknown-invoice", "POST", J + "/{project}/invoices/I-9/pay", 404),
    case("project-terminate-no-reason", "POST", J + "/{project}/terminate", 422, {}, pointer="#/reason"),
]

ACCESS_CASES = [
    case("no-token", "POST", F, 401, FUND, headers={}),
    case("bad-token", "POST", F, 401, FUND, headers={"Authorization": "Bearer not-a-jwt"}),
    case("viewer-writes", "POST", F, 403, FUND, headers=READER),
    case("partnerships-officer-writes", "POST", F, 403, FUND, headers=auth("partnerships_officer")),
    case(
        "no-role-writes", "POST", P + "/{proposal}/award", 403, {"amount": eur("1.00"), "reason": "r"}, headers=NOBODY
    ),
    case("no-role-lists", "GET", F, 403, headers=NOBODY),
    case("no-role-reads-a-proposal", "GET", P + "/{proposal}", 403, headers=NOBODY),
    case(
        "no-role-lists-others-reviews", "GET", "/api/v1/reviews", 403, headers=NOBODY, params={"reviewer_id": "rev-1"}
    ),
    case("stale-if-match", "PATCH", F + "/{fund}", 412, {"name": "x"}, headers=WRITER | {"If-Match": '"1"'}),
    case("garbage-if-match", "PATCH", F + "/{fund}", 422, {"name": "x"}, headers=WRITER | {"If-Match": "yesterday"}),
    case("idempotency-key-too-long", "POST", F, 422, FUND, headers=WRITER | {"Idempotency-Key": "k" * 256}),
]

LIST_CASES = [
    case(f"{name}-limit-{limit}", "GET", path, 422, headers=READER, params={"limit": limit})
    for name, path in (
        ("funds", F),
        ("calls", C),
        ("proposals", P),
        ("awards", A),
        ("disbursements", D),
        ("projects", J),
    )
    for limit in ("0", "201", "abc")
] + [
    case("funds-status-unknown", "GET", F, 422, headers=READER, params={"status": "deleted"}),
    case("funds-currency-bad", "GET", F, 422, headers=READER, params={"currency": "XYZ"}),
    case("funds-partner-dollar", "GET", F, 422, headers=READER, params={"partner_id": "$ne"}),
    case("funds-flagged-word", "GET", F, 422, headers=READER, params={"flagged": "perhaps"}),
    case("proposals-cursor-garbage", "GET", P, 422, headers=READER, params={"cursor": "garbage"}),
    case("projects-kind-unknown", "GET", J, 422, headers=READER, params={"kind": "hobby"}),
    case("history-cursor-garbage", "GET", F + "/{fund}/history", 422, headers=READER, params={"cursor": "x"}),
    case("unknown-fund", "GET", F + "/" + UNKNOWN, 404, headers=READER),
    case("unknown-fund-history", "GET", F + f"/{UNKNOWN}/history", 404, headers=READER),
]


@pytest.mark.parametrize("c", [*MONEY_CASES, *SHAPE_CASES, *FIELD_CASES, *ACCESS_CASES, *LIST_CASES])
async def test_bad_input_answers_a_problem_and_changes_nothing(world, c):
    await check(world, c)


async def test_a_reused_idempotency_key_with_another_body_changes_nothing(world):
    key = {"Idempotency-Key": "reuse-1"}
    body = {"name": "Keyed fund", "partner_ids": [world.ids["partner"]], "budget": eur("10.00")}
    created = await world.client.post(F, json=body, headers=WRITER | key)
    assert created.status_code == 201, created.text
    before = await world.snapshot()
    reused = await world.client.post(F, json=body | {"name": "Another"}, headers=WRITER | key)
    assert_problem(reused, 422, "invalid-input")
    assert await world.snapshot() == before

"""Bad input of every kind answers a specific 4xx problem and changes nothing.

Every case is sent to one techtransfer service (module scoped, so the cases share one
app) running against the real FerretDB and Kafka. Around each case the test takes a
snapshot of everything a request could change: the number of event records (the write
model), the idempotency claims, the number of technologies, licenses, reports and
distributions (their current-state documents), and the version of every resource the cases aim at. The
answer must be the expected status (never just "not 500") as an RFC 9457 problem, and
the snapshot after must equal the snapshot before.

The client does not re-raise the app's exceptions (`raise_app_exceptions=False`), so a
crash shows as the 500 problem a real client would see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from opp_shared.clock import ManualClock
from opp_shared.testing.bad_input import case, fill, judge, problem_of, send
from opp_shared.testing.helpers import auth, event_publisher, eventually, new_namespace, running, settings_for
from techtransfer.main import create_app
from techtransfer.settings import TechtransferSettings

WRITER = auth("techtransfer_officer", sub="officer-1")
READER = auth("viewer", sub="viewer-1")
JSON = {"content-type": "application/json"}

T = "/api/v1/technologies"
L = "/api/v1/licenses"
R = "/api/v1/royalty-reports"
D = "/api/v1/distributions"
UNKNOWN = {"tec": "tec_00000000000000000000000000", "lic": "lic_00000000000000000000000000"}
INVENTORS = [
    {"person_id": "li.wei", "name": "Li Wei", "unit": "Materials", "share": "60"},
    {"person_id": "zhang.min", "name": "Zhang Min", "unit": "Materials", "share": "40"},
]
TECHNOLOGY = {"title": "Fresh invention", "department": "Physics", "readiness_level": 3, "inventors": INVENTORS}
PATENT = {"jurisdiction": "CN", "application_number": "CN1", "priority_date": "2026-06-15", "filing_date": "2026-06-15"}


def eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


def license_body(**extra: Any) -> dict[str, Any]:
    return {
        "title": "Fresh licence",
        "licensee_id": "ptn_siemens",
        "technology_ids": ["{available}"],
        "kind": "non_exclusive",
        "territory": ["FR"],
        "field_of_use": "all",
        "currency": "EUR",
        "royalty_rate": "2",
        **extra,
    }


# -- the world every case runs against -----------------------------------------------------


@dataclass
class World:
    client: httpx.AsyncClient
    app: Any
    ids: dict[str, str] = field(default_factory=dict)

    VERSIONED = {
        "disclosed": T,
        "available": T,
        "licensed": T,
        "abandoned": T,
        "negotiating": L,
        "unclassified": L,
        "executed": L,
        "due": R,
        "received": R,
        "distribution": D,
    }

    async def versions(self) -> dict[str, int]:
        found = {}
        for name, collection in self.VERSIONED.items():
            answer = await self.client.get(f"{collection}/{self.ids[name]}", headers=READER)
            assert answer.status_code == 200, answer.text
            found[name] = answer.json()["version"]
        return found

    async def snapshot(self) -> dict[str, Any]:
        runtime = self.app.state.runtime
        collections = ("technologies", "licenses", "royalty_reports", "distributions")
        return {
            "events": await runtime.store.events.count_documents({}),
            "claims": await runtime.claims.collection.count_documents({"kind": "idempotency"}),
            "documents": [await runtime.db[name].count_documents({}) for name in collections],
            "versions": await self.versions(),
        }


async def _ok(answer: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    return answer.json()


@pytest.fixture(scope="module")
async def world(servers):
    namespace = new_namespace()
    settings = settings_for(TechtransferSettings, servers, namespace, run=["api", "relay", "consumers"])
    app = create_app(settings, clock=ManualClock(datetime(2027, 3, 1, 4, 0, tzinfo=UTC)))
    async with (
        event_publisher(servers.kafka_bootstrap, namespace) as publish,
        running(app, raise_app_exceptions=False) as client,
    ):
        w = World(client, app)
        for partner_id, status in (("ptn_siemens", "active"), ("ptn_gone", "archived")):
            state = {"name": partner_id, "country": "DE", "status": status, "kind": "enterprise"}
            await publish("partners.partner", partner_id, 1, state, "partners.partner.registered")

        async def known():
            return await app.state.partner_directory.get("ptn_siemens") and await app.state.partner_directory.get(
                "ptn_gone"
            )

        await eventually(known, timeout=30)

        async def post(path, body=None, status=200):
            return await _ok(await client.post(path, json=body, headers=WRITER), status)

        async def technology(offer=True):
            tid = (await post(T, TECHNOLOGY, 201))["id"]
            if offer:
                await post(f"{T}/{tid}/evaluate")
                await post(f"{T}/{tid}/offer")
            return tid

        w.ids["disclosed"] = await technology(offer=False)
        w.ids["available"] = await technology()
        w.ids["licensed"] = await technology()
        w.ids["abandoned"] = await technology(offer=False)
        await post(f"{T}/{w.ids['abandoned']}/abandon", {"reason": "no market"})
        w.ids["patent"] = (
            (await client.post(f"{T}/{w.ids['disclosed']}/patents", json=PATENT, headers=WRITER))
            .headers["Location"]
            .rsplit("/", 1)[1]
        )

        async def license(technology, **extra):
            body = {
                **license_body(technology_ids=[technology]),
                "kind": "exclusive",
                "territory": ["DE"],
                "field_of_use": "batteries",
                "effective_from": "2026-10-01",
                **extra,
            }
            return (await post(L, body, 201))["id"]

        w.ids["unclassified"] = await license(w.ids["available"])
        w.ids["negotiating"] = await license(w.ids["licensed"])  # conflicts with "executed" once that is executed
        await post(f"{L}/{w.ids['negotiating']}/export-classification", {"classification": "free"})
        w.ids["executed"] = await license(w.ids["licensed"], field_of_use="all")
        await post(f"{L}/{w.ids['executed']}/export-classification", {"classification": "free"})
        await post(f"{L}/{w.ids['executed']}/execute")
        paying = await license(w.ids["available"], kind="non_exclusive", territory=["worldwide"], field_of_use="all")
        await post(f"{L}/{paying}/export-classification", {"classification": "free"})
        await post(f"{L}/{paying}/execute")
        w.ids["paying"] = paying
        await app.state.scheduler.tick()  # opens the reports of the quarter that ended on 31 December
        reports = (await _ok(await client.get(R, headers=READER)))["items"]
        w.ids["due"] = next(r["id"] for r in reports if r["license_id"] == w.ids["executed"])
        w.ids["received"] = next(r["id"] for r in reports if r["license_id"] == paying)
        await post(f"{R}/{w.ids['received']}/receive", {"revenue": eur("10000.00")})
        paid = await client.post(f"{R}/{w.ids['received']}/payments", json={"amount": eur("100.00")}, headers=WRITER)
        w.ids["payment"] = paid.headers["Location"].rsplit("/", 1)[1]
        w.ids["distribution"] = (
            await post(
                D,
                {
                    "technology_id": w.ids["available"],
                    "royalty_report_id": w.ids["received"],
                    "payment_id": w.ids["payment"],
                },
                201,
            )
        )["id"]
        w.ids["report_period"] = next(r["period_start"] for r in reports if r["license_id"] == paying)
        page = await _ok(await client.get(L, params={"limit": 1}, headers=READER))
        w.ids["licenses_cursor"] = page["next_cursor"]
        assert w.ids["licenses_cursor"]
        yield w


# -- how a case is sent and judged -----------------------------------------------------------


def without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


def inventors(*shares: Any) -> list[dict[str, Any]]:
    return [{**INVENTORS[0], "person_id": f"p{i}", "share": s} for i, s in enumerate(shares)]


DISCLOSE_CASES = [
    case("title-number", "POST", T, 422, TECHNOLOGY | {"title": 5}, pointer="#/title"),
    case("title-null", "POST", T, 422, TECHNOLOGY | {"title": None}, pointer="#/title"),
    case("title-operator", "POST", T, 422, TECHNOLOGY | {"title": {"$gt": ""}}, pointer="#/title"),
    case("title-10000", "POST", T, 422, TECHNOLOGY | {"title": "x" * 10_000}, pointer="#/title"),
    case("title-nul", "POST", T, 422, TECHNOLOGY | {"title": "a\x00b"}, pointer="#/title"),
    case("title-escape", "POST", T, 422, TECHNOLOGY | {"title": "a\x1b[31mb"}, pointer="#/title"),
    case("missing-department", "POST", T, 422, without(TECHNOLOGY, "department"), pointer="#/department"),
    case("missing-inventors", "POST", T, 422, without(TECHNOLOGY, "inventors"), pointer="#/inventors"),
    case("unknown-field", "POST", T, 422, TECHNOLOGY | {"colour": "blue"}, pointer="#/colour"),
    case("server-field-status", "POST", T, 422, TECHNOLOGY | {"status": "licensed"}, pointer="#/status"),
    case("server-field-grants", "POST", T, 422, TECHNOLOGY | {"grants": []}, pointer="#/grants"),
    case("dollar-key", "POST", T, 422, TECHNOLOGY | {"$set": {"status": "licensed"}}, pointer="#/$set"),
    case("inventors-empty", "POST", T, 422, TECHNOLOGY | {"inventors": []}, pointer="#/inventors"),
    case("inventors-object", "POST", T, 422, TECHNOLOGY | {"inventors": INVENTORS[0]}, pointer="#/inventors"),
    case(
        "share-number", "POST", T, 422, TECHNOLOGY | {"inventors": inventors(60, "40")}, pointer="#/inventors/0/share"
    ),
    case(
        "share-float", "POST", T, 422, TECHNOLOGY | {"inventors": inventors(60.0, "40")}, pointer="#/inventors/0/share"
    ),
    case("share-percent-sign", "POST", T, 422, TECHNOLOGY | {"inventors": inventors("60%", "40")}),
    case("share-negative", "POST", T, 422, TECHNOLOGY | {"inventors": inventors("-10", "110")}),
    case("share-too-precise", "POST", T, 422, TECHNOLOGY | {"inventors": inventors("59.99999", "40.00001")}),
    case("shares-99", "POST", T, 422, TECHNOLOGY | {"inventors": inventors("59", "40")}),
    case("shares-101", "POST", T, 422, TECHNOLOGY | {"inventors": inventors("60", "41")}),
    case("share-zero", "POST", T, 422, TECHNOLOGY | {"inventors": inventors("100", "0")}),
    case("share-exponent", "POST", T, 422, TECHNOLOGY | {"inventors": inventors("1e2")}),
    case("same-inventor-twice", "POST", T, 422, TECHNOLOGY | {"inventors": [INVENTORS[0] | {"share": "50"}] * 2}),
    case(
        "person-id-dollar",
        "POST",
        T,
        422,
        TECHNOLOGY | {"inventors": [INVENTORS[0] | {"person_id": "$ne", "share": "100"}]},
    ),
    case(
        "person-id-long",
        "POST",
        T,
        422,
        TECHNOLOGY | {"inventors": [INVENTORS[0] | {"person_id": "p" * 101, "share": "100"}]},
    ),
    case(
        "inventor-unknown-field",
        "POST",
        T,
        422,
        TECHNOLOGY | {"inventors": [INVENTORS[0] | {"share": "100", "email": "x"}]},
    ),
    case("readiness-0", "POST", T, 422, TECHNOLOGY | {"readiness_level": 0}, pointer="#/readiness_level"),
    case("readiness-10", "POST", T, 422, TECHNOLOGY | {"readiness_level": 10}, pointer="#/readiness_level"),
    case("readiness-fraction", "POST", T, 422, TECHNOLOGY | {"readiness_level": 4.5}, pointer="#/readiness_level"),
    case("disclosed-in-future", "POST", T, 422, TECHNOLOGY | {"disclosed_on": "2027-03-02"}, pointer="#/disclosed_on"),
    case("disclosed-number", "POST", T, 422, TECHNOLOGY | {"disclosed_on": 1700000000}, pointer="#/disclosed_on"),
    case("disclosed-impossible", "POST", T, 422, TECHNOLOGY | {"disclosed_on": "2027-02-30"}, pointer="#/disclosed_on"),
    case("keywords-31", "POST", T, 422, TECHNOLOGY | {"keywords": ["k"] * 31}, pointer="#/keywords"),
    case(
        "origin-project-unknown",
        "POST",
        T,
        409,
        TECHNOLOGY | {"origin_project_id": "prj_nowhere"},
        expect={"project_id": "prj_nowhere"},
    ),
    case(
        "origin-project-operator",
        "POST",
        T,
        422,
        TECHNOLOGY | {"origin_project_id": "$where"},
        pointer="#/origin_project_id",
    ),
    case("not-json", "POST", T, 400, content=b"{not json", headers=WRITER | JSON),
    case("json-array", "POST", T, 422, [TECHNOLOGY], pointer="#/"),
    case("empty-body", "POST", T, 422, content=b"", headers=WRITER | JSON, pointer="#/"),
    case("body-2mb", "POST", T, 413, TECHNOLOGY | {"description": "x" * 2_000_000}),
    case(
        "lone-surrogate",
        "POST",
        T,
        422,
        content=b'{"title": "\\ud800", "department": "P", "readiness_level": 3, "inventors": []}',
        headers=WRITER | JSON,
    ),
]

TECHNOLOGY_CASES = [
    case("patch-empty", "PATCH", T + "/{available}", 422, {}),
    case("patch-inventors-null", "PATCH", T + "/{available}", 422, {"inventors": None}, pointer="#/inventors"),
    case("patch-title-null", "PATCH", T + "/{available}", 422, {"title": None}, pointer="#/title"),
    case("patch-status", "PATCH", T + "/{available}", 422, {"status": "licensed"}, pointer="#/status"),
    case("patch-shares-wrong", "PATCH", T + "/{available}", 422, {"inventors": inventors("50", "40")}),
    case("patch-abandoned", "PATCH", T + "/{abandoned}", 409, {"title": "Revived"}),
    case("patch-unknown-project", "PATCH", T + "/{available}", 409, {"origin_project_id": "prj_nowhere"}),
    case(
        "patch-if-match-garbage",
        "PATCH",
        T + "/{available}",
        422,
        {"title": "x"},
        headers=WRITER | {"If-Match": "three"},
        parameter="If-Match",
    ),
    case(
        "patch-if-match-stale", "PATCH", T + "/{available}", 412, {"title": "x"}, headers=WRITER | {"If-Match": '"1"'}
    ),
    case("evaluate-licensed", "POST", T + "/{licensed}/evaluate", 409, expect={"current_status": "licensed"}),
    case("protect-without-patent", "POST", T + "/{licensed}/protect", 409),
    case("offer-disclosed", "POST", T + "/{disclosed}/offer", 409, expect={"allowed_from": ["evaluated", "protected"]}),
    case("abandon-licensed", "POST", T + "/{licensed}/abandon", 409, {"reason": "x"}),
    case("abandon-no-reason", "POST", T + "/{available}/abandon", 422, {}, pointer="#/reason"),
    case("abandon-no-body", "POST", T + "/{available}/abandon", 422),
    case("action-unknown", "POST", T + "/{available}/explode", 404),
    case(
        "patent-bad-jurisdiction",
        "POST",
        T + "/{disclosed}/patents",
        422,
        PATENT | {"jurisdiction": "XX"},
        pointer="#/jurisdiction",
    ),
    case(
        "patent-uk", "POST", T + "/{disclosed}/patents", 422, PATENT | {"jurisdiction": "UK"}, pointer="#/jurisdiction"
    ),
    case(
        "patent-filed-before-priority",
        "POST",
        T + "/{disclosed}/patents",
        422,
        PATENT | {"application_number": "CN2", "filing_date": "2026-06-14"},
    ),
    case(
        "patent-in-future",
        "POST",
        T + "/{disclosed}/patents",
        422,
        PATENT | {"application_number": "CN2", "priority_date": "2027-04-01", "filing_date": "2027-04-01"},
    ),
    case(
        "patent-granted-no-date",
        "POST",
        T + "/{disclosed}/patents",
        422,
        PATENT | {"application_number": "CN2", "status": "granted"},
    ),
    case(
        "patent-number-dollar",
        "POST",
        T + "/{disclosed}/patents",
        422,
        PATENT | {"application_number": "$CN2"},
        pointer="#/application_number",
    ),
    case("patent-number-repeated", "POST", T + "/{disclosed}/patents", 422, PATENT),
    case(
        "patent-status-unknown",
        "POST",
        T + "/{disclosed}/patents",
        422,
        PATENT | {"status": "pending"},
        pointer="#/status",
    ),
    case(
        "patent-unknown-technology",
        "POST",
        T + "/" + UNKNOWN["tec"] + "/patents",
        404,
        PATENT | {"application_number": "CN3"},
    ),
    case("patent-on-abandoned", "POST", T + "/{abandoned}/patents", 409, PATENT | {"application_number": "CN3"}),
    case("patent-patch-unknown", "PATCH", T + "/{disclosed}/patents/pat_nope", 404, {"status": "lapsed"}),
    case("patent-patch-id", "PATCH", T + "/{disclosed}/patents/{patent}", 422, {"id": "pat_mine"}, pointer="#/id"),
    case("patent-patch-priority-null", "PATCH", T + "/{disclosed}/patents/{patent}", 422, {"priority_date": None}),
    case(
        "patent-patch-grant-on-filed", "PATCH", T + "/{disclosed}/patents/{patent}", 422, {"grant_date": "2027-01-01"}
    ),
    case("patent-get-unknown", "GET", T + "/{disclosed}/patents/pat_nope", 404, headers=READER),
]

DRAFT_CASES = [
    case(
        "licensee-unknown", "POST", L, 409, license_body(licensee_id="ptn_nobody"), expect={"partner_id": "ptn_nobody"}
    ),
    case("licensee-archived", "POST", L, 409, license_body(licensee_id="ptn_gone"), expect={"partner_id": "ptn_gone"}),
    case(
        "technology-unknown",
        "POST",
        L,
        409,
        license_body(technology_ids=[UNKNOWN["tec"]]),
        expect={"technology_id": UNKNOWN["tec"]},
    ),
    case("technology-abandoned", "POST", L, 409, license_body(technology_ids=["{abandoned}"])),
    case("technologies-empty", "POST", L, 422, license_body(technology_ids=[]), pointer="#/technology_ids"),
    case(
        "technologies-21",
        "POST",
        L,
        422,
        license_body(technology_ids=[f"tec_{i}" for i in range(21)]),
        pointer="#/technology_ids",
    ),
    case("technologies-repeated", "POST", L, 422, license_body(technology_ids=["{available}", "{available}"])),
    case("kind-unknown", "POST", L, 422, license_body(kind="perpetual"), pointer="#/kind"),
    case("territory-empty", "POST", L, 422, license_body(territory=[]), pointer="#/territory"),
    case("territory-string", "POST", L, 422, license_body(territory="DE"), pointer="#/territory"),
    case("territory-unknown-country", "POST", L, 422, license_body(territory=["XX"]), pointer="#/territory"),
    case(
        "territory-worldwide-and-more",
        "POST",
        L,
        422,
        license_body(territory=["worldwide", "DE"]),
        pointer="#/territory",
    ),
    case("territory-repeated", "POST", L, 422, license_body(territory=["DE", "de"]), pointer="#/territory"),
    case("field-blank", "POST", L, 422, license_body(field_of_use="   "), pointer="#/field_of_use"),
    case("currency-unknown", "POST", L, 422, license_body(currency="ABC"), pointer="#/currency"),
    case("currency-without-minor-unit", "POST", L, 422, license_body(currency="XXX"), pointer="#/currency"),
    case("currency-gold", "POST", L, 422, license_body(currency="XAU"), pointer="#/currency"),
    case(
        "fee-float",
        "POST",
        L,
        422,
        license_body(upfront_fee={"amount": 100.5, "currency": "EUR"}),
        pointer="#/upfront_fee/amount",
    ),
    case("fee-other-currency", "POST", L, 422, license_body(upfront_fee={"amount": "1.00", "currency": "USD"})),
    case("fee-negative", "POST", L, 422, license_body(upfront_fee=eur("-1.00")), pointer="#/upfront_fee"),
    case("fee-too-precise", "POST", L, 422, license_body(upfront_fee=eur("1.001")), pointer="#/upfront_fee"),
    case(
        "fee-extra-member",
        "POST",
        L,
        422,
        license_body(upfront_fee=eur("1.00") | {"rate": "7"}),
        pointer="#/upfront_fee/rate",
    ),
    case("fee-nan", "POST", L, 422, license_body(upfront_fee=eur("NaN")), pointer="#/upfront_fee/amount"),
    case("rate-number", "POST", L, 422, license_body(royalty_rate=3.5), pointer="#/royalty_rate"),
    case("rate-101", "POST", L, 422, license_body(royalty_rate="101"), pointer="#/royalty_rate"),
    case("dates-backwards", "POST", L, 422, license_body(effective_from="2027-05-01", expires_on="2027-04-01")),
    case("assignment-with-expiry", "POST", L, 422, license_body(kind="assignment", expires_on="2030-01-01")),
    case("grace-366", "POST", L, 422, license_body(report_grace_days=366), pointer="#/report_grace_days"),
    case("frequency-monthly", "POST", L, 422, license_body(report_frequency="monthly"), pointer="#/report_frequency"),
    case(
        "milestone-yen",
        "POST",
        L,
        422,
        license_body(milestones=[{"name": "first sale", "amount": {"amount": "5", "currency": "JPY"}}]),
    ),
    case("server-field-status", "POST", L, 422, license_body(status="executed"), pointer="#/status"),
    case("server-field-export", "POST", L, 422, license_body(export={"required": False}), pointer="#/export"),
    case("server-field-partner-ids", "POST", L, 422, license_body(partner_ids=["ptn_x"]), pointer="#/partner_ids"),
]

LICENSE_CASES = [
    case("execute-unclassified-export", "POST", L + "/{unclassified}/execute", 409),
    case(
        "execute-conflicting-exclusive",
        "POST",
        L + "/{negotiating}/execute",
        409,
        expect={"conflicting_id": "{executed}"},
    ),
    case("execute-unknown", "POST", L + "/" + UNKNOWN["lic"] + "/execute", 404),
    case("classify-executed", "POST", L + "/{executed}/export-classification", 409, {"classification": "free"}),
    case(
        "classify-unknown-value",
        "POST",
        L + "/{unclassified}/export-classification",
        422,
        {"classification": "secret"},
        pointer="#/classification",
    ),
    case(
        "classify-permit-on-free",
        "POST",
        L + "/{unclassified}/export-classification",
        422,
        {"classification": "free", "permit_reference": "P-1"},
    ),
    case(
        "classify-permit-dollar",
        "POST",
        L + "/{unclassified}/export-classification",
        422,
        {"classification": "restricted", "permit_reference": "$ne"},
    ),
    case(
        "terminate-negotiating",
        "POST",
        L + "/{negotiating}/terminate",
        409,
        {"reason": "x"},
        expect={"current_status": "negotiating"},
    ),
    case("terminate-no-reason", "POST", L + "/{executed}/terminate", 422, {}, pointer="#/reason"),
    case(
        "terminate-in-future", "POST", L + "/{executed}/terminate", 422, {"reason": "x", "terminated_on": "2027-03-02"}
    ),
    case("activate-negotiating", "POST", L + "/{negotiating}/activate", 409),
    case("patch-executed", "PATCH", L + "/{executed}", 409, {"notes": "x"}),
    case("patch-empty", "PATCH", L + "/{negotiating}", 422, {}),
    case("patch-kind-null", "PATCH", L + "/{negotiating}", 422, {"kind": None}, pointer="#/kind"),
    case("patch-licensee-unknown", "PATCH", L + "/{negotiating}", 409, {"licensee_id": "ptn_nobody"}),
    case("patch-licensee-archived", "PATCH", L + "/{negotiating}", 409, {"licensee_id": "ptn_gone"}),
    case("patch-territory-bad", "PATCH", L + "/{negotiating}", 422, {"territory": ["ZZ"]}, pointer="#/territory"),
    case("patch-currency-alone", "PATCH", L + "/{negotiating}", 422, {"currency": "USD"}),  # the fees stay in EUR
    case("patch-execution", "PATCH", L + "/{negotiating}", 422, {"execution": None}, pointer="#/execution"),
]

ROYALTY_CASES = [
    case("open-unknown-license", "POST", R, 409, {"license_id": UNKNOWN["lic"], "period_start": "2026-10-01"}),
    case("open-not-a-period", "POST", R, 409, {"license_id": "{executed}", "period_start": "2026-11-01"}),
    case("open-period-not-ended", "POST", R, 409, {"license_id": "{executed}", "period_start": "2027-01-01"}),
    case("open-negotiating-license", "POST", R, 409, {"license_id": "{negotiating}", "period_start": "2026-10-01"}),
    case(
        "open-bad-currency",
        "POST",
        R,
        422,
        {"license_id": "{executed}", "period_start": "2026-10-01", "currency": "XXX"},
        pointer="#/currency",
    ),
    case(
        "receive-other-currency", "POST", R + "/{due}/receive", 422, {"revenue": {"amount": "1.00", "currency": "USD"}}
    ),
    case("receive-negative", "POST", R + "/{due}/receive", 422, {"revenue": eur("-1.00")}, pointer="#/revenue"),
    case(
        "receive-float",
        "POST",
        R + "/{due}/receive",
        422,
        {"revenue": {"amount": 100, "currency": "EUR"}},
        pointer="#/revenue/amount",
    ),
    case(
        "receive-royalty-from-client",
        "POST",
        R + "/{due}/receive",
        422,
        {"revenue": eur("1.00"), "royalty_due": eur("0.00")},
        pointer="#/royalty_due",
    ),
    case("receive-in-future", "POST", R + "/{due}/receive", 422, {"revenue": eur("1.00"), "received_on": "2027-03-02"}),
    case(
        "receive-received",
        "POST",
        R + "/{received}/receive",
        409,
        {"revenue": eur("1.00")},
        expect={"current_status": "received"},
    ),
    case("receive-unknown", "POST", R + "/roy_00000000000000000000000000/receive", 404, {"revenue": eur("1.00")}),
    case("pay-due-report", "POST", R + "/{due}/payments", 409, {"amount": eur("1.00")}),
    case("pay-zero", "POST", R + "/{received}/payments", 422, {"amount": eur("0.00")}, pointer="#/amount"),
    case("pay-too-much", "POST", R + "/{received}/payments", 409, {"amount": eur("100.01")}),
    case(
        "pay-other-currency", "POST", R + "/{received}/payments", 422, {"amount": {"amount": "1.00", "currency": "USD"}}
    ),
    case(
        "pay-in-future", "POST", R + "/{received}/payments", 422, {"amount": eur("1.00"), "received_on": "2027-03-02"}
    ),
    case("payment-get-unknown", "GET", R + "/{received}/payments/pay_nope", 404, headers=READER),
    case("totals-without-filter", "GET", R + "/totals", 422, headers=READER, parameter="license_id"),
    case(
        "totals-both-filters",
        "GET",
        R + "/totals",
        422,
        headers=READER,
        params={"license_id": "{executed}", "licensee_id": "ptn_siemens"},
    ),
    case("totals-unknown-license", "GET", R + "/totals", 404, headers=READER, params={"license_id": UNKNOWN["lic"]}),
    case("list-bad-date", "GET", R, 422, headers=READER, params={"due_before": "tomorrow"}),
]

DISTRIBUTION_BASE = {"technology_id": "{available}", "income": eur("100.00")}
DISTRIBUTION_CASES = [
    case("technology-unknown", "POST", D, 409, DISTRIBUTION_BASE | {"technology_id": UNKNOWN["tec"]}),
    case("income-zero", "POST", D, 422, DISTRIBUTION_BASE | {"income": eur("0.00")}, pointer="#/income"),
    case(
        "income-float",
        "POST",
        D,
        422,
        DISTRIBUTION_BASE | {"income": {"amount": 1.5, "currency": "EUR"}},
        pointer="#/income/amount",
    ),
    case("income-missing", "POST", D, 422, without(DISTRIBUTION_BASE, "income"), pointer="#/income"),
    case(
        "cost-other-currency",
        "POST",
        D,
        422,
        DISTRIBUTION_BASE | {"direct_costs": [{"kind": "legal_fee", "amount": {"amount": "1", "currency": "JPY"}}]},
    ),
    case(
        "cost-kind-unknown",
        "POST",
        D,
        422,
        DISTRIBUTION_BASE | {"direct_costs": [{"kind": "dinner", "amount": eur("1.00")}]},
    ),
    case(
        "cost-negative",
        "POST",
        D,
        422,
        DISTRIBUTION_BASE | {"direct_costs": [{"kind": "legal_fee", "amount": eur("-1.00")}]},
    ),
    case(
        "payment-without-report",
        "POST",
        D,
        422,
        DISTRIBUTION_BASE | {"payment_id": "{payment}"},
        pointer="#/royalty_report_id",
    ),
    case("report-unknown", "POST", D, 409, DISTRIBUTION_BASE | {"royalty_report_id": "roy_00000000000000000000000000"}),
    case("report-not-received", "POST", D, 409, DISTRIBUTION_BASE | {"royalty_report_id": "{due}"}),
    case(
        "payment-unknown",
        "POST",
        D,
        409,
        DISTRIBUTION_BASE | {"royalty_report_id": "{received}", "payment_id": "pay_nope"},
    ),
    case(
        "income-over-payment",
        "POST",
        D,
        409,
        {
            "technology_id": "{available}",
            "royalty_report_id": "{received}",
            "payment_id": "{payment}",
            "income": eur("100.01"),
        },
    ),
    case(
        "payment-distributed-again",
        "POST",
        D,
        409,
        {
            "technology_id": "{available}",
            "royalty_report_id": "{received}",
            "payment_id": "{payment}",
            "income": eur("50.00"),
        },
        expect={"conflicting_id": "{distribution}"},
    ),
    case(
        "technology-not-licensed",
        "POST",
        D,
        409,
        DISTRIBUTION_BASE | {"technology_id": "{licensed}", "license_id": "{paying}"},
    ),
    case("license-unknown", "POST", D, 409, DISTRIBUTION_BASE | {"license_id": UNKNOWN["lic"]}),
    case(
        "license-not-the-reports",
        "POST",
        D,
        409,
        DISTRIBUTION_BASE | {"royalty_report_id": "{received}", "license_id": "{executed}"},
    ),
]

AUTH_CASES = [
    case("no-token", "POST", T, 401, TECHNOLOGY, headers={}),
    case("bad-token", "POST", T, 401, TECHNOLOGY, headers={"Authorization": "Bearer not-a-jwt"}),
    case("viewer-writes", "POST", T, 403, TECHNOLOGY, headers=READER),
    case("partnerships-officer-writes", "POST", L, 403, license_body(), headers=auth("partnerships_officer")),
    case("funding-officer-executes", "POST", L + "/{negotiating}/execute", 403, headers=auth("funding_officer")),
    case("viewer-receives", "POST", R + "/{due}/receive", 403, {"revenue": eur("1.00")}, headers=READER),
    case("viewer-distributes", "POST", D, 403, DISTRIBUTION_BASE, headers=READER),
    case("no-token-reads", "GET", L, 401, headers={}),
]

LIST_CASES = [
    *[
        case(f"limit-{v}", "GET", path, 422, headers=READER, params={"limit": v}, parameter="limit")
        for v in (0, 201, "x")
        for path in (T,)
    ],
    case("cursor-garbage", "GET", L, 422, headers=READER, params={"cursor": "garbage"}, parameter="cursor"),
    case(
        "cursor-of-another-list",
        "GET",
        T,
        422,
        headers=READER,
        params={"cursor": "{licenses_cursor}"},
        parameter="cursor",
    ),
    case("status-unknown", "GET", L, 422, headers=READER, params={"status": "signed"}),
    case("country-unknown", "GET", L, 422, headers=READER, params={"country": "XX"}),
    case("kind-unknown", "GET", L, 422, headers=READER, params={"kind": "perpetual"}),
    case("history-cursor-garbage", "GET", L + "/{executed}/history", 422, headers=READER, params={"cursor": "x"}),
]

NOT_FOUND_CASES = [
    case("get-technology", "GET", T + "/" + UNKNOWN["tec"], 404, headers=READER),
    case("get-technology-is-a-license", "GET", T + "/{executed}", 404, headers=READER),
    case("get-license", "GET", L + "/" + UNKNOWN["lic"], 404, headers=READER),
    case("get-report", "GET", R + "/roy_nope", 404, headers=READER),
    case("get-distribution", "GET", D + "/dst_nope", 404, headers=READER),
    case("technology-history", "GET", T + "/" + UNKNOWN["tec"] + "/history", 404, headers=READER),
    case("license-history", "GET", L + "/" + UNKNOWN["lic"] + "/history", 404, headers=READER),
    case("get-dollar-id", "GET", L + "/$gt", 404, headers=READER),
    case("get-long-id", "GET", T + "/" + "t" * 5000, 404, headers=READER),
    case("delete-license", "DELETE", L + "/{negotiating}", 405),
]

IDEMPOTENCY_CASES = [
    case("key-too-long", "POST", T, 422, TECHNOLOGY, headers=WRITER | {"Idempotency-Key": "k" * 256}),
]

ALL_CASES = [
    *DISCLOSE_CASES,
    *TECHNOLOGY_CASES,
    *DRAFT_CASES,
    *LICENSE_CASES,
    *ROYALTY_CASES,
    *DISTRIBUTION_CASES,
    *AUTH_CASES,
    *LIST_CASES,
    *NOT_FOUND_CASES,
    *IDEMPOTENCY_CASES,
]


@pytest.mark.parametrize("c", ALL_CASES)
async def test_bad_input_answers_a_problem_and_changes_nothing(world, c):
    before = await world.snapshot()
    judge(await send(world.client, c, world.ids, writer=WRITER), c, world.ids)
    assert await world.snapshot() == before, "a refused request changed something"


@pytest.mark.parametrize(
    ("path", "first", "second"),
    [
        (T, TECHNOLOGY, TECHNOLOGY | {"title": "Another title"}),
        (L, license_body(), license_body(title="Another licence")),
    ],
    ids=["disclose", "draft"],
)
async def test_an_idempotency_key_reused_with_another_body_is_refused(world, path, first, second):
    key = {"Idempotency-Key": f"reuse-{path.rsplit('/', 1)[1]}"}
    created = await world.client.post(path, json=fill(first, world.ids), headers=WRITER | key)
    assert created.status_code == 201, created.text
    before = await world.snapshot()
    problem_of(
        await world.client.post(path, json=fill(second, world.ids), headers=WRITER | key),
        422,
        parameter="Idempotency-Key",
    )
    assert await world.snapshot() == before
    again = await world.client.post(path, json=fill(first, world.ids), headers=WRITER | key)
    assert again.status_code == 201 and again.json()["id"] == created.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await world.snapshot() == before


async def test_a_patent_key_reused_with_another_record_is_refused(world):
    path = f"{T}/{world.ids['licensed']}/patents"
    key = {"Idempotency-Key": "patent-once"}
    first = await world.client.post(path, json=PATENT | {"application_number": "US9"}, headers=WRITER | key)
    assert first.status_code == 201, first.text
    before = await world.snapshot()
    problem_of(
        await world.client.post(path, json=PATENT | {"application_number": "US10"}, headers=WRITER | key),
        422,
        parameter="Idempotency-Key",
    )
    assert await world.snapshot() == before

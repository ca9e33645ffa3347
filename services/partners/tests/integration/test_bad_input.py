"""Bad input of every kind answers a specific 4xx problem and changes nothing.

Every case is sent to one partners service (module scoped, so the hundreds of
cases share one app) running against the real FerretDB and Kafka. Around each
case the test takes a snapshot of everything a request could have changed:
the number of event records (the write model), the name and idempotency
claims, the number of partners, agreements and centers in the lists, and the
version of every resource the cases aim at. The answer must be the expected
status (never just "not 500") as an RFC 9457 problem, and the snapshot after
must equal the snapshot before.

The client does not re-raise the app's exceptions (`raise_app_exceptions=False`),
so a crash shows as the 500 problem a real client would see.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
import pytest

from opp_shared.auth import issue_local_token
from opp_shared.clock import ManualClock
from opp_shared.settings import LOCAL_JWT_SECRET
from opp_shared.testing.bad_input import Case, case, fill, judge, problem_of, send
from opp_shared.testing.helpers import auth, new_namespace, running, settings_for
from partners.main import create_app
from partners.settings import PartnersSettings

WRITER = auth("partnerships_officer", sub="officer-1")
READER = auth("viewer", sub="viewer-1")
JSON = {"content-type": "application/json"}

P = "/api/v1/partners"
A = "/api/v1/agreements"
C = "/api/v1/centers"
UNKNOWN_PARTNER = "ptn_00000000000000000000000000"
UNKNOWN_AGREEMENT = "agr_00000000000000000000000000"
UNKNOWN_CENTER = "ctr_00000000000000000000000000"


# -- the world every case runs against ----------------------------------------------------


@dataclass
class World:
    client: httpx.AsyncClient
    app: Any
    ids: dict[str, str] = field(default_factory=dict)

    async def versions(self) -> dict[str, int]:
        paths = {
            "partner": f"{P}/{self.ids['partner']}",
            "other": f"{P}/{self.ids['other']}",
            "archived": f"{P}/{self.ids['archived']}",
            "draft": f"{A}/{self.ids['draft']}",
            "review": f"{A}/{self.ids['review']}",
            "active": f"{A}/{self.ids['active']}",
            "center": f"{C}/{self.ids['center']}",
        }
        found = {}
        for name, path in paths.items():
            answer = await self.client.get(path, headers=READER)
            assert answer.status_code == 200, answer.text
            found[name] = answer.json()["version"]
        return found

    async def count(self, path: str) -> int:
        total, cursor = 0, None
        while True:
            answer = await self.client.get(
                path, params={"limit": 200, **({"cursor": cursor} if cursor else {})}, headers=READER
            )
            assert answer.status_code == 200, answer.text
            total += len(answer.json()["items"])
            cursor = answer.json()["next_cursor"]
            if cursor is None:
                return total

    async def snapshot(self) -> dict[str, Any]:
        runtime = self.app.state.runtime
        return {
            "events": await runtime.store.events.count_documents({}),
            "claims": await runtime.claims.collection.count_documents(
                {"kind": {"$in": ["partner-name", "idempotency"]}}
            ),
            "partners": await self.count(P),
            "agreements": await self.count(A),
            "centers": await self.count(C),
            "versions": await self.versions(),
        }


async def _ok(answer: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    return answer.json()


@pytest.fixture(scope="module")
async def world(servers):
    settings = settings_for(PartnersSettings, servers, new_namespace())
    app = create_app(settings, clock=ManualClock(datetime(2027, 3, 1, 0, 0, tzinfo=UTC)))
    async with running(app, raise_app_exceptions=False) as client:
        w = World(client, app)

        async def register(name, country, **extra):
            return (
                await _ok(
                    await client.post(
                        P, json={"name": name, "kind": "university", "country": country, **extra}, headers=WRITER
                    ),
                    201,
                )
            )["id"]

        w.ids["partner"] = await register("Bad Input University", "GB", status="active")
        w.ids["other"] = await register("Second Partner Institute", "FR")
        w.ids["archived"] = await register("Archived Partner", "DE")
        await _ok(await client.post(f"{P}/{w.ids['archived']}/archive", json={"reason": "closed"}, headers=WRITER))

        async def draft(**extra):
            body = {
                "type": "framework",
                "title": "Framework",
                "parties": [{"partner_id": w.ids["partner"], "lead": True}],
                **extra,
            }
            return (await _ok(await client.post(A, json=body, headers=WRITER), 201))["id"]

        w.ids["draft"] = await draft()
        w.ids["review"] = await draft(expires_on="2031-12-31")
        await _ok(await client.post(f"{A}/{w.ids['review']}/submit", headers=WRITER))
        w.ids["active"] = await draft(effective_from="2026-01-01", expires_on="2031-12-31")
        for action, body in (("submit", None), ("sign", {"signed_on": "2025-12-01"}), ("activate", None)):
            await _ok(await client.post(f"{A}/{w.ids['active']}/{action}", json=body, headers=WRITER))
        center = {
            "name": "Joint Center",
            "partner_ids": [w.ids["partner"], w.ids["other"]],
            "established_on": "2026-01-01",
            "disciplines": ["physics"],
        }
        w.ids["center"] = (await _ok(await client.post(C, json=center, headers=WRITER), 201))["id"]

        # Cursors that real lists gave out, to be sent to the wrong list.
        page = await _ok(await client.get(A, params={"limit": 1}, headers=READER))
        w.ids["agreements_cursor"] = page["next_cursor"]
        page = await _ok(await client.get(P, params={"limit": 1, "sort": "name"}, headers=READER))
        w.ids["by_name_cursor"] = page["next_cursor"]
        assert w.ids["agreements_cursor"] and w.ids["by_name_cursor"]
        yield w


# -- how a case is sent and judged -----------------------------------------------------------


async def check(world: World, c: Case) -> dict[str, Any]:
    before = await world.snapshot()
    answer = await send(world.client, c, world.ids, writer=WRITER)
    body = judge(answer, c, world.ids)
    assert await world.snapshot() == before, "a refused request changed something"
    return body


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# -- bodies ------------------------------------------------------------------------------------

PARTNER = {"name": "Fresh Partner", "kind": "university", "country": "GB"}
DRAFT = {"type": "mou", "title": "Fresh MoU", "parties": [{"partner_id": "{partner}"}]}
CENTER = {"name": "Fresh Center", "partner_ids": ["{partner}"], "established_on": "2027-01-01"}
CONTACT = {"name": "Ada", "email": "ada@example.org"}
DOCUMENT = {
    "name": "signed.pdf",
    "media_type": "application/pdf",
    "checksum": "sha256:" + "a" * 64,
    "location": "s3://agreements/x.pdf",
}


def without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


def raw(text: str) -> bytes:
    """A JSON body written by hand, e.g. with an escaped lone surrogate."""
    return text.encode()


REGISTER_CASES = [
    # wrong types
    case("name-number", "POST", P, 422, PARTNER | {"name": 123}, pointer="#/name"),
    case("name-object-operator", "POST", P, 422, PARTNER | {"name": {"$gt": ""}}, pointer="#/name"),
    case("name-list", "POST", P, 422, PARTNER | {"name": ["Fresh"]}, pointer="#/name"),
    case("name-bool", "POST", P, 422, PARTNER | {"name": True}, pointer="#/name"),
    case("name-null", "POST", P, 422, PARTNER | {"name": None}, pointer="#/name"),
    case("kind-null", "POST", P, 422, PARTNER | {"kind": None}, pointer="#/kind"),
    case("country-null", "POST", P, 422, PARTNER | {"country": None}, pointer="#/country"),
    case("kind-number", "POST", P, 422, PARTNER | {"kind": 1}, pointer="#/kind"),
    case("kind-unknown", "POST", P, 422, PARTNER | {"kind": "pirate_ship"}, pointer="#/kind"),
    case("kind-operator-string", "POST", P, 422, PARTNER | {"kind": "$gt"}, pointer="#/kind"),
    case("tier-unknown", "POST", P, 422, PARTNER | {"tier": "gold"}, pointer="#/tier"),
    case("status-archived", "POST", P, 422, PARTNER | {"status": "archived"}, pointer="#/status"),
    case("contacts-string", "POST", P, 422, PARTNER | {"contacts": "Ada"}, pointer="#/contacts"),
    case("contacts-object", "POST", P, 422, PARTNER | {"contacts": {"name": "Ada"}}, pointer="#/contacts"),
    case("contact-string", "POST", P, 422, PARTNER | {"contacts": ["Ada"]}, pointer="#/contacts/0"),
    case(
        "contact-bad-email",
        "POST",
        P,
        422,
        PARTNER | {"contacts": [CONTACT | {"email": "not-an-email"}]},
        pointer="#/contacts/0/email",
    ),
    case(
        "contact-bad-phone",
        "POST",
        P,
        422,
        PARTNER | {"contacts": [CONTACT | {"phone": "call me"}]},
        pointer="#/contacts/0/phone",
    ),
    case("website-javascript", "POST", P, 422, PARTNER | {"website": "javascript:alert(1)"}, pointer="#/website"),
    case("website-number", "POST", P, 422, PARTNER | {"website": 42}, pointer="#/website"),
    # missing and unknown fields
    case("missing-name", "POST", P, 422, without(PARTNER, "name"), pointer="#/name"),
    case("missing-kind", "POST", P, 422, without(PARTNER, "kind"), pointer="#/kind"),
    case("missing-country", "POST", P, 422, without(PARTNER, "country"), pointer="#/country"),
    case("unknown-field", "POST", P, 422, PARTNER | {"colour": "blue"}, pointer="#/colour"),
    case("server-field-id", "POST", P, 422, PARTNER | {"id": "ptn_mine"}, pointer="#/id"),
    case("server-field-version", "POST", P, 422, PARTNER | {"version": 7}, pointer="#/version"),
    case("server-field-merged-into", "POST", P, 422, PARTNER | {"merged_into": "{other}"}, pointer="#/merged_into"),
    case("where-field", "POST", P, 422, PARTNER | {"$where": "1"}, pointer="#/$where"),
    case("set-operator-field", "POST", P, 422, PARTNER | {"$set": {"status": "archived"}}, pointer="#/$set"),
    case("dotted-key", "POST", P, 422, PARTNER | {"contacts.0.name": "x"}, pointer="#/contacts.0.name"),
    case("slash-key", "POST", P, 422, PARTNER | {"a/b": 1}, pointer="#/a~1b"),
    case(
        "dollar-key-in-contact",
        "POST",
        P,
        422,
        PARTNER | {"contacts": [CONTACT | {"$gt": ""}]},
        pointer="#/contacts/0/$gt",
    ),
    # not an object, not JSON, not JSON at all
    case("empty-body", "POST", P, 422, content=b"", headers=WRITER | JSON, pointer="#/"),
    case("no-body", "POST", P, 422, headers=WRITER | JSON, pointer="#/"),
    case("json-array", "POST", P, 422, [PARTNER], pointer="#/"),
    case("json-string", "POST", P, 422, "Fresh Partner", pointer="#/"),
    case("json-number", "POST", P, 422, 42, pointer="#/"),
    case("json-null", "POST", P, 422, content=b"null", headers=WRITER | JSON, pointer="#/"),
    case("not-json", "POST", P, 400, content=b"{not json", headers=WRITER | JSON),
    case(
        "trailing-comma",
        "POST",
        P,
        400,
        content=raw('{"name": "Fresh", "kind": "university", "country": "GB",}'),
        headers=WRITER | JSON,
    ),
    case("truncated-json", "POST", P, 400, content=raw('{"name": "Fresh", "kind": "univ'), headers=WRITER | JSON),
    # Numbers that are not finite: Python's JSON reader takes them, FerretDB drops the connection on a NaN.
    # Refused before any route; the snapshot around each case reads FerretDB, so it must still answer.
    *[
        case(f"number-{name}", "POST", P, 400, content=raw(text), headers=WRITER | JSON)
        for name, text in (
            ("nan-name", '{"name": NaN, "kind": "university", "country": "GB"}'),
            ("infinity-unknown-field", '{"name": "Fresh", "kind": "university", "country": "GB", "rank": Infinity}'),
            (
                "minus-infinity-contact",
                '{"name": "Fresh", "kind": "university", "country": "GB", '
                '"contacts": [{"name": "Ada", "phone": -Infinity}]}',
            ),
            ("overflow-description", '{"name": "Fresh", "kind": "university", "country": "GB", "description": 1e999}'),
        )
    ],
    case(
        "invalid-utf8",
        "POST",
        P,
        400,
        content=b'{"name": "\xff\xfe", "kind": "university", "country": "GB"}',
        headers=WRITER | JSON,
    ),
    # wrong content type: FastAPI reads only JSON content types, so the object is not seen (422 on the body)
    case(
        "content-type-text",
        "POST",
        P,
        422,
        content=json.dumps(PARTNER).encode(),
        headers=WRITER | {"content-type": "text/plain"},
        pointer="#/",
    ),
    case(
        "content-type-xml",
        "POST",
        P,
        422,
        content=b"<partner><name>Fresh</name></partner>",
        headers=WRITER | {"content-type": "application/xml"},
        pointer="#/",
    ),
    case("content-type-missing", "POST", P, 422, content=json.dumps(PARTNER).encode(), pointer="#/"),
    case(
        "form-encoded",
        "POST",
        P,
        422,
        content=b"name=Fresh&kind=university&country=GB",
        headers=WRITER | {"content-type": "application/x-www-form-urlencoded"},
        pointer="#/",
    ),
    # sizes and depth
    case("name-10000-chars", "POST", P, 422, PARTNER | {"name": "x" * 10_000}, pointer="#/name"),
    case("name-201-chars", "POST", P, 422, PARTNER | {"name": "x" * 201}, pointer="#/name"),
    case("name-empty", "POST", P, 422, PARTNER | {"name": ""}, pointer="#/name"),
    case("name-blank", "POST", P, 422, PARTNER | {"name": "   \t "}, pointer="#/name"),
    case("description-10001-chars", "POST", P, 422, PARTNER | {"description": "x" * 10_001}, pointer="#/description"),
    case(
        "relationship-owner-501-chars",
        "POST",
        P,
        422,
        PARTNER | {"relationship_owner": "x" * 501},
        pointer="#/relationship_owner",
    ),
    case(
        "relationship-owner-id-empty",
        "POST",
        P,
        422,
        PARTNER | {"relationship_owner_id": ""},
        pointer="#/relationship_owner_id",
    ),
    case(
        "relationship-owner-id-number",
        "POST",
        P,
        422,
        PARTNER | {"relationship_owner_id": 42},
        pointer="#/relationship_owner_id",
    ),
    case("contacts-51", "POST", P, 422, PARTNER | {"contacts": [CONTACT] * 51}, pointer="#/contacts"),
    case("body-2mb", "POST", P, 413, PARTNER | {"description": "x" * 2_000_000}),
    case("body-2mb-declared", "POST", P, 413, content=b'{"name": "' + b"x" * 2_000_000 + b'"}', headers=WRITER | JSON),
    case(
        "nested-500-deep",
        "POST",
        P,
        422,
        content=raw('{"name": ' + "[" * 500 + "]" * 500 + ', "kind": "university", "country": "GB"}'),
        headers=WRITER | JSON,
        pointer="#/name",
    ),
    case(
        "nested-100000-deep",
        "POST",
        P,
        400,
        content=raw('{"name": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        headers=WRITER | JSON,
    ),
    case(
        "nested-objects-50000-deep",
        "POST",
        P,
        400,
        content=raw('{"name": ' + '{"a":' * 50_000 + "1" + "}" * 50_000 + "}"),
        headers=WRITER | JSON,
    ),
    # characters
    case("name-nul", "POST", P, 422, PARTNER | {"name": "Fresh\x00Partner"}, pointer="#/name"),
    case("name-newline", "POST", P, 422, PARTNER | {"name": "Fresh\nPartner"}, pointer="#/name"),
    case("name-tab", "POST", P, 422, PARTNER | {"name": "Fresh\tPartner"}, pointer="#/name"),
    case("name-escape", "POST", P, 422, PARTNER | {"name": "Fresh\x1b[31mPartner"}, pointer="#/name"),
    case("name-delete", "POST", P, 422, PARTNER | {"name": "Fresh\x7fPartner"}, pointer="#/name"),
    case("name-c1-csi", "POST", P, 422, PARTNER | {"name": "Fresh\x9b31mPartner"}, pointer="#/name"),
    case("name-c1-nel", "POST", P, 422, PARTNER | {"name": "Fresh\x85Partner"}, pointer="#/name"),
    case("description-nul", "POST", P, 422, PARTNER | {"description": "line one\x00"}, pointer="#/description"),
    case(
        "contact-name-nul", "POST", P, 422, PARTNER | {"contacts": [{"name": "A\x00da"}]}, pointer="#/contacts/0/name"
    ),
    case(
        "name-lone-surrogate",
        "POST",
        P,
        422,
        content=raw('{"name": "\\ud800", "kind": "university", "country": "GB"}'),
        headers=WRITER | JSON,
        pointer="#/name",
    ),
    case(
        "name-low-surrogate",
        "POST",
        P,
        422,
        content=raw('{"name": "x\\udfff", "kind": "university", "country": "GB"}'),
        headers=WRITER | JSON,
        pointer="#/name",
    ),
    case(
        "description-lone-surrogate",
        "POST",
        P,
        422,
        content=raw('{"name": "Fresh", "kind": "university", "country": "GB", "description": "\\ud83d"}'),
        headers=WRITER | JSON,
        pointer="#/description",
    ),
    case(
        "surrogate-key",
        "POST",
        P,
        422,
        content=raw('{"name": "Fresh", "kind": "university", "country": "GB", "\\ud800": 1}'),
        headers=WRITER | JSON,
    ),
    case(
        "email-lone-surrogate",
        "POST",
        P,
        422,
        content=raw(
            '{"name": "Fresh", "kind": "university", "country": "GB", '
            '"contacts": [{"name": "A", "email": "a\\ud800@x.org"}]}'
        ),
        headers=WRITER | JSON,
        pointer="#/contacts/0/email",
    ),
    # country codes
    *[
        case(f"country-{code or 'empty'}", "POST", P, 422, PARTNER | {"country": code}, pointer="#/country")
        for code in ("XX", "UK", "GBR", "", "1A", "G", "$ne", "gb\x00", "ZZ")
    ],
    case("country-operator-object", "POST", P, 422, PARTNER | {"country": {"$ne": "GB"}}, pointer="#/country"),
    case(
        "country-surrogates",
        "POST",
        P,
        422,
        content=raw('{"name": "Fresh", "kind": "university", "country": "\\ud800\\ud800"}'),
        headers=WRITER | JSON,
        pointer="#/country",
    ),
    # rules
    case("name-taken", "POST", P, 409, PARTNER | {"name": "bad input UNIVERSITY"}),
    case("name-taken-accents", "POST", P, 409, PARTNER | {"name": "Bäd  Ínput Universitý"}),
]

EDIT_PARTNER_CASES = [
    case("patch-empty-object", "PATCH", P + "/{partner}", 422, {}),
    *[
        case(f"patch-{f}-null", "PATCH", P + "/{partner}", 422, {f: None}, pointer=f"#/{f}")
        for f in ("name", "kind", "country", "tier")
    ],
    case("patch-name-number", "PATCH", P + "/{partner}", 422, {"name": 5}, pointer="#/name"),
    case("patch-name-object", "PATCH", P + "/{partner}", 422, {"name": {"$set": "x"}}, pointer="#/name"),
    case("patch-name-10000", "PATCH", P + "/{partner}", 422, {"name": "x" * 10_000}, pointer="#/name"),
    case("patch-name-nul", "PATCH", P + "/{partner}", 422, {"name": "a\x00b"}, pointer="#/name"),
    case("patch-country-uk", "PATCH", P + "/{partner}", 422, {"country": "UK"}, pointer="#/country"),
    case("patch-status", "PATCH", P + "/{partner}", 422, {"status": "archived"}, pointer="#/status"),
    case("patch-merged-into", "PATCH", P + "/{partner}", 422, {"merged_into": "{other}"}, pointer="#/merged_into"),
    case("patch-version", "PATCH", P + "/{partner}", 422, {"version": 99}, pointer="#/version"),
    case("patch-name-key", "PATCH", P + "/{partner}", 422, {"name_key": "x"}, pointer="#/name_key"),
    case("patch-where", "PATCH", P + "/{partner}", 422, {"$where": "1"}, pointer="#/$where"),
    case("patch-contacts-string", "PATCH", P + "/{partner}", 422, {"contacts": "Ada"}, pointer="#/contacts"),
    case("patch-contacts-51", "PATCH", P + "/{partner}", 422, {"contacts": [CONTACT] * 51}, pointer="#/contacts"),
    case("patch-array", "PATCH", P + "/{partner}", 422, [{"tier": "key"}], pointer="#/"),
    case("patch-no-body", "PATCH", P + "/{partner}", 422, pointer="#/"),
    case("patch-not-json", "PATCH", P + "/{partner}", 400, content=b"{not json", headers=WRITER | JSON),
    case("patch-nan", "PATCH", P + "/{partner}", 400, content=b'{"tier": NaN}', headers=WRITER | JSON),
    case("patch-2mb", "PATCH", P + "/{partner}", 413, {"description": "x" * 2_000_000}),
    case("patch-name-taken", "PATCH", P + "/{partner}", 409, {"name": "SECOND partner institute", "country": "FR"}),
    case("patch-unknown-partner", "PATCH", P + "/" + UNKNOWN_PARTNER, 404, {"tier": "key"}),
    case("patch-archived-partner", "PATCH", P + "/{archived}", 409, {"tier": "key"}),
    case("patch-archived-partner-rename", "PATCH", P + "/{archived}", 409, {"name": "A Name Nobody Has"}),
    case("status-to-archived", "POST", P + "/{partner}/status", 409, {"status": "archived"}),
    case("status-unknown-value", "POST", P + "/{partner}/status", 422, {"status": "deleted"}, pointer="#/status"),
    case("status-missing", "POST", P + "/{partner}/status", 422, {}, pointer="#/status"),
    case("status-illegal-move", "POST", P + "/{partner}/status", 409, {"status": "prospect"}),
    case("status-of-archived", "POST", P + "/{archived}/status", 409, {"status": "active"}),
    case("status-unknown-partner", "POST", P + f"/{UNKNOWN_PARTNER}/status", 404, {"status": "active"}),
    case("archive-unknown-partner", "POST", P + f"/{UNKNOWN_PARTNER}/archive", 404, {}),
    case("archive-array", "POST", P + "/{partner}/archive", 422, [], pointer="#/"),
    case("archive-reason-object", "POST", P + "/{partner}/archive", 422, {"reason": {"$gt": ""}}, pointer="#/reason"),
    case("merge-into-itself", "POST", P + "/{partner}/merge", 409, {"successor_id": "{partner}"}),
    case("merge-into-archived", "POST", P + "/{partner}/merge", 409, {"successor_id": "{archived}"}),
    case("merge-into-unknown", "POST", P + "/{partner}/merge", 409, {"successor_id": UNKNOWN_PARTNER}),
    case("merge-unknown-partner", "POST", P + f"/{UNKNOWN_PARTNER}/merge", 404, {"successor_id": "{partner}"}),
    case(
        "merge-successor-operator",
        "POST",
        P + "/{partner}/merge",
        422,
        {"successor_id": {"$ne": ""}},
        pointer="#/successor_id",
    ),
    case(
        "merge-successor-dollar", "POST", P + "/{partner}/merge", 422, {"successor_id": "$ne"}, pointer="#/successor_id"
    ),
    case("merge-successor-missing", "POST", P + "/{partner}/merge", 422, {}, pointer="#/successor_id"),
]

DRAFT_CASES = [
    case("draft-type-null", "POST", A, 422, DRAFT | {"type": None}, pointer="#/type"),
    case("draft-type-unknown", "POST", A, 422, DRAFT | {"type": "treaty"}, pointer="#/type"),
    case("draft-missing-type", "POST", A, 422, without(DRAFT, "type"), pointer="#/type"),
    case("draft-missing-parties", "POST", A, 422, without(DRAFT, "parties"), pointer="#/parties"),
    case("draft-title-number", "POST", A, 422, DRAFT | {"title": 7}, pointer="#/title"),
    case("draft-title-null", "POST", A, 422, DRAFT | {"title": None}, pointer="#/title"),
    case("draft-title-10000", "POST", A, 422, DRAFT | {"title": "t" * 10_000}, pointer="#/title"),
    case("draft-title-newline", "POST", A, 422, DRAFT | {"title": "two\nlines"}, pointer="#/title"),
    case("draft-scope-10001", "POST", A, 422, DRAFT | {"scope": "s" * 10_001}, pointer="#/scope"),
    case("draft-parties-string", "POST", A, 422, DRAFT | {"parties": "{partner}"}, pointer="#/parties"),
    case("draft-parties-empty", "POST", A, 422, DRAFT | {"parties": []}, pointer="#/parties"),
    case(
        "draft-parties-51",
        "POST",
        A,
        422,
        DRAFT | {"parties": [{"partner_id": f"ptn_{i}"} for i in range(51)]},
        pointer="#/parties",
    ),
    case(
        "draft-party-id-operator",
        "POST",
        A,
        422,
        DRAFT | {"parties": [{"partner_id": {"$gt": ""}}]},
        pointer="#/parties/0/partner_id",
    ),
    case(
        "draft-party-id-dollar",
        "POST",
        A,
        422,
        DRAFT | {"parties": [{"partner_id": "$gt"}]},
        pointer="#/parties/0/partner_id",
    ),
    case(
        "draft-party-id-regex",
        "POST",
        A,
        422,
        DRAFT | {"parties": [{"partner_id": ".*"}]},
        pointer="#/parties/0/partner_id",
    ),
    case(
        "draft-party-lead-word",
        "POST",
        A,
        422,
        DRAFT | {"parties": [{"partner_id": "{partner}", "lead": "maybe"}]},
        pointer="#/parties/0/lead",
    ),
    case(
        "draft-party-dollar-key",
        "POST",
        A,
        422,
        DRAFT | {"parties": [{"partner_id": "{partner}", "$where": "1"}]},
        pointer="#/parties/0/$where",
    ),
    case(
        "draft-party-duplicate",
        "POST",
        A,
        422,
        DRAFT | {"parties": [{"partner_id": "{partner}"}, {"partner_id": "{partner}"}]},
    ),
    case(
        "draft-two-leads",
        "POST",
        A,
        422,
        DRAFT | {"parties": [{"partner_id": "{partner}", "lead": True}, {"partner_id": "{other}", "lead": True}]},
    ),
    case("draft-party-unknown", "POST", A, 409, DRAFT | {"parties": [{"partner_id": UNKNOWN_PARTNER}]}),
    case("draft-party-archived", "POST", A, 409, DRAFT | {"parties": [{"partner_id": "{archived}"}]}),
    case(
        "draft-signatories-51",
        "POST",
        A,
        422,
        DRAFT | {"signatories": [{"name": "S", "side": "university"}] * 51},
        pointer="#/signatories",
    ),
    case(
        "draft-signatory-side",
        "POST",
        A,
        422,
        DRAFT | {"signatories": [{"name": "S", "side": "both"}]},
        pointer="#/signatories/0/side",
    ),
    case("draft-documents-101", "POST", A, 422, DRAFT | {"documents": [DOCUMENT] * 101}, pointer="#/documents"),
    case(
        "draft-document-checksum",
        "POST",
        A,
        422,
        DRAFT | {"documents": [DOCUMENT | {"checksum": "md5:abc"}]},
        pointer="#/documents/0/checksum",
    ),
    case(
        "draft-document-location",
        "POST",
        A,
        422,
        DRAFT | {"documents": [DOCUMENT | {"location": "javascript:alert(1)"}]},
        pointer="#/documents/0/location",
    ),
    *[
        case(f"draft-effective-from-{d}", "POST", A, 422, DRAFT | {"effective_from": d}, pointer="#/effective_from")
        for d in ("2027-02-30", "not-a-date", "2027-13-01", "1899-12-31", "3000-01-01", "27-03-01", "2027/03/01", "")
    ],
    *[
        case(f"draft-expires-on-{d}", "POST", A, 422, DRAFT | {"expires_on": d}, pointer="#/expires_on")
        for d in ("2027-02-29", "0001-01-01", "9999-12-31")
    ],
    case(
        "draft-effective-from-list",
        "POST",
        A,
        422,
        DRAFT | {"effective_from": ["2027-03-01"]},
        pointer="#/effective_from",
    ),
    case("draft-effective-from-bool", "POST", A, 422, DRAFT | {"effective_from": True}, pointer="#/effective_from"),
    case(
        "draft-effective-from-number",
        "POST",
        A,
        422,
        DRAFT | {"effective_from": 1798761600},
        pointer="#/effective_from",
    ),
    case("draft-expires-on-zero", "POST", A, 422, DRAFT | {"expires_on": 0}, pointer="#/expires_on"),
    case(
        "draft-effective-from-not-midnight",
        "POST",
        A,
        422,
        DRAFT | {"effective_from": 20270301},
        pointer="#/effective_from",
    ),
    case(
        "draft-expires-before-effective",
        "POST",
        A,
        422,
        DRAFT | {"effective_from": "2027-03-01", "expires_on": "2026-03-01"},
    ),
    case(
        "draft-expires-on-effective",
        "POST",
        A,
        422,
        DRAFT | {"effective_from": "2027-03-01", "expires_on": "2027-03-01"},
    ),
    case("draft-amends-unknown", "POST", A, 409, DRAFT | {"amends": UNKNOWN_AGREEMENT}),
    case("draft-framework-unknown", "POST", A, 409, DRAFT | {"framework_id": UNKNOWN_AGREEMENT}),
    case("draft-amends-a-draft", "POST", A, 409, DRAFT | {"amends": "{draft}"}),
    # an amendment's changes (the agreement `active` is active, with `partner` its one party)
    case("draft-changes-not-an-amendment", "POST", A, 422, DRAFT | {"changes": {"scope": "wider"}}),
    case("draft-changes-empty", "POST", A, 422, DRAFT | {"amends": "{active}", "changes": {}}, pointer="#/changes"),
    case(
        "draft-changes-bad-date",
        "POST",
        A,
        422,
        DRAFT | {"amends": "{active}", "changes": {"expires_on": "2030-02-30"}},
        pointer="#/changes/expires_on",
    ),
    case(
        "draft-changes-unknown-field",
        "POST",
        A,
        422,
        DRAFT | {"amends": "{active}", "changes": {"status": "expired"}},
        pointer="#/changes/status",
    ),
    case(
        "draft-changes-party-both-added-and-removed",
        "POST",
        A,
        422,
        DRAFT
        | {
            "amends": "{active}",
            "changes": {"add_parties": [{"partner_id": "{other}"}], "remove_parties": ["{other}"]},
        },
        pointer="#/changes",
    ),
    case(
        "draft-changes-remove-not-a-party",
        "POST",
        A,
        409,
        DRAFT | {"amends": "{active}", "changes": {"remove_parties": ["{other}"]}},
    ),
    case(
        "draft-changes-remove-every-party",
        "POST",
        A,
        409,
        DRAFT | {"amends": "{active}", "changes": {"remove_parties": ["{partner}"]}},
    ),
    case(
        "draft-changes-add-archived",
        "POST",
        A,
        409,
        DRAFT | {"amends": "{active}", "changes": {"add_parties": [{"partner_id": "{archived}"}]}},
    ),
    case(
        "draft-changes-expires-before-signature",
        "POST",
        A,
        409,
        DRAFT | {"amends": "{active}", "changes": {"expires_on": "2025-11-01"}},
    ),
    case(
        "draft-changes-remove-operator",
        "POST",
        A,
        422,
        DRAFT | {"amends": "{active}", "changes": {"remove_parties": [{"$ne": ""}]}},
        pointer="#/changes/remove_parties/0",
    ),
    # person ids
    case("draft-owner-id-empty", "POST", A, 422, DRAFT | {"owner_id": ""}, pointer="#/owner_id"),
    case("draft-owner-id-256", "POST", A, 422, DRAFT | {"owner_id": "u" * 256}, pointer="#/owner_id"),
    case("draft-owner-id-dollar", "POST", A, 422, DRAFT | {"owner_id": "$where"}, pointer="#/owner_id"),
    case("draft-owner-id-line-break", "POST", A, 422, DRAFT | {"owner_id": "a\nb"}, pointer="#/owner_id"),
    case("draft-owner-id-object", "POST", A, 422, DRAFT | {"owner_id": {"$ne": None}}, pointer="#/owner_id"),
    case(
        "draft-partner-signatory-with-person-id",
        "POST",
        A,
        422,
        DRAFT
        | {"signatories": [{"name": "President", "side": "partner", "partner_id": "{partner}", "person_id": "x"}]},
    ),
    case("draft-status", "POST", A, 422, DRAFT | {"status": "active"}, pointer="#/status"),
    case("draft-renewed-by", "POST", A, 422, DRAFT | {"renewed_by": "{draft}"}, pointer="#/renewed_by"),
    case("draft-where", "POST", A, 422, DRAFT | {"$where": "1"}, pointer="#/$where"),
    case("draft-array", "POST", A, 422, [DRAFT], pointer="#/"),
    case("draft-no-body", "POST", A, 422, pointer="#/"),
    case("draft-not-json", "POST", A, 400, content=b"{not json", headers=WRITER | JSON),
    case("draft-2mb", "POST", A, 413, DRAFT | {"scope": "s" * 2_000_000}),
    case(
        "draft-nested-deep",
        "POST",
        A,
        400,
        content=raw('{"type": "mou", "title": "t", "parties": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        headers=WRITER | JSON,
    ),
    case(
        "draft-title-surrogate",
        "POST",
        A,
        422,
        content=b'{"type": "mou", "title": "\\ud800", "parties": [{"partner_id": "{partner}"}]}',
        headers=WRITER | JSON,
        pointer="#/title",
    ),
]

EDIT_AGREEMENT_CASES = [
    case("agreement-patch-empty", "PATCH", A + "/{draft}", 422, {}),
    *[
        case(f"agreement-patch-{f}-null", "PATCH", A + "/{draft}", 422, {f: None}, pointer=f"#/{f}")
        for f in ("type", "title", "parties")
    ],
    case("agreement-patch-parties-empty", "PATCH", A + "/{draft}", 422, {"parties": []}, pointer="#/parties"),
    case("agreement-patch-status", "PATCH", A + "/{draft}", 422, {"status": "active"}, pointer="#/status"),
    case("agreement-patch-signed-on", "PATCH", A + "/{draft}", 422, {"signed_on": "2027-01-01"}, pointer="#/signed_on"),
    case(
        "agreement-patch-expires-before-effective",
        "PATCH",
        A + "/{draft}",
        422,
        {"effective_from": "2028-01-01", "expires_on": "2027-06-01"},
    ),
    case(
        "agreement-patch-bad-date", "PATCH", A + "/{draft}", 422, {"expires_on": "2027-02-30"}, pointer="#/expires_on"
    ),
    case(
        "agreement-patch-party-archived",
        "PATCH",
        A + "/{draft}",
        409,
        {"parties": [{"partner_id": "{partner}"}, {"partner_id": "{archived}"}]},
    ),
    case("agreement-patch-terms-after-signature", "PATCH", A + "/{active}", 409, {"title": "New title"}),
    case("agreement-patch-changes-not-an-amendment", "PATCH", A + "/{draft}", 422, {"changes": {"scope": "x"}}),
    case("agreement-patch-owner-id-empty", "PATCH", A + "/{active}", 422, {"owner_id": ""}, pointer="#/owner_id"),
    case("agreement-patch-unknown", "PATCH", A + "/" + UNKNOWN_AGREEMENT, 404, {"notes": "x"}),
    case("agreement-patch-not-json", "PATCH", A + "/{draft}", 400, content=b"[1,", headers=WRITER | JSON),
]

ACTION_CASES = [
    # sign (the agreement `review` is under review)
    case("sign-no-body", "POST", A + "/{review}/sign", 422, pointer="#/"),
    case("sign-missing-date", "POST", A + "/{review}/sign", 422, {}, pointer="#/signed_on"),
    case("sign-date-null", "POST", A + "/{review}/sign", 422, {"signed_on": None}, pointer="#/signed_on"),
    case("sign-date-list", "POST", A + "/{review}/sign", 422, {"signed_on": ["2027-02-01"]}, pointer="#/signed_on"),
    case("sign-date-impossible", "POST", A + "/{review}/sign", 422, {"signed_on": "2027-02-30"}, pointer="#/signed_on"),
    case(
        "sign-date-before-1900", "POST", A + "/{review}/sign", 422, {"signed_on": "1899-12-31"}, pointer="#/signed_on"
    ),
    case("sign-date-after-2999", "POST", A + "/{review}/sign", 422, {"signed_on": "3000-01-01"}, pointer="#/signed_on"),
    case("sign-in-the-future", "POST", A + "/{review}/sign", 422, {"signed_on": "2027-03-02"}, pointer="#/signed_on"),
    case(
        "sign-signatories-string",
        "POST",
        A + "/{review}/sign",
        422,
        {"signed_on": "2027-02-01", "signatories": "Ada"},
        pointer="#/signatories",
    ),
    case(
        "sign-unknown-field",
        "POST",
        A + "/{review}/sign",
        422,
        {"signed_on": "2027-02-01", "status": "active"},
        pointer="#/status",
    ),
    case("sign-not-json", "POST", A + "/{review}/sign", 400, content=b"signed", headers=WRITER | JSON),
    case("sign-a-draft", "POST", A + "/{draft}/sign", 409, {"signed_on": "2027-02-01"}),
    case("sign-unknown", "POST", A + f"/{UNKNOWN_AGREEMENT}/sign", 404, {"signed_on": "2027-02-01"}),
    # withdraw (before signature only)
    case("withdraw-no-body", "POST", A + "/{draft}/withdraw", 422, pointer="#/"),
    case("withdraw-missing-reason", "POST", A + "/{draft}/withdraw", 422, {}, pointer="#/reason"),
    case("withdraw-reason-empty", "POST", A + "/{draft}/withdraw", 422, {"reason": " "}, pointer="#/reason"),
    case("withdraw-reason-501", "POST", A + "/{review}/withdraw", 422, {"reason": "r" * 501}, pointer="#/reason"),
    case(
        "withdraw-unknown-field",
        "POST",
        A + "/{draft}/withdraw",
        422,
        {"reason": "r", "withdrawn_on": "2027-01-01"},
        pointer="#/withdrawn_on",
    ),
    case("withdraw-an-active-agreement", "POST", A + "/{active}/withdraw", 409, {"reason": "r"}),
    case("withdraw-unknown", "POST", A + f"/{UNKNOWN_AGREEMENT}/withdraw", 404, {"reason": "r"}),
    # terminate (the agreement `active` is active)
    case("terminate-no-body", "POST", A + "/{active}/terminate", 422, pointer="#/"),
    case("terminate-missing-reason", "POST", A + "/{active}/terminate", 422, {}, pointer="#/reason"),
    case("terminate-reason-empty", "POST", A + "/{active}/terminate", 422, {"reason": ""}, pointer="#/reason"),
    case("terminate-reason-null", "POST", A + "/{active}/terminate", 422, {"reason": None}, pointer="#/reason"),
    case(
        "terminate-reason-operator", "POST", A + "/{active}/terminate", 422, {"reason": {"$gt": ""}}, pointer="#/reason"
    ),
    case("terminate-reason-501", "POST", A + "/{active}/terminate", 422, {"reason": "r" * 501}, pointer="#/reason"),
    case("terminate-reason-nul", "POST", A + "/{active}/terminate", 422, {"reason": "r\x00"}, pointer="#/reason"),
    case(
        "terminate-in-the-future",
        "POST",
        A + "/{active}/terminate",
        422,
        {"reason": "r", "terminated_on": "2027-03-02"},
    ),
    case(
        "terminate-before-signature",
        "POST",
        A + "/{active}/terminate",
        422,
        {"reason": "r", "terminated_on": "2025-11-30"},
    ),
    case(
        "terminate-bad-date",
        "POST",
        A + "/{active}/terminate",
        422,
        {"reason": "r", "terminated_on": "2027-02-30"},
        pointer="#/terminated_on",
    ),
    case(
        "terminate-unknown-field",
        "POST",
        A + "/{active}/terminate",
        422,
        {"reason": "r", "$where": "1"},
        pointer="#/$where",
    ),
    case("terminate-a-draft", "POST", A + "/{draft}/terminate", 409, {"reason": "r"}),
    case("terminate-unknown", "POST", A + f"/{UNKNOWN_AGREEMENT}/terminate", 404, {"reason": "r"}),
    # renew (refused before anything is recorded)
    case("renew-no-body", "POST", A + "/{active}/renew", 422, pointer="#/"),
    case("renew-missing-expiry", "POST", A + "/{active}/renew", 422, {}, pointer="#/expires_on"),
    case("renew-expiry-null", "POST", A + "/{active}/renew", 422, {"expires_on": None}, pointer="#/expires_on"),
    case(
        "renew-expiry-not-a-date",
        "POST",
        A + "/{active}/renew",
        422,
        {"expires_on": "not-a-date"},
        pointer="#/expires_on",
    ),
    case(
        "renew-expiry-2027-13-01",
        "POST",
        A + "/{active}/renew",
        422,
        {"expires_on": "2027-13-01"},
        pointer="#/expires_on",
    ),
    case(
        "renew-title-501",
        "POST",
        A + "/{active}/renew",
        422,
        {"expires_on": "2035-01-01", "title": "t" * 501},
        pointer="#/title",
    ),
    case(
        "renew-unknown-field",
        "POST",
        A + "/{active}/renew",
        422,
        {"expires_on": "2035-01-01", "parties": []},
        pointer="#/parties",
    ),
    case("renew-a-draft", "POST", A + "/{draft}/renew", 409, {"expires_on": "2035-01-01"}),
    case("renew-unknown", "POST", A + f"/{UNKNOWN_AGREEMENT}/renew", 404, {"expires_on": "2035-01-01"}),
    # the other actions
    case("submit-under-review", "POST", A + "/{review}/submit", 409),
    case("activate-under-review", "POST", A + "/{review}/activate", 409),
    case(
        "activate-bad-date",
        "POST",
        A + "/{review}/activate",
        422,
        {"effective_from": "2027-02-30"},
        pointer="#/effective_from",
    ),
    case("submit-unknown", "POST", A + f"/{UNKNOWN_AGREEMENT}/submit", 404),
    case("activate-unknown", "POST", A + f"/{UNKNOWN_AGREEMENT}/activate", 404),
]

CENTER_CASES = [
    case("center-name-null", "POST", C, 422, CENTER | {"name": None}, pointer="#/name"),
    case("center-name-number", "POST", C, 422, CENTER | {"name": 1}, pointer="#/name"),
    case("center-missing-name", "POST", C, 422, without(CENTER, "name"), pointer="#/name"),
    case("center-missing-partners", "POST", C, 422, without(CENTER, "partner_ids"), pointer="#/partner_ids"),
    case("center-missing-established", "POST", C, 422, without(CENTER, "established_on"), pointer="#/established_on"),
    case("center-partners-string", "POST", C, 422, CENTER | {"partner_ids": "{partner}"}, pointer="#/partner_ids"),
    case("center-partners-empty", "POST", C, 422, CENTER | {"partner_ids": []}, pointer="#/partner_ids"),
    case(
        "center-partners-51",
        "POST",
        C,
        422,
        CENTER | {"partner_ids": [f"ptn_{i}" for i in range(51)]},
        pointer="#/partner_ids",
    ),
    case("center-partner-operator", "POST", C, 422, CENTER | {"partner_ids": [{"$gt": ""}]}, pointer="#/partner_ids/0"),
    case("center-partner-dollar", "POST", C, 422, CENTER | {"partner_ids": ["$gt"]}, pointer="#/partner_ids/0"),
    case("center-partner-duplicate", "POST", C, 422, CENTER | {"partner_ids": ["{partner}", "{partner}"]}),
    case("center-partner-unknown", "POST", C, 409, CENTER | {"partner_ids": [UNKNOWN_PARTNER]}),
    case("center-partner-archived", "POST", C, 409, CENTER | {"partner_ids": ["{partner}", "{archived}"]}),
    case("center-disciplines-string", "POST", C, 422, CENTER | {"disciplines": "physics"}, pointer="#/disciplines"),
    case(
        "center-disciplines-51",
        "POST",
        C,
        422,
        CENTER | {"disciplines": [f"d{i}" for i in range(51)]},
        pointer="#/disciplines",
    ),
    case("center-discipline-101", "POST", C, 422, CENTER | {"disciplines": ["d" * 101]}, pointer="#/disciplines/0"),
    case(
        "center-discipline-object", "POST", C, 422, CENTER | {"disciplines": [{"$gt": ""}]}, pointer="#/disciplines/0"
    ),
    case(
        "center-directors-21",
        "POST",
        C,
        422,
        CENTER | {"directors": [{"name": "D", "side": "university"}] * 21},
        pointer="#/directors",
    ),
    case(
        "center-director-side",
        "POST",
        C,
        422,
        CENTER | {"directors": [{"name": "D", "side": "both"}]},
        pointer="#/directors/0/side",
    ),
    case(
        "center-director-foreign",
        "POST",
        C,
        422,
        CENTER | {"directors": [{"name": "D", "side": "partner", "partner_id": "{other}"}]},
    ),
    case("center-director-no-partner", "POST", C, 422, CENTER | {"directors": [{"name": "D", "side": "partner"}]}),
    *[
        case(f"center-established-{d}", "POST", C, 422, CENTER | {"established_on": d}, pointer="#/established_on")
        for d in ("2027-02-30", "not-a-date", "2027-13-01", "1899-12-31", "3000-01-01")
    ],
    case(
        "center-established-number", "POST", C, 422, CENTER | {"established_on": 1767225600}, pointer="#/established_on"
    ),
    case("center-status", "POST", C, 422, CENTER | {"status": "closed"}, pointer="#/status"),
    case("center-closed-on", "POST", C, 422, CENTER | {"closed_on": "2027-01-02"}, pointer="#/closed_on"),
    case("center-where", "POST", C, 422, CENTER | {"$where": "1"}, pointer="#/$where"),
    case("center-array", "POST", C, 422, [CENTER], pointer="#/"),
    case("center-not-json", "POST", C, 400, content=b"{'single': 'quotes'}", headers=WRITER | JSON),
    case("center-2mb", "POST", C, 413, CENTER | {"description": "x" * 2_000_000}),
    # edit and close
    case("center-patch-empty", "PATCH", C + "/{center}", 422, {}),
    *[
        case(f"center-patch-{f}-null", "PATCH", C + "/{center}", 422, {f: None}, pointer=f"#/{f}")
        for f in ("name", "partner_ids", "established_on")
    ],
    case("center-patch-partners-empty", "PATCH", C + "/{center}", 422, {"partner_ids": []}, pointer="#/partner_ids"),
    case("center-patch-partner-archived", "PATCH", C + "/{center}", 409, {"partner_ids": ["{partner}", "{archived}"]}),
    case("center-patch-status", "PATCH", C + "/{center}", 422, {"status": "closed"}, pointer="#/status"),
    case("center-patch-unknown", "PATCH", C + "/" + UNKNOWN_CENTER, 404, {"name": "x"}),
    case("center-close-in-the-future", "POST", C + "/{center}/close", 422, {"closed_on": "2027-03-02"}),
    case("center-close-before-established", "POST", C + "/{center}/close", 422, {"closed_on": "2025-12-31"}),
    case(
        "center-close-bad-date", "POST", C + "/{center}/close", 422, {"closed_on": "2027-02-30"}, pointer="#/closed_on"
    ),
    case(
        "center-close-unknown-field",
        "POST",
        C + "/{center}/close",
        422,
        {"reason": "r", "status": "x"},
        pointer="#/status",
    ),
    case("center-close-unknown", "POST", C + f"/{UNKNOWN_CENTER}/close", 404),
]

CLEARING_CASES = []

LIST_CASES = [
    *[
        case(f"{name}-limit-{limit}", "GET", path, 422, headers=READER, params={"limit": limit}, parameter="limit")
        for name, path in (("partners", P), ("agreements", A), ("centers", C))
        for limit in ("0", "-1", "201", "abc", "1.5", "99999999999999999999")
    ],
    *[
        case(f"{name}-{filter_}-{label}", "GET", path, 422, headers=READER, params={filter_: value}, parameter=filter_)
        for name, path, filter_ in (("agreements", A, "owner"), ("partners", P, "relationship_owner"))
        for label, value in (("empty", ""), ("dollar", "$gt"), ("256", "u" * 256), ("line-break", "a\nb"))
    ],
    case("partners-cursor-garbage", "GET", P, 422, headers=READER, params={"cursor": "garbage"}, parameter="cursor"),
    case("partners-cursor-not-base64", "GET", P, 422, headers=READER, params={"cursor": "%%%###"}, parameter="cursor"),
    case(
        "partners-cursor-object",
        "GET",
        P,
        422,
        headers=READER,
        params={"cursor": b64(b'{"_id": {"$gt": ""}}')},
        parameter="cursor",
    ),
    case(
        "partners-cursor-operator-inside",
        "GET",
        P,
        422,
        headers=READER,
        params={"cursor": b64(b'[{"$gt": ""}]')},
        parameter="cursor",
    ),
    case(
        "partners-cursor-wrong-length",
        "GET",
        P,
        422,
        headers=READER,
        params={"cursor": b64(b'["a", "b", "c"]')},
        parameter="cursor",
    ),
    case("partners-cursor-too-long", "GET", P, 422, headers=READER, params={"cursor": "A" * 2049}, parameter="cursor"),
    case(
        "partners-cursor-of-name-sort",
        "GET",
        P,
        422,
        headers=READER,
        params={"cursor": "{by_name_cursor}"},
        parameter="cursor",
    ),
    case(
        "partners-cursor-of-agreements",
        "GET",
        P,
        422,
        headers=READER,
        params={"cursor": "{agreements_cursor}"},
        parameter="cursor",
    ),
    case(
        "centers-cursor-of-agreements",
        "GET",
        C,
        422,
        headers=READER,
        params={"cursor": "{agreements_cursor}"},
        parameter="cursor",
    ),
    case(
        "partners-cursor-lone-surrogate",
        "GET",
        P,
        422,
        headers=READER,
        params={"cursor": b64(b'["\\ud800"]')},
        parameter="cursor",
    ),
    case(
        "agreements-cursor-huge-int",
        "GET",
        A,
        422,
        headers=READER,
        params={"cursor": b64(b"[123456789012345678901234567890]")},
        parameter="cursor",
    ),
    case("centers-cursor-garbage", "GET", C, 422, headers=READER, params={"cursor": "garbage"}, parameter="cursor"),
    case(
        "history-cursor-garbage",
        "GET",
        P + "/{partner}/history",
        422,
        headers=READER,
        params={"cursor": "garbage"},
        parameter="cursor",
    ),
    case(
        "history-cursor-huge-int",
        "GET",
        A + "/{active}/history",
        422,
        headers=READER,
        params={"cursor": b64(b"[123456789012345678901234567890]")},
        parameter="cursor",
    ),
    case(
        "history-limit-0", "GET", C + "/{center}/history", 422, headers=READER, params={"limit": "0"}, parameter="limit"
    ),
    *[
        case(
            f"partners-country-{code or 'empty'}",
            "GET",
            P,
            422,
            headers=READER,
            params={"country": code},
            parameter="country",
        )
        for code in ("XX", "UK", "GBR", "", "1A", "$ne")
    ],
    case("partners-kind-operator", "GET", P, 422, headers=READER, params={"kind": "$ne"}, parameter="kind"),
    case("partners-status-unknown", "GET", P, 422, headers=READER, params={"status": "deleted"}, parameter="status"),
    case("partners-tier-unknown", "GET", P, 422, headers=READER, params={"tier": "gold"}, parameter="tier"),
    case("partners-sort-unknown", "GET", P, 422, headers=READER, params={"sort": "$natural"}, parameter="sort"),
    case("partners-sort-descending", "GET", P, 422, headers=READER, params={"sort": "-name"}, parameter="sort"),
    case("partners-q-empty", "GET", P, 422, headers=READER, params={"q": ""}, parameter="q"),
    case("partners-q-nul", "GET", P, 422, headers=READER, params={"q": "a\x00"}, parameter="q"),
    case("partners-q-newline", "GET", P, 422, headers=READER, params={"q": "a\nb"}, parameter="q"),
    case("partners-q-201-chars", "GET", P, 422, headers=READER, params={"q": "q" * 201}, parameter="q"),
    case("agreements-status-unknown", "GET", A, 422, headers=READER, params={"status": "void"}, parameter="status"),
    case("agreements-type-unknown", "GET", A, 422, headers=READER, params={"type": "treaty"}, parameter="type"),
    case(
        "agreements-partner-dollar", "GET", A, 422, headers=READER, params={"partner_id": "$ne"}, parameter="partner_id"
    ),
    case(
        "agreements-partner-regex", "GET", A, 422, headers=READER, params={"partner_id": ".*"}, parameter="partner_id"
    ),
    case(
        "agreements-expires-before-impossible",
        "GET",
        A,
        422,
        headers=READER,
        params={"expires_before": "2027-02-30"},
        parameter="expires_before",
    ),
    case(
        "agreements-expires-after-not-a-date",
        "GET",
        A,
        422,
        headers=READER,
        params={"expires_after": "soon"},
        parameter="expires_after",
    ),
    case(
        "agreements-framework-dollar",
        "GET",
        A,
        422,
        headers=READER,
        params={"framework_id": "$where"},
        parameter="framework_id",
    ),
    case("centers-status-unknown", "GET", C, 422, headers=READER, params={"status": "open"}, parameter="status"),
    case("centers-partner-dollar", "GET", C, 422, headers=READER, params={"partner_id": "$in"}, parameter="partner_id"),
    case(
        "centers-discipline-nul",
        "GET",
        C,
        422,
        headers=READER,
        params={"discipline": "phys\x00ics"},
        parameter="discipline",
    ),
]

BAD_IF_MATCH = [
    ("abc", 422),
    ("3", 422),
    ('"1", "2"', 422),
    ('W/"x"', 422),
    ('"-1"', 422),
    ('"' + "1" * 70 + '"', 422),
    ('"99"', 412),
    ('"0"', 412),
]
IF_MATCH_TARGETS = [
    ("partner-patch", "PATCH", P + "/{partner}", {"tier": "key"}),
    ("partner-status", "POST", P + "/{partner}/status", {"status": "dormant"}),
    ("partner-archive", "POST", P + "/{other}/archive", {"reason": "x"}),
    ("partner-merge", "POST", P + "/{other}/merge", {"successor_id": "{partner}"}),
    ("agreement-patch", "PATCH", A + "/{draft}", {"notes": "x"}),
    ("agreement-submit", "POST", A + "/{draft}/submit", None),
    ("agreement-sign", "POST", A + "/{review}/sign", {"signed_on": "2027-02-01"}),
    ("agreement-terminate", "POST", A + "/{active}/terminate", {"reason": "x"}),
    ("agreement-withdraw", "POST", A + "/{draft}/withdraw", {"reason": "x"}),
    ("agreement-renew", "POST", A + "/{active}/renew", {"expires_on": "2035-01-01"}),
    ("center-patch", "PATCH", C + "/{center}", {"name": "Renamed Center"}),
    ("center-close", "POST", C + "/{center}/close", {"reason": "x"}),
]
IF_MATCH_CASES = [
    case(
        f"{target}-if-match-{value}",
        method,
        path,
        status,
        body,
        headers=WRITER | {"If-Match": value},
        parameter="If-Match" if status == 422 else None,
    )
    for target, method, path, body in IF_MATCH_TARGETS
    for value, status in BAD_IF_MATCH
]

BAD_KEYS = [("too-long", "k" * 256), ("tab", "a\tb"), ("control", "a\x01b"), ("empty", ""), ("escape", "key\x1b[0m")]
IDEMPOTENCY_TARGETS = [
    ("register", P, PARTNER | {"name": "Keyed Partner"}),
    ("draft", A, DRAFT),
    ("establish", C, CENTER),
    ("renew", A + "/{active}/renew", {"expires_on": "2035-01-01"}),
]
IDEMPOTENCY_CASES = [
    case(
        f"{target}-key-{name}",
        "POST",
        path,
        422,
        body,
        headers=WRITER | {"Idempotency-Key": key},
        parameter="Idempotency-Key",
    )
    for target, path, body in IDEMPOTENCY_TARGETS
    for name, key in BAD_KEYS
]

# Every write route with a body that would succeed for an allowed caller.
WRITES = [
    ("register", "POST", P, PARTNER | {"name": "Allowed Partner"}),
    ("edit-partner", "PATCH", P + "/{partner}", {"tier": "key"}),
    ("partner-status", "POST", P + "/{partner}/status", {"status": "dormant"}),
    ("archive", "POST", P + "/{other}/archive", {"reason": "x"}),
    ("merge", "POST", P + "/{other}/merge", {"successor_id": "{partner}"}),
    ("draft", "POST", A, DRAFT),
    ("edit-agreement", "PATCH", A + "/{draft}", {"notes": "x"}),
    ("submit", "POST", A + "/{draft}/submit", None),
    ("sign", "POST", A + "/{review}/sign", {"signed_on": "2027-02-01"}),
    ("activate", "POST", A + "/{review}/activate", None),
    ("terminate", "POST", A + "/{active}/terminate", {"reason": "x"}),
    ("withdraw", "POST", A + "/{draft}/withdraw", {"reason": "x"}),
    ("renew", "POST", A + "/{active}/renew", {"expires_on": "2035-01-01"}),
    ("establish", "POST", C, CENTER),
    ("edit-center", "PATCH", C + "/{center}", {"name": "Renamed Center"}),
    ("close-center", "POST", C + "/{center}/close", {"reason": "x"}),
]
READS = [
    ("list-partners", P),
    ("get-partner", P + "/{partner}"),
    ("partner-history", P + "/{partner}/history"),
    ("portfolio", P + "/{partner}/portfolio"),
    ("list-agreements", A),
    ("get-agreement", A + "/{active}"),
    ("family", A + "/{active}/family"),
    ("agreement-history", A + "/{active}/history"),
    ("list-centers", C),
    ("get-center", C + "/{center}"),
    ("center-history", C + "/{center}/history"),
]


def _token(claims: dict[str, Any], secret: str = LOCAL_JWT_SECRET, algorithm: str = "HS256") -> dict[str, str]:
    # Made when the module is collected: valid for as long as a whole suite may run before it is sent.
    now = int(time.time())
    return {
        "Authorization": "Bearer "
        + jwt.encode({"iat": now, "exp": now + 8 * 3600, **claims}, secret, algorithm=algorithm)
    }


BAD_CREDENTIALS = [
    ("missing", {}),
    ("expired", {"Authorization": "Bearer " + issue_local_token(LOCAL_JWT_SECRET, "x", ["admin"], ttl_seconds=-3600)}),
    (
        "wrong-secret",
        {"Authorization": "Bearer " + issue_local_token("not-the-secret-of-this-platform-at-all", "x", ["admin"])},
    ),
    ("garbage", {"Authorization": "Bearer abc.def.ghi"}),
    ("empty-bearer", {"Authorization": "Bearer "}),
    ("basic-scheme", {"Authorization": "Basic YWRtaW46YWRtaW4="}),
    ("no-scheme", {"Authorization": issue_local_token(LOCAL_JWT_SECRET, "x", ["admin"])}),
    ("alg-none", _token({"sub": "x", "roles": ["admin"]}, None, "none")),
    ("no-subject", _token({"roles": ["admin"]})),
    ("roles-not-a-list", _token({"sub": "x", "roles": "admin"})),
]
AUTH_CASES = [
    *[case(f"{route}-no-token", method, path, 401, body, headers={}) for route, method, path, body in WRITES],
    *[
        case(f"register-{name}", "POST", P, 401, PARTNER | {"name": "Unauthenticated"}, headers=headers)
        for name, headers in BAD_CREDENTIALS
    ],
    *[case(f"{route}-no-token", "GET", path, 401, headers={}) for route, path in READS],
    *[case(f"list-{name}", "GET", P, 401, headers=headers) for name, headers in BAD_CREDENTIALS],
    *[
        case(f"{route}-as-{role}", method, path, 403, body, headers=auth(role))
        for route, method, path, body in WRITES
        for role in ("viewer", "funding_officer", "techtransfer_officer")
    ],
    case(
        "register-no-known-role",
        "POST",
        P,
        403,
        PARTNER | {"name": "No Role"},
        headers=_token({"sub": "x", "roles": ["superuser"]}),
    ),
    case("list-no-role", "GET", P, 403, headers=_token({"sub": "x", "roles": []})),
]

NOT_FOUND_CASES = [
    case("get-partner", "GET", P + "/" + UNKNOWN_PARTNER, 404, headers=READER),
    case("get-partner-dollar-id", "GET", P + "/$gt", 404, headers=READER),
    case("get-partner-regex-id", "GET", P + "/.*", 404, headers=READER),
    case("get-partner-nul-id", "GET", P + "/ptn%00x", 404, headers=READER),
    case("get-partner-long-id", "GET", P + "/" + "p" * 5000, 404, headers=READER),
    case("partner-history", "GET", P + f"/{UNKNOWN_PARTNER}/history", 404, headers=READER),
    case("portfolio", "GET", P + f"/{UNKNOWN_PARTNER}/portfolio", 404, headers=READER),
    case("get-agreement", "GET", A + "/" + UNKNOWN_AGREEMENT, 404, headers=READER),
    case("get-agreement-is-a-partner", "GET", A + "/{partner}", 404, headers=READER),
    case("family", "GET", A + f"/{UNKNOWN_AGREEMENT}/family", 404, headers=READER),
    case("agreement-history", "GET", A + f"/{UNKNOWN_AGREEMENT}/history", 404, headers=READER),
    case("get-center", "GET", C + "/" + UNKNOWN_CENTER, 404, headers=READER),
    case("get-center-is-an-agreement", "GET", C + "/{active}", 404, headers=READER),
    case("center-history", "GET", C + f"/{UNKNOWN_CENTER}/history", 404, headers=READER),
    case("patch-partner-nul-id", "PATCH", P + "/ptn%00x", 404, {"tier": "key"}),
    case("sign-partner-id", "POST", A + "/{partner}/sign", 404, {"signed_on": "2027-02-01"}),
    case("close-agreement-id", "POST", C + "/{active}/close", 404),
    case("unknown-action", "POST", A + "/{active}/explode", 404),
    case("delete-partner", "DELETE", P + "/{partner}", 405),
]

ALL_CASES = [
    *REGISTER_CASES,
    *EDIT_PARTNER_CASES,
    *DRAFT_CASES,
    *EDIT_AGREEMENT_CASES,
    *ACTION_CASES,
    *CENTER_CASES,
    *CLEARING_CASES,
    *LIST_CASES,
    *IF_MATCH_CASES,
    *IDEMPOTENCY_CASES,
    *AUTH_CASES,
    *NOT_FOUND_CASES,
]


@pytest.mark.parametrize("c", ALL_CASES)
async def test_bad_input_answers_a_problem_and_changes_nothing(world, c):
    await check(world, c)


# -- what looks dangerous but is valid, and is taken literally ---------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "清华大学",
        "東京大学",
        "서울대학교",
        "Université Paris-Saclay",
        "Универси́тет 🎓",
        "جامعة القاهرة",
        "🦉🎓📚",
        "$gt",
        '{"$where": "1"}',
        "a.b.c",
        'O\'Brien "Institute" <script>',
    ],
)
async def test_unusual_but_valid_names_are_accepted_and_kept_as_written(world, name):
    runtime = world.app.state.runtime
    before = await runtime.store.events.count_documents({})
    answer = await world.client.post(P, json={"name": name, "kind": "foundation", "country": "JP"}, headers=WRITER)
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert created["name"] == name and created["version"] == 1
    assert await runtime.store.events.count_documents({}) == before + 1
    read = await world.client.get(f"{P}/{created['id']}", headers=READER)
    assert read.json()["name"] == name
    found = await world.client.get(P, params={"q": name, "country": "JP"}, headers=READER)
    assert [p["id"] for p in found.json()["items"]] == [created["id"]]


async def test_regex_metacharacters_in_the_name_search_are_taken_literally(api):
    names = ["A.B", "AXB", "A*B", "AAB", "A+B", "A(B", "A[B", "A\\B", "A|B", "A?B", "A^B", "A$B", "A{2}B"]
    for name in names:
        await api.register(name, "NZ")

    async def search(q):
        answer = await api.get("/api/v1/partners", params={"q": q, "limit": 200}, headers=READER)
        assert answer.status_code == 200, answer.text
        return sorted(p["name"] for p in answer.json()["items"])

    assert await search("A.B") == ["A.B"]
    for name in names:
        assert await search(name) == [name], name
    assert await search(".*") == []
    assert await search("A.") == ["A.B"]
    assert await search("a") == sorted(names)  # a plain prefix still finds them all
    assert await search("[A-Z]") == []
    assert await search("^A") == []


async def test_operators_in_query_parameter_names_are_not_interpreted(api):
    """`?country[$ne]=GB` is not a parameter of this API: it is ignored (the list is not
    filtered at all), never turned into a query operator."""
    gb = await api.register("Operator Test GB", "GB")
    fr = await api.register("Operator Test FR", "FR")
    for params in ({"country[$ne]": "GB"}, {"country[$regex]": ".*"}, {"$where": "1"}, {"status[$in]": "archived"}):
        answer = await api.get("/api/v1/partners", params=params, headers=READER)
        assert answer.status_code == 200, answer.text
        assert [p["id"] for p in answer.json()["items"]] == [gb["id"], fr["id"]], params
    answer = await api.get("/api/v1/partners", params={"country": "GB"}, headers=READER)
    assert [p["id"] for p in answer.json()["items"]] == [gb["id"]]


# -- refusals that need their own set-up ---------------------------------------------------------


@pytest.mark.parametrize(
    "path, first, second",
    [
        (A, DRAFT, DRAFT | {"title": "Another title"}),
        (C, CENTER, CENTER | {"name": "Another center"}),
        (P, PARTNER | {"name": "Keyed Once"}, PARTNER | {"name": "Keyed Twice"}),
    ],
    ids=["draft", "establish", "register"],
)
async def test_an_idempotency_key_reused_with_another_body_is_refused(world, path, first, second):
    key = {"Idempotency-Key": f"reuse-{path.rsplit('/', 1)[1]}"}
    created = await world.client.post(path, json=fill(first, world.ids), headers=WRITER | key)
    assert created.status_code == 201, created.text
    before = await world.snapshot()
    answer = await world.client.post(path, json=fill(second, world.ids), headers=WRITER | key)
    problem_of(answer, 422, parameter="Idempotency-Key")
    assert await world.snapshot() == before
    again = await world.client.post(path, json=fill(first, world.ids), headers=WRITER | key)
    assert again.status_code == 201 and again.json()["id"] == created.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await world.snapshot() == before


async def test_a_renewal_with_impossible_terms_changes_nothing(world):
    client = world.client
    body = {
        "type": "mou",
        "title": "To renew",
        "parties": [{"partner_id": world.ids["partner"]}],
        "effective_from": "2026-01-01",
        "expires_on": "2027-12-31",
    }
    agreement = (await _ok(await client.post(A, json=body, headers=WRITER), 201))["id"]
    for action, payload in (("submit", None), ("sign", {"signed_on": "2025-12-01"}), ("activate", None)):
        await _ok(await client.post(f"{A}/{agreement}/{action}", json=payload, headers=WRITER))
    before = await world.snapshot()
    version = (await _ok(await client.get(f"{A}/{agreement}", headers=READER)))["version"]
    answer = await client.post(
        f"{A}/{agreement}/renew", json={"expires_on": "2030-01-01", "effective_from": "2031-01-01"}, headers=WRITER
    )
    problem_of(answer, 422)
    after = await _ok(await client.get(f"{A}/{agreement}", headers=READER))
    assert after["renewed_by"] is None and after["version"] == version
    assert await world.snapshot() == before
    # And a correct renewal still works.
    renewed = await client.post(
        f"{A}/{agreement}/renew", json={"expires_on": "2032-12-31", "effective_from": "2028-01-01"}, headers=WRITER
    )
    assert renewed.status_code == 201, renewed.text

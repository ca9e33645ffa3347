"""One event through all four services, in one process, against the real Kafka and database.

partners registers a partner over HTTP and publishes `partners.partner.registered`;
funding and techtransfer each build their view of partners from it;
notifications puts it in the inbox of `admin` and `partnerships_officer`.
"""

import json
from contextlib import AsyncExitStack

from funding.main import create_app as create_funding
from funding.settings import FundingSettings
from notifications.main import create_app as create_notifications
from notifications.settings import NotificationsSettings
from opp_shared.testing.helpers import auth, eventually, read_topic, running, settings_for
from partners.main import create_app as create_partners
from partners.settings import PartnersSettings
from techtransfer.main import create_app as create_techtransfer
from techtransfer.settings import TechtransferSettings

CLOUDEVENT_ATTRIBUTES = (
    "specversion",
    "id",
    "source",
    "type",
    "subject",
    "time",
    "datacontenttype",
    "dataschema",
    "data",
    "sequence",
    "correlationid",
    "causationid",
    "traceparent",
    "actor",
)


async def test_a_registered_partner_reaches_every_service(servers, namespace):
    apps = {
        "partners": create_partners(settings_for(PartnersSettings, servers, namespace)),
        "funding": create_funding(settings_for(FundingSettings, servers, namespace)),
        "techtransfer": create_techtransfer(settings_for(TechtransferSettings, servers, namespace)),
        "notifications": create_notifications(settings_for(NotificationsSettings, servers, namespace)),
    }
    async with AsyncExitStack() as stack:
        clients = {name: await stack.enter_async_context(running(app)) for name, app in apps.items()}

        answer = await clients["partners"].post(
            "/api/v1/partners",
            json={"name": "University of Cambridge", "kind": "university", "country": "GB", "tier": "strategic"},
            headers=auth("partnerships_officer", sub="officer-1") | {"X-Correlation-ID": "skeleton-1"},
        )
        assert answer.status_code == 201, answer.text
        partner = answer.json()
        partner_id = partner["id"]
        assert answer.headers["ETag"] == '"1"'
        assert answer.headers["Location"] == f"/api/v1/partners/{partner_id}"

        read = await clients["partners"].get(f"/api/v1/partners/{partner_id}", headers=auth("viewer"))
        assert read.status_code == 200 and read.json() == partner
        listed = await clients["partners"].get("/api/v1/partners", headers=auth("viewer"))
        assert [p["id"] for p in listed.json()["items"]] == [partner_id]

        # An independent Kafka client sees a complete CloudEvent on the topic.
        topic = f"{namespace}.partners.partner"
        records = await read_topic(servers.kafka_bootstrap, topic, until=lambda r: len(r) >= 1)
        assert len(records) == 1 and records[0].key == partner_id.encode()
        envelope = json.loads(records[0].value)
        for attribute in CLOUDEVENT_ATTRIBUTES:
            assert envelope.get(attribute) is not None, attribute
        assert envelope["type"] == "partners.partner.registered"
        assert envelope["subject"] == partner_id and envelope["sequence"] == 1
        assert envelope["source"] == "/opp/partners"
        assert envelope["actor"] == "officer-1" and envelope["correlationid"] == "skeleton-1"
        assert envelope["data"]["state"] == partner

        # funding and techtransfer each keep their own view of partners.
        for service in ("funding", "techtransfer"):
            directory = apps[service].state.partner_directory

            async def known(directory=directory):
                return await directory.get(partner_id)

            view = await eventually(known)
            assert view["name"] == "University of Cambridge" and view["_sequence"] == 1

        # notifications: in the inbox of both roles, not of others.
        async def inbox(*roles):
            answer = await clients["notifications"].get("/api/v1/notifications", headers=auth(*roles))
            assert answer.status_code == 200, answer.text
            return answer.json()["items"]

        for role in ("admin", "partnerships_officer"):
            items = await eventually(lambda role=role: inbox(role))
            assert len(items) == 1
            assert items[0]["subject"] == partner_id and items[0]["event_type"] == "partners.partner.registered"
            assert items[0]["recipient"] == f"role:{role}"
            assert "University of Cambridge" in items[0]["title"]
        assert await inbox("funding_officer") == []
        both = await inbox("admin", "partnerships_officer")
        assert len(both) == 2

        history = await clients["partners"].get(f"/api/v1/partners/{partner_id}/history", headers=auth("viewer"))
        assert history.status_code == 200
        assert [e["type"] for e in history.json()["items"]] == ["partners.partner.registered"]
        assert history.json()["items"][0]["id"] == envelope["id"]

"""Other systems' view of the platform, with the services as real processes: the example subscribers
(Python with confluent-kafka, Java with kafka-clients) bootstrap from the state topics, follow the event
topics and end with the API's picture; every record parses with the CloudEvents SDK; a consumer's view
is rebuilt from the state topics and a reset group."""

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from cloudevents.core.bindings.kafka import KafkaMessage, from_kafka_event

from opp_shared.mongo import connect
from opp_shared.testing.helpers import auth, eventually, read_topic
from opp_shared.testing.processes import service_env

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
WRITER = auth("partnerships_officer", sub="e2e")


def post(url, path, body=None, expect=201):
    answer = httpx.post(f"{url}{path}", json=body or {}, headers=WRITER, timeout=20)
    assert answer.status_code == expect, answer.text
    return answer.json()


def api_picture(url):
    """What the API lists, in the shape the example subscribers print."""

    def every(path):
        answer = httpx.get(f"{url}{path}?limit=200", headers=WRITER, timeout=20)
        assert answer.status_code == 200, answer.text
        return answer.json()["items"]

    partners = {
        p["id"]: {"name": p["name"], "country": p["country"], "status": p["status"], "version": p["version"]}
        for p in every("/api/v1/partners")
    }
    agreements = {
        a["id"]: {"title": a["title"], "status": a["status"], "partner_ids": a["partner_ids"], "version": a["version"]}
        for a in every("/api/v1/agreements")
    }
    return {"partners": partners, "agreements": agreements}


async def all_published(servers, database):
    client = connect(servers.mongo_url)
    try:
        return await client[database]["outbox"].count_documents({}) == 0  # no marker left: all published
    finally:
        await client.close()


def run_subscriber(argv, servers, namespace, group):
    started = time.monotonic()
    run = subprocess.run(
        [*argv, "--bootstrap", servers.kafka_bootstrap, "--namespace", f"{namespace}.", "--group", group]
        + ["--until-caught-up", "--json"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return json.loads(run.stdout), run.stderr, time.monotonic() - started


def java_subscriber():
    """Built with the machine's Maven and Java 17; dependencies from Maven Central into .cache/m2."""
    build = subprocess.run(
        ["mvn", "-q", "-B", f"-Dmaven.repo.local={REPO / '.cache' / 'm2'}", "compile", "dependency:copy-dependencies"],
        cwd=EXAMPLES / "java",
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    classpath = f"{EXAMPLES / 'java' / 'target' / 'classes'}:{EXAMPLES / 'java' / 'target' / 'dependency' / '*'}"
    return ["java", "-cp", classpath, "org.opp.examples.Subscriber"]


PYTHON_SUBSCRIBER = [sys.executable, str(EXAMPLES / "python" / "subscriber.py")]


async def test_the_example_subscribers_end_with_the_api_s_picture_and_every_record_is_a_cloudevent(
    spawn, servers, namespace
):
    partners = spawn("partners")
    notifications = spawn("notifications")  # more services' records for the CloudEvents check
    partners.wait_until()
    notifications.wait_until()
    url = partners.url
    imperial = post(url, "/api/v1/partners", {"name": "Imperial College London", "kind": "university", "country": "GB"})
    eth = post(url, "/api/v1/partners", {"name": "ETH Zurich", "kind": "university", "country": "CH"})
    gone = post(url, "/api/v1/partners", {"name": "Old College", "kind": "university", "country": "GB"})
    post(url, f"/api/v1/partners/{imperial['id']}/status", {"status": "active"}, expect=200)
    post(url, f"/api/v1/partners/{gone['id']}/archive", {"reason": "closed"}, expect=200)
    parties = [{"partner_id": imperial["id"], "lead": True}, {"partner_id": eth["id"]}]
    signed = post(url, "/api/v1/agreements", {"type": "strategic", "title": "Joint research", "parties": parties})
    post(url, f"/api/v1/agreements/{signed['id']}/submit", expect=200)
    post(url, f"/api/v1/agreements/{signed['id']}/sign", {"signed_on": "2026-11-20"}, expect=200)
    dropped = post(url, "/api/v1/agreements", {"type": "mou", "title": "Exchange", "parties": parties[:1]})
    post(url, f"/api/v1/agreements/{dropped['id']}/withdraw", {"reason": "not pursued"}, expect=200)
    await eventually(lambda: all_published(servers, f"{namespace}_partners"), timeout=60)
    expected = api_picture(url)
    assert len(expected["partners"]) == 3 and len(expected["agreements"]) == 2

    picture, log, python_seconds = run_subscriber(PYTHON_SUBSCRIBER, servers, namespace, f"{namespace}.crm")
    assert picture == expected, log
    assert "bootstrapped {'partners.partner': 3, 'partners.agreement': 2} from the state topics" in log

    picture, log, java_seconds = run_subscriber(java_subscriber(), servers, namespace, f"{namespace}.finance")
    assert picture == expected, log
    assert "bootstrapped {partners.agreement=2, partners.partner=3} from the state topics" in log

    # A later change: the Python subscriber starts again from the state topics and its committed offsets.
    answer = httpx.patch(f"{url}/api/v1/partners/{eth['id']}", json={"name": "ETH Zürich"}, headers=WRITER, timeout=20)
    assert answer.status_code == 200, answer.text
    await eventually(lambda: all_published(servers, f"{namespace}_partners"), timeout=60)
    picture, log, _ = run_subscriber(PYTHON_SUBSCRIBER, servers, namespace, f"{namespace}.crm")
    assert picture == api_picture(url) and picture["partners"][eth["id"]]["name"] == "ETH Zürich", log
    print(f"python subscriber {python_seconds:.1f} s, java subscriber {java_seconds:.1f} s (start to exit)")

    # Every record the platform published, on every topic of the test's namespace, is a CloudEvent
    # to the CloudEvents SDK (which picks structured or binary mode by itself).
    records = await every_record(servers.kafka_bootstrap, f"{namespace}.")
    assert {r.topic.removeprefix(f"{namespace}.") for r in records} >= {
        "partners.partner",
        "partners.partner.state",
        "partners.agreement",
        "partners.agreement.state",
        "notifications.rule",
        "notifications.rule.state",
    }
    for record in records:
        event = from_kafka_event(KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value))
        ours = json.loads(record.value)
        attributes = event.get_attributes()
        assert (attributes["id"], attributes["type"], attributes["subject"]) == (
            ours["id"],
            ours["type"],
            ours["subject"],
        )
        assert attributes["dataschema"] == ours["dataschema"] and event.get_data() == ours["data"]


async def every_record(bootstrap, prefix):
    """Every record of every topic whose name starts with `prefix` (dead letters left out: none here)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if t.startswith(prefix) and not t.endswith(".dlq")]
    finally:
        await admin.close()
    records = []
    for topic in topics:
        total = sum(await end_offsets(bootstrap, topic))
        records += await read_topic(bootstrap, topic, until=lambda found, n=total: len(found) >= n)
    return records


async def end_offsets(bootstrap, topic):
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return list((await consumer.end_offsets(partitions)).values())
    finally:
        await consumer.stop()


async def test_a_consumer_s_view_is_rebuilt_from_the_state_topics_and_by_re_reading_from_a_reset_group(
    spawn, servers, namespace
):
    partners = spawn("partners")
    funding = spawn("funding")
    partners.wait_until()
    funding.wait_until()
    ids = [
        post(partners.url, "/api/v1/partners", {"name": name, "kind": "enterprise", "country": "DE"})["id"]
        for name in ("Siemens AG", "BASF SE", "Bosch GmbH")
    ]
    client = connect(servers.mongo_url)
    directory = client[f"{namespace}_funding"]["partner_directory"]

    async def holds(wanted):
        return {d["_id"] for d in await directory.find({}).to_list(None)} == set(wanted)

    await eventually(lambda: holds(ids), timeout=60)
    rebuild = [sys.executable, "-m", "opp_shared.rebuild", "--service", "funding", "--consumer", "partner-directory"]
    env = service_env(servers, namespace, "funding")

    refused = subprocess.run(rebuild, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "member" in refused.stderr  # funding's consumers still run

    assert funding.terminate() in (0, -15)
    done = subprocess.run([*rebuild, "--drop-view"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "dropped ['partner_directory']; 3 state records applied" in done.stdout
    assert await holds(ids)  # from the state topic alone, before any consumer ran
    group = f"{namespace}.funding.partner-directory"
    admin = AIOKafkaAdminClient(bootstrap_servers=servers.kafka_bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    assert {tp.topic for tp in offsets} == {f"{namespace}.partners.partner"}
    assert all(meta.offset == 0 for meta in offsets.values())  # the beginning: every event is read again

    ids.append(
        post(partners.url, "/api/v1/partners", {"name": "Bayer AG", "kind": "enterprise", "country": "DE"})["id"]
    )
    restarted = spawn("funding")
    restarted.wait_until()
    await eventually(lambda: holds(ids), timeout=60)
    versions = {d["_id"]: d["_sequence"] for d in await directory.find({}).to_list(None)}
    assert versions == dict.fromkeys(ids, 1)
    await client.close()

"""Readiness and metrics that see the workers, on a small service of the test's own against the real servers:
a consumer stuck on a backlog, a worker crash-looping, a worker that stopped; each fails readiness while
it lasts, and readiness recovers with it."""

import asyncio

from aiokafka import AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from opp_shared.consumer import EventRouter
from opp_shared.runtime import ServiceRuntime
from opp_shared.settings import ServiceSettings
from opp_shared.testing.helpers import auth, contract_event, eventually, running, settings_for
from opp_shared.web.app import create_app

ADMIN = auth("admin")


class ProbeSettings(ServiceSettings):
    service_name: str = "probe"


async def ready(client, ok: bool):
    """The readiness answer once it is `ok` (200) or not (503): the public body, and the admin's detail."""
    public = await client.get("/health/ready")
    if public.status_code != (200 if ok else 503):
        return None
    assert public.json() == {"status": "ok" if ok else "unavailable"}
    detail = await client.get("/health/ready", headers=ADMIN)
    return detail.json()["checks"] if detail.status_code == public.status_code else None


def metric(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample of the Prometheus text, or None when there is no such sample."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return None


async def test_a_consumer_stuck_on_a_backlog_fails_readiness_until_it_moves_again(servers, namespace):
    settings = settings_for(ProbeSettings, servers, namespace, consumer_stall_seconds=1.0, kafka_topic_partitions=1)
    runtime = ServiceRuntime(settings)
    release, handled = asyncio.Event(), []

    async def stuck(event):
        await release.wait()  # a handler that hangs (a call without a timeout, say)
        handled.append(event.id)

    router = EventRouter()
    router.on("partners.partner.*", stuck)
    runtime.add_consumer("stuck", ["partners.partner"], router)
    app = create_app(runtime, title="probe", description="probe", routers=[])
    async with running(app) as client:
        assert await eventually(lambda: ready(client, ok=True))
        producer = AIOKafkaProducer(bootstrap_servers=servers.kafka_bootstrap)
        await producer.start()
        try:
            for n in (1, 2):
                event = contract_event("partners.partner.registered", f"ptn_{n}", 1, event_id=f"e{n}")
                await producer.send_and_wait(
                    f"{namespace}.partners.partner", event.to_json_bytes(), key=event.subject.encode()
                )
        finally:
            await producer.stop()

        checks = await eventually(lambda: ready(client, ok=False), timeout=30)
        consumer = checks["workers"]["consumer:stuck"]
        assert consumer["ok"] is False and consumer["stalled"] == [f"{namespace}.partners.partner[0]"]
        # The lag is as of the consumer's last fetch: one record or both, depending on how they came.
        assert consumer["problem"].startswith("no progress on a backlog") and consumer["lag"] in (1, 2)
        assert checks["mongodb"]["ok"] and checks["kafka"]["ok"]  # only the consumer is unwell
        metrics = (await client.get("/metrics", headers=ADMIN)).text
        group = f"{namespace}.probe.stuck"
        lag = {"group": group, "partition": "0", "topic": f"{namespace}.partners.partner"}
        assert metric(metrics, "opp_consumer_lag", **lag) == consumer["lag"]

        release.set()

        async def both_handled_and_ready():
            checks = await ready(client, ok=True)
            # Ready as soon as the partition moves again: e2 may still be on its way then.
            done = checks and handled == ["e1", "e2"] and checks["workers"]["consumer:stuck"]["lag"] == 0
            return checks if done else None

        await eventually(both_handled_and_ready, timeout=30)
        metrics = (await client.get("/metrics", headers=ADMIN)).text
        assert metric(metrics, "opp_consumer_lag", **lag) == 0
        assert (
            metric(
                metrics,
                "opp_consumer_events_total",
                group=group,
                outcome="handled",
                topic=f"{namespace}.partners.partner",
            )
            == 2
        )


class FlakyWorker:
    """Fails `failures` times at start, then runs until the service stops."""

    def __init__(self, name: str, failures: int) -> None:
        self.name = name
        self.failures = failures
        self.runs = 0

    async def run(self, stopping: asyncio.Event) -> None:
        self.runs += 1
        if self.runs <= self.failures:
            raise RuntimeError(f"failure {self.runs}")
        await stopping.wait()

    def health(self):
        return {"runs": self.runs}


class ReturningWorker:
    name = "returns"

    async def run(self, stopping: asyncio.Event) -> None:
        return None  # a worker must run until the service stops; this one gives up

    def health(self):
        return {}


async def test_a_crash_looping_worker_fails_readiness_until_it_has_run_well_for_the_window(servers, namespace):
    settings = settings_for(ProbeSettings, servers, namespace, worker_crash_window_seconds=5.0)
    runtime = ServiceRuntime(settings)
    flaky = FlakyWorker("flaky", failures=2)
    runtime.add_worker(flaky)
    app = create_app(runtime, title="probe", description="probe", routers=[])
    async with running(app) as client:
        checks = await eventually(lambda: ready(client, ok=False), timeout=30)
        assert checks["workers"]["flaky"]["problem"].startswith("failed 2 times")
        assert checks["workers"]["flaky"]["last_error"] == "RuntimeError: failure 2"
        checks = await eventually(lambda: ready(client, ok=True), timeout=30)
        assert checks["workers"]["flaky"]["restarts"] == 2

        async def running_well():
            checks = await ready(client, ok=True)
            return checks and checks["workers"]["flaky"]["state"] == "running" and flaky.runs == 3

        await eventually(running_well, timeout=30)
        metrics = (await client.get("/metrics", headers=ADMIN)).text
        assert metric(metrics, "opp_worker_restarts_total", worker="flaky") >= 2
        assert metric(metrics, "opp_worker_up", worker="flaky") == 1


async def test_a_worker_that_stopped_fails_readiness(servers, namespace):
    runtime = ServiceRuntime(settings_for(ProbeSettings, servers, namespace))
    runtime.add_worker(ReturningWorker())
    app = create_app(runtime, title="probe", description="probe", routers=[])
    async with running(app) as client:
        checks = await eventually(lambda: ready(client, ok=False), timeout=30)
        assert checks["workers"]["returns"] == {
            "ok": False,
            "state": "stopped",
            "restarts": 0,
            "last_error": None,
            "problem": "stopped",
        }

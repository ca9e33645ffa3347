"""Figures 4 and 5: the HTTP write path, and an HTTP 201 to the notifications inbox entry.

4. `POST /api/v1/partners` on a real partners process (uvicorn, `OPP_RUN=api`) against a bare FastAPI
   endpoint in a process of its own (bench/bare_endpoint.py) doing one `insert_one` of the same body into
   the same FerretDB. The load generator is this process, on the same machine, with at most `in_flight`
   requests outstanding: first as fast as each answers (closed loop: the peak), then at 70% of the bare
   endpoint's peak on a fixed schedule (open loop: latency counted from when a request was due, so that
   a request queued behind slow ones counts its wait).
5. Partners and notifications as real processes with every part running (relay, consumers), a person
   with a rule that puts every partner registered by this run into their inbox, whose live stream this
   process reads: partners registered at a steady rate, ms from each HTTP 201 to its inbox entry on the
   stream, against a bare Kafka produce -> consume at the same rate (bench/latency.py's baseline).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from common import Comparison, Target, latency_figures, now, quantile, stream_arrivals, subject_first, token
from latency import bare_round

from opp_shared.envelope import CloudEvent
from opp_shared.state_topics import json_bytes
from opp_shared.testing.processes import ServiceProcess

HERE = Path(__file__).resolve().parent
ROUTE = "/api/v1/partners"
OFFICER = token("bench-officer", "partnerships_officer")
LOAD_SHARE = 0.7  # of the bare endpoint's peak, for the latency figures
INBOX_WAIT_SECONDS = 60.0  # after the last 201, for the inbox entries still on their way
INBOX_DROP_AFTER_SECONDS = 10.0  # a registration not sent by then is dropped (the latency counts from the 201)


def service_env(mongo_url: str, bootstrap: str, ns: str, database: str, **more: str) -> dict[str, str]:
    return {
        "OPP_MONGO_URL": mongo_url,
        "OPP_MONGO_DATABASE": f"{ns}_{database}",
        "OPP_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "OPP_KAFKA_NAMESPACE": f"{ns}.",
        "OPP_LOG_JSON": "false",
        "OPP_LOG_LEVEL": "WARNING",
        "OPP_SCHEDULER_INTERVAL_SECONDS": "3600",
        **more,
    }


class BareEndpoint(ServiceProcess):
    """bench/bare_endpoint.py as a process, started and stopped as a service's."""

    def start(self) -> BareEndpoint:
        import subprocess

        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(HERE / "bare_endpoint.py")], env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        return self


@contextlib.contextmanager
def processes(prefix: str, *wanted: tuple[type[ServiceProcess], str, dict[str, str]]):
    """Start (kind, name, env) processes with their logs in a temporary folder, wait until each is
    ready, and stop them all at the end (a failed start raises with the tail of its log)."""
    with tempfile.TemporaryDirectory(prefix=prefix) as log_dir:
        started = [kind(name, env, Path(log_dir)) for kind, name, env in wanted]
        try:
            for process in started:
                process.start()
            for process in started:
                process.wait_until(timeout=120)
            yield started
        finally:
            for process in started:
                process.stop()


def partner_body(run: str, n: int) -> dict[str, Any]:
    """A registration like a frontend's (no Idempotency-Key), with a name of its own."""
    return {
        "name": f"Benchmark University {run} {n}",
        "kind": "university",
        "country": "GB",
        "tier": "standard",
        "website": f"https://www.example-{n}.ac.uk",
        "description": run,
        "contacts": [{"name": "Dr. A. Example", "email": f"contact{n}@example.ac.uk", "role": "liaison"}],
    }


@dataclass
class Load:
    """What a load generator saw: answers by status, latencies in ms, answers per second."""

    latencies_ms: list[float]
    statuses: dict[int, int]
    seconds: float

    @property
    def rate(self) -> float:
        return self.statuses.get(201, 0) / self.seconds

    def to_json(self) -> dict[str, Any]:
        p = {f"p{q}": quantile(self.latencies_ms, q / 100) for q in (50, 95, 99)} if self.latencies_ms else {}
        return {"rate": self.rate, "seconds": self.seconds, "statuses": self.statuses, **p}


async def post(client: httpx.AsyncClient, url: str, body: dict[str, Any]) -> httpx.Response:
    """One registration; a connection that failed answers status 0 (counted, never a 201), so that
    one reset connection under load does not end the measurement."""
    try:
        return await client.post(url, json=body, headers=OFFICER)
    except httpx.HTTPError:
        return httpx.Response(0)


async def closed_loop(client: httpx.AsyncClient, url: str, run: str, *, seconds: float, in_flight: int) -> Load:
    """`in_flight` requests outstanding all the time, each sent as soon as the previous one answered."""
    latencies, statuses = [], {}
    numbers = iter(range(10**9))
    started = now()
    deadline = started + seconds

    async def worker() -> None:
        while now() < deadline:
            body = partner_body(run, next(numbers))
            t0 = now()
            status = (await post(client, url, body)).status_code
            latencies.append(1000 * (now() - t0))
            statuses[status] = statuses.get(status, 0) + 1

    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return Load(latencies, statuses, now() - started)


NOT_SENT = -1  # the status counted for a request the generator dropped (`open_loop`'s `drop_after`)


async def open_loop(
    client: httpx.AsyncClient,
    url: str,
    run: str,
    *,
    rate: float,
    seconds: float,
    in_flight: int,
    answered=None,
    drop_after: float | None = None,
) -> Load:
    """Requests due at `rate` per second on a fixed schedule, at most `in_flight` outstanding; each
    latency counts from when the request was due. `answered(answer)` sees every answer. With
    `drop_after`, a request still waiting for its turn that many seconds after it was due is not
    sent (counted as NOT_SENT), so that a server far slower than the rate does not stretch the
    round without end."""
    latencies, statuses = [], {}
    gate = asyncio.Semaphore(in_flight)
    count = max(1, int(rate * seconds))
    started = now()

    async def one(n: int, due: float) -> None:
        async with gate:
            if drop_after is not None and now() - due > drop_after:
                statuses[NOT_SENT] = statuses.get(NOT_SENT, 0) + 1
                return
            answer = await post(client, url, partner_body(run, n))
            latencies.append(1000 * (now() - due))
            statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
            if answered is not None:
                answered(answer)

    tasks = []
    for n in range(count):
        due = started + n / rate
        delay = due - now()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(n, due)))
    await asyncio.gather(*tasks)
    return Load(latencies, statuses, now() - started)


def http_client(in_flight: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    return httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(60.0))


async def write_path(
    mongo_url: str, bootstrap: str, ns: str, *, seconds: float, rounds: int, in_flight: int, log
) -> tuple[list[Comparison], dict[str, Any]]:
    peak = Comparison(
        key="http_peak",
        title="POST /api/v1/partners, peak",
        unit="requests/s",
        subject="partners (uvicorn, OPP_RUN=api)",
        baseline="FastAPI + insert_one",
        higher_is_better=True,
        notes=[
            f"HTTP: closed loop, {in_flight} requests in flight, {seconds:g} s per side and round; "
            f"latency at {LOAD_SHARE:.0%} of the bare endpoint's peak, open loop, counted from when due"
        ],
        target=Target("ratio", at_least=0.5),
    )
    latency = latency_figures(
        "http",
        f"POST /api/v1/partners at {LOAD_SHARE:.0%} of bare peak",
        "partners (uvicorn, OPP_RUN=api)",
        "FastAPI + insert_one",
        p99_at_most=50,
    )
    raw: dict[str, Any] = {"partners": [], "bare": [], "in_flight": in_flight, "seconds": seconds}
    wanted = [
        (ServiceProcess, "partners", service_env(mongo_url, bootstrap, ns, "http_partners", OPP_RUN="api")),
        (BareEndpoint, "bare", service_env(mongo_url, bootstrap, ns, "http_bare")),
    ]
    with processes("opp-bench-http-", *wanted) as (partners, bare):
        async with http_client(in_flight) as client:
            urls = {"partners": partners.url + ROUTE, "bare": bare.url + ROUTE}
            for side, url in urls.items():  # warm-up: connections, the first inserts, the token cache
                await closed_loop(client, url, f"w{side}", seconds=min(3.0, seconds), in_flight=in_flight)
            for r in range(rounds):
                order = ("partners", "bare") if subject_first(r) else ("bare", "partners")
                peaks = {
                    side: await closed_loop(client, urls[side], f"p{r}{side}", seconds=seconds, in_flight=in_flight)
                    for side in order
                }
                rate = LOAD_SHARE * peaks["bare"].rate
                loaded = {
                    side: await open_loop(
                        client, urls[side], f"l{r}{side}", rate=rate, seconds=seconds, in_flight=in_flight
                    )
                    for side in order
                }
                for side in order:
                    raw[side].append({"peak": peaks[side].to_json(), "at_load": loaded[side].to_json(), "rate": rate})
                peak.add(peaks["partners"].rate, peaks["bare"].rate)
                for q, comparison in latency.items():
                    comparison.add(
                        quantile(loaded["partners"].latencies_ms, q / 100),
                        quantile(loaded["bare"].latencies_ms, q / 100),
                    )
                p99 = {side: quantile(loaded[side].latencies_ms, 0.99) for side in order}
                log(
                    f"    round {r + 1}/{rounds}: peak partners {peaks['partners'].rate:,.0f}/s, "
                    f"bare {peaks['bare'].rate:,.0f}/s; at {rate:,.0f}/s p99 partners "
                    f"{p99['partners']:.1f} ms, bare {p99['bare']:.1f} ms"
                )
            raw["server_seconds"] = await server_side_seconds(client, partners.url)
    return [peak, *latency.values()], raw


async def server_side_seconds(client: httpx.AsyncClient, url: str) -> dict[str, float] | None:
    """Where the time goes, from the partners process's own request histogram: the mean time
    a POST spent inside the app (the rest of a request's latency is uvicorn, HTTP and the client)."""
    answer = await client.get(url + "/metrics", headers=token("bench-admin", "admin"))
    if answer.status_code != 200:
        return None
    total = count = 0.0
    for line in answer.text.splitlines():
        if 'method="POST"' in line and f'route="{ROUTE}"' in line:
            if line.startswith("opp_http_request_duration_seconds_sum"):
                total += float(line.rsplit(" ", 1)[1])
            elif line.startswith("opp_http_request_duration_seconds_count"):
                count += float(line.rsplit(" ", 1)[1])
    return {"posts": count, "mean_ms_in_app": 1000 * total / count} if count else None


# -- 5: HTTP 201 -> inbox entry ------------------------------------------------------


async def http_to_inbox(
    mongo_url: str, bootstrap: str, ns: str, *, rate: float, seconds: float, rounds: int, in_flight: int, log
) -> tuple[list[Comparison], dict[str, Any]]:
    comparisons = latency_figures(
        "inbox",
        "HTTP 201 -> inbox entry",
        "partners -> relay -> notifications",
        "bare produce -> consume",
        p99_at_most=500,
    )
    comparisons[50].notes.append(
        f"inbox: partners registered at {rate:g}/s for {seconds:g} s per round, "
        f"partners and notifications as processes with every part running"
    )
    raw: dict[str, Any] = {"subject": [], "bare": [], "rate": rate, "seconds": seconds}
    # The baseline's records: the size of a partner's event.
    state = {"state": partner_body("x", 0), "change": {}}
    event = CloudEvent(
        id=str(uuid.uuid4()),
        source="/opp/partners",
        type="partners.partner.registered",
        subject="ptn_x",
        sequence=1,
        data=state,
    )
    payload = json_bytes(event.to_document())
    for r in range(rounds):
        results = {}
        for side in ("subject", "bare") if subject_first(r) else ("bare", "subject"):
            if side == "subject":
                results[side] = await inbox_round(
                    mongo_url, bootstrap, f"{ns}r{r}", rate=rate, seconds=seconds, in_flight=in_flight
                )
            else:
                count = max(1, int(rate * seconds))
                results[side] = await bare_round(bootstrap, f"{ns}.inbox", r, count=count, rate=rate, payload=payload)
        subject, bare = results["subject"]["latencies_ms"], results["bare"]["latencies_ms"]
        raw["subject"].append(results["subject"])
        raw["bare"].append(results["bare"])
        for q, comparison in comparisons.items():
            comparison.add(quantile(subject, q / 100), quantile(bare, q / 100))
        done = results["subject"]
        if done["not_sent"]:
            comparisons[99].notes.append(
                f"inbox round {r + 1}: partners answered {done['http']['rate']:.0f} registrations/s of the "
                f"{rate:g} asked; {done['not_sent']} not sent, {INBOX_DROP_AFTER_SECONDS:g} s overdue"
            )
        if done["arrived"] < done["created"]:
            comparisons[99].notes.append(
                f"inbox round {r + 1}: {done['created'] - done['arrived']} of {done['created']} entries had "
                f"not arrived {INBOX_WAIT_SECONDS:g} s after the last 201; counted with their wait so far"
            )
        log(
            f"    round {r + 1}/{rounds}: 201 -> inbox p50 {quantile(subject, 0.5):.0f} / "
            f"p99 {quantile(subject, 0.99):.0f} ms ({done['arrived']} of {done['created']} arrived, "
            f"{done['http']['rate']:.0f} created/s), bare p99 {quantile(bare, 0.99):.1f} ms"
        )
    return list(comparisons.values()), raw


async def inbox_round(
    mongo_url: str, bootstrap: str, run: str, *, rate: float, seconds: float, in_flight: int
) -> dict[str, Any]:
    """One round on processes and databases of its own, so that a backlog left by one round does not
    delay the next one's entries."""
    env = dict(OPP_KAFKA_TOPIC_PARTITIONS="3", OPP_AUTH_FAILURE_LIMIT="1000000")
    wanted = [
        (ServiceProcess, "partners", service_env(mongo_url, bootstrap, run, "partners", **env)),
        (ServiceProcess, "notifications", service_env(mongo_url, bootstrap, run, "notifications", **env)),
    ]
    with processes("opp-bench-inbox-", *wanted) as (partners, notifications):
        async with http_client(in_flight) as client:
            return await registrations_to_inbox(
                client, partners.url, notifications.url, run, rate=rate, seconds=seconds, in_flight=in_flight
            )


async def registrations_to_inbox(
    client: httpx.AsyncClient,
    partners: str,
    notifications: str,
    run: str,
    *,
    rate: float,
    seconds: float,
    in_flight: int,
) -> dict[str, Any]:
    admin = token("bench-admin", "admin")
    person = f"bench-{run}"
    setup = [
        ("/api/v1/people", {"id": person, "name": "Bench", "email": f"{person}@example.edu"}),
        (
            "/api/v1/rules",
            {
                "name": f"bench {run}",
                "event_types": ["partners.partner.registered"],
                "conditions": [{"field": "state.description", "op": "eq", "value": run}],
                "recipients": [f"user:{person}"],
                "channels": ["inbox"],
            },
        ),
    ]
    for path, body in setup:
        answer = await client.post(notifications + path, json=body, headers=admin)
        if answer.status_code >= 300:
            raise RuntimeError(f"{path}: {answer.status_code} {answer.text}")
    await asyncio.sleep(3)  # the rule reaches the consumer's cache
    inbox: dict[str, float] = {}  # partner id -> wall clock of its notice on the stream
    ready = asyncio.Event()
    api = httpx.AsyncClient(base_url=notifications, timeout=30)
    streaming = asyncio.create_task(stream_arrivals(api, token(person, "viewer"), inbox, ready))
    created: dict[str, float] = {}  # partner id -> wall clock of its 201

    def answered(answer: httpx.Response) -> None:
        if answer.status_code == 201:
            created[answer.json()["id"]] = time.time()

    try:
        await asyncio.wait_for(ready.wait(), 10)
        load = await open_loop(
            client,
            partners + ROUTE,
            run,
            rate=rate,
            seconds=seconds,
            in_flight=in_flight,
            answered=answered,
            drop_after=INBOX_DROP_AFTER_SECONDS,
        )
        deadline = time.monotonic() + INBOX_WAIT_SECONDS
        while time.monotonic() < deadline and not set(created) <= set(inbox):
            await asyncio.sleep(0.1)
    finally:
        streaming.cancel()
        with contextlib.suppress(BaseException):
            await streaming
        await api.aclose()
    # An entry that had not arrived when the wait ended counts with its wait so far: a lower bound,
    # so that a backlog shows in the percentiles instead of leaving them.
    gave_up_at = time.time()
    latencies = [1000 * (inbox.get(i, gave_up_at) - created[i]) for i in created]
    return {
        "latencies_ms": latencies,
        "sent": sum(n for status, n in load.statuses.items() if status != NOT_SENT),
        "not_sent": load.statuses.get(NOT_SENT, 0),
        "created": len(created),
        "arrived": sum(1 for i in created if i in inbox),
        "http": load.to_json(),
    }

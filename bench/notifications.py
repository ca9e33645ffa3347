"""End to end through notifications, on a running stack: from the HTTP call that causes an event to the
inbox entry (seen on a live stream), the email (seen by Mailpit) and the webhook call (seen by a receiver here).

    OPP_WEBHOOK_ALLOW_PRIVATE_URLS=true make up        # the receiver below listens on 127.0.0.1
    .venv/bin/python bench/notifications.py --events 200 --concurrency 4

It adds, through the API, a person with an email address, a rule that tells them of every registered
partner by inbox and email, and a webhook endpoint; then registers `--events` partners (with
`--concurrency` calls in flight) and prints, per channel, the latency from the start of each call to
its arrival (p50, p99, max) and the events per second handled end to end (all channels done). Ports
follow the OPP_STACK_* variables, as `make up` does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import threading
import time
import uuid
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
from common import stream_arrivals, token


def port(name: str, default: int) -> int:
    return int(os.environ.get(f"OPP_STACK_{name}_PORT", default))


class Receiver:
    """A webhook receiver on 127.0.0.1 that notes when each event's call arrived (wall clock)."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.arrived.setdefault(json.loads(body)["subject"], time.time())
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/bench"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def figures(name: str, latencies: list[float]) -> str:
    if not latencies:
        return f"{name:<8} nothing arrived"
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return (
        f"{name:<8} n={len(ordered):<5} p50 {statistics.median(ordered) * 1000:8.1f} ms"
        f"   p99 {p99 * 1000:8.1f} ms   max {ordered[-1] * 1000:8.1f} ms"
    )


async def mail_arrivals(mailpit: httpx.AsyncClient, subjects: dict[str, str], arrived: dict[str, float]) -> None:
    """Mailpit's own receipt time of each message (its `Created`), matched by subject."""
    start = 0
    while True:
        page = (await mailpit.get("/api/v1/messages", params={"start": start, "limit": 500})).json()
        for message in page.get("messages", []):
            partner = subjects.get(message["Subject"])
            if partner:
                arrived.setdefault(
                    partner, datetime.fromisoformat(message["Created"].replace("Z", "+00:00")).timestamp()
                )
        if len(page.get("messages", [])) < 500:
            return
        start += 500


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--pause", type=float, default=0.0, help="seconds between calls (latency at a low rate)")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for everything to arrive")
    args = parser.parse_args()

    run = uuid.uuid4().hex[:8]
    admin, officer = token("bench-admin", "admin"), token("bench-officer", "partnerships_officer")
    person = f"bench-{run}"
    receiver = Receiver()
    partners = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port('PARTNERS', 8001)}", timeout=30)
    api = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port('NOTIFICATIONS', 8004)}", timeout=30)
    mailpit = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port('MAILPIT_UI', 8025)}", timeout=30)

    async def ok(answer: httpx.Response) -> dict:
        assert answer.status_code < 300, answer.text
        return answer.json()

    await ok(
        await api.post(
            "/api/v1/people", json={"id": person, "name": "Bench", "email": f"{person}@example.edu"}, headers=admin
        )
    )
    await ok(
        await api.post(
            "/api/v1/rules",
            json={
                "name": f"bench {run}",
                "event_types": ["partners.partner.registered"],
                "conditions": [{"field": "state.description", "op": "eq", "value": run}],
                "recipients": [f"user:{person}"],
                "channels": ["inbox", "email"],
            },
            headers=admin,
        )
    )
    hook = await ok(
        await api.post(
            "/api/v1/webhooks",
            json={"url": receiver.url, "event_types": ["partners.partner.registered"]},
            headers=admin,
        )
    )
    await asyncio.sleep(3)  # the rule and the endpoint reach every process's cache

    inbox: dict[str, float] = {}
    ready = asyncio.Event()
    streaming = asyncio.create_task(stream_arrivals(api, token(person, "viewer"), inbox, ready))
    await asyncio.wait_for(ready.wait(), 10)

    started: dict[str, float] = {}
    subjects: dict[str, str] = {}
    gate = asyncio.Semaphore(args.concurrency)

    async def register(n: int) -> None:
        async with gate:
            name = f"Bench University {run} {n}"
            began = time.time()
            body = {"name": name, "kind": "university", "country": "SG", "description": run}
            partner = await ok(await partners.post("/api/v1/partners", json=body, headers=officer))
            started[partner["id"]] = began
            subjects[f"New partner: {name} (SG)"] = partner["id"]
            await asyncio.sleep(args.pause)

    first = time.time()
    await asyncio.gather(*(register(n) for n in range(args.events)))
    called = time.time() - first
    email: dict[str, float] = {}
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        await mail_arrivals(mailpit, subjects, email)
        if all(len(seen) >= args.events for seen in (inbox, email, receiver.arrived)):
            break
        await asyncio.sleep(0.5)
    streaming.cancel()
    last = max([*inbox.values(), *email.values(), *receiver.arrived.values()], default=first)

    print(
        f"{args.events} partners registered in {called:.1f} s "
        f"({args.events / called:.1f} calls/s, {args.concurrency} at a time)"
    )
    for name, seen in (("inbox", inbox), ("email", email), ("webhook", receiver.arrived)):
        print(figures(name, [seen[pid] - started[pid] for pid in started if pid in seen]))
    total = last - first
    print(
        f"end to end: {args.events} events on all three channels in {total:.1f} s = {args.events / total:.1f} events/s"
    )
    await ok(await api.post(f"/api/v1/webhooks/{hook['id']}/disable", json={"reason": "bench done"}, headers=admin))
    for client in (partners, api, mailpit):
        await client.aclose()


if __name__ == "__main__":
    asyncio.run(main())

"""Prometheus metrics of the platform's plumbing (served at `/metrics`, to operators only)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter("opp_http_requests_total", "HTTP requests answered", ["method", "route", "status"])
HTTP_LATENCY = Histogram("opp_http_request_duration_seconds", "Time to answer an HTTP request", ["method", "route"])
AUTH_FAILURES = Counter(
    "opp_auth_failures_total", "Refused credentials, and requests refused for too many of them", ["outcome"]
)
EVENTS_PUBLISHED = Counter("opp_relay_events_published_total", "Event records published to Kafka", ["topic"])
RELAY_FAILURES = Counter("opp_relay_failures_total", "Relay rounds that failed and will be retried")
RELAY_BACKLOG = Gauge("opp_relay_backlog", "Unpublished event records seen in the relay's last round")
EVENTS_CONSUMED = Counter("opp_consumer_events_total", "Records handled by consumers", ["group", "topic", "outcome"])
DEAD_LETTERS = Counter(
    "opp_consumer_dead_letters_total",
    "Records sent to their .dlq, by why: undecodable, invalid (the contract), failed (the handler), runner, unreadable",
    ["group", "topic", "reason"],
)
CONSUMER_RETRIES = Counter("opp_consumer_retries_total", "Handler attempts that failed and were retried", ["group"])
CONSUMER_LAG = Gauge(
    "opp_consumer_lag", "Records on a partition not yet handled by this group", ["group", "topic", "partition"]
)
WORKER_RESTARTS = Counter("opp_worker_restarts_total", "Workers restarted after they failed", ["worker"])
WORKER_UP = Gauge("opp_worker_up", "1 while a worker runs, 0 while it is stopped or waits to restart", ["worker"])
SCHEDULER_FIRED = Counter("opp_scheduler_fired_total", "Due actions fired by the scheduler", ["job"])
SCHEDULER_FAILURES = Counter("opp_scheduler_failures_total", "Scheduler job runs that failed", ["job"])

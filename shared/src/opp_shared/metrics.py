"""Prometheus metrics of the platform's plumbing (served at `/metrics`)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter("opp_http_requests_total", "HTTP requests answered", ["method", "route", "status"])
HTTP_LATENCY = Histogram("opp_http_request_duration_seconds", "Time to answer an HTTP request", ["method", "route"])
EVENTS_PUBLISHED = Counter("opp_relay_events_published_total", "Event records published to Kafka", ["topic"])
RELAY_FAILURES = Counter("opp_relay_failures_total", "Relay rounds that failed and will be retried")
RELAY_BACKLOG = Gauge("opp_relay_backlog", "Unpublished event records seen in the relay's last round")
EVENTS_CONSUMED = Counter("opp_consumer_events_total", "Records handled by consumers", ["group", "topic", "outcome"])
CONSUMER_RETRIES = Counter("opp_consumer_retries_total", "Handler attempts that failed and were retried", ["group"])
SCHEDULER_FIRED = Counter("opp_scheduler_fired_total", "Due actions fired by the scheduler", ["job"])
SCHEDULER_FAILURES = Counter("opp_scheduler_failures_total", "Scheduler job runs that failed", ["job"])

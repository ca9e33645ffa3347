"""Settings every service shares, read from `OPP_*` environment variables.

Defaults work against the local stack (`make up`); docker-compose and
deployments override them. A service subclasses `ServiceSettings` to set its
name, port and database, and to add what only it needs.
"""

from __future__ import annotations

import ssl
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Documented in the README: only for local use; deployed services verify RS256 tokens against a JWKS URL.
LOCAL_JWT_SECRET = "opp-local-development-secret-not-for-production"


class ProcessPart(StrEnum):
    """What a process runs. One process may run all of them (local use), or ops
    run the API and the workers as separate processes of the same image."""

    API = "api"
    RELAY = "relay"
    CONSUMERS = "consumers"
    SCHEDULER = "scheduler"
    WORKERS = "workers"  # a service's own long-running workers (e.g. email and webhook senders)


def _split_commas(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPP_", extra="ignore", validate_default=True)

    service_name: str = "service"
    environment: str = "local"

    # -- process ---------------------------------------------------------
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    run: Annotated[list[ProcessPart], NoDecode] = Field(
        default_factory=lambda: list(ProcessPart),
        description="Comma-separated parts this process runs: api, relay, consumers, scheduler, workers.",
    )
    shutdown_grace_seconds: float = Field(default=20.0, ge=0)
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        description="Proxies whose X-Forwarded-* headers are trusted (comma-separated, or * behind a private gateway).",
    )
    management_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="A second port serving only /health/* and /metrics, with readiness detail and metrics "
        "to anyone who reaches it (keep it off the public network); none by default.",
    )
    management_host: str = "127.0.0.1"

    # -- MongoDB ---------------------------------------------------------
    mongo_url: SecretStr = SecretStr("mongodb://127.0.0.1:27017")
    mongo_database: str = ""
    mongo_timeout_ms: int = Field(default=5000, ge=100)

    # -- Kafka -----------------------------------------------------------
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_namespace: str = Field(
        default="",
        description="Prefix for topic and consumer-group names: isolates tests and shared clusters.",
    )
    kafka_topic_partitions: int = Field(default=3, ge=1)
    kafka_replication_factor: int = Field(default=1, ge=1)
    kafka_create_topics: bool = True
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT",
        description="PLAINTEXT (no authentication: the tests' brokers), or SASL over plain TCP or TLS; "
        "with SASL the broker knows the process as the principal User:<kafka_sasl_username>.",
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None

    # -- workers ---------------------------------------------------------
    relay_batch_size: int = Field(default=200, ge=1, le=5000)
    relay_poll_seconds: float = Field(default=0.5, gt=0)
    consumer_max_attempts: int = Field(default=4, ge=1)
    consumer_retry_backoff_seconds: float = Field(default=0.2, ge=0)
    consumer_max_strikes: int = Field(
        default=3, ge=1, description="Failures of the consumer runner itself on one record before it is dead-lettered."
    )
    consumer_stall_seconds: float = Field(
        default=120.0,
        gt=0,
        description="A consumer with a backlog that has not moved for this long makes the service unready.",
    )
    worker_crash_window_seconds: float = Field(
        default=120.0,
        gt=0,
        description="A worker that failed twice within this many seconds is crash-looping: the service is unready.",
    )
    view_max_sequence_jump: int = Field(
        default=1000, ge=1, description="How far ahead of what a view holds an event's sequence may be."
    )
    scheduler_interval_seconds: float = Field(default=60.0, gt=0)
    timezone: str = Field(
        default="Asia/Shanghai",
        description="Where the office is: a date-based rule (an expiry 'on the day') turns over at its midnight.",
    )
    lease_slot_seconds: float = Field(default=10.0, gt=0)

    # -- HTTP API ----------------------------------------------------------
    jwt_secret: SecretStr = SecretStr(LOCAL_JWT_SECRET)
    jwt_jwks_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    auth_failure_limit: int = Field(
        default=30,
        ge=1,
        description="Refused credentials one client address may send per window before it is answered 429.",
    )
    auth_failure_window_seconds: float = Field(default=60.0, gt=0)
    auth_failure_clients: int = Field(
        default=10_000, ge=1, description="Client addresses whose failures are remembered (the oldest go first)."
    )

    # -- logs --------------------------------------------------------------
    log_level: str = "INFO"
    log_json: bool = True

    @field_validator("run", "cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return _split_commas(value)

    @model_validator(mode="after")
    def _management_port_of_its_own(self) -> ServiceSettings:
        if self.management_port is not None and self.management_port == self.http_port:
            raise ValueError("the management port must differ from the HTTP port")
        return self

    @model_validator(mode="after")
    def _sasl_needs_credentials(self) -> ServiceSettings:
        sasl = self.kafka_security_protocol.startswith("SASL")
        if sasl and not (self.kafka_sasl_username and self.kafka_sasl_password):
            raise ValueError(f"kafka_security_protocol {self.kafka_security_protocol} needs a username and a password")
        return self

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    def local_date(self, instant: datetime) -> date:
        """The office's calendar day at `instant`."""
        return instant.astimezone(ZoneInfo(self.timezone)).date()

    @field_validator("mongo_database")
    @classmethod
    def _database_name(cls, value: str) -> str:
        if value and any(c in value for c in '/\\. "$'):
            raise ValueError('a MongoDB database name may not contain / \\ . space " or $')
        return value

    @property
    def database_name(self) -> str:
        return self.mongo_database or self.service_name

    @property
    def event_source(self) -> str:
        """The CloudEvents `source` of everything this service publishes."""
        return f"/opp/{self.service_name}"

    def runs(self, part: ProcessPart) -> bool:
        return part in self.run

    def topic(self, name: str) -> str:
        return self.kafka_namespace + name

    def kafka_client_options(self) -> dict[str, Any]:
        """How a Kafka client of the platform reaches the cluster and who it is there (aiokafka's
        keyword arguments, the same for producers, consumers and admin clients): the one place where
        the security protocol and the credentials are applied."""
        options: dict[str, Any] = {"bootstrap_servers": self.kafka_bootstrap_servers}
        if self.kafka_security_protocol == "PLAINTEXT":
            return options
        options.update(
            security_protocol=self.kafka_security_protocol,
            sasl_mechanism=self.kafka_sasl_mechanism,
            sasl_plain_username=self.kafka_sasl_username,
            sasl_plain_password=self.kafka_sasl_password.get_secret_value() if self.kafka_sasl_password else None,
        )
        if self.kafka_security_protocol == "SASL_SSL":
            options["ssl_context"] = ssl.create_default_context()  # the system's CAs verify the brokers
        return options

    def group(self, name: str) -> str:
        return f"{self.kafka_namespace}{self.service_name}.{name}"

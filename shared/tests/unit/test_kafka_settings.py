"""Kafka credentials in the settings, and the one place every Kafka client of opp_shared takes them from."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from pydantic import ValidationError

from opp_shared.settings import ServiceSettings

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "opp_shared"
CLIENTS = {"AIOKafkaProducer", "AIOKafkaConsumer", "AIOKafkaAdminClient"}


def test_plaintext_by_default_adds_nothing_but_the_address():
    settings = ServiceSettings(kafka_bootstrap_servers="kafka:9092")
    assert settings.kafka_client_options() == {"bootstrap_servers": "kafka:9092"}


def test_sasl_settings_become_the_client_s_credentials(monkeypatch):
    monkeypatch.setenv("OPP_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("OPP_KAFKA_SASL_USERNAME", "partners")
    monkeypatch.setenv("OPP_KAFKA_SASL_PASSWORD", "s3cret")
    settings = ServiceSettings()
    assert "s3cret" not in repr(settings)  # a SecretStr: never in a log line or a traceback
    assert settings.kafka_client_options() == {
        "bootstrap_servers": "127.0.0.1:9092",
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "partners",
        "sasl_plain_password": "s3cret",
    }


def test_sasl_over_tls_verifies_the_brokers():
    options = ServiceSettings(
        kafka_security_protocol="SASL_SSL", kafka_sasl_username="partners", kafka_sasl_password="x"
    ).kafka_client_options()
    assert options["security_protocol"] == "SASL_SSL"
    assert options["ssl_context"].verify_mode.name == "CERT_REQUIRED"


@pytest.mark.parametrize("missing", ["kafka_sasl_username", "kafka_sasl_password"])
def test_sasl_without_a_credential_is_refused_at_start(missing):
    values = {"kafka_sasl_username": "partners", "kafka_sasl_password": "x"}
    del values[missing]
    with pytest.raises(ValidationError, match="needs a username and a password"):
        ServiceSettings(kafka_security_protocol="SASL_PLAINTEXT", **values)


def test_an_unknown_security_protocol_is_refused():
    with pytest.raises(ValidationError):
        ServiceSettings(kafka_security_protocol="SSL_MAYBE")


def _client_calls() -> list[tuple[str, ast.Call]]:
    calls = []
    for path in PACKAGE.rglob("*.py"):
        if "testing" in path.relative_to(PACKAGE).parts:
            continue  # the tests' own helpers talk to the tests' plaintext brokers
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in CLIENTS:
                calls.append((f"{path.name}:{node.lineno}", node))
    return calls


def test_every_kafka_client_of_opp_shared_takes_the_settings_connection_options():
    """A client built from a bare bootstrap address would connect without the credentials (and be refused)."""
    calls = _client_calls()
    assert len(calls) >= 6  # producer, consumer, admin clients, redrive, rebuild: the check sees them
    for where, call in calls:
        assert any(k.arg is None for k in call.keywords), f"{where}: pass **kafka_client_options() (or its result)"
        assert "bootstrap_servers" not in {k.arg for k in call.keywords}, f"{where}: the address comes with the options"

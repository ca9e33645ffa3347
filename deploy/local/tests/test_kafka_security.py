"""The local Kafka's security settings (opp_devstack.kafka_security); no server is started here
(tests/integration/test_kafka_acls.py starts one and tries every principal)."""

from __future__ import annotations

import stat

import pytest

from opp_devstack import kafka_security, manifest, probes
from opp_devstack.common import StackError
from opp_devstack.config import StackConfig, free_ports


def test_every_principal_gets_a_password_once_readable_by_the_owner_only(tmp_path):
    cfg = StackConfig(data_dir=tmp_path)
    passwords = kafka_security.credentials(cfg)
    assert set(passwords) == {"admin", "subscriber", *manifest.services()}
    assert len(set(passwords.values())) == len(passwords) and all(len(p) >= 32 for p in passwords.values())
    assert stat.S_IMODE((cfg.kafka_dir / "credentials.json").stat().st_mode) == 0o600
    assert kafka_security.credentials(cfg) == passwords  # read again, not generated anew


def test_the_storage_is_formatted_with_each_principal_s_scram_credential(tmp_path):
    cfg = StackConfig(data_dir=tmp_path)
    arguments = kafka_security.format_arguments(cfg)
    passwords = kafka_security.credentials(cfg)
    assert arguments[::2] == ["--add-scram"] * len(passwords)
    assert f"SCRAM-SHA-512=[name=partners,password={passwords['partners']}]" in arguments


def test_the_broker_requires_logins_on_the_client_listener_and_authorizes_every_request(tmp_path):
    text = kafka_security.broker_properties(StackConfig(data_dir=tmp_path))
    lines = dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    assert lines["listener.security.protocol.map"] == "CONTROLLER:PLAINTEXT,PLAINTEXT:SASL_PLAINTEXT"
    assert lines["listener.name.plaintext.sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert lines["authorizer.class.name"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert lines["allow.everyone.if.no.acl.found"] == "false"
    assert "User:partners" not in lines["super.users"]


def test_a_service_logs_in_as_itself_and_creates_no_topics(tmp_path):
    cfg = StackConfig(data_dir=tmp_path)
    env = kafka_security.client_env(cfg, "funding")
    assert env["OPP_KAFKA_SASL_USERNAME"] == "funding"
    assert env["OPP_KAFKA_SASL_PASSWORD"] == kafka_security.credentials(cfg)["funding"]
    assert env["OPP_KAFKA_CREATE_TOPICS"] == "false"
    assert "OPP_KAFKA_CREATE_TOPICS" not in kafka_security.client_env(cfg, "admin")


def test_without_kafka_auth_nothing_changes(tmp_path):
    cfg = StackConfig(data_dir=tmp_path, kafka_auth=False)
    assert kafka_security.broker_properties(cfg) == ""
    assert kafka_security.format_arguments(cfg) == []
    assert kafka_security.client_env(cfg, "partners") == {}
    assert kafka_security.login(cfg) is None
    assert not (cfg.kafka_dir / "credentials.json").exists()


def test_the_probe_s_login_reads_the_passwords_and_never_makes_them(tmp_path):
    cfg = StackConfig(data_dir=tmp_path)
    assert kafka_security.login(cfg) is None  # `stack.py status` on a new checkout writes nothing
    assert not cfg.kafka_dir.exists()
    passwords = kafka_security.credentials(cfg)
    assert kafka_security.login(cfg) == ("admin", passwords["admin"])


def test_a_storage_formatted_without_credentials_is_refused_with_what_to_do(tmp_path):
    cfg = StackConfig(data_dir=tmp_path)
    cfg.kafka_log_dirs.mkdir(parents=True)
    (cfg.kafka_log_dirs / "meta.properties").write_text("cluster.id=x\n")
    with pytest.raises(StackError, match="formatted without credentials.*OPP_STACK_KAFKA_AUTH=0"):
        kafka_security.credentials(cfg)


def test_the_switch_reads_its_variable(monkeypatch):
    monkeypatch.setenv("OPP_STACK_KAFKA_AUTH", "0")
    assert StackConfig.from_env().kafka_auth is False
    monkeypatch.setenv("OPP_STACK_KAFKA_AUTH", "maybe")
    with pytest.raises(StackError, match="OPP_STACK_KAFKA_AUTH"):
        StackConfig.from_env()


def test_the_probe_finds_no_broker_where_none_listens():
    (port,) = free_ports(1)
    assert not probes.kafka_ready(port, ("admin", "x"), timeout=0.5)

"""The local Kafka's security: SASL/SCRAM logins on the client listener and the standard authorizer.

With `StackConfig.kafka_auth` (the default; OPP_STACK_KAFKA_AUTH=0 turns it off):

- every principal gets a password, generated once per data dir into
  <data dir>/kafka/credentials.json (mode 600, never committed: .data/ is ignored),
  and its SCRAM-SHA-512 credential is written into the storage when it is
  formatted (`StorageTool format --add-scram`), so the broker knows them from
  its first start; KRaft has no other way in before the first login;
- the client listener (named PLAINTEXT in server.properties.template) speaks
  SASL_PLAINTEXT; the controller listener stays plaintext on 127.0.0.1;
- StandardAuthorizer decides every request: the admin (and the broker itself
  on the controller listener, where it is User:ANONYMOUS) is a super user,
  every other principal may do what opp_shared.kafka_acls grants, no more.

Principals: `admin` (creates topics, grants ACLs, redrives dead letters), one per
service of the manifest, and `subscriber` (read-only, for subscribing systems).
Without kafka_auth the broker is the plaintext one of before: the tests'
fixtures run that way (see docs/infrastructure.md).
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from opp_devstack import manifest
from opp_devstack.common import StackError
from opp_devstack.config import StackConfig

MECHANISM = "SCRAM-SHA-512"
ADMIN = "admin"
SUBSCRIBER = "subscriber"  # opp_shared.kafka_acls.SUBSCRIBER
AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
# The template's client listener; its name is only a label, the map below gives its protocol.
CLIENT_LISTENER = "PLAINTEXT"


def principals() -> list[str]:
    return [ADMIN, *manifest.services(), SUBSCRIBER]


def credentials_file(cfg: StackConfig) -> Path:
    return cfg.kafka_dir / "credentials.json"


def credentials(cfg: StackConfig) -> dict[str, str]:
    """Each principal's password: read from the data dir, or generated for a data dir whose Kafka
    storage is not formatted yet (the passwords go into the storage when it is)."""
    path = credentials_file(cfg)
    if path.exists():
        found: dict[str, str] = json.loads(path.read_text())
        missing = sorted(set(principals()) - set(found))
        if missing:
            raise StackError(
                f"{path} has no password for {', '.join(missing)} (a service added since the storage was "
                f"formatted): stop the stack and remove {cfg.kafka_dir} to start Kafka anew"
            )
        return found
    if (cfg.kafka_log_dirs / "meta.properties").exists():
        raise StackError(
            f"the Kafka storage in {cfg.kafka_log_dirs} was formatted without credentials (before Kafka "
            f"required logins): stop the stack and remove {cfg.kafka_dir} (its topics go with it), or start "
            "with OPP_STACK_KAFKA_AUTH=0"
        )
    cfg.kafka_dir.mkdir(parents=True, exist_ok=True)
    generated = {name: secrets.token_urlsafe(24) for name in principals()}
    # Readable by the owner only, from its creation on.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(generated, file, indent=2)
    return generated


def format_arguments(cfg: StackConfig) -> list[str]:
    """The `StorageTool format` arguments that create every principal's SCRAM credential."""
    if not cfg.kafka_auth:
        return []
    return [
        argument
        for name, password in credentials(cfg).items()
        for argument in ("--add-scram", f"{MECHANISM}=[name={name},password={password}]")
    ]


def broker_properties(cfg: StackConfig) -> str:
    """Lines appended to the rendered server.properties (a later line wins over the template's)."""
    if not cfg.kafka_auth:
        return ""
    admin_password = credentials(cfg)[ADMIN]
    listener = CLIENT_LISTENER.lower()
    jaas = (
        "org.apache.kafka.common.security.scram.ScramLoginModule required "
        f'username="{ADMIN}" password="{admin_password}";'
    )
    lines = [
        "",
        "# ---- security (opp_devstack.kafka_security): SASL/SCRAM logins and ACLs ----",
        f"listener.security.protocol.map=CONTROLLER:PLAINTEXT,{CLIENT_LISTENER}:SASL_PLAINTEXT",
        f"listener.name.{listener}.sasl.enabled.mechanisms={MECHANISM}",
        f"sasl.mechanism.inter.broker.protocol={MECHANISM}",
        # How the broker logs in to a broker (its own listener is the inter-broker one).
        f"listener.name.{listener}.{MECHANISM.lower()}.sasl.jaas.config={jaas}",
        f"authorizer.class.name={AUTHORIZER}",
        # The broker reaches the controller on its plaintext listener as User:ANONYMOUS: only
        # processes on this machine can (127.0.0.1).
        f"super.users=User:{ADMIN};User:ANONYMOUS",
        "allow.everyone.if.no.acl.found=false",
        "",
    ]
    return "\n".join(lines)


def login(cfg: StackConfig, name: str = ADMIN) -> tuple[str, str] | None:
    """A principal's name and password for the broker's readiness probe; None without logins,
    or before any password exists (`status` must not generate them; a broker started before
    logins existed, still running, then answers the plaintext probe)."""
    if not cfg.kafka_auth or not credentials_file(cfg).exists():
        return None
    return name, credentials(cfg)[name]


def client_env(cfg: StackConfig, name: str) -> dict[str, str]:
    """The OPP_KAFKA_* variables with which a process of the platform logs in as `name`."""
    if not cfg.kafka_auth:
        return {}
    env = {
        "OPP_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "OPP_KAFKA_SASL_MECHANISM": MECHANISM,
        "OPP_KAFKA_SASL_USERNAME": name,
        "OPP_KAFKA_SASL_PASSWORD": credentials(cfg)[name],
    }
    if name != ADMIN:
        env["OPP_KAFKA_CREATE_TOPICS"] = "false"  # the admin creates them (create_topics); a service may not
    return env

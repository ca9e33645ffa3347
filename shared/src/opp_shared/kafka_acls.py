"""Who may do what on Kafka: each service's principal, the subscribers' read-only principal.

    python -m opp_shared.kafka_acls            # grant them all (as OPP_KAFKA_SASL_USERNAME: an admin)
    python -m opp_shared.kafka_acls --list     # only print them

With the broker's standard authorizer nothing is allowed that is not granted
here (super users aside: the admin that creates topics and runs this). A
principal is `User:<name>`, the name the client logs in with (SASL/SCRAM), and
its consumer groups are named `<name>.<anything>`. `<ns>` is OPP_KAFKA_NAMESPACE.

A service (`User:partners`):
- writes to topics prefixed `<ns>partners.`: its event topics (where the older
  versions of an event go as well), their `.state` topics and their `.dlq` topics;
- reads the topics it consumes (`consumes` in services/manifest.toml, the
  generated opp_shared.consumption) and writes their dead-letter topics (its
  consumers dead-letter a record of `funding.fund` to `funding.fund.dlq`);
- uses the consumer groups prefixed `<ns>partners.` (ServiceSettings.group).
Its idempotent producer needs no IdempotentWrite on the cluster: since Kafka 3.0
(KIP-679) Write on any topic allows it. It creates no topics: the admin does
(`python -m opp_shared.topics`), so the services run with OPP_KAFKA_CREATE_TOPICS=false.

A subscriber (`User:subscriber`, or one principal per university system with the
same grants): reads every event topic and every `.state` topic of the catalogue,
never a `.dlq` (records that failed a check), writes nothing, and uses the groups
prefixed `<ns><name>.`.

Creating a grant that exists changes nothing, so running this again is safe;
grants of a service or topic that went away are not removed (kafka-acls --remove).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError
from aiokafka.protocol.admin import CreateAclsRequest_v1, DescribeAclsRequest
from aiokafka.protocol.api import Request

from opp_shared.catalogue import all_topics, dlq_topic
from opp_shared.consumption import CONSUMED_TOPICS
from opp_shared.settings import ServiceSettings
from opp_shared.state_topics import state_topic

SUBSCRIBER = "subscriber"


# The protocol's codes (org.apache.kafka.common.acl and .resource).
class Resource(IntEnum):
    TOPIC = 2
    GROUP = 3


class Pattern(IntEnum):
    LITERAL = 3
    PREFIXED = 4


class Operation(IntEnum):
    READ = 3  # a topic: fetch and commit offsets; a group: join it, commit; both imply DESCRIBE
    WRITE = 4  # a topic: produce (implies DESCRIBE)


ALLOW = 3
ANY = 1  # a filter's "any" resource type, pattern, operation or permission
ANY_HOST = "*"


@dataclass(frozen=True, order=True)
class Grant:
    principal: str  # User:<name>
    operation: Operation
    resource: Resource
    name: str
    pattern: Pattern = Pattern.LITERAL

    def __str__(self) -> str:
        how = "prefixed" if self.pattern is Pattern.PREFIXED else "named"
        return f"{self.principal} may {self.operation.name} {self.resource.name.lower()}s {how} {self.name}"


def principal(name: str) -> str:
    return f"User:{name}"


def service_grants(service: str, namespace: str = "") -> list[Grant]:
    """What a service's principal may do: its own topics and groups, what it consumes, their dead letters."""
    who, own = principal(service), f"{namespace}{service}."
    grants = [
        Grant(who, Operation.WRITE, Resource.TOPIC, own, Pattern.PREFIXED),
        Grant(who, Operation.READ, Resource.GROUP, own, Pattern.PREFIXED),
    ]
    for topic in CONSUMED_TOPICS[service]:
        grants.append(Grant(who, Operation.READ, Resource.TOPIC, namespace + topic))
        grants.append(Grant(who, Operation.WRITE, Resource.TOPIC, namespace + dlq_topic(topic)))
    return grants


def subscriber_grants(name: str = SUBSCRIBER, namespace: str = "") -> list[Grant]:
    """A read-only principal: every public event and state topic, and its own groups."""
    who = principal(name)
    grants = [
        Grant(who, Operation.READ, Resource.TOPIC, namespace + readable)
        for topic in all_topics()
        for readable in (topic, state_topic(topic))
    ]
    grants.append(Grant(who, Operation.READ, Resource.GROUP, f"{namespace}{name}.", Pattern.PREFIXED))
    return grants


def platform_grants(namespace: str = "", subscribers: Iterable[str] = (SUBSCRIBER,)) -> list[Grant]:
    """Every service's grants and each subscriber principal's."""
    grants = [grant for service in CONSUMED_TOPICS for grant in service_grants(service, namespace)]
    return grants + [grant for name in subscribers for grant in subscriber_grants(name, namespace)]


class _CreateAcls(Request[CreateAclsRequest_v1]):
    """The protocol's CreateAcls with every grant in one request (aiokafka's own sends one grant
    per request, and each costs the controller a metadata write: 7 s for the platform's 103).
    Version 1 is the first with prefixed patterns; Kafka 4 still accepts it."""

    API_KEY = 30

    def __init__(self, grants: list[Grant]) -> None:
        self.grants = grants

    def build(self, request_struct_class: type[CreateAclsRequest_v1]) -> CreateAclsRequest_v1:
        return request_struct_class(
            [(g.resource, g.name, g.pattern, g.principal, ANY_HOST, g.operation, ALLOW) for g in self.grants]
        )


async def grant(client_options: Mapping[str, Any], grants: Iterable[Grant], timeout: float = 30.0) -> int:
    """Create the grants on the cluster (as a principal allowed to: a super user) and wait until the
    broker applies them; answer how many. aiokafka has no ACL call of its own, but speaks the protocol."""
    wanted = list(grants)
    admin = AIOKafkaAdminClient(**client_options, client_id="opp-acls")
    await admin.start()
    try:
        response = await admin._send_request(_CreateAcls(wanted))  # the client's own request path
        refused = [
            f"{each}: error code {error_code} {error_message}"
            for each, (error_code, error_message) in zip(wanted, response.creation_responses, strict=True)
            if error_code
        ]
        if refused:
            raise RuntimeError("could not grant that " + "; ".join(refused))
        # The controller answers once the grants are in the metadata log; a broker applies them a
        # moment later. A producer started in between is refused (its InitProducerId first).
        deadline = time.monotonic() + timeout
        while missing := set(wanted) - await granted(admin):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the broker has not applied {len(missing)} grants after {timeout:g}s")
            await asyncio.sleep(0.1)
    finally:
        await admin.close()
    return len(wanted)


async def granted(admin: AIOKafkaAdminClient) -> set[Grant]:
    """Every ALLOW grant for any host that the broker applies (of the kinds this module makes)."""
    request = DescribeAclsRequest(ANY, None, ANY, None, None, ANY, ANY)
    response = await admin._send_request(request)
    if response.error_code:
        raise RuntimeError(f"could not list the ACLs: error code {response.error_code} {response.error_message}")
    found = set()
    for resource_type, name, pattern, acls in response.resources:
        for who, host, operation, permission in acls:
            if (
                permission == ALLOW
                and host == ANY_HOST
                and resource_type in Resource._value2member_map_
                and operation in Operation._value2member_map_
                and pattern in Pattern._value2member_map_
            ):
                found.add(Grant(who, Operation(operation), Resource(resource_type), name, Pattern(pattern)))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m opp_shared.kafka_acls", description=__doc__.split("\n")[0])
    parser.add_argument("--list", action="store_true", help="print the grants, change nothing")
    parser.add_argument(
        "--subscriber",
        action="append",
        help=f"a read-only subscriber principal's name (repeatable; default: {SUBSCRIBER})",
    )
    args = parser.parse_args(argv)
    settings = ServiceSettings(service_name="acls")
    grants = platform_grants(settings.kafka_namespace, args.subscriber or [SUBSCRIBER])
    if args.list:
        print("\n".join(str(each) for each in grants))
        return 0
    for _ in range(30):
        try:
            count = asyncio.run(grant(settings.kafka_client_options(), grants))
            print(f"Kafka ACLs granted ({count} grants)")
            return 0
        except (KafkaConnectionError, OSError, TimeoutError) as exc:  # the broker may still be starting
            print(f"waiting for Kafka at {settings.kafka_bootstrap_servers}: {exc}", file=sys.stderr)
            time.sleep(2)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())

"""The pytest plugin (registered in the repository's root conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from opp_shared.testing.helpers import Publish, event_publisher, new_namespace
from opp_shared.testing.mail import Mailbox
from opp_shared.testing.servers import SecuredKafka, Servers, secured_kafka, test_servers


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """The real MongoDB/FerretDB and Kafka, for the whole session."""
    with test_servers(tmp_path_factory.mktemp("stack")) as found:
        yield found


@pytest.fixture(scope="session")
def secured_kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecuredKafka]:
    """A second Kafka, with SASL/SCRAM logins and ACLs as `make up` runs it, for the session
    (started only for the tests that ask for it)."""
    with secured_kafka(tmp_path_factory.mktemp("secured-kafka")) as found:
        yield found


@pytest.fixture
def namespace() -> str:
    return new_namespace()


@pytest.fixture
async def publish(servers: Servers, namespace: str) -> AsyncIterator[Publish]:
    """Publish another service's events to the test's namespace (`helpers.event_publisher`)."""
    async with event_publisher(servers.kafka_bootstrap, namespace) as send:
        yield send


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server (`mail.Mailbox`) for the test module."""
    box = Mailbox().start()
    yield box
    box.stop()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Tests that use the real servers are integration tests, whether or not they say so.
    for item in items:
        if {"servers", "secured_kafka_broker"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)

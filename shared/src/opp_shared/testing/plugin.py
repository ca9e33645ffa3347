"""The pytest plugin (registered in the repository's root conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from opp_shared.testing.helpers import new_namespace
from opp_shared.testing.servers import Servers, test_servers


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """The real MongoDB/FerretDB and Kafka, for the whole session."""
    with test_servers(tmp_path_factory.mktemp("stack")) as found:
        yield found


@pytest.fixture
def namespace() -> str:
    return new_namespace()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Tests that use the real servers are integration tests, whether or not they say so.
    for item in items:
        if "servers" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.integration)

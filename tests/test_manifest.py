"""services/manifest.toml against the services' code: the manifest names each service once,
and what the code says by itself (its settings' defaults, its folder) must agree with it."""

from __future__ import annotations

import pytest

from opp_devstack.common import REPO_ROOT
from opp_devstack.manifest import services
from opp_shared.settings import ServiceSettings

SERVICES = services()


@pytest.mark.parametrize("service", SERVICES)
def test_the_settings_defaults_are_the_manifest_s_port_and_database(service):
    """Without OPP_* variables (python -m <service> by hand) a service listens where make up puts it."""
    settings = SERVICES[service].settings_class()
    assert issubclass(settings, ServiceSettings)
    fields = settings.model_fields
    assert fields["http_port"].default == SERVICES[service].port
    # ServiceSettings.database_name: the explicit database, else the service's name.
    assert (fields["mongo_database"].default or fields["service_name"].default) == SERVICES[service].database


def test_every_service_folder_is_in_the_manifest():
    folders = {p.parent.name for p in (REPO_ROOT / "services").glob("*/pyproject.toml")}
    assert folders == set(SERVICES), "a service is its folder under services/ plus its entry in services/manifest.toml"


@pytest.mark.parametrize("service", SERVICES)
def test_consumes_is_what_the_service_s_consumers_subscribe_to(service):
    """Its Kafka principal may read only the manifest's `consumes` (opp_shared.kafka_acls): a consumer
    added in the code without its line would be refused by the broker, one listed but unused is a
    needless grant."""
    from opp_shared.consumption import CONSUMED_TOPICS
    from opp_shared.runtime import service_runtime

    subscribed = service_runtime(service).consumed_topics
    assert set(SERVICES[service].consumes) == subscribed
    assert set(CONSUMED_TOPICS[service]) == subscribed

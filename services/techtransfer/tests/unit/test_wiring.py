"""The techtransfer service wired on in-memory ports."""

from opp_shared.envelope import CloudEvent
from opp_shared.testing.fakes import InMemoryPorts
from techtransfer.main import wire
from techtransfer.settings import TechtransferSettings


async def test_the_partner_directory_follows_the_partners_topic():
    ports = InMemoryPorts("techtransfer")
    service = wire(ports, TechtransferSettings())
    event = CloudEvent(
        id="e1",
        source="/opp/partners",
        type="partners.partner.registered",
        subject="ptn_1",
        sequence=1,
        data={"state": {"id": "ptn_1", "name": "University of Toronto", "status": "active"}, "change": {}},
    )
    assert await ports.deliver(event) == 1
    assert await service.partners.names(["ptn_1", "ptn_2"]) == {"ptn_1": "University of Toronto", "ptn_2": None}

import pytest

from opp_shared.claims import CLAIMS, Claims
from opp_shared.eventstore import EventStore
from opp_shared.mongo import connect


@pytest.fixture
async def db(servers, namespace):
    client = connect(servers.mongo_url)
    database = client[f"{namespace}_shared"]
    yield database
    await client.drop_database(database.name)
    await client.close()


@pytest.fixture
async def store(db):
    store = EventStore(
        db, source="/opp/test", projections={"partners.partner": "partners", "partners.agreement": "agreements"}
    )
    await store.ensure_indexes()
    return store


@pytest.fixture
async def claims(db):
    claims = Claims(db[CLAIMS])
    await claims.ensure_indexes()
    return claims

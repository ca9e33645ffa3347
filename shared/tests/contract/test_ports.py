"""One contract for each port, run against the real database and against its in-memory fake.

Handlers are unit-tested on the fakes (`opp_shared.testing.fakes`); these
tests are what makes that trustworthy: every behaviour the handlers rely on
is asserted here, with the same expected answer, on FerretDB (MongoDB in
compose) and in memory. A fake that drifts fails here first.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from opp_shared.aggregate import Change
from opp_shared.claims import CLAIMS, Claims
from opp_shared.contract import RejectedEvent
from opp_shared.documents import ASCENDING, DESCENDING, MongoDocuments
from opp_shared.envelope import CloudEvent
from opp_shared.errors import VersionConflict
from opp_shared.eventstore import EventStore
from opp_shared.mongo import connect
from opp_shared.pagination import PageParams, paginate
from opp_shared.records import MongoRecords
from opp_shared.testing.fakes import (
    InMemoryClaims,
    InMemoryDocuments,
    InMemoryEventStore,
    InMemoryRecords,
    InMemoryVersionedView,
)
from opp_shared.views import VersionedView

T = "partners.partner"
BACKENDS = [pytest.param("memory"), pytest.param("database", marks=pytest.mark.integration)]


@pytest.fixture(params=BACKENDS)
async def backend(request, namespace):
    """(kind, database or None); the database one uses the session's real servers."""
    if request.param == "memory":
        yield "memory", None
        return
    servers = request.getfixturevalue("servers")
    client = connect(servers.mongo_url)
    db = client[f"{namespace}_contract"]
    yield "database", db
    await client.drop_database(db.name)
    await client.close()


@pytest.fixture
def event_log(backend):
    kind, db = backend
    if kind == "memory":
        return InMemoryEventStore({T: "partners"})
    return EventStore(db, source="/opp/test", projections={T: "partners"})


DOCUMENTS = [
    {"_id": "a", "name": "Aachen", "country": "DE", "rank": 3, "tags": ["eu", "tech"], "closed_on": None},
    {"_id": "b", "name": "Berkeley", "country": "US", "rank": 1, "tags": ["us"], "closed_on": "2026-05-01"},
    {"_id": "c", "name": "Cambridge", "country": "GB", "rank": 2, "tags": [], "nested": {"level": "x"}},
    {"_id": "d", "name": "Delft", "country": "NL", "rank": 3, "tags": ["eu"], "closed_on": "2027-01-01"},
    {"_id": "e", "name": "ETH Zürich", "country": "CH", "tags": ["eu", "tech"]},
]


@pytest.fixture
async def documents(backend):
    kind, db = backend
    if kind == "memory":
        return InMemoryDocuments("things", {d["_id"]: dict(d) for d in DOCUMENTS})
    await db["things"].insert_many([dict(d) for d in DOCUMENTS])
    return MongoDocuments(db["things"])


# -- the event log ----------------------------------------------------------------


def registered(name="Imperial College London"):
    return Change(f"{T}.registered", {"name": name})


async def test_an_append_is_loaded_projected_and_in_the_history(event_log):
    first = await event_log.append(T, "ptn_1", None, registered())
    second = await event_log.append(T, "ptn_1", first, Change(f"{T}.updated", {"name": "Imperial"}))
    assert (first.version, second.version) == (1, 2)
    assert (await event_log.load(T, "ptn_1")) == second
    assert (await event_log.load_version(T, "ptn_1", 1)) == first
    assert await event_log.load(T, "ptn_2") is None and await event_log.load_version(T, "ptn_1", 3) is None
    events, cursor = await event_log.history(T, "ptn_1")
    assert [(e.sequence, e.type) for e in events] == [(1, f"{T}.registered"), (2, f"{T}.updated")] and cursor is None
    assert all(isinstance(e, CloudEvent) and e.subject == "ptn_1" for e in events)
    projected = await event_log.documents(T).find_one({"_id": "ptn_1"})
    assert projected["name"] == "Imperial" and projected["version"] == 2


async def test_the_second_writer_of_a_version_gets_a_conflict(event_log):
    first = await event_log.append(T, "ptn_1", None, registered())
    await event_log.append(T, "ptn_1", first, Change(f"{T}.updated", {"name": "One"}))
    with pytest.raises(VersionConflict):
        await event_log.append(T, "ptn_1", first, Change(f"{T}.updated", {"name": "Two"}))
    with pytest.raises(VersionConflict):
        await event_log.append(T, "ptn_1", None, registered())
    assert (await event_log.load(T, "ptn_1")).state["name"] == "One"


async def test_a_history_pages_by_sequence(event_log):
    snapshot = await event_log.append(T, "ptn_1", None, registered())
    for n in range(6):
        snapshot = await event_log.append(T, "ptn_1", snapshot, Change(f"{T}.updated", {"name": f"n{n}"}))
    page, cursor = await event_log.history(T, "ptn_1", limit=3)
    rest, end = await event_log.history(T, "ptn_1", after=cursor, limit=10)
    assert [e.sequence for e in page] == [1, 2, 3] and cursor == 3
    assert [e.sequence for e in rest] == [4, 5, 6, 7] and end is None


# -- documents: the filter language ---------------------------------------------------


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ({}, "abcde"),
        ({"country": "DE"}, "a"),
        ({"tags": "eu"}, "ade"),  # an array field matches an element
        ({"tags": {"$in": ["us", "tech"]}}, "abe"),
        ({"country": {"$in": ["GB", "NL"]}}, "cd"),
        ({"country": {"$nin": ["GB", "NL"]}}, "abe"),
        ({"closed_on": None}, "ace"),  # null matches a missing field too
        ({"closed_on": {"$ne": None}}, "bd"),
        ({"closed_on": {"$lte": "2026-12-31", "$ne": None}}, "b"),
        ({"closed_on": {"$gt": "2026-12-31"}}, "d"),
        ({"rank": {"$gte": 2}}, "acd"),  # a missing number is not >= 2
        ({"rank": {"$lt": 3}}, "bc"),
        ({"rank": {"$exists": False}}, "e"),
        ({"nested.level": "x"}, "c"),
        ({"name": {"$regex": "(^| )z"}}, ""),  # case matters
        ({"name": {"$regex": "(^| )Z"}}, "e"),
        ({"$or": [{"country": "DE"}, {"rank": 1}]}, "ab"),
        ({"$and": [{"tags": "eu"}, {"rank": 3}]}, "ad"),
        ({"$or": [{"closed_on": {"$lte": "2026-12-31", "$ne": None}}, {"closed_on": None, "rank": 2}]}, "bc"),
    ],
)
async def test_a_filter_answers_the_same_documents(documents, filter, expected):
    found = await documents.find(filter, sort=[("_id", ASCENDING)])
    assert "".join(d["_id"] for d in found) == expected
    assert await documents.count(filter) == len(expected)


async def test_sorts_limits_and_fields(documents):
    by_rank = await documents.find({}, sort=[("rank", DESCENDING), ("_id", ASCENDING)])
    assert [d["_id"] for d in by_rank] == ["a", "d", "c", "b", "e"]  # a missing value sorts lowest
    limited = await documents.find({"tags": "eu"}, sort=[("name", ASCENDING)], limit=2, fields=["country"])
    assert limited == [{"_id": "a", "country": "DE"}, {"_id": "d", "country": "NL"}]
    assert await documents.find_one({"country": "CH"}) == next(d for d in DOCUMENTS if d["_id"] == "e")
    assert await documents.find_one({"country": "FR"}) is None


async def test_keyset_pages_cover_every_document_once(documents):
    page = PageParams(limit=2)
    seen = []
    while True:
        items, cursor = await paginate(documents, {"_id": {"$ne": "c"}}, page, sort=[("rank", ASCENDING)])
        seen += [d["_id"] for d in items]
        if cursor is None:
            break
        page = PageParams(limit=2, cursor=cursor)
    assert seen == ["e", "b", "a", "d"]


# -- claims and views ----------------------------------------------------------------------


@pytest.fixture
def claims(backend):
    kind, db = backend
    return InMemoryClaims() if kind == "memory" else Claims(db[CLAIMS])


async def test_a_claim_has_one_owner_until_released_or_taken_over(claims):
    assert (await claims.claim("k", "alice", kind="test"))["owner"] == "alice"
    assert (await claims.claim("k", "bob", kind="test"))["owner"] == "alice"
    await claims.release("k", "bob")  # not bob's to release
    assert (await claims.get("k"))["owner"] == "alice"
    assert (await claims.take_over("k", "alice", "carol", kind="test"))["owner"] == "carol"
    await claims.release("k", "carol")
    assert await claims.get("k") is None


@pytest.fixture
def view(backend):
    kind, db = backend
    return InMemoryVersionedView("view") if kind == "memory" else VersionedView(db["view"])


@pytest.fixture
def small_jump_view(backend):
    kind, db = backend
    if kind == "memory":
        return InMemoryVersionedView("view", max_sequence_jump=10)
    return VersionedView(db["view"], max_sequence_jump=10)


def event(sequence, name, subject="ptn_1"):
    return CloudEvent(
        id=f"e{sequence}{name}",
        source="/opp/partners",
        type=f"{T}.updated",
        subject=subject,
        sequence=sequence,
        time=datetime(2027, 1, 1, tzinfo=UTC),
        data={"state": {"id": subject, "name": name}, "change": {}},
    )


async def test_a_view_keeps_only_the_newest_sequence(view):
    assert await view.apply(event(2, "two"))
    assert not await view.apply(event(1, "one"))  # late
    assert not await view.apply(event(2, "two"))  # repeated
    assert await view.apply(event(5, "five"))  # a gap is harmless: each event carries the whole state
    held = await view.get("ptn_1")
    assert held["name"] == "five" and held["_sequence"] == 5
    assert await view.apply(event(1, "other", subject="ptn_2"), {"summary": "kept"}, key="custom")
    assert (await view.get("custom"))["summary"] == "kept"
    assert [d["_id"] for d in await view.documents.find({}, sort=[("_id", ASCENDING)])] == ["custom", "ptn_1"]


# -- records ----------------------------------------------------------------------------


@pytest.fixture
def records(backend):
    kind, db = backend
    return InMemoryRecords("records") if kind == "memory" else MongoRecords(db["records"])


async def test_a_record_is_inserted_once_and_its_fields_set_by_id(records):
    assert await records.insert_once({"_id": "e1:role:admin", "status": "pending", "n": 0})
    assert not await records.insert_once({"_id": "e1:role:admin", "status": "other"})  # the first one stays
    assert await records.set_fields("e1:role:admin", {"status": "sent", "n": 1})
    assert await records.get("e1:role:admin") == {"_id": "e1:role:admin", "status": "sent", "n": 1}
    assert not await records.set_fields("missing", {"status": "sent"})
    assert await records.get("missing") is None
    assert await records.set_fields("mark", {"until": "2027"}, upsert=True)
    assert (await records.get("mark"))["until"] == "2027"


async def test_records_are_queried_and_deleted_by_filter(records):
    for n in range(5):
        await records.insert_once({"_id": f"r{n}", "due": n, "status": "pending" if n % 2 else "sent"})
    due = await records.documents.find({"status": "pending", "due": {"$lte": 3}}, sort=[("due", ASCENDING)], limit=5)
    assert [d["_id"] for d in due] == ["r1", "r3"]
    assert await records.delete_many({"status": "sent", "due": {"$lt": 4}}) == 2
    assert sorted(d["_id"] for d in await records.documents.find({})) == ["r1", "r3", "r4"]


async def test_a_view_refuses_a_sequence_implausibly_far_ahead_of_what_it_holds(view, small_jump_view):
    with pytest.raises(RejectedEvent, match="implausibly far ahead"):
        await view.apply(event(1001, "forged far ahead of nothing"))
    assert await view.apply(event(1000, "a thousand changes missed is still plausible"))
    with pytest.raises(RejectedEvent):
        await view.apply(event(2001, "forged"))
    assert (await view.get("ptn_1"))["_sequence"] == 1000
    assert await view.apply(event(2000, "the real next changes still apply"))

    assert await small_jump_view.apply(event(3, "three"), key="k")
    with pytest.raises(RejectedEvent):
        await small_jump_view.apply(event(14, "eleven ahead"), key="k")
    assert await small_jump_view.apply(event(13, "ten ahead"), key="k")
    assert (await small_jump_view.get("k"))["_sequence"] == 13

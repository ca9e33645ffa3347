"""A write that loses every race for its partner's next version, over HTTP on the real FerretDB:
503 `contention` with Retry-After, never a 409, and nothing of its own recorded."""

from opp_shared.aggregate import Change
from opp_shared.testing.helpers import assert_problem, running
from partners.main import create_app


class BusyCopyElsewhere:
    """The event log as this copy of the service sees it, while another copy records a change to
    the same partner just before each of this copy's appends (one that leaves the partner as it
    was, so that this copy's edit is still to be made): the real unique insert then refuses this
    copy's record every time."""

    def __init__(self, events) -> None:
        self.events = events
        self.recorded_first = 0

    def __getattr__(self, name):
        return getattr(self.events, name)

    async def append(self, aggregate_type, aggregate_id, previous, change, meta=None):
        if previous is not None:
            unchanged = Change(change.type, previous.domain_state(), change.change, change.schema_version)
            await self.events.append(aggregate_type, aggregate_id, previous, unchanged, meta)
            self.recorded_first += 1
        return await self.events.append(aggregate_type, aggregate_id, previous, change, meta)


async def test_an_edit_that_always_loses_its_race_answers_503_contention(settings, clock, partners_api):
    app = create_app(settings, clock=clock)
    async with running(app) as client:
        api = partners_api(client, app)
        partner = await api.register(name="Busy University", country="GB")
        repository = app.state.runtime.repositories["partners.partner"]
        elsewhere = BusyCopyElsewhere(repository.events)
        repository.events = elsewhere

        answer = await client.patch(f"/api/v1/partners/{partner['id']}", json={"tier": "strategic"}, headers=api.writer)

        body = assert_problem(answer, 503, "contention")
        assert answer.headers["retry-after"] == "1" and body["retry_after"] == 1
        assert elsewhere.recorded_first == repository.attempts  # decided again after each lost race
        repository.events = elsewhere.events
        now = (await client.get(f"/api/v1/partners/{partner['id']}", headers=api.reader)).json()
        assert now["version"] == 1 + repository.attempts and now["tier"] == partner["tier"]  # the other copy's only

"""A job that works on the office's calendar day, and a life cycle's moves."""

from datetime import UTC, date, datetime
from enum import StrEnum

import pytest

from opp_shared.errors import IllegalTransition
from opp_shared.lifecycle import Lifecycle
from opp_shared.scheduler import DailyJob
from opp_shared.settings import ServiceSettings


async def test_a_daily_job_runs_on_the_day_it_is_in_the_offices_calendar():
    seen = []

    async def run_on(day: date) -> int:
        seen.append(day)
        return 2

    job = DailyJob("rule", run_on, ServiceSettings(timezone="Asia/Shanghai").local_date)
    # 20:00 UTC on 31 March is already 1 April in Beijing.
    assert await job.run(datetime(2027, 3, 31, 20, 0, tzinfo=UTC)) == 2
    assert seen == [date(2027, 4, 1)] and job.name == "rule"


class Door(StrEnum):
    OPEN = "open"
    SHUT = "shut"
    LOCKED = "locked"


def test_a_life_cycle_moves_only_along_its_arrows():
    life = Lifecycle("door", {"shut": ({Door.OPEN}, Door.SHUT), "lock": ({Door.SHUT}, Door.LOCKED)})
    assert life.move(Door.OPEN, "shut") == Door.SHUT and life.allows(Door.SHUT, "lock")
    with pytest.raises(IllegalTransition) as refused:
        life.move(Door.OPEN, "lock")
    assert refused.value.extensions == {"current_status": "open", "allowed_from": ["shut"]}

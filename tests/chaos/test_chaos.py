"""The short version of the fault-injection suite (`make chaos` runs the whole one): a few seconds
of load around a SIGKILL of the service that writes, of the one that consumes most, and of the
database, on a stack of its own; no acknowledged change may be lost or have an effect twice.
Kafka's own SIGKILL is in `make chaos` only: a broker recovering its logs takes 20 to 50 s here."""

import pytest

from .chaos import run, table

pytestmark = pytest.mark.e2e

# The most telling faults: partners dies between its writes and their publication (the relay),
# notifications while it records inbox entries, and FerretDB under every write and every effect.
FAULTS = ["partners", "notifications", "ferretdb"]


async def test_no_acknowledged_change_is_lost_or_has_an_effect_twice_when_parts_are_killed(tmp_path):
    result = await run(tmp_path, faults=FAULTS, load_seconds=2.0, down_seconds=1.0, rate=4.0, say=lambda _: None)

    report = table(result.rows) + "\n" + "\n".join(p for row in result.rows for p in row.problems[:5])
    assert [row.scenario for row in result.rows] == ["baseline", *FAULTS]
    for row in result.rows:
        assert row.acknowledged > 0 and row.effects > row.acknowledged, report  # the load wrote, effects were found ...
        assert row.lost == 0 and row.duplicated == 0, report  # ... and nothing it was told went missing or twice
        if row.scenario != "baseline":
            assert row.recover_seconds is not None, report

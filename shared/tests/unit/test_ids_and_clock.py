from datetime import UTC, datetime, timedelta

import pytest

from opp_shared.clock import ManualClock, rfc3339
from opp_shared.ids import derived_id, looks_like_id, new_id


def test_ids_are_unique_prefixed_and_ordered_by_creation_time():
    ids = [new_id("ptn", now_ms=1_700_000_000_000 + i) for i in range(200)]
    assert len(set(ids)) == 200
    assert ids == sorted(ids)
    assert all(looks_like_id(i, "ptn") for i in ids)
    assert not looks_like_id(ids[0], "agr")


def test_a_derived_id_is_the_same_for_the_same_key_and_sorts_by_its_time():
    first = derived_id("roy", "lic_1:2027-01-01:EUR", at_ms=1_800_000_000_000)
    assert first == derived_id("roy", "lic_1:2027-01-01:EUR", at_ms=1_800_000_000_000)
    assert first != derived_id("roy", "lic_1:2027-01-01:USD", at_ms=1_800_000_000_000)
    assert looks_like_id(first, "roy")
    later = derived_id("roy", "lic_0:2027-04-01:EUR", at_ms=1_800_000_000_001)
    assert first < later
    with pytest.raises(ValueError):
        derived_id("R", "x", at_ms=0)


def test_id_prefix_must_be_plain():
    with pytest.raises(ValueError):
        new_id("P-1")


def test_manual_clock_moves_only_when_told():
    clock = ManualClock(datetime(2027, 1, 1, tzinfo=UTC))
    assert clock.now() == clock.now()
    clock.advance(timedelta(days=90))
    assert clock.now() == datetime(2027, 4, 1, tzinfo=UTC)
    with pytest.raises(ValueError):
        ManualClock(datetime(2027, 1, 1))


def test_rfc3339_is_utc_with_z():
    assert rfc3339(datetime(2027, 1, 1, 12, tzinfo=UTC)) == "2027-01-01T12:00:00.000Z"
    with pytest.raises(ValueError):
        rfc3339(datetime(2027, 1, 1))

"""License commands on in-memory ports: references, export control, exclusivity and the execution saga."""

import pytest

from opp_shared.errors import IllegalTransition, RuleViolation
from opp_shared.repository import CreateRequest
from techtransfer.domain import license as license_rules


async def test_the_partner_directory_follows_the_partners_topic(office):
    await office.partner("ptn_1", name="University of Toronto", country="CA")
    assert await office.partners.names(["ptn_1", "ptn_2"]) == {"ptn_1": "University of Toronto", "ptn_2": None}


async def test_a_licensee_must_be_known_and_not_archived_and_technologies_must_exist(office):
    technology = await office.technology()
    with pytest.raises(RuleViolation) as unknown:
        await office.draft([technology.id], licensee="ptn_nobody")
    assert unknown.value.extensions["partner_id"] == "ptn_nobody"
    await office.partner("ptn_gone", status="archived")
    with pytest.raises(RuleViolation) as archived:
        await office.draft([technology.id], licensee="ptn_gone")
    assert archived.value.extensions["partner_id"] == "ptn_gone"
    await office.partner()
    with pytest.raises(RuleViolation) as missing:
        await office.draft([technology.id, "tec_missing"])
    assert missing.value.extensions["technology_id"] == "tec_missing"
    assert office.ports.events("techtransfer.license") == []


async def test_an_export_is_not_executed_before_it_is_cleared_and_a_refusal_records_nothing(office):
    await office.partner()
    technology = await office.technology()
    license = await office.draft([technology.id], classify=None)
    assert license.state["export"]["required"]
    seen = len(office.ports.events())
    with pytest.raises(RuleViolation, match="export classification"):
        await office.execute(license.id)
    await office.licenses.classify_export(license.id, "restricted", None, None, if_match=None)
    with pytest.raises(RuleViolation, match="permit"):
        await office.execute(license.id)
    await office.licenses.classify_export(license.id, "prohibited", None, None, if_match=None)
    with pytest.raises(RuleViolation, match="never"):
        await office.execute(license.id)
    assert [t for t in office.event_types(license.id) if t.startswith("execut")] == []
    assert office.event_types(license.id)[-2:] == ["export_permit_required", "export_classified"]
    assert len(office.ports.events()) == seen + 2  # the two classifications, nothing else
    await office.licenses.classify_export(license.id, "restricted", "MOFCOM-2027-0042", None, if_match=None)
    executed = await office.execute(license.id)
    assert executed.state["status"] == "executed" and executed.state["executed_on"] == "2027-03-01"


async def test_a_domestic_licensee_needs_no_classification(office):
    await office.partner("ptn_cn", country="CN")
    technology = await office.technology()
    license = await office.draft([technology.id], licensee="ptn_cn", classify=None)
    assert not license.state["export"]["required"]
    assert (await office.execute(license.id)).state["status"] == "executed"


async def test_execution_reserves_rights_and_licenses_the_technology(office):
    await office.partner()
    technology = await office.technology()
    license = await office.draft([technology.id])
    executed = await office.execute(license.id)
    assert executed.state["execution"]["state"] == "done"
    assert office.event_types(license.id)[-2:] == ["execution_requested", "executed"]
    tech = await office.technologies.repository.read(technology.id)
    assert tech.status == "licensed" and [(g.license_id, g.in_force) for g in tech.grants] == [(license.id, True)]
    assert office.event_types(technology.id)[-2:] == ["rights_reserved", "status_changed"]
    again = await office.execute(license.id)  # a repeated execute changes nothing
    assert again.version == (await office.licenses.repository.get(license.id)).version


async def test_a_conflicting_exclusive_license_is_refused_naming_the_holder_and_changes_nothing(office):
    await office.partner()
    await office.partner("ptn_bosch", name="Bosch", country="DE")
    technology = await office.technology()
    first = await office.draft([technology.id])
    await office.execute(first.id)
    for territory, field in (
        (["worldwide"], "industrial batteries"),
        (["DE", "FR"], "ALL"),
        (["DE"], "Industrial  Batteries"),
    ):
        second = await office.draft([technology.id], licensee="ptn_bosch", territory=territory, field_of_use=field)
        seen = len(office.ports.events())
        with pytest.raises(RuleViolation) as refused:
            await office.execute(second.id)
        assert refused.value.extensions["conflicting_id"] == first.id
        assert len(office.ports.events()) == seen
    elsewhere = await office.draft([technology.id], licensee="ptn_bosch", territory=["FR"])
    assert (await office.execute(elsewhere.id)).state["status"] == "executed"
    other_field = await office.draft([technology.id], licensee="ptn_bosch", field_of_use="consumer electronics")
    assert (await office.execute(other_field.id)).state["status"] == "executed"


async def test_an_assignment_ends_licensing_of_the_technology(office):
    await office.partner()
    technology = await office.technology()
    assignment = await office.draft([technology.id], kind="assignment", territory=["worldwide"], field_of_use="all")
    await office.execute(assignment.id)
    assert (await office.technologies.repository.read(technology.id)).status == "transferred"
    with pytest.raises(RuleViolation, match="transferred"):
        await office.draft([technology.id], kind="non_exclusive", territory=["US"])


async def test_a_race_lost_after_the_precheck_is_refused_and_its_partial_rights_released(office):
    """Two technologies: L2 reserves the first, then finds the second taken by L1, which got
    there between L2's precheck and its reservation. L2 is refused naming L1, and its grant
    in the first technology goes."""
    await office.partner()
    await office.partner("ptn_bosch", name="Bosch", country="DE")
    a, b = sorted([(await office.technology()).id, (await office.technology()).id])
    l1 = await office.draft([b])
    l2 = await office.draft([a, b], licensee="ptn_bosch")
    # L2's request is recorded (its precheck passed), then L1 is executed before L2 reserves.
    await office.request_only(l2.id, "exe_l2")
    await office.execute(l1.id)
    with pytest.raises(RuleViolation) as refused:
        await office.licenses.drive(l2.id, "exe_l2")
    assert refused.value.extensions["conflicting_id"] == l1.id
    loser = await office.licenses.repository.read(l2.id)
    assert loser.status == "negotiating" and loser.execution.state == "refused"
    assert (await office.technologies.repository.read(a)).grants == []
    assert [g.license_id for g in (await office.technologies.repository.read(b)).grants] == [l1.id]
    # Tried again later, once L1 has ended, it goes through.
    await office.licenses.terminate(l1.id, "breach", None, if_match=None)
    assert (await office.execute(l2.id)).state["status"] == "executed"


async def test_a_crash_after_the_request_is_completed_by_the_follow_up(office):
    await office.partner()
    technology = await office.technology()
    license = await office.draft([technology.id])
    seen = len(office.ports.events())
    # The process records the request and dies before reserving anything.
    await office.request_only(license.id, "exe_1")
    with pytest.raises(RuleViolation):  # meanwhile its terms are locked
        await office.licenses.edit(license.id, {"notes": "x"}, if_match=None)
    await office.deliver_new_events(seen)  # `execution_requested` comes back through Kafka
    assert (await office.licenses.repository.read(license.id)).status == "executed"
    assert (await office.technologies.repository.read(technology.id)).status == "licensed"


async def test_a_crash_between_reservation_and_outcome_is_completed_and_the_grant_blocks_others_meanwhile(office):
    await office.partner()
    await office.partner("ptn_bosch", name="Bosch", country="DE")
    technology = await office.technology()
    license = await office.draft([technology.id])
    pending = await office.request_only(license.id, "exe_1")
    grant = license_rules.grant_of(license.id, office.licenses.repository.kind.read(pending), "exe_1")
    await office.licenses._reserve(technology.id, grant)  # ... and the process dies here
    rival = await office.draft([technology.id], licensee="ptn_bosch")
    with pytest.raises(RuleViolation) as refused:
        await office.execute(rival.id)
    assert refused.value.extensions["conflicting_id"] == license.id  # a pending execution's grant counts
    assert await office.licenses.resume_pending() == 1  # the schedule's sweep (or the follow-up) completes it
    assert (await office.licenses.repository.read(license.id)).status == "executed"


async def test_a_refused_attempts_leftover_grant_does_not_block(office):
    await office.partner()
    await office.partner("ptn_bosch", name="Bosch", country="DE")
    technology = await office.technology()
    license = await office.draft([technology.id])
    pending = await office.request_only(license.id, "exe_1")
    grant = license_rules.grant_of(license.id, office.licenses.repository.kind.read(pending), "exe_1")
    await office.licenses._reserve(technology.id, grant)
    # Its outcome is recorded as refused, and the release never happened (a crash).
    await office.licenses.repository.change(
        license.id, lambda lic: license_rules.refuse_execution(lic, "exe_1", "x", None)
    )
    rival = await office.draft([technology.id], licensee="ptn_bosch")
    assert (await office.execute(rival.id)).state["status"] == "executed"
    grants = (await office.technologies.repository.read(technology.id)).grants
    assert [g.license_id for g in grants] == [rival.id]  # the stale grant was dropped by the reservation


async def test_termination_and_expiry_release_the_rights(office, clock):
    from datetime import timedelta

    await office.partner()
    await office.partner("ptn_bosch", name="Bosch", country="DE")
    technology = await office.technology()
    first = await office.draft([technology.id], expires_on="2027-06-30")
    await office.execute(first.id)
    jobs = await office.ports.run_jobs()
    assert jobs["license-term"] == 1  # active from today
    assert (await office.licenses.repository.read(first.id)).status == "active"
    clock.advance(timedelta(days=121))  # 30 June, its last day: expired
    assert (await office.ports.run_jobs())["license-term"] == 1
    assert (await office.licenses.repository.read(first.id)).status == "expired"
    tech = await office.technologies.repository.read(technology.id)
    assert tech.grants == [] and tech.status == "available"
    second = await office.draft([technology.id], licensee="ptn_bosch")
    assert (await office.execute(second.id)).state["status"] == "executed"
    with pytest.raises(IllegalTransition):
        await office.licenses.edit(second.id, {"notes": "x"}, if_match=None)


async def test_drafting_is_idempotent_per_key(office):
    await office.partner()
    technology = await office.technology()
    fields = {
        "title": "T",
        "licensee_id": "ptn_siemens",
        "technology_ids": [technology.id],
        "kind": "non_exclusive",
        "territory": ["worldwide"],
        "field_of_use": "all",
        "currency": "USD",
    }
    first, replayed = await office.licenses.draft(fields, CreateRequest("officer", "k1", fields))
    again, replayed_again = await office.licenses.draft(fields, CreateRequest("officer", "k1", fields))
    assert first.id == again.id and not replayed and replayed_again
    # A retry is answered even after the licensee was archived (a new draft would be refused).
    await office.partner(status="archived")
    late, replayed_late = await office.licenses.draft(fields, CreateRequest("officer", "k1", fields))
    assert late.id == first.id and replayed_late
    with pytest.raises(RuleViolation):
        await office.licenses.draft(fields, CreateRequest("officer", "k2", fields))
    assert (
        first.state["upfront_fee"] == {"amount": "0.00", "currency": "USD"} and first.state["report_grace_days"] == 30
    )


async def test_a_refused_attempts_grants_go_even_if_the_license_was_edited_before_the_follow_up(office):
    await office.partner()
    first, second = (await office.technology()).id, (await office.technology()).id
    license = await office.draft([first])
    pending = await office.request_only(license.id, "exe_1")
    grant = license_rules.grant_of(license.id, office.licenses.repository.kind.read(pending), "exe_1")
    await office.licenses._reserve(first, grant)
    seen = len(office.ports.events())
    # Refused, and the process dies before releasing; the license is then moved to another technology.
    await office.licenses.repository.change(
        license.id, lambda lic: license_rules.refuse_execution(lic, "exe_1", "x", None)
    )
    await office.licenses.edit(license.id, {"technology_ids": [second]}, if_match=None)
    assert [g.license_id for g in (await office.technologies.repository.read(first)).grants] == [license.id]
    await office.deliver_new_events(seen)  # `execution_refused` names the technologies of its time
    assert (await office.technologies.repository.read(first)).grants == []

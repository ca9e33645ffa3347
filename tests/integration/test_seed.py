"""`make seed` (deploy/seed/seed.py) against a real partners process on the test servers:
the data set loads through the HTTP API with the shape the office expects, and a
second run, as a script the way `make seed` starts it, adds nothing."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from opp_shared.testing.helpers import auth
from opp_shared.testing.processes import ServiceProcess, free_port

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "deploy" / "seed" / "seed.py"


def load_seed() -> ModuleType:
    spec = importlib.util.spec_from_file_location("opp_seed", SEED)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def start(service, servers, namespace, tmp_path):
    env = {
        "OPP_MONGO_URL": servers.mongo_url,
        "OPP_MONGO_DATABASE": f"{namespace}_{service}",
        "OPP_KAFKA_BOOTSTRAP_SERVERS": servers.kafka_bootstrap,
        "OPP_KAFKA_NAMESPACE": f"{namespace}.",
        "OPP_KAFKA_TOPIC_PARTITIONS": "2",
        "OPP_RELAY_POLL_SECONDS": "0.2",
        "OPP_SCHEDULER_INTERVAL_SECONDS": "1",  # so that the reminders fire while the test looks
        "OPP_LEASE_SLOT_SECONDS": "2",
        "OPP_LOG_JSON": "false",
    }
    process = ServiceProcess(service, env, tmp_path).start()
    try:
        process.wait_until()
        yield process
    finally:
        process.stop()


@pytest.fixture
def partners(servers, namespace, tmp_path):
    yield from start("partners", servers, namespace, tmp_path)


@pytest.fixture
def techtransfer(servers, namespace, tmp_path):
    yield from start("techtransfer", servers, namespace, tmp_path)


class Reader:
    def __init__(self, url: str) -> None:
        self.client = httpx.Client(base_url=url, headers=auth("viewer", sub="seed-test"), timeout=10)

    def get(self, path: str, **params):
        answer = self.client.get(path, params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def all(self, path: str, **params) -> list[dict]:
        items, cursor = [], None
        while True:
            page = self.get(path, limit=200, **params, **({"cursor": cursor} if cursor else {}))
            items += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return items

    def counts(self) -> tuple[int, int, int]:
        return tuple(len(self.all(f"/api/v1/{resource}")) for resource in ("partners", "agreements", "centers"))

    def history_types(self, agreement_id: str) -> list[str]:
        return [e["type"].rsplit(".", 1)[1] for e in self.get(f"/api/v1/agreements/{agreement_id}/history")["items"]]


def eventually(check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.5)


def test_the_seed_loads_the_data_set_through_the_api_and_a_second_run_adds_nothing(partners, capsys):
    seed = load_seed()
    data = seed.load_data()
    today = seed.office_today()

    assert seed.main(["--url", partners.url, "--services", "partners"]) == 0
    out = capsys.readouterr().out
    n_agreements = len(data.AGREEMENTS) + len(data.RENEWALS)
    assert f"partners:   {len(data.PARTNERS)} created, 0 already there" in out, out
    assert f"agreements: {n_agreements} created, 0 already there" in out, out
    assert f"centers:    {len(data.CENTERS)} created, 0 already there" in out, out

    api = Reader(partners.url)
    partner_list = api.all("/api/v1/partners")
    agreements = api.all("/api/v1/agreements")
    centers = api.all("/api/v1/centers")
    assert (len(partner_list), len(agreements), len(centers)) == (len(data.PARTNERS), n_agreements, len(data.CENTERS))

    # Partners: the 16 strategic ones and the rest, all active, each with a relationship owner and contacts.
    assert len(partner_list) >= 16
    by_name = {p["name"]: p for p in partner_list}
    strategic = {p["name"] for p in partner_list if p["tier"] == "strategic"}
    assert len(strategic) == 16
    assert {
        "University of Cambridge",
        "Imperial College London",
        "University of Tokyo",
        "Tohoku University",
        "University of Toronto",
        "University of Alberta",
        "UNSW Sydney",
        "RWTH Aachen University",
        "Peter the Great St. Petersburg Polytechnic University",
    } <= strategic
    assert all(p["status"] == "active" and p["relationship_owner"] and p["contacts"] for p in partner_list)
    assert by_name["Chunfeng Foundation"]["kind"] == "foundation"
    ids = {name: p["id"] for name, p in by_name.items()}
    siemens, berkeley = ids["Siemens AG"], ids["University of California, Berkeley"]
    agreements_by_id = {a["id"]: a for a in agreements}

    # One strategic agreement per strategic partner, signed and in force, one more under review.
    strategic_agreements = [a for a in agreements if a["type"] == "strategic"]
    signed_strategic = [a for a in strategic_agreements if a["status"] in ("active", "expired")]
    assert {a["parties"][0]["partner_id"] for a in signed_strategic} == {ids[name] for name in strategic}
    assert all(a["signed_on"] <= "2020-12-31" for a in signed_strategic if not a["renewal_of"])
    under_review = [a for a in strategic_agreements if a["status"] == "under_review"]
    assert [a["party_ids"] for a in under_review] == [[ids["Delft University of Technology"]]]

    # Two of them expire within 90 days: the expiry reminders are raised for them.
    soon = api.all(
        "/api/v1/agreements",
        status="active",
        expires_before=(today + timedelta(days=90)).isoformat(),
        expires_after=today.isoformat(),
    )
    assert {a["party_ids"][0] for a in soon} == {ids["Tohoku University"], ids["University of Alberta"]}
    for agreement in soon:
        assert eventually(lambda a=agreement: "expiring" in api.history_types(a["id"])), api.history_types(
            agreement["id"]
        )

    # Siemens' Center of Knowledge Interchange: a membership agreement, active.
    [cki] = [a for a in agreements if a["type"] == "membership"]
    assert cki["party_ids"] == [siemens] and cki["status"] == "active" and "Knowledge Interchange" in cki["title"]

    # The U-I-U collaboration: one agreement, Berkeley leading, Siemens a party.
    [uiu] = [a for a in agreements if "Green Online Experimental Platform" in a["title"]]
    assert uiu["type"] in ("mou", "framework") and uiu["status"] == "active"
    assert sorted(uiu["party_ids"]) == sorted([berkeley, siemens])
    assert [p["partner_id"] for p in uiu["parties"] if p["lead"]] == [berkeley]

    # Families: a renewal chain, a framework with an agreement under it, an amendment.
    [renewal] = [a for a in agreements if a["renewal_of"]]
    assert renewal["status"] == "active" and renewal["party_ids"] == [ids["UNSW Sydney"]]
    family = api.get(f"/api/v1/agreements/{renewal['id']}/family")
    assert family["renewal_chain"] == [renewal["renewal_of"], renewal["id"]]
    predecessor = api.get(f"/api/v1/agreements/{renewal['renewal_of']}")
    assert predecessor["renewed_by"] == renewal["id"]
    assert eventually(
        lambda: api.get(f"/api/v1/agreements/{renewal['renewal_of']}")["status"] == "expired"
    )  # its term ended in 2023
    [framework] = [a for a in agreements if a["type"] == "framework"]
    under = api.get(f"/api/v1/agreements/{framework['id']}/family")["under_framework"]
    assert len(under) == 1 and agreements_by_id[under[0]]["type"] == "joint_center"
    [amendment] = [a for a in agreements if a["amends"]]
    assert api.get(f"/api/v1/agreements/{amendment['amends']}/family")["amendments"] == [amendment["id"]]

    # Joint research centers: with the seven partners the source names, each linked to its joint_center agreement.
    assert len(centers) == 7
    center_partners = set()
    for center in centers:
        agreement = agreements_by_id[center["agreement_id"]]
        assert agreement["type"] == "joint_center" and agreement["status"] == "active" and not agreement["amends"]
        assert set(center["partner_ids"]) <= set(agreement["party_ids"])
        assert center["status"] == "active" and center["disciplines"]
        assert {d["side"] for d in center["directors"]} == {"university", "partner"}
        center_partners.update(center["partner_ids"])
    assert center_partners == {
        ids[name]
        for name in (
            "Johns Hopkins University",
            "National University of Singapore",
            "Toyota Motor Corporation",
            "Siemens AG",
            "The Boeing Company",
            "Microsoft Corporation",
            "Samsung Electronics",
        )
    }

    # A second run, as `make seed` starts it (a script, its URL from the environment): nothing new.
    before = api.counts()
    second = subprocess.run(
        [sys.executable, str(SEED)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OPP_SEED_PARTNERS_URL": partners.url, "OPP_SEED_SERVICES": "partners"},
    )
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"partners:   0 created, {len(data.PARTNERS)} already there" in second.stdout, second.stdout
    assert f"agreements: 0 created, {n_agreements} already there" in second.stdout, second.stdout
    assert "life-cycle steps taken: 0" in second.stdout and "nothing new" in second.stdout, second.stdout
    assert api.counts() == before


def test_the_seed_loads_technology_transfer_and_a_second_run_adds_nothing(partners, techtransfer, capsys):
    seed = load_seed()
    data = seed.load_data("techtransfer_data")
    today = seed.office_today()
    argv = ["--url", partners.url, "--techtransfer-url", techtransfer.url]
    assert seed.main(argv) == 0
    out = capsys.readouterr().out
    assert f"technologies: {len(data.TECHNOLOGIES)} created, 0 already there" in out, out
    assert f"licenses:     {len(data.LICENSES)} created, 0 already there" in out, out

    api = Reader(techtransfer.url)
    partner_ids = {p["name"]: p["id"] for p in Reader(partners.url).all("/api/v1/partners")}
    licenses = {lic["kind"]: lic for lic in api.all("/api/v1/licenses")}
    assert set(licenses) == {"exclusive", "non_exclusive", "assignment"}
    exclusive, worldwide, assignment = licenses["exclusive"], licenses["non_exclusive"], licenses["assignment"]
    # One exclusive license in one territory, one worldwide non-exclusive, one assignment, to seeded enterprises.
    assert exclusive["territory"] == ["DE"] and exclusive["partner_ids"] == [partner_ids["Siemens AG"]]
    assert exclusive["export"]["classification"] == "restricted" and exclusive["export"]["permit_reference"]
    assert worldwide["territory"] == ["worldwide"] and worldwide["partner_ids"] == [
        partner_ids["Microsoft Corporation"]
    ]
    assert assignment["partner_ids"] == [partner_ids["Toyota Motor Corporation"]]
    assert all(lic["status"] in ("executed", "active") for lic in licenses.values())
    technologies = {t["id"]: t for t in api.all("/api/v1/technologies")}
    assert technologies[assignment["technology_ids"][0]]["status"] == "transferred"
    assert technologies[exclusive["technology_ids"][0]]["status"] == "licensed"
    assert {t["status"] for t in technologies.values()} == {"licensed", "transferred", "evaluated"}

    # Royalty reports: the ended periods, most received, some paid, the latest still due.
    reports = api.all("/api/v1/royalty-reports", license_id=exclusive["id"])
    assert len(reports) >= 4 and {r["status"] for r in reports} >= {"received"}
    assert any(r["royalty_paid"]["amount"] != "0.00" for r in reports)
    totals = api.get("/api/v1/royalty-reports/totals", licensee_id=partner_ids["Siemens AG"])["totals"]
    assert [t["currency"] for t in totals] == ["EUR"] and totals[0]["royalty_due"]["amount"] != "0.00"
    [distribution] = api.all("/api/v1/distributions")
    parts = sum(Decimal(p["amount"]["amount"]) for p in distribution["parts"])
    assert parts + Decimal(distribution["costs_recovered"]["amount"]) == Decimal(distribution["income"]["amount"])

    # The separator's priority year ends within 90 days: its reminder goes out.
    separator = exclusive["technology_ids"][0]
    assert eventually(
        lambda: any(
            e["type"].endswith("deadline_approaching")
            for e in api.get(f"/api/v1/technologies/{separator}/history")["items"]
        )
    )

    # A second run, as `make seed` starts it: nothing new.
    before = [len(api.all(f"/api/v1/{r}")) for r in ("technologies", "licenses", "royalty-reports", "distributions")]
    second = subprocess.run(
        [sys.executable, str(SEED)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OPP_SEED_PARTNERS_URL": partners.url, "OPP_SEED_TECHTRANSFER_URL": techtransfer.url},
    )
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"technologies: 0 created, {len(data.TECHNOLOGIES)} already there" in second.stdout, second.stdout
    assert f"licenses:     0 created, {len(data.LICENSES)} already there" in second.stdout, second.stdout
    assert "royalty reports: 0 created" in second.stdout and "techtransfer steps taken: 0" in second.stdout
    after = [len(api.all(f"/api/v1/{r}")) for r in ("technologies", "licenses", "royalty-reports", "distributions")]
    assert after == before

    # A run weeks later: the dates relative to the day differ, so the keys meet other bodies;
    # the seed finds what it made by its natural keys instead, and still adds nothing.
    capsys.readouterr()
    seed.office_today = lambda: today + timedelta(days=40)
    assert seed.main(argv) == 0
    later = capsys.readouterr().out
    assert f"licenses:     0 created, {len(data.LICENSES)} already there" in later, later
    assert "techtransfer steps taken: 0" in later, later
    assert [len(api.all(f"/api/v1/{r}")) for r in ("technologies", "licenses", "distributions")] == [
        before[0],
        before[1],
        before[3],
    ]


def test_the_seed_says_plainly_when_the_service_is_unreachable(capsys):
    seed = load_seed()
    assert seed.main(["--url", f"http://127.0.0.1:{free_port()}", "--timeout", "2", "--services", "partners"]) == 2
    err = capsys.readouterr().err
    assert "cannot reach the partners service" in err and "make up" in err

"""`make seed` (deploy/seed/seed.py) against real partners, funding and techtransfer processes on the
test servers: the data set loads through the HTTP API with the shape the office expects, and a
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
from opp_shared.testing.processes import ServiceProcess, free_port, service_env

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
    env = service_env(
        servers,
        namespace,
        service,
        OPP_SCHEDULER_INTERVAL_SECONDS=1,  # so that the reminders fire while the test looks
        OPP_LEASE_SLOT_SECONDS=2,
    )
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
def funding(servers, namespace, tmp_path, partners):
    yield from start("funding", servers, namespace, tmp_path)


@pytest.fixture
def techtransfer(servers, namespace, tmp_path, partners):
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

    def funding_counts(self) -> tuple[int, ...]:
        resources = ("funds", "calls", "proposals", "awards", "disbursements", "projects")
        return tuple(len(self.all(f"/api/v1/{resource}")) for resource in resources)

    def history_types(self, agreement_id: str) -> list[str]:
        return [e["type"].rsplit(".", 1)[1] for e in self.get(f"/api/v1/agreements/{agreement_id}/history")["items"]]


def eventually(check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.5)


def test_the_seed_loads_the_data_set_through_the_api_and_a_second_run_adds_nothing(partners, funding, capsys):
    seed = load_seed()
    data = seed.load_data()
    today = seed.office_today()

    assert seed.main(["--url", partners.url, "--funding-url", funding.url, "--services", "partners,funding"]) == 0
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

    # The amendment, active, has extended the Toyota agreement (as the agreement's own change).
    assert amendment["status"] == "active" and amendment["changes"]["expires_on"] == "2036-03-31"
    toyota = api.get(f"/api/v1/agreements/{amendment['amends']}")
    assert toyota["applied_amendments"] == [amendment["id"]] and toyota["status"] == "active"
    assert toyota["expires_on"] == "2036-03-31" and "hydrogen" in toyota["scope"]
    history = api.get(f"/api/v1/agreements/{toyota['id']}/history")["items"]
    taken = [e for e in history if e["data"]["change"].get("applied_amendment_id") == amendment["id"]]
    assert [e["type"] for e in taken] == ["partners.agreement.amended"]
    assert taken[0]["data"]["change"]["previous"]["expires_on"] == "2031-03-31"

    # A draft abandoned before signature: withdrawn, with its reason, out of KTH's open agreements.
    [withdrawn] = [a for a in agreements if a["status"] == "withdrawn"]
    kth = ids["KTH Royal Institute of Technology"]
    assert withdrawn["type"] == "exchange" and withdrawn["party_ids"] == [kth] and withdrawn["withdrawal_reason"]
    assert api.history_types(withdrawn["id"]) == ["drafted", "withdrawn"]
    counts = api.get(f"/api/v1/partners/{kth}/portfolio")["counts"]["agreements"]
    assert counts["open"] == 1 and counts["by_status"]["withdrawn"] == 1 and counts["by_status"]["active"] == 1

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

    check_funding(Reader(funding.url), api, ids, data, out)

    # A second run, as `make seed` starts it (a script, its URLs from the environment): nothing new.
    before = api.counts()
    funding_before = Reader(funding.url).funding_counts()
    second = subprocess.run(
        [sys.executable, str(SEED)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={
            **os.environ,
            "OPP_SEED_PARTNERS_URL": partners.url,
            "OPP_SEED_FUNDING_URL": funding.url,
            "OPP_SEED_SERVICES": "partners,funding",
        },
    )
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"partners:   0 created, {len(data.PARTNERS)} already there" in second.stdout, second.stdout
    assert f"agreements: 0 created, {n_agreements} already there" in second.stdout, second.stdout
    assert f"funds:      0 created, {len(data.FUNDS)} already there" in second.stdout, second.stdout
    assert f"proposals:  0 created, {len(data.PROPOSALS)} already there" in second.stdout, second.stdout
    assert f"projects:   0 created, {len(data.PROJECTS)} already there" in second.stdout, second.stdout
    assert "life-cycle steps taken: 0" in second.stdout and "funding steps taken: 0" in second.stdout, second.stdout
    assert "nothing new" in second.stdout, second.stdout
    assert api.counts() == before and Reader(funding.url).funding_counts() == funding_before


def check_funding(funding, partners, ids, data, out):
    """Funding's part of the data set: funds of seeded partners, their calls, proposals at every
    stage, awards within budget, disbursements paid or waiting, and the three kinds of project."""
    assert f"funds:      {len(data.FUNDS)} created, 0 already there" in out, out
    gbp = lambda amount: {"amount": amount, "currency": "GBP"}  # noqa: E731
    funds = {f["name"]: f for f in funding.all("/api/v1/funds")}
    cambridge_fund = funds["Tsinghua–Cambridge Joint Research Seed Fund"]
    assert cambridge_fund["partner_ids"] == [ids["University of Cambridge"]]
    assert cambridge_fund["agreement_required"] and not cambridge_fund["flagged"]  # its strategic agreement is active
    assert cambridge_fund["committed"] == gbp("50000.00") and cambridge_fund["disbursed"] == gbp("20000.00")
    covid = funds["Chunfeng Foundation International Scientific Research Support Program (Covid-19)"]
    assert covid["partner_ids"] == [ids["Chunfeng Foundation"]] and covid["currency"] == "CNY"
    assert covid["committed"] == {"amount": "1000000.00", "currency": "CNY"}

    calls = funding.all("/api/v1/calls")
    assert len(calls) == len(data.CALLS) and all(c["rules_frozen"] for c in calls)
    proposals = {p["title"]: p for p in funding.all("/api/v1/proposals")}
    assert sorted(p["status"] for p in proposals.values()) == ["awarded", "awarded", "rejected", "under_review"]
    hydrogen = proposals["Solid-state hydrogen storage for grid balancing"]
    assert hydrogen["decision"]["decided_by"] == "seed" and hydrogen["reviews"][0]["score"] == 9
    assert hydrogen["reviews"][0]["reviewer_id"] == "rev-mse-01"  # given with the reviewer's own token

    awards = funding.all("/api/v1/awards")
    assert len(awards) == 2 and {a["proposal_id"] for a in awards} == {
        p["id"] for p in proposals.values() if p["status"] == "awarded"
    }
    disbursements = funding.all("/api/v1/disbursements")
    assert sorted(d["status"] for d in disbursements) == ["paid", "paid", "scheduled"]
    [waiting] = [d for d in disbursements if d["status"] == "scheduled"]
    assert waiting["deliverable"]["status"] == "pending" and "progress report" in waiting["deliverable"]["title"]

    projects = {p["kind"]: p for p in funding.all("/api/v1/projects")}
    uiu = projects["multi_party"]
    assert sorted(uiu["partner_ids"]) == sorted([ids["University of California, Berkeley"], ids["Siemens AG"]])
    assert uiu["lead_partner_id"] == ids["University of California, Berkeley"] and uiu["status"] == "active"
    assert [m["status"] for m in uiu["milestones"]] == ["reached", "reached", "pending"]
    commissioned = projects["commissioned"]
    assert commissioned["contract"]["client_id"] == ids["Toyota Motor Corporation"]
    assert [i["status"] for i in commissioned["invoices"]] == ["paid", "due", "due"]
    from_award = projects["joint_research"]
    assert from_award["award_id"] in {a["id"] for a in awards} and from_award["fund_id"] == cambridge_fund["id"]

    # Partners' portfolio shows the fund, from funding's own events.
    portfolio = lambda: partners.get(f"/api/v1/partners/{ids['University of Cambridge']}/portfolio")  # noqa: E731
    assert eventually(lambda: cambridge_fund["id"] in {f["id"] for f in portfolio()["funds"]}), portfolio()


def test_the_seed_loads_technology_transfer_and_a_second_run_adds_nothing(partners, techtransfer, capsys):
    seed = load_seed()
    data = seed.load_data("techtransfer_data")
    today = seed.office_today()
    argv = ["--url", partners.url, "--techtransfer-url", techtransfer.url, "--services", "partners,techtransfer"]
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
        env={
            **os.environ,
            "OPP_SEED_PARTNERS_URL": partners.url,
            "OPP_SEED_TECHTRANSFER_URL": techtransfer.url,
            "OPP_SEED_SERVICES": "partners,techtransfer",
        },
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
    assert seed.main(["--url", f"http://127.0.0.1:{free_port()}", "--timeout", "2"]) == 2
    err = capsys.readouterr().err
    assert "cannot reach the partners service" in err and "make up" in err

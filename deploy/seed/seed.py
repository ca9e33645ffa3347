"""Load the sample data set (`data.py`, `techtransfer_data.py` beside this file) into the
running partners and techtransfer services.

    make seed                                   # after `make up`
    .venv/bin/python deploy/seed/seed.py [--url http://127.0.0.1:8001]
        [--techtransfer-url http://127.0.0.1:8003] [--services partners,techtransfer] [--verbose]

Everything goes through the HTTP API, as any client's data would: partners
are registered, agreements drafted and taken through their life cycle
(submit, sign with its `signed_on`, activate), one renewed, joint research
centers established; then technologies are disclosed with their patents,
licensed to the seeded enterprises (export classified, executed), and the
reports of their ended periods opened, received and partly paid, one payment
distributed. Nothing touches the database directly, so the events,
reminders and views of the other services follow as they would in use (the
techtransfer part waits until techtransfer has learnt the partners from
their events).

Running it again creates nothing new:
- every creating POST carries an `Idempotency-Key` derived from the item's
  stable key in `data.py` (`seed:partner:cambridge`, ...). The service scopes
  keys per caller (`sub` of the token, here always `seed`), so a second run
  gets the first answer back (`Idempotent-Replayed: true`) instead of a copy;
- a key the service refuses because its body changed (the data was edited,
  or a date relative to "today" moved on since the last run) falls back to
  finding the item by its natural key (name and country, title, center name);
- a partner already registered by someone else (409, name taken in that
  country) is used as it is;
- life-cycle actions start from the agreement's current state, so a step
  already taken is not repeated; a 409 because someone (or the expiry
  schedule) moved it meanwhile is checked against a fresh read.

Configuration: `--url` or `OPP_SEED_PARTNERS_URL` (default
http://127.0.0.1:8001), `--techtransfer-url` or `OPP_SEED_TECHTRANSFER_URL`
(default http://127.0.0.1:8003), `--services` or `OPP_SEED_SERVICES` (default
`partners,techtransfer`); the tokens are made here with `issue_local_token`,
signed with `OPP_JWT_SECRET` (default: the local development secret), for
sub `seed` and the roles `partnerships_officer` and `techtransfer_officer`.

Exit status: 0 done (also when there was nothing new), 1 the service answered
something unexpected (the problem document is printed), 2 the service could
not be reached.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from opp_shared.auth import issue_local_token
from opp_shared.settings import LOCAL_JWT_SECRET

DEFAULT_URL = "http://127.0.0.1:8001"
DEFAULT_TECHTRANSFER_URL = "http://127.0.0.1:8003"
SUB = "seed"
ROLE = "partnerships_officer"
TECHTRANSFER_ROLE = "techtransfer_officer"
# The service's "today" is the office's calendar day (its `timezone` setting).
OFFICE_TIMEZONE = os.environ.get("OPP_TIMEZONE", "Asia/Shanghai")

# Life-cycle states the seed moves an agreement through, and the action that leaves each.
RANK = {"draft": 0, "under_review": 1, "signed": 2, "active": 3}
NEXT_ACTION = {"draft": "submit", "under_review": "sign", "signed": "activate"}


# -- errors -----------------------------------------------------------------------


class SeedError(Exception):
    """The service answered something the seed cannot go on from (printed with its problem document)."""

    def __init__(self, message: str, problem: Any = None) -> None:
        super().__init__(message)
        self.problem = problem


class Unreachable(SeedError):
    pass


def _problem(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text or None


def unexpected(response: httpx.Response, doing: str) -> SeedError:
    request = response.request
    return SeedError(
        f"{doing}: {request.method} {request.url.path} answered {response.status_code}", _problem(response)
    )


# -- the API, thinly ------------------------------------------------------------------


class Api:
    """An httpx client with the answers the seed handles named; everything else is a SeedError."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def call(
        self, method: str, path: str, *, body: Any = None, key: str | None = None, params: dict | None = None
    ) -> httpx.Response:
        headers = {"Idempotency-Key": key} if key else {}
        for attempt in range(4):
            try:
                response = self.client.request(method, path, json=body, headers=headers, params=params)
            except httpx.TransportError as exc:
                raise Unreachable(f"{method} {path}: {exc.__class__.__name__}: {exc}") from None
            # 503: the database is briefly out of reach; the service says when to come back.
            if response.status_code == 503 and attempt < 3:
                time.sleep(min(float(response.headers.get("Retry-After", "1") or 1), 5.0))
                continue
            return response
        return response

    def get(self, path: str, doing: str, params: dict | None = None) -> dict[str, Any]:
        response = self.call("GET", path, params=params)
        if response.status_code != 200:
            raise unexpected(response, doing)
        return response.json()

    def all(self, path: str, doing: str, **params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        query = {**params, "limit": 200}
        while True:
            page = self.get(path, doing, params=query)
            items.extend(page["items"])
            if not page.get("next_cursor"):
                return items
            query["cursor"] = page["next_cursor"]

    def check(self) -> None:
        """One authenticated read first, so that a wrong URL or secret says so plainly."""
        response = self.call("GET", "/api/v1/partners", params={"limit": 1})
        if response.status_code == 401:
            raise SeedError(
                "the partners service refused the seed's token: is OPP_JWT_SECRET the one the service uses?",
                _problem(response),
            )
        if response.status_code != 200:
            raise unexpected(response, "checking the partners service")


def replayed(response: httpx.Response) -> bool:
    return response.headers.get("Idempotent-Replayed", "").lower() == "true"


def key_reused(response: httpx.Response) -> bool:
    """422 because this Idempotency-Key was first sent with another body."""
    if response.status_code != 422:
        return False
    problem = _problem(response)
    errors = problem.get("errors", []) if isinstance(problem, dict) else []
    return any(e.get("parameter") == "Idempotency-Key" for e in errors)


# -- the loader ---------------------------------------------------------------------------


@dataclass
class Tally:
    created: int = 0
    existing: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.existing} already there"


@dataclass
class Summary:
    partners: Tally = field(default_factory=Tally)
    agreements: Tally = field(default_factory=Tally)
    centers: Tally = field(default_factory=Tally)
    steps: int = 0  # life-cycle actions taken (submit, sign, activate)

    @property
    def nothing_new(self) -> bool:
        return self.steps == 0 and not (self.partners.created or self.agreements.created or self.centers.created)

    def lines(self) -> list[str]:
        return [
            f"partners:   {self.partners}",
            f"agreements: {self.agreements} (renewals included)",
            f"centers:    {self.centers}",
            f"life-cycle steps taken: {self.steps}",
            "nothing new: the data set was already loaded" if self.nothing_new else "sample data set loaded",
        ]


class Seeder:
    def __init__(self, api: Api, data: ModuleType, today: date, say: Callable[[str], None] = lambda _: None) -> None:
        self.api = api
        self.data = data
        self.today = today
        self.say = say
        self.summary = Summary()
        self.partner_ids: dict[str, str] = {}
        self.agreement_ids: dict[str, str] = {}
        self.partners_by_key = {p.key: p for p in data.PARTNERS}

    def run(self) -> Summary:
        for partner in self.data.PARTNERS:
            self.partner(partner)
        # In data order: a framework or an amended agreement comes before what refers to it.
        for agreement in self.data.AGREEMENTS:
            self.agreement(agreement)
        for renewal in self.data.RENEWALS:
            self.renewal(renewal)
        for center in self.data.CENTERS:
            self.center(center)
        return self.summary

    def day(self, value: Any) -> str | None:
        if value is None:
            return None
        return (value.on(self.today) if isinstance(value, self.data.InDays) else value).isoformat()

    def tally(self, tally: Tally, created: bool, what: str) -> None:
        if created:
            tally.created += 1
        else:
            tally.existing += 1
        self.say(f"{'created' if created else 'exists '}  {what}")

    # -- partners ---------------------------------------------------------------

    def partner(self, p: Any) -> None:
        body = _compact(
            {
                "name": p.name,
                "kind": p.kind,
                "country": p.country,
                "status": p.status,
                "tier": p.tier,
                "website": p.website,
                "description": p.description,
                "relationship_owner": p.owner,
                "contacts": [_compact({"name": c.name, "role": c.role, "email": c.email}) for c in p.contacts],
            }
        )
        doing = f"registering partner {p.name!r}"
        response = self.api.call("POST", "/api/v1/partners", body=body, key=f"seed:partner:{p.key}")
        problem = _problem(response) if response.status_code >= 400 else None
        if response.status_code == 201:
            partner_id, created = response.json()["id"], not replayed(response)
        elif response.status_code == 409 and isinstance(problem, dict) and problem.get("conflicting_id"):
            # The name is taken in that country: registered earlier (by hand, or under another key). Use it.
            partner_id, created = problem["conflicting_id"], False
        elif key_reused(response):
            partner_id, created = self.find_partner(p, doing), False
        else:
            raise unexpected(response, doing)
        self.partner_ids[p.key] = partner_id
        self.tally(self.summary.partners, created, f"partner {p.name} ({partner_id})")

    def find_partner(self, p: Any, doing: str) -> str:
        for item in self.api.all("/api/v1/partners", doing, country=p.country, q=p.name):
            if item["name"].casefold() == p.name.casefold():
                return item["id"]
        raise SeedError(f"{doing}: its Idempotency-Key was used with other data, and no partner of that name is found")

    # -- agreements -------------------------------------------------------------------

    def signatories(self, party_keys: tuple[str, ...], signed_on: str | None) -> list[dict[str, Any]]:
        """The university's signatory and each party's, as roles (no real people)."""
        name, title = self.data.UNIVERSITY_SIGNATORY
        people = [{"name": name, "title": title, "side": "university"}]
        for key in party_keys:
            partner = self.partners_by_key[key]
            people.append(
                {
                    "name": f"{partner.signs_as}, {partner.name}",
                    "title": partner.signs_as,
                    "side": "partner",
                    "partner_id": self.partner_ids[key],
                }
            )
        return [_compact({**person, "signed_on": signed_on}) for person in people]

    def agreement(self, a: Any) -> None:
        body = _compact(
            {
                "type": a.type,
                "title": a.title,
                "scope": a.scope,
                "owner": a.owner,
                "notes": a.notes,
                "parties": [{"partner_id": self.partner_ids[k], "lead": k == a.lead} for k in a.parties],
                "signatories": self.signatories(a.parties, None),
                "effective_from": self.day(a.effective_from),
                "expires_on": self.day(a.expires_on),
                "framework_id": self.agreement_ids[a.framework] if a.framework else None,
                "amends": self.agreement_ids[a.amends] if a.amends else None,
            }
        )
        doing = f"drafting agreement {a.title!r}"
        response = self.api.call("POST", "/api/v1/agreements", body=body, key=f"seed:agreement:{a.key}")
        if response.status_code == 201:
            state, created = response.json(), not replayed(response)
        elif key_reused(response):
            state, created = self.find_agreement(a, body, doing), False
        else:
            raise unexpected(response, doing)
        self.agreement_ids[a.key] = state["id"]
        self.tally(self.summary.agreements, created, f"agreement {a.title} ({state['id']})")
        if not created:  # a replay answers the state right after creation; the current one may be further on
            state = self.api.get(f"/api/v1/agreements/{state['id']}", doing)
        self.advance(state, a.reach, self.day(a.signed_on), a.parties)

    def find_agreement(self, a: Any, body: dict[str, Any], doing: str) -> dict[str, Any]:
        first_party = body["parties"][0]["partner_id"]
        for item in self.api.all("/api/v1/agreements", doing, partner_id=first_party, type=a.type):
            if item["title"] == a.title:
                return item
        raise SeedError(
            f"{doing}: its Idempotency-Key was used with other data, and no agreement of that title is found"
        )

    def advance(self, state: dict[str, Any], reach: str, signed_on: str | None, party_keys: tuple[str, ...]) -> None:
        """Take an agreement from where it is to `reach`, one action at a time."""
        agreement_id = state["id"]
        while state["status"] in RANK and RANK[state["status"]] < RANK[reach]:
            action = NEXT_ACTION[state["status"]]
            body = (
                {"signed_on": signed_on, "signatories": self.signatories(party_keys, signed_on)}
                if action == "sign"
                else None
            )
            doing = f"{action} agreement {state['title']!r}"
            response = self.api.call("POST", f"/api/v1/agreements/{agreement_id}/{action}", body=body)
            if response.status_code == 200:
                state = response.json()
                self.summary.steps += 1
                self.say(f"{action:<9} {state['title']} -> {state['status']}")
                continue
            if response.status_code == 409:
                # Moved meanwhile (another run, or the expiry schedule)? Then go on from where it is now.
                fresh = self.api.get(f"/api/v1/agreements/{agreement_id}", doing)
                if fresh["status"] != state["status"]:
                    state = fresh
                    continue
            raise unexpected(response, doing)

    def renewal(self, r: Any) -> None:
        predecessor_id = self.agreement_ids[r.of]
        doing = f"renewing agreement {predecessor_id} as {r.title!r}"
        predecessor = self.api.get(f"/api/v1/agreements/{predecessor_id}", doing)
        if predecessor.get("renewed_by"):
            successor_id, created = predecessor["renewed_by"], False
        else:
            terms = {
                "title": r.title,
                "effective_from": r.effective_from.isoformat(),
                "expires_on": r.expires_on.isoformat(),
            }
            response = self.api.call(
                "POST", f"/api/v1/agreements/{predecessor_id}/renew", body=terms, key=f"seed:renewal:{r.key}"
            )
            problem = _problem(response) if response.status_code >= 400 else None
            if response.status_code == 201:
                successor_id, created = response.json()["id"], not replayed(response)
            elif response.status_code == 409 and isinstance(problem, dict) and problem.get("successor_id"):
                successor_id, created = problem["successor_id"], False  # renewed meanwhile
            else:
                raise unexpected(response, doing)
        successor = self.api.get(f"/api/v1/agreements/{successor_id}", doing)
        self.agreement_ids[r.key] = successor_id
        self.tally(self.summary.agreements, created, f"renewal {r.title} ({successor_id}, renews {predecessor_id})")
        party_keys = tuple(self._partner_key(p["partner_id"]) for p in successor["parties"])
        self.advance(successor, r.reach, r.signed_on.isoformat(), party_keys)

    def _partner_key(self, partner_id: str) -> str:
        return next(key for key, known in self.partner_ids.items() if known == partner_id)

    # -- joint research centers ------------------------------------------------------------

    def center(self, c: Any) -> None:
        body = _compact(
            {
                "name": c.name,
                "partner_ids": [self.partner_ids[k] for k in c.partners],
                "disciplines": list(c.disciplines),
                "directors": [
                    _compact(
                        {
                            "name": d.name,
                            "side": d.side,
                            "partner_id": self.partner_ids[d.partner] if d.partner else None,
                        }
                    )
                    for d in c.directors
                ],
                "established_on": c.established_on.isoformat(),
                "agreement_id": self.agreement_ids[c.agreement],
                "description": c.description,
            }
        )
        doing = f"establishing center {c.name!r}"
        response = self.api.call("POST", "/api/v1/centers", body=body, key=f"seed:center:{c.key}")
        if response.status_code == 201:
            center_id, created = response.json()["id"], not replayed(response)
        elif key_reused(response):
            center_id, created = self.find_center(c, body, doing), False
        else:
            raise unexpected(response, doing)
        self.tally(self.summary.centers, created, f"center {c.name} ({center_id})")

    def find_center(self, c: Any, body: dict[str, Any], doing: str) -> str:
        for item in self.api.all("/api/v1/centers", doing, partner_id=body["partner_ids"][0]):
            if item["name"] == c.name:
                return item["id"]
        raise SeedError(f"{doing}: its Idempotency-Key was used with other data, and no center of that name is found")


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    """Leave out what is not set, rather than send nulls."""
    return {k: v for k, v in values.items() if v is not None}


# -- technology transfer (techtransfer_data.py, into the techtransfer service) ----------------


@dataclass
class TechtransferSummary:
    technologies: Tally = field(default_factory=Tally)
    licenses: Tally = field(default_factory=Tally)
    reports: Tally = field(default_factory=Tally)
    steps: int = 0  # life-cycle actions, receipts, payments and distributions recorded

    @property
    def nothing_new(self) -> bool:
        return self.steps == 0 and not (self.technologies.created or self.licenses.created or self.reports.created)

    def lines(self) -> list[str]:
        return [
            f"technologies: {self.technologies}",
            f"licenses:     {self.licenses}",
            f"royalty reports: {self.reports}",
            f"techtransfer steps taken: {self.steps}",
        ]


class TechtransferSeeder:
    """Technologies with their patents, licenses to the seeded enterprises taken to execution,
    the reports of their ended periods, some received and paid, and one distribution.

    Every step is idempotent: creates carry Idempotency-Keys, a royalty report is opened
    once per license and period by the service itself, and life-cycle steps start from the
    current state. The licensee must be known to techtransfer's partner directory, which
    follows the partners service's events: a 409 naming the partner is waited out."""

    def __init__(
        self,
        api: Api,
        data: ModuleType,
        partner_ids: dict[str, str],
        today: date,
        say: Callable[[str], None] = lambda _: None,
        *,
        directory_wait: float = 60.0,
    ) -> None:
        self.api = api
        self.data = data
        self.partner_ids = partner_ids
        self.today = today
        self.say = say
        self.directory_wait = directory_wait
        self.summary = TechtransferSummary()
        self.technology_ids: dict[str, str] = {}

    def run(self) -> TechtransferSummary:
        for technology in self.data.TECHNOLOGIES:
            self.technology(technology)
        for license in self.data.LICENSES:
            self.license(license)
        return self.summary

    def day(self, value: Any) -> str:
        return value.on(self.today).isoformat()

    def post(self, path: str, body: Any, doing: str, *, key: str | None = None, ok: tuple[int, ...] = (200, 201)):
        response = self.api.call("POST", path, body=body, key=key)
        if response.status_code not in ok:
            raise unexpected(response, doing)
        return response

    def step(self, path: str, body: Any, doing: str) -> dict[str, Any]:
        state = self.post(path, body, doing).json()
        self.summary.steps += 1
        self.say(doing)
        return state

    # -- technologies ---------------------------------------------------------------

    def technology(self, t: Any) -> None:
        body = _compact(
            {
                "title": t.title,
                "department": t.department,
                "readiness_level": t.readiness_level,
                "keywords": list(t.keywords),
                "description": t.description,
                "inventors": [
                    {"person_id": i.person_id, "name": i.name, "unit": i.unit, "share": i.share} for i in t.inventors
                ],
            }
        )
        doing = f"disclosing technology {t.title!r}"
        response = self.post("/api/v1/technologies", body, doing, key=f"seed:technology:{t.key}")
        state, created = response.json(), not replayed(response)
        self.technology_ids[t.key] = state["id"]
        tally(self.summary.technologies, created)
        self.say(f"{'created' if created else 'exists '}  technology {t.title} ({state['id']})")
        path = f"/api/v1/technologies/{state['id']}"
        for p in t.patents:
            patent = _compact(
                {
                    "jurisdiction": p.jurisdiction,
                    "application_number": p.application_number,
                    "publication_number": p.publication_number,
                    "priority_date": self.day(p.priority),
                    "filing_date": self.day(p.filed),
                    "status": p.status,
                    "grant_date": self.day(p.filed) if p.status == "granted" else None,
                }
            )
            doing = f"recording patent {p.application_number}"
            response = self.api.call("POST", f"{path}/patents", body=patent, key=f"seed:patent:{p.key}")
            if key_reused(response):  # its dates are relative to the day of the first run
                recorded = [(x["jurisdiction"], x["application_number"]) for x in self.api.get(path, doing)["patents"]]
                if (p.jurisdiction, p.application_number) not in recorded:
                    raise unexpected(response, doing)
            elif response.status_code != 201:
                raise unexpected(response, doing)
            else:
                self.summary.steps += 0 if replayed(response) else 1
        state = self.api.get(path, doing)
        # disclosed -> evaluated -> (protected, with a patent) -> available, as far as the data says
        plan = ["evaluate"] + (["protect"] if t.patents else []) + (["offer"] if t.reach == "available" else [])
        done = {"disclosed": 0, "evaluated": 1, "protected": 2 if t.patents else 1, "available": len(plan)}
        for action in plan[done.get(state["status"], len(plan)) :]:
            state = self.step(f"{path}/{action}", None, f"{action} technology {t.title!r}")

    # -- licenses ---------------------------------------------------------------------

    def license(self, lic: Any) -> None:
        effective_from = lic.effective_from.on(self.today)
        amount = {"amount": None, "currency": lic.currency}
        body = _compact(
            {
                "title": lic.title,
                "licensee_id": self.partner_ids[lic.licensee],
                "technology_ids": [self.technology_ids[t] for t in lic.technologies],
                "kind": lic.kind,
                "territory": list(lic.territory),
                "field_of_use": lic.field_of_use,
                "currency": lic.currency,
                "effective_from": effective_from.isoformat(),
                "expires_on": (
                    effective_from.replace(year=effective_from.year + lic.expires_in_years) - timedelta(days=1)
                ).isoformat()
                if lic.expires_in_years
                else None,
                "upfront_fee": {**amount, "amount": lic.upfront_fee},
                "royalty_rate": lic.royalty_rate,
                "minimum_annual_royalty": {**amount, "amount": lic.minimum_annual_royalty},
                "report_frequency": lic.report_frequency,
                "report_grace_days": lic.report_grace_days,
                "owner": self.data.OFFICE,
            }
        )
        doing = f"drafting license {lic.title!r}"
        response = self.draft(body, doing, f"seed:license:{lic.key}")
        if key_reused(response):  # its dates are relative to the day of the first run
            state, created = self.find_license(lic, body, doing), False
        else:
            state, created = response.json(), not replayed(response)
        tally(self.summary.licenses, created)
        self.say(f"{'created' if created else 'exists '}  license {lic.title} ({state['id']})")
        path = f"/api/v1/licenses/{state['id']}"
        state = self.api.get(path, doing)
        if state["status"] == "negotiating":
            classification, permit = lic.export
            if state["export"]["required"] and state["export"]["classification"] is None:
                self.step(
                    f"{path}/export-classification",
                    _compact({"classification": classification, "permit_reference": permit}),
                    f"classifying the export of {lic.title!r} as {classification}",
                )
            state = self.step(f"{path}/execute", None, f"executing license {lic.title!r}")
        if lic.reports:
            self.reports(lic, state)

    def draft(self, body: dict[str, Any], doing: str, key: str) -> httpx.Response:
        """Draft, waiting while the licensee is not yet in techtransfer's partner directory."""
        deadline = time.monotonic() + self.directory_wait
        while True:
            response = self.api.call("POST", "/api/v1/licenses", body=body, key=key)
            problem = _problem(response) if response.status_code == 409 else None
            waiting = isinstance(problem, dict) and problem.get("partner_id") == body["licensee_id"]
            if not waiting or time.monotonic() > deadline:
                if response.status_code != 201 and not key_reused(response):
                    raise unexpected(response, doing + " (is its licensee known to techtransfer yet?)")
                return response
            time.sleep(1.0)

    def find_license(self, lic: Any, body: dict[str, Any], doing: str) -> dict[str, Any]:
        for item in self.api.all("/api/v1/licenses", doing, licensee_id=body["licensee_id"]):
            if item["title"] == lic.title:
                return item
        raise SeedError(f"{doing}: its Idempotency-Key was used with other data, and no license of that title is found")

    def reports(self, lic: Any, license: dict[str, Any]) -> None:
        """Open the report of every period that has ended, oldest first (the service knows the
        periods: each report names its end, the next period starts the day after, and a
        period not yet ended is refused); receive, pay and distribute as the data says."""
        start = license["effective_from"]
        plans = iter(lic.reports)
        while True:
            body = {"license_id": license["id"], "period_start": start}
            response = self.api.call("POST", "/api/v1/royalty-reports", body=body)
            if response.status_code == 409:
                return  # this period has not ended yet
            if response.status_code not in (200, 201):
                raise unexpected(response, f"opening the report of {lic.title!r} from {start}")
            report = response.json()
            tally(self.summary.reports, response.status_code == 201)
            start = (date.fromisoformat(report["period_end"]) + timedelta(days=1)).isoformat()
            plan = next(plans, None)
            if plan is None or plan.revenue is None:
                continue
            path = f"/api/v1/royalty-reports/{report['id']}"
            if report["status"] in ("due", "overdue"):
                revenue = {"revenue": {"amount": plan.revenue, "currency": lic.currency}, "reference": "seed"}
                report = self.step(f"{path}/receive", revenue, f"receiving {lic.title!r} from {report['period_start']}")
            if plan.paid:
                payment = {"amount": {"amount": plan.paid, "currency": lic.currency}}
                key = f"seed:payment:{lic.key}:{report['period_start']}"
                response = self.post(f"{path}/payments", payment, f"recording a payment on {report['id']}", key=key)
                self.summary.steps += 0 if replayed(response) else 1
                if plan.distribute:
                    self.distribute(lic, report["id"], response.headers["Location"].rsplit("/", 1)[1])

    def distribute(self, lic: Any, report_id: str, payment_id: str) -> None:
        body = {
            "technology_id": self.technology_ids[lic.technologies[0]],
            "royalty_report_id": report_id,
            "payment_id": payment_id,
            "direct_costs": [
                {
                    "kind": "patent_fee",
                    "amount": {"amount": lic.direct_costs, "currency": lic.currency},
                    "description": "PCT filing fees",
                }
            ],
        }
        response = self.post("/api/v1/distributions", body, f"distributing payment {payment_id}", ok=(201,))
        self.summary.steps += 0 if replayed(response) else 1


def tally(counter: Tally, created: bool) -> None:
    if created:
        counter.created += 1
    else:
        counter.existing += 1


# -- the data, checked before anything is sent --------------------------------------------


def load_data(name: str = "data") -> ModuleType:
    """`<name>.py` beside this file (`data.py`, `techtransfer_data.py`), whether this runs as a
    script or is imported from its path."""
    path = Path(__file__).resolve().with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"opp_seed_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def check_data(data: ModuleType, today: date) -> list[str]:
    """What in the data set the service would refuse today (dates) or the seed could not resolve (keys)."""
    problems: list[str] = []
    partners = {p.key for p in data.PARTNERS}
    agreements: set[str] = set()

    def day(value: Any) -> date | None:
        return value.on(today) if isinstance(value, data.InDays) else value

    def dates(key: str, reach: str, signed_on: Any, effective_from: Any) -> None:
        signed, effective = day(signed_on), day(effective_from)
        if RANK[reach] >= RANK["signed"]:
            if signed is None:
                problems.append(f"{key}: needs signed_on to reach {reach}")
            elif signed > today:
                problems.append(f"{key}: signed_on {signed} is in the future")
        if reach == "active" and (effective is None or effective > today):
            problems.append(f"{key}: to be activated, effective_from must be set and not after today")

    for a in data.AGREEMENTS:
        problems += [
            f"{a.key}: unknown partner {k!r}" for k in (*a.parties, *([a.lead] if a.lead else [])) if k not in partners
        ]
        problems += [
            f"{a.key}: {ref!r} must come earlier in AGREEMENTS"
            for ref in (a.framework, a.amends)
            if ref and ref not in agreements
        ]
        dates(a.key, a.reach, a.signed_on, a.effective_from)
        agreements.add(a.key)
    for r in data.RENEWALS:
        if r.of not in agreements:
            problems.append(f"{r.key}: renews unknown agreement {r.of!r}")
        dates(r.key, r.reach, r.signed_on, r.effective_from)
        agreements.add(r.key)
    for c in data.CENTERS:
        problems += [f"center {c.key}: unknown partner {k!r}" for k in c.partners if k not in partners]
        problems += [
            f"center {c.key}: director of partner {d.partner!r} not among its partners"
            for d in c.directors
            if d.partner and d.partner not in c.partners
        ]
        if c.agreement not in agreements:
            problems.append(f"center {c.key}: unknown agreement {c.agreement!r}")
    return problems


def check_techtransfer_data(data: ModuleType, techtransfer: ModuleType) -> list[str]:
    """Licensees and technologies the techtransfer data names must exist."""
    partners = {p.key for p in data.PARTNERS}
    technologies = {t.key for t in techtransfer.TECHNOLOGIES}
    problems = [
        f"license {x.key}: unknown partner {x.licensee!r}" for x in techtransfer.LICENSES if x.licensee not in partners
    ]
    problems += [
        f"license {x.key}: unknown technology {t!r}"
        for x in techtransfer.LICENSES
        for t in x.technologies
        if t not in technologies
    ]
    return problems


def office_today() -> date:
    return datetime.now(ZoneInfo(OFFICE_TIMEZONE)).date()


# -- entry point ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Load the sample data set into the running services (partners, techtransfer), through their APIs."
    )
    parser.add_argument(
        "--url",
        default=os.environ.get("OPP_SEED_PARTNERS_URL", DEFAULT_URL),
        help="the partners service (default: $OPP_SEED_PARTNERS_URL or %(default)s)",
    )
    parser.add_argument(
        "--techtransfer-url",
        default=os.environ.get("OPP_SEED_TECHTRANSFER_URL", DEFAULT_TECHTRANSFER_URL),
        help="the techtransfer service (default: $OPP_SEED_TECHTRANSFER_URL or %(default)s)",
    )
    parser.add_argument(
        "--services",
        default=os.environ.get("OPP_SEED_SERVICES", "partners,techtransfer"),
        help="which services to load, comma-separated; partners always (default: $OPP_SEED_SERVICES or %(default)s)",
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request (default: %(default)s)")
    parser.add_argument("--verbose", "-v", action="store_true", help="print each item and action")
    args = parser.parse_args(argv)

    url = args.url.rstrip("/")
    techtransfer_url = args.techtransfer_url.rstrip("/")
    with_techtransfer = "techtransfer" in {s.strip() for s in args.services.split(",")}
    today = office_today()
    data = load_data()
    techtransfer = load_data("techtransfer_data") if with_techtransfer else None
    problems = check_data(data, today) + (check_techtransfer_data(data, techtransfer) if techtransfer else [])
    if problems:
        print(
            "seed: the data set cannot be loaded as it is:", *(f"  - {p}" for p in problems), sep="\n", file=sys.stderr
        )
        return 1

    secret = os.environ.get("OPP_JWT_SECRET", LOCAL_JWT_SECRET)
    say = print if args.verbose else (lambda _: None)
    lines: list[str] = []
    service, where = "partners", url
    try:
        token = issue_local_token(secret, SUB, [ROLE])
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=args.timeout) as client:
            api = Api(client)
            api.check()
            seeder = Seeder(api, data, today, say)
            lines += [f"seed: {url}", *(f"  {line}" for line in seeder.run().lines())]
        if techtransfer is not None:
            service, where = "techtransfer", techtransfer_url
            token = issue_local_token(secret, SUB, [TECHTRANSFER_ROLE])
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=techtransfer_url, headers=headers, timeout=args.timeout) as client:
                found = TechtransferSeeder(Api(client), techtransfer, seeder.partner_ids, today, say).run()
            lines += [f"seed: {techtransfer_url}", *(f"  {line}" for line in found.lines())]
    except Unreachable as exc:
        print(
            f"seed: cannot reach the {service} service at {where} ({exc}).\n"
            "Is the platform up? `make up` starts it; --url, --techtransfer-url (or OPP_SEED_PARTNERS_URL, "
            "OPP_SEED_TECHTRANSFER_URL) point the seed elsewhere.",
            file=sys.stderr,
        )
        return 2
    except SeedError as exc:
        print(f"seed: {exc}", file=sys.stderr)
        if exc.problem is not None:
            text = (
                exc.problem if isinstance(exc.problem, str) else json.dumps(exc.problem, indent=2, ensure_ascii=False)
            )
            print(text, file=sys.stderr)
        print("Nothing loaded so far is lost: fix the cause and run `make seed` again.", file=sys.stderr)
        return 1

    print(*lines, sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

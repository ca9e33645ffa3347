"""Load the sample data set (`data.py`, `techtransfer_data.py` beside this file) into the
running partners, funding and techtransfer services.

    make seed                                   # after `make up`
    .venv/bin/python deploy/seed/seed.py [--url http://127.0.0.1:8001] [--funding-url http://127.0.0.1:8002]
        [--techtransfer-url http://127.0.0.1:8003] [--services partners,funding,techtransfer] [--verbose]

Everything goes through the HTTP API, as any client's data would: partners
are registered, agreements drafted and taken through their life cycle
(submit, sign with its `signed_on`, activate; or withdraw a draft), one
renewed, one amended, joint research centers established. Then, in funding:
funds sponsored by seeded partners, their calls, proposals taken to review and
a decision (reviews given with the reviewer's own token), awards,
disbursements, and projects (the U-I-U project, a commissioned R&D contract, a
project from an award). Then, in techtransfer: technologies disclosed with
their patents, licensed to the seeded enterprises (export classified,
executed), and the reports of their ended periods opened, received and partly
paid, one payment distributed. Nothing touches the database directly, so the
events, reminders and views of the other services follow as they would in
use. Funding and techtransfer learn of partners (and funding of agreements)
from partners' events: while their views have not caught up, they refuse a
reference (409) and the seed waits for them (up to a minute).

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
http://127.0.0.1:8001), `--funding-url` or `OPP_SEED_FUNDING_URL` (default
http://127.0.0.1:8002), `--techtransfer-url` or `OPP_SEED_TECHTRANSFER_URL`
(default http://127.0.0.1:8003), `--services` or `OPP_SEED_SERVICES` (default
`partners,funding,techtransfer`); the tokens are made here with
`issue_local_token`, signed with `OPP_JWT_SECRET` (default: the local
development secret), for sub `seed` with role `partnerships_officer`
(partners), `funding_officer` (funding) and `techtransfer_officer`
(techtransfer), and for each reviewer's own person id, with no role.

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
DEFAULT_FUNDING_URL = "http://127.0.0.1:8002"
DEFAULT_TECHTRANSFER_URL = "http://127.0.0.1:8003"
SERVICES = ("partners", "funding", "techtransfer")
SUB = "seed"
ROLE = "partnerships_officer"
FUNDING_ROLE = "funding_officer"
TECHTRANSFER_ROLE = "techtransfer_officer"
# How long the seed waits for funding's views of partners and agreements to catch up.
CATCH_UP_SECONDS = 60.0

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

    def check(self, service: str = "partners", path: str = "/api/v1/partners") -> None:
        """One authenticated read first, so that a wrong URL or secret says so plainly."""
        response = self.call("GET", path, params={"limit": 1})
        if response.status_code == 401:
            raise SeedError(
                f"the {service} service refused the seed's token: is OPP_JWT_SECRET the one the service uses?",
                _problem(response),
            )
        if response.status_code != 200:
            raise unexpected(response, f"checking the {service} service")


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
    steps: int = 0  # life-cycle actions taken (submit, sign, activate, withdraw)

    @property
    def nothing_new(self) -> bool:
        return self.steps == 0 and not (self.partners.created or self.agreements.created or self.centers.created)

    def lines(self) -> list[str]:
        return [
            f"partners:   {self.partners}",
            f"agreements: {self.agreements} (renewals included)",
            f"centers:    {self.centers}",
            f"life-cycle steps taken: {self.steps}",
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
                "changes": self.changes(a.changes),
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
        state = self.advance(state, a.reach, self.day(a.signed_on), a.parties)
        if a.withdrawn:
            self.withdraw(state, a.withdrawn)

    def changes(self, changes: dict[str, Any] | None) -> dict[str, Any] | None:
        """An amendment's changes as the API takes them: dates as text, parties by partner id."""
        if changes is None:
            return None
        body = {k: self.day(v) if k == "expires_on" else v for k, v in changes.items()}
        if "add_parties" in body:
            body["add_parties"] = [{"partner_id": self.partner_ids[k]} for k in body["add_parties"]]
        if "remove_parties" in body:
            body["remove_parties"] = [self.partner_ids[k] for k in body["remove_parties"]]
        return body

    def withdraw(self, state: dict[str, Any], reason: str) -> None:
        """Abandon a draft (or one under review); one already withdrawn is left as it is."""
        if state["status"] not in ("draft", "under_review"):
            return
        doing = f"withdrawing agreement {state['title']!r}"
        response = self.api.call("POST", f"/api/v1/agreements/{state['id']}/withdraw", body={"reason": reason})
        if response.status_code != 200:
            raise unexpected(response, doing)
        self.summary.steps += 1
        self.say(f"withdraw  {state['title']} -> withdrawn")

    def find_agreement(self, a: Any, body: dict[str, Any], doing: str) -> dict[str, Any]:
        first_party = body["parties"][0]["partner_id"]
        for item in self.api.all("/api/v1/agreements", doing, partner_id=first_party, type=a.type):
            if item["title"] == a.title:
                return item
        raise SeedError(
            f"{doing}: its Idempotency-Key was used with other data, and no agreement of that title is found"
        )

    def advance(
        self, state: dict[str, Any], reach: str, signed_on: str | None, party_keys: tuple[str, ...]
    ) -> dict[str, Any]:
        """Take an agreement from where it is to `reach`, one action at a time; answer its state."""
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
        return state

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


# -- funding ------------------------------------------------------------------------------------

PROPOSAL_RANK = {"draft": 0, "submitted": 1, "under_review": 2, "awarded": 3, "rejected": 3}


def views_behind(response: httpx.Response) -> bool:
    """A 409 funding answers while its views of partners and their agreements lag behind partners."""
    problem = _problem(response)
    if response.status_code != 409 or not isinstance(problem, dict):
        return False
    return problem.get("reason") == "no-active-agreement" or str(problem.get("detail", "")).startswith("no partner ")


@dataclass
class FundingSummary:
    funds: Tally = field(default_factory=Tally)
    calls: Tally = field(default_factory=Tally)
    proposals: Tally = field(default_factory=Tally)
    disbursements: Tally = field(default_factory=Tally)
    projects: Tally = field(default_factory=Tally)
    steps: int = 0  # actions taken: submit, assign, review, award, reject, approve, pay, start, ...

    @property
    def nothing_new(self) -> bool:
        tallies = (self.funds, self.calls, self.proposals, self.disbursements, self.projects)
        return self.steps == 0 and not any(t.created for t in tallies)

    def lines(self) -> list[str]:
        return [
            f"funds:      {self.funds}",
            f"calls:      {self.calls}",
            f"proposals:  {self.proposals}",
            f"disbursements: {self.disbursements}",
            f"projects:   {self.projects}",
            f"funding steps taken: {self.steps}",
        ]


class FundingSeeder:
    """Funds, calls, proposals (to their review and decision), awards, disbursements and projects."""

    def __init__(
        self,
        api: Api,
        reviewer: Callable[[str], Api],
        data: ModuleType,
        today: date,
        partner_ids: dict[str, str],
        say: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.api = api
        self.reviewer = reviewer  # an Api with the token of the reviewer of that person id
        self.data = data
        self.today = today
        self.partner_ids = partner_ids
        self.say = say
        self.summary = FundingSummary()
        self.ids: dict[str, str] = {}  # seed key -> id, for funds, calls and proposals
        self.award_ids: dict[str, str] = {}  # proposal key -> its award

    def run(self) -> FundingSummary:
        for fund in self.data.FUNDS:
            self.fund(fund)
        for call in self.data.CALLS:
            self.call(call)
        for proposal in self.data.PROPOSALS:
            self.proposal(proposal)
        for project in self.data.PROJECTS:
            self.project(project)
        return self.summary

    # -- the steps every item takes ----------------------------------------------------------

    def send(self, method: str, path: str, doing: str, body: Any = None, key: str | None = None) -> httpx.Response:
        """Send, waiting while funding's views lag behind partners (409 `no partner`, no active agreement)."""
        deadline = time.monotonic() + CATCH_UP_SECONDS
        while True:
            response = self.api.call(method, path, body=body, key=key)
            if not views_behind(response) or time.monotonic() > deadline:
                return response
            self.say(f"waiting    for funding to hear of what partners did ({doing})")
            time.sleep(0.5)

    def create(self, tally: Tally, path: str, body: dict[str, Any], key: str, doing: str, find) -> dict[str, Any]:
        """Create once: a replay or a find by natural key answers the item as it is now."""
        response = self.send("POST", path, doing, body, key)
        if response.status_code == 201:
            state, created = response.json(), not replayed(response)
        elif key_reused(response):
            state, created = find(), False
        else:
            raise unexpected(response, doing)
        tally.created += created
        tally.existing += not created
        self.say(f"{'created' if created else 'exists '}  {doing.split(' ', 1)[1]} ({state['id']})")
        return state if created else self.api.get(f"{path}/{state['id']}", doing)

    def act(self, path: str, doing: str, body: Any = None, api: Api | None = None, method: str = "POST") -> dict:
        response = api.call(method, path, body=body) if api else self.send(method, path, doing, body)
        if response.status_code != 200:
            raise unexpected(response, doing)
        self.summary.steps += 1
        self.say(f"{doing}")
        return response.json()

    def find(self, path: str, doing: str, match: Callable[[dict[str, Any]], bool], **params: Any) -> Callable:
        def found() -> dict[str, Any]:
            for item in self.api.all(path, doing, **params):
                if match(item):
                    return item
            raise SeedError(f"{doing}: its Idempotency-Key was used with other data, and the item is not found")

        return found

    def day(self, value: Any) -> str:
        return (value.on(self.today) if isinstance(value, self.data.InDays) else value).isoformat()

    def instant(self, value: Any) -> str:
        """Midnight of that day in the office's calendar."""
        day = value.on(self.today) if isinstance(value, self.data.InDays) else value
        return datetime.combine(day, datetime.min.time(), ZoneInfo(OFFICE_TIMEZONE)).isoformat()

    @staticmethod
    def person(p: Any) -> dict[str, str]:
        return {"person_id": p.person_id, "name": p.name, "unit": p.unit}

    # -- funds and calls ---------------------------------------------------------------------------

    def fund(self, f: Any) -> None:
        sponsors = [self.partner_ids[k] for k in f.sponsors]
        body = _compact(
            {
                "name": f.name,
                "description": f.description,
                "partner_ids": sponsors,
                "research_areas": list(f.research_areas),
                "budget": {"amount": f.budget, "currency": f.currency},
                "agreement_required": f.agreement_required,
                "manager": self.person(f.manager) if f.manager else None,
            }
        )
        doing = f"creating fund {f.name!r}"
        find = self.find("/api/v1/funds", doing, lambda i: i["name"] == f.name, partner_id=sponsors[0])
        self.ids[f.key] = self.create(self.summary.funds, "/api/v1/funds", body, f"seed:fund:{f.key}", doing, find)[
            "id"
        ]

    def call(self, c: Any) -> None:
        body = _compact(
            {
                "fund_id": self.ids[c.fund],
                "title": c.title,
                "description": c.description,
                "research_areas": list(c.research_areas),
                "opens_at": self.instant(c.opens),
                "closes_at": self.instant(c.closes),
                "max_award": {"amount": c.max_award, "currency": self.fund_currency(c.fund)},
                "sponsor_co_pi_required": c.sponsor_co_pi_required,
            }
        )
        doing = f"scheduling call {c.title!r}"
        find = self.find("/api/v1/calls", doing, lambda i: i["title"] == c.title, fund_id=self.ids[c.fund])
        self.ids[c.key] = self.create(self.summary.calls, "/api/v1/calls", body, f"seed:call:{c.key}", doing, find)[
            "id"
        ]

    def fund_currency(self, fund_key: str) -> str:
        return next(f.currency for f in self.data.FUNDS if f.key == fund_key)

    def call_currency(self, call_key: str) -> str:
        return self.fund_currency(next(c.fund for c in self.data.CALLS if c.key == call_key))

    # -- proposals, reviews, decisions, awards, disbursements ----------------------------------------

    def proposal(self, p: Any) -> None:
        currency = self.call_currency(p.call)
        body = _compact(
            {
                "call_id": self.ids[p.call],
                "title": p.title,
                "abstract": p.abstract,
                "research_area": p.research_area,
                "requested": {"amount": p.requested, "currency": currency},
                "pi": self.person(p.pi),
                "co_pis": [{"name": role, "partner_id": self.partner_ids[k]} for role, k in p.co_pis],
            }
        )
        doing = f"drafting proposal {p.title!r}"
        find = self.find("/api/v1/proposals", doing, lambda i: i["title"] == p.title, call_id=self.ids[p.call])
        state = self.create(self.summary.proposals, "/api/v1/proposals", body, f"seed:proposal:{p.key}", doing, find)
        path = f"/api/v1/proposals/{state['id']}"
        target = PROPOSAL_RANK[p.reach]
        if state["status"] == "draft" and target > PROPOSAL_RANK["draft"]:
            state = self.act(f"{path}/submit", f"submit     {p.title}")
        if state["status"] == "submitted" and target > PROPOSAL_RANK["submitted"]:
            reviewer = {"reviewer": self.person(p.reviewer)}
            state = self.act(f"{path}/reviews", f"assign     {p.reviewer.person_id} to {p.title}", reviewer)
        if state["status"] == "under_review" and p.score is not None:
            given = next((r for r in state["reviews"] if r["reviewer_id"] == p.reviewer.person_id), None)
            if given is None or given["score"] != p.score:
                review = {"score": p.score, "comments": "Scored by the seed's review panel."}
                state = self.act(
                    f"{path}/reviews/{p.reviewer.person_id}",
                    f"review     {p.title}: {p.score}",
                    review,
                    api=self.reviewer(p.reviewer.person_id),
                    method="PUT",
                )
        if state["status"] == "under_review" and p.reach == "awarded":
            award_body = {"amount": {"amount": p.award, "currency": currency}, "reason": p.reason}
            response = self.send("POST", f"{path}/award", f"award {p.title}", award_body, f"seed:award:{p.key}")
            if response.status_code != 201:
                raise unexpected(response, f"awarding proposal {p.title!r}")
            self.summary.steps += not replayed(response)
            self.say(f"award      {p.title}: {p.award} {currency}")
            state = self.api.get(path, f"reading proposal {p.title!r}")
        if state["status"] == "under_review" and p.reach == "rejected":
            state = self.act(f"{path}/reject", f"reject     {p.title}", {"reason": p.reason})
        if state.get("award_id"):
            self.award_ids[p.key] = state["award_id"]
            for i, d in enumerate(p.disbursements):
                self.disbursement(p, i, d, state["award_id"], currency)

    def disbursement(self, p: Any, i: int, d: Any, award_id: str, currency: str) -> None:
        amount = {"amount": d.amount, "currency": currency}
        body = _compact(
            {
                "award_id": award_id,
                "amount": amount,
                "scheduled_on": self.day(d.scheduled_on),
                "deliverable": {"title": d.deliverable} if d.deliverable else None,
            }
        )
        doing = f"scheduling disbursement {i + 1} of {p.title!r}"
        find = self.find("/api/v1/disbursements", doing, lambda x: x["amount"] == amount, award_id=award_id)
        state = self.create(
            self.summary.disbursements, "/api/v1/disbursements", body, f"seed:disbursement:{p.key}:{i}", doing, find
        )
        path = f"/api/v1/disbursements/{state['id']}"
        if not d.paid:
            return
        if state["status"] == "scheduled" and state["deliverable"] and state["deliverable"]["status"] == "pending":
            state = self.act(f"{path}/deliverable/accept", f"accept     the deliverable of {p.title}")
        if state["status"] == "scheduled":
            state = self.act(f"{path}/approve", f"approve    {d.amount} {currency} for {p.title}")
        if state["status"] == "approved":
            self.act(
                f"{path}/pay", f"pay        {d.amount} {currency} for {p.title}", {"reference": f"seed-{p.key}-{i}"}
            )

    # -- projects --------------------------------------------------------------------------------

    def project(self, j: Any) -> None:
        contract = None
        if j.contract:
            client, value, currency = j.contract
            contract = {"client_id": self.partner_ids[client], "value": {"amount": value, "currency": currency}}
        invoice_currency = j.contract[2] if j.contract else None
        body = _compact(
            {
                "title": j.title,
                "kind": j.kind,
                "partner_ids": [self.partner_ids[k] for k in j.partners],
                "lead_partner_id": self.partner_ids[j.lead] if j.lead else None,
                "description": j.description,
                "pi": self.person(j.pi) if j.pi else None,
                "award_id": self.award_ids.get(j.award_of) if j.award_of else None,
                "budget": {"amount": j.budget[0], "currency": j.budget[1]} if j.budget else None,
                "starts_on": j.starts_on.isoformat() if j.starts_on else None,
                "ends_on": j.ends_on.isoformat() if j.ends_on else None,
                "milestones": [{"key": k, "title": t, "due_on": due.isoformat()} for k, t, due in j.milestones],
                "contract": contract,
                "invoices": [
                    {"number": n, "amount": {"amount": a, "currency": invoice_currency}, "due_on": due.isoformat()}
                    for n, a, due in j.invoices
                ],
            }
        )
        doing = f"planning project {j.title!r}"
        find = self.find("/api/v1/projects", doing, lambda i: i["title"] == j.title, partner_id=body["partner_ids"][0])
        state = self.create(self.summary.projects, "/api/v1/projects", body, f"seed:project:{j.key}", doing, find)
        path = f"/api/v1/projects/{state['id']}"
        if state["status"] == "planned" and j.reach == "active":
            state = self.act(f"{path}/start", f"start      {j.title}", {"on": j.started_on.isoformat()})
        if state["status"] != "active":
            return
        for key, on in j.reached:
            if next(m for m in state["milestones"] if m["key"] == key)["status"] != "reached":
                state = self.act(
                    f"{path}/milestones/{key}/reach", f"reach      {key} of {j.title}", {"on": on.isoformat()}
                )
        for number, on in j.paid_invoices:
            if next(i for i in state["invoices"] if i["number"] == number)["status"] != "paid":
                state = self.act(f"{path}/invoices/{number}/pay", f"invoice    {number} paid", {"on": on.isoformat()})


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
        if a.changes and not a.amends:
            problems.append(f"{a.key}: only an amendment states changes")
        if a.withdrawn and RANK[a.reach] >= RANK["signed"]:
            problems.append(f"{a.key}: only a draft or one under review can be withdrawn, not one {a.reach}")
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
    problems += check_funding_data(data, partners)
    return problems


def check_funding_data(data: ModuleType, partners: set[str]) -> list[str]:
    """What the funding part of the data set refers to that it does not define."""
    problems: list[str] = []
    funds = {f.key for f in data.FUNDS}
    calls = {c.key for c in data.CALLS}
    awarded = {p.key for p in data.PROPOSALS if p.reach == "awarded"}
    for f in data.FUNDS:
        problems += [f"fund {f.key}: unknown partner {k!r}" for k in f.sponsors if k not in partners]
    problems += [f"call {c.key}: unknown fund {c.fund!r}" for c in data.CALLS if c.fund not in funds]
    for p in data.PROPOSALS:
        if p.call not in calls:
            problems.append(f"proposal {p.key}: unknown call {p.call!r}")
        problems += [f"proposal {p.key}: unknown partner {k!r}" for _, k in p.co_pis if k not in partners]
        if p.reach not in PROPOSAL_RANK:
            problems.append(f"proposal {p.key}: cannot reach {p.reach!r}")
        if PROPOSAL_RANK.get(p.reach, 0) >= PROPOSAL_RANK["under_review"] and p.reviewer is None:
            problems.append(f"proposal {p.key}: needs a reviewer to reach {p.reach}")
        if (p.reach == "awarded") != (p.award is not None):
            problems.append(f"proposal {p.key}: an award amount goes with reach 'awarded', and only with it")
    for j in data.PROJECTS:
        problems += [f"project {j.key}: unknown partner {k!r}" for k in j.partners if k not in partners]
        if j.award_of and j.award_of not in awarded:
            problems.append(f"project {j.key}: {j.award_of!r} is not an awarded proposal")
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
        description="Load the sample data set into the running services (partners, funding, techtransfer), "
        "through their APIs."
    )
    parser.add_argument(
        "--url",
        default=os.environ.get("OPP_SEED_PARTNERS_URL", DEFAULT_URL),
        help="the partners service (default: $OPP_SEED_PARTNERS_URL or %(default)s)",
    )
    parser.add_argument(
        "--funding-url",
        default=os.environ.get("OPP_SEED_FUNDING_URL", DEFAULT_FUNDING_URL),
        help="the funding service (default: $OPP_SEED_FUNDING_URL or %(default)s)",
    )
    parser.add_argument(
        "--techtransfer-url",
        default=os.environ.get("OPP_SEED_TECHTRANSFER_URL", DEFAULT_TECHTRANSFER_URL),
        help="the techtransfer service (default: $OPP_SEED_TECHTRANSFER_URL or %(default)s)",
    )
    parser.add_argument(
        "--services",
        default=os.environ.get("OPP_SEED_SERVICES", ",".join(SERVICES)),
        help="which services to load, comma-separated; partners always (default: $OPP_SEED_SERVICES or %(default)s)",
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request (default: %(default)s)")
    parser.add_argument("--verbose", "-v", action="store_true", help="print each item and action")
    args = parser.parse_args(argv)

    url = args.url.rstrip("/")
    funding_url = args.funding_url.rstrip("/")
    techtransfer_url = args.techtransfer_url.rstrip("/")
    chosen = {s.strip() for s in args.services.split(",")}
    unknown = chosen - set(SERVICES)
    if unknown:
        print(f"seed: unknown services {sorted(unknown)}; choose among {', '.join(SERVICES)}", file=sys.stderr)
        return 1
    today = office_today()
    data = load_data()
    techtransfer = load_data("techtransfer_data") if "techtransfer" in chosen else None
    problems = check_data(data, today) + (check_techtransfer_data(data, techtransfer) if techtransfer else [])
    if problems:
        print(
            "seed: the data set cannot be loaded as it is:", *(f"  - {p}" for p in problems), sep="\n", file=sys.stderr
        )
        return 1

    secret = os.environ.get("OPP_JWT_SECRET", LOCAL_JWT_SECRET)
    say = print if args.verbose else (lambda _: None)

    def client(base_url: str, sub: str, roles: list[str]) -> httpx.Client:
        token = issue_local_token(secret, sub, roles)
        return httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=args.timeout)

    lines: list[str] = []
    nothing_new = True
    service, where = "partners", url
    try:
        with client(url, SUB, [ROLE]) as partners_client:
            api = Api(partners_client)
            api.check()
            seeder = Seeder(api, data, today, say)
            summary = seeder.run()
        lines += [f"seed: {url}", *(f"  {line}" for line in summary.lines())]
        nothing_new &= summary.nothing_new
        if "funding" in chosen:
            service, where = "funding", funding_url
            reviewers: dict[str, httpx.Client] = {}

            def reviewer(person_id: str) -> Api:
                if person_id not in reviewers:
                    reviewers[person_id] = client(funding_url, person_id, [])
                return Api(reviewers[person_id])

            try:
                with client(funding_url, SUB, [FUNDING_ROLE]) as funding_client:
                    funding_api = Api(funding_client)
                    funding_api.check("funding", "/api/v1/funds")
                    funding = FundingSeeder(funding_api, reviewer, data, today, seeder.partner_ids, say).run()
            finally:
                for reviewer_client in reviewers.values():
                    reviewer_client.close()
            lines += [f"seed: {funding_url}", *(f"  {line}" for line in funding.lines())]
            nothing_new &= funding.nothing_new
        if techtransfer is not None:
            service, where = "techtransfer", techtransfer_url
            with client(techtransfer_url, SUB, [TECHTRANSFER_ROLE]) as techtransfer_client:
                found = TechtransferSeeder(Api(techtransfer_client), techtransfer, seeder.partner_ids, today, say).run()
            lines += [f"seed: {techtransfer_url}", *(f"  {line}" for line in found.lines())]
    except Unreachable as exc:
        print(
            f"seed: cannot reach the {service} service at {where} ({exc}).\n"
            "Is the platform up? `make up` starts it; --url, --funding-url, --techtransfer-url (or "
            "OPP_SEED_PARTNERS_URL, OPP_SEED_FUNDING_URL, OPP_SEED_TECHTRANSFER_URL) point the seed elsewhere.",
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

    if "funding" in chosen:
        lines.append("  nothing new: the data set was already loaded" if nothing_new else "  sample data set loaded")
    print(*lines, sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

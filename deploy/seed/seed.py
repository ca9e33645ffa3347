"""Load the sample data set (`data.py` beside this file) into a running partners service.

    make seed                                   # after `make up`
    .venv/bin/python deploy/seed/seed.py [--url http://127.0.0.1:8001] [--verbose]

Everything goes through the HTTP API, as any client's data would: partners
are registered, agreements drafted and taken through their life cycle
(submit, sign with its `signed_on`, activate; or withdraw a draft), one
renewed, one amended, joint research centers established. Nothing touches the database directly, so the events,
reminders and views of the other services follow as they would in use.

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
http://127.0.0.1:8001); the token is made here with `issue_local_token`,
signed with `OPP_JWT_SECRET` (default: the local development secret), for
sub `seed` and role `partnerships_officer`.

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
from datetime import date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from opp_shared.auth import issue_local_token
from opp_shared.settings import LOCAL_JWT_SECRET

DEFAULT_URL = "http://127.0.0.1:8001"
SUB = "seed"
ROLE = "partnerships_officer"
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


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    """Leave out what is not set, rather than send nulls."""
    return {k: v for k, v in values.items() if v is not None}


# -- the data, checked before anything is sent --------------------------------------------


def load_data() -> ModuleType:
    """`data.py` beside this file, whether this runs as a script or is imported from its path."""
    path = Path(__file__).resolve().with_name("data.py")
    spec = importlib.util.spec_from_file_location("opp_seed_data", path)
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
    return problems


def office_today() -> date:
    return datetime.now(ZoneInfo(OFFICE_TIMEZONE)).date()


# -- entry point ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Load the sample data set into the running partners service, through its API."
    )
    parser.add_argument(
        "--url",
        default=os.environ.get("OPP_SEED_PARTNERS_URL", DEFAULT_URL),
        help="the partners service (default: $OPP_SEED_PARTNERS_URL or %(default)s)",
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request (default: %(default)s)")
    parser.add_argument("--verbose", "-v", action="store_true", help="print each item and action")
    args = parser.parse_args(argv)

    url = args.url.rstrip("/")
    today = office_today()
    data = load_data()
    problems = check_data(data, today)
    if problems:
        print(
            "seed: the data set cannot be loaded as it is:", *(f"  - {p}" for p in problems), sep="\n", file=sys.stderr
        )
        return 1

    token = issue_local_token(os.environ.get("OPP_JWT_SECRET", LOCAL_JWT_SECRET), SUB, [ROLE])
    say = print if args.verbose else (lambda _: None)
    try:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=args.timeout) as client:
            api = Api(client)
            api.check()
            summary = Seeder(api, data, today, say).run()
    except Unreachable as exc:
        print(
            f"seed: cannot reach the partners service at {url} ({exc}).\n"
            "Is the platform up? `make up` starts it; --url or OPP_SEED_PARTNERS_URL point the seed elsewhere.",
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

    print(f"seed: {url}", *(f"  {line}" for line in summary.lines()), sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

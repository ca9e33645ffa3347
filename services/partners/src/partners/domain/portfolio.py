"""A partner's portfolio, from what the other services announce (pure).

Funding and techtransfer publish their aggregates' whole state in every
event; the portfolio keeps, per foreign aggregate, the latest state's
summary and the partners it involves. Which partners a foreign aggregate
involves is read from the fields these services use for partner
references, so a new field elsewhere never breaks this one:
`partner_ids`, `sponsor_ids`, `partner_id`, `licensee_id`, and the
`partner_id` of each entry of `sponsors`, `partners`, `parties`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

# foreign topic -> portfolio section
SECTIONS: dict[str, str] = {
    "funding.fund": "funds",
    "funding.award": "awards",
    "funding.project": "projects",
    "techtransfer.license": "licenses",
    "techtransfer.royalty_report": "royalty_reports",
}

_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_ID_FIELDS = ("partner_ids", "sponsor_ids")
_ONE_ID_FIELDS = ("partner_id", "licensee_id")
_LIST_FIELDS = ("sponsors", "partners", "parties")
_SUMMARY_FIELDS = (
    "name", "title", "kind", "status", "currency", "budget", "amount", "total_budget", "fund_id", "call_id",
    "project_id", "license_id", "technology_ids", "licensee_id", "territory", "field_of_use", "starts_on",
    "ends_on", "effective_from", "expires_on", "period_start", "period_end", "due_on", "revenue",
    "royalty_due", "royalty_paid", "received_on",
)


@dataclass(frozen=True)
class PortfolioItem:
    section: str
    partner_ids: list[str]
    summary: dict[str, Any]


def partner_ids_in(state: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for field in _ID_FIELDS:
        value = state.get(field)
        if isinstance(value, list):
            found += [v for v in value if isinstance(v, str)]
    for field in _ONE_ID_FIELDS:
        value = state.get(field)
        if isinstance(value, str):
            found.append(value)
    for field in _LIST_FIELDS:
        value = state.get(field)
        if isinstance(value, list):
            found += [e["partner_id"] for e in value if isinstance(e, dict) and isinstance(e.get("partner_id"), str)]
    return list(dict.fromkeys(found))


def item_of(topic: str, state: dict[str, Any]) -> PortfolioItem | None:
    section = SECTIONS.get(topic)
    if section is None:
        return None
    summary = {k: state[k] for k in _SUMMARY_FIELDS if k in state}
    summary["id"] = state.get("id")
    return PortfolioItem(section, partner_ids_in(state), summary)


def _money(value: Any) -> tuple[Decimal, str] | None:
    if not isinstance(value, dict):
        return None
    raw = value.get("amount")
    # An amount is a decimal string (DOMAIN.md: money is never a float), e.g. "120.75".
    if not isinstance(raw, str) or _DECIMAL.fullmatch(raw) is None:
        return None
    try:
        amount = Decimal(raw)
    except (InvalidOperation, ValueError):
        return None
    currency = value.get("currency")
    if not isinstance(currency, str) or not amount.is_finite():
        return None
    return amount, currency


def royalty_totals(reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Royalties due and paid, per currency (amounts in different currencies are never added)."""
    totals: dict[str, dict[str, Any]] = {}
    for report in reports:
        for field in ("royalty_due", "royalty_paid"):
            money = _money(report.get(field))
            if money is None:
                continue
            amount, currency = money
            entry = totals.setdefault(currency, {"currency": currency, "royalty_due": Decimal(0), "royalty_paid": Decimal(0), "reports": 0})
            entry[field] += amount
        due = _money(report.get("royalty_due"))
        if due is not None:
            totals[due[1]]["reports"] += 1
    return [
        # Sums of decimal strings keep their scale: "100.50" + "20.25" is "120.75", "500" yen stays "500".
        {**t, "royalty_due": str(t["royalty_due"]), "royalty_paid": str(t["royalty_paid"])}
        for _, t in sorted(totals.items())
    ]

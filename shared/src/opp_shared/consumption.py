"""What each service's consumers read: the catalogue topics its Kafka principal may read.

Written by `make generate` from the `consumes` lists of services/manifest.toml;
tests/test_manifest.py checks that they are what each service's code subscribes
to. opp_shared.kafka_acls grants each service's principal exactly these (and
writing to their dead-letter topics), so a consumer added without its line in
the manifest is refused by the broker rather than silently allowed.
"""

from __future__ import annotations

# fmt: off
CONSUMED_TOPICS: dict[str, tuple[str, ...]] = {
    # ---- generated from services/manifest.toml by `make generate`: edit the manifest, not the lines below ----
    "partners": ("funding.award", "funding.fund", "funding.project", "partners.agreement", "partners.partner", "techtransfer.license", "techtransfer.royalty_report"),
    "funding": ("funding.award", "funding.disbursement", "funding.fund", "partners.agreement", "partners.partner"),
    "techtransfer": ("funding.project", "partners.partner", "techtransfer.license"),
    "notifications": ("funding.award", "funding.call", "funding.disbursement", "funding.fund", "funding.project", "funding.proposal", "notifications.delivery", "partners.agreement", "partners.center", "partners.partner", "techtransfer.distribution", "techtransfer.license", "techtransfer.royalty_report", "techtransfer.technology"),
    # ---- end of the generated lines ----
}
# fmt: on

"""The sample data set's technology transfer: technologies, patents, licenses to the seeded
enterprises, their royalty reports and a distribution of income.

Illustrative, and said to be so: the university's account of its overseas
partnerships names the enterprises (Siemens, Microsoft, Toyota) but no
technology, patent or license. Titles, departments, numbers, rates and
amounts are plausible, not sourced; inventors are roles, not people; patent
numbers follow the offices' formats but belong to no real application.

The set shows what the issue asks for: one exclusive license in one
territory (Siemens, Germany), one worldwide non-exclusive license
(Microsoft), one assignment (Toyota), with royalty reports. Dates are relative
to the day the seed runs, because the service refuses a patent date in the
future and a license reaching back more than three years, and because the
priority year of the separator's patents should end within 90 days, so that
its deadline reminder shows up.

This module is only data; `seed.py` loads it through the HTTP API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class DaysAgo:
    days: int

    def on(self, today: date) -> date:
        return today - timedelta(days=self.days)


@dataclass(frozen=True)
class MonthStart:
    """The first day of the month `months_ago` months before the seed's run."""

    months_ago: int

    def on(self, today: date) -> date:
        index = today.year * 12 + today.month - 1 - self.months_ago
        return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Inventor:
    person_id: str  # a role's id, never a real person's
    name: str
    unit: str
    share: str  # percent, a decimal string


@dataclass(frozen=True)
class PatentSeed:
    key: str
    jurisdiction: str
    application_number: str
    priority: DaysAgo
    filed: DaysAgo
    status: str = "filed"
    publication_number: str | None = None


@dataclass(frozen=True)
class TechnologySeed:
    key: str
    title: str
    department: str
    readiness_level: int
    inventors: tuple[Inventor, ...]
    keywords: tuple[str, ...] = ()
    description: str | None = None
    patents: tuple[PatentSeed, ...] = ()
    reach: str = "available"  # available (with a patent: protected first) | protected | evaluated


@dataclass(frozen=True)
class ReportSeed:
    revenue: str | None  # None: not received yet (the report stays due)
    paid: str | None = None  # a payment recorded against it
    distribute: bool = False  # the payment's income distributed


@dataclass(frozen=True)
class LicenseSeed:
    key: str
    title: str
    licensee: str  # partner key of data.py
    technologies: tuple[str, ...]
    kind: str
    territory: tuple[str, ...]
    field_of_use: str
    currency: str
    effective_from: MonthStart
    upfront_fee: str = "0"
    royalty_rate: str = "0"
    minimum_annual_royalty: str = "0"
    report_frequency: str = "quarterly"
    report_grace_days: int = 45
    expires_in_years: int | None = None
    export: tuple[str, str | None] = ("free", None)  # classification, permit reference
    reports: tuple[ReportSeed, ...] = ()  # oldest period first
    direct_costs: str = "0"  # patent fees recovered from the distributed income


OFFICE = "Technology Transfer desk, Overseas Research Collaboration Office"

TECHNOLOGIES: tuple[TechnologySeed, ...] = (
    TechnologySeed(
        key="separator",
        title="Ceramic-polymer composite separator for solid-state lithium batteries",
        department="School of Materials Science and Engineering",
        readiness_level=5,
        keywords=("batteries", "energy storage", "separators"),
        description="A thin composite separator that suppresses dendrite growth in solid-state cells.",
        inventors=(
            Inventor(
                "mse-inventor-1",
                "Principal inventor, Laboratory of Advanced Materials",
                "School of Materials Science and Engineering",
                "60",
            ),
            Inventor(
                "mse-inventor-2",
                "Co-inventor, Laboratory of Advanced Materials",
                "School of Materials Science and Engineering",
                "40",
            ),
        ),
        patents=(
            # Priority about ten months ago: the priority year ends within 90 days of the seed.
            PatentSeed(
                "separator-cn", "CN", "CN202510000001.X", DaysAgo(300), DaysAgo(300), "published", "CN119000001A"
            ),
            PatentSeed("separator-pct", "WO", "PCT/CN2025/000001", DaysAgo(300), DaysAgo(120)),
        ),
    ),
    TechnologySeed(
        key="edge-scheduler",
        title="Real-time task scheduler for industrial edge computing",
        department="Department of Computer Science and Technology",
        readiness_level=7,
        keywords=("software", "edge computing", "scheduling"),
        description="Know-how and software licensed unpatented.",
        inventors=(
            Inventor(
                "cs-inventor-1",
                "Principal inventor, Institute of Systems Software",
                "Department of Computer Science and Technology",
                "50",
            ),
            Inventor(
                "cs-inventor-2",
                "Co-inventor, Institute of Systems Software",
                "Department of Computer Science and Technology",
                "30",
            ),
            Inventor(
                "cs-inventor-3",
                "Co-inventor, Institute of Systems Software",
                "Department of Computer Science and Technology",
                "20",
            ),
        ),
    ),
    TechnologySeed(
        key="catalyst",
        title="Low-platinum catalyst for hydrogen fuel cells",
        department="Department of Chemistry",
        readiness_level=4,
        keywords=("hydrogen", "fuel cells", "catalysis"),
        inventors=(
            Inventor("chem-inventor-1", "Principal inventor, Catalysis Laboratory", "Department of Chemistry", "100"),
        ),
        patents=(
            PatentSeed("catalyst-cn", "CN", "CN202310000002.5", DaysAgo(900), DaysAgo(900), "granted"),
            PatentSeed("catalyst-jp", "JP", "JP2024-000003", DaysAgo(900), DaysAgo(540)),
        ),
    ),
    TechnologySeed(
        key="display-driver",
        title="Low-power driver circuit for micro-LED displays",
        department="Department of Electronic Engineering",
        readiness_level=3,
        keywords=("displays", "circuits"),
        inventors=(
            Inventor(
                "ee-inventor-1",
                "Principal inventor, Display Technology Laboratory",
                "Department of Electronic Engineering",
                "100",
            ),
        ),
        reach="evaluated",  # not yet offered
    ),
)

LICENSES: tuple[LicenseSeed, ...] = (
    # Exclusive, in one territory: Siemens, Germany, industrial energy storage. A restricted export.
    LicenseSeed(
        key="separator-siemens-de",
        title="Exclusive licence: composite battery separator, Germany, industrial energy storage",
        licensee="siemens",
        technologies=("separator",),
        kind="exclusive",
        territory=("DE",),
        field_of_use="industrial energy storage",
        currency="EUR",
        effective_from=MonthStart(15),
        upfront_fee="50000.00",
        royalty_rate="3.5",
        minimum_annual_royalty="20000.00",
        expires_in_years=10,
        export=("restricted", "MOFCOM-TT-2025-0117"),
        reports=(
            ReportSeed("180000.00", paid="6300.00", distribute=True),
            ReportSeed("95000.00", paid="5000.00"),
            ReportSeed("210000.00"),
            ReportSeed("120000.00"),
            ReportSeed(None),
        ),
        direct_costs="1800.00",
    ),
    # Worldwide, non-exclusive: Microsoft, every field; reported half-yearly, in US dollars.
    LicenseSeed(
        key="scheduler-microsoft-ww",
        title="Non-exclusive licence: edge-computing scheduler, worldwide",
        licensee="microsoft",
        technologies=("edge-scheduler",),
        kind="non_exclusive",
        territory=("worldwide",),
        field_of_use="all",
        currency="USD",
        effective_from=MonthStart(13),
        upfront_fee="20000.00",
        royalty_rate="2",
        report_frequency="semiannual",
        expires_in_years=5,
        reports=(ReportSeed("400000.00", paid="8000.00"), ReportSeed(None)),
    ),
    # An assignment: the catalyst to Toyota, for good.
    LicenseSeed(
        key="catalyst-toyota-assignment",
        title="Assignment: low-platinum fuel-cell catalyst",
        licensee="toyota",
        technologies=("catalyst",),
        kind="assignment",
        territory=("worldwide",),
        field_of_use="all",
        currency="JPY",
        effective_from=MonthStart(2),
        upfront_fee="30000000",
    ),
)

"""The sample data set `make seed` loads: Tsinghua University's overseas partnerships.

Drawn from the university's own public description of its overseas
partnerships (summarised in docs/domain.md). What that text names is used as
named: the strategic research partners it lists, the joint
research centers with Johns Hopkins, NUS, Toyota, Siemens, Boeing, Microsoft
and Samsung, Siemens' Center of Knowledge Interchange (CKI), the
University-Industry-University "Green Online Experimental Platform" with UC
Berkeley and Siemens, and the Chunfeng Foundation programme of March 2020.

What the text does not give is illustrative, and said to be so here:
- the text names 9 of the 16 strategic partners; the other 7 below are
  universities Tsinghua is publicly known to work with, not a claim that
  they are on the real list;
- every date, title, discipline and term length is plausible, not sourced
  (the text gives only "as of the end of 2020" for the strategic agreements);
- no real people: contacts, signatories and directors are offices and roles,
  and e-mail addresses are role addresses on reserved `.example` domains.

Dates. The partners service refuses a `signed_on` in the future and an
activation before `effective_from` (`seed.py` checks both before it sends
anything). The two agreements that must expire soon, so that the 90/30/7-day reminders
show up, have `expires_on` relative to the day the seed runs (`InDays`).

This module is only data; `seed.py` loads it through the HTTP API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

# -- shapes ---------------------------------------------------------------------


@dataclass(frozen=True)
class InDays:
    """A date relative to the day the seed runs (for agreements that must expire soon)."""

    days: int

    def on(self, today: date) -> date:
        return today + timedelta(days=self.days)


Day = date | InDays


@dataclass(frozen=True)
class Contact:
    name: str  # an office or a role, never a real person
    role: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class PartnerSeed:
    key: str  # stable: it names the Idempotency-Key and the references below
    name: str
    kind: str  # university | research_institute | enterprise | foundation | government_agency
    country: str  # ISO 3166-1 alpha-2
    tier: str  # strategic | key | standard
    owner: str  # who in the office looks after the relationship (a desk, not a person)
    signs_as: str  # the partner's usual signatory, as a role
    website: str | None = None
    description: str | None = None
    contacts: tuple[Contact, ...] = ()
    status: str = "active"


@dataclass(frozen=True)
class AgreementSeed:
    key: str
    type: str  # strategic | framework | mou | membership | joint_center | exchange
    title: str
    parties: tuple[str, ...]  # partner keys
    reach: str  # the life-cycle state the seed takes it to: under_review | signed | active
    lead: str | None = None  # partner key of the lead party, if one leads
    scope: str | None = None
    notes: str | None = None
    effective_from: Day | None = None
    expires_on: Day | None = None
    signed_on: Day | None = None  # needed when `reach` is signed or active
    framework: str | None = None  # agreement key of the framework it is made under
    amends: str | None = None  # agreement key of the agreement it amends
    # What an amendment changes in the agreement it amends once it is active (`expires_on`, `scope`, ...).
    changes: dict[str, Any] | None = None
    withdrawn: str | None = None  # the reason, for a draft (or one under review) abandoned before signature
    owner: str = "Overseas Research Collaboration Office"


@dataclass(frozen=True)
class RenewalSeed:
    """POST /agreements/{id}/renew on `of`: the service drafts the successor, linked to it."""

    key: str
    of: str  # agreement key of the predecessor
    title: str
    effective_from: date
    expires_on: date
    signed_on: date
    reach: str = "active"


@dataclass(frozen=True)
class Director:
    name: str  # a role, never a real person
    side: str  # university | partner
    partner: str | None = None  # partner key, for the partner side


@dataclass(frozen=True)
class CenterSeed:
    key: str
    name: str
    partners: tuple[str, ...]
    disciplines: tuple[str, ...]
    established_on: date
    agreement: str  # agreement key of its joint_center agreement
    directors: tuple[Director, ...] = ()
    description: str | None = None


# Who signs for the university, on every agreement (a role).
UNIVERSITY_SIGNATORY = ("Vice President for Research, Tsinghua University", "Vice President for Research")

# -- partners -----------------------------------------------------------------------

EUROPE = "Europe and Russia desk, Overseas Research Collaboration Office"
ASIA_PACIFIC = "Asia-Pacific desk, Overseas Research Collaboration Office"
AMERICAS = "Americas desk, Overseas Research Collaboration Office"
INDUSTRY = "Industry partnerships desk, Overseas Research Collaboration Office"


def _university_contacts(domain: str) -> tuple[Contact, ...]:
    return (
        Contact(
            "International Relations Office", "Partnership coordinator for China", f"international.office@{domain}"
        ),
        Contact("Research Strategy Office", "Joint seed funding programme lead", f"research.partnerships@{domain}"),
    )


def _enterprise_contacts(domain: str, unit: str) -> tuple[Contact, ...]:
    return (
        Contact(
            f"University Relations, {unit}", "Academic collaboration manager, China", f"university.relations@{domain}"
        ),
    )


def _strategic(
    key: str, name: str, country: str, owner: str, signs_as: str, website: str, domain: str, named: bool
) -> PartnerSeed:
    source = (
        "named in the university's account of its strategic partners"
        if named
        else "illustrative: not named in the source text"
    )
    return PartnerSeed(
        key=key,
        name=name,
        kind="university",
        country=country,
        tier="strategic",
        owner=owner,
        signs_as=signs_as,
        website=website,
        contacts=_university_contacts(domain),
        description=f"Strategic scientific research cooperation partner of Tsinghua University ({source}).",
    )


PARTNERS: tuple[PartnerSeed, ...] = (
    # The 16 strategic partners: the 9 the source names (the "Imperial College of
    # St. Petersburg" of the English text is Peter the Great St. Petersburg
    # Polytechnic University), then 7 illustrative ones.
    _strategic(
        "cambridge",
        "University of Cambridge",
        "GB",
        EUROPE,
        "Pro-Vice-Chancellor for International Affairs",
        "https://www.cam.ac.uk",
        "cambridge.example",
        True,
    ),
    _strategic(
        "imperial",
        "Imperial College London",
        "GB",
        EUROPE,
        "Vice-Provost (Research and Enterprise)",
        "https://www.imperial.ac.uk",
        "imperial.example",
        True,
    ),
    _strategic(
        "utokyo",
        "University of Tokyo",
        "JP",
        ASIA_PACIFIC,
        "Executive Vice President",
        "https://www.u-tokyo.ac.jp",
        "u-tokyo.example",
        True,
    ),
    _strategic(
        "tohoku",
        "Tohoku University",
        "JP",
        ASIA_PACIFIC,
        "Executive Vice President for Research",
        "https://www.tohoku.ac.jp",
        "tohoku.example",
        True,
    ),
    _strategic(
        "toronto",
        "University of Toronto",
        "CA",
        AMERICAS,
        "Vice-President, International",
        "https://www.utoronto.ca",
        "utoronto.example",
        True,
    ),
    _strategic(
        "alberta",
        "University of Alberta",
        "CA",
        AMERICAS,
        "Vice-President (Research and Innovation)",
        "https://www.ualberta.ca",
        "ualberta.example",
        True,
    ),
    _strategic(
        "unsw",
        "UNSW Sydney",
        "AU",
        ASIA_PACIFIC,
        "Deputy Vice-Chancellor (Research and Enterprise)",
        "https://www.unsw.edu.au",
        "unsw.example",
        True,
    ),
    _strategic(
        "rwth",
        "RWTH Aachen University",
        "DE",
        EUROPE,
        "Rector",
        "https://www.rwth-aachen.de",
        "rwth-aachen.example",
        True,
    ),
    _strategic(
        "spbpu",
        "Peter the Great St. Petersburg Polytechnic University",
        "RU",
        EUROPE,
        "Rector",
        "https://www.spbstu.ru",
        "spbstu.example",
        True,
    ),
    _strategic(
        "eth", "ETH Zurich", "CH", EUROPE, "Vice President for Research", "https://ethz.ch", "ethz.example", False
    ),
    _strategic(
        "tau",
        "Tel Aviv University",
        "IL",
        EUROPE,
        "Vice President for Research and Development",
        "https://www.tau.ac.il",
        "tau.example",
        False,
    ),
    _strategic(
        "uw",
        "University of Washington",
        "US",
        AMERICAS,
        "Vice Provost for Global Affairs",
        "https://www.washington.edu",
        "uw.example",
        False,
    ),
    _strategic(
        "polimi", "Politecnico di Milano", "IT", EUROPE, "Rector", "https://www.polimi.it", "polimi.example", False
    ),
    _strategic(
        "melbourne",
        "University of Melbourne",
        "AU",
        ASIA_PACIFIC,
        "Deputy Vice-Chancellor (International)",
        "https://www.unimelb.edu.au",
        "unimelb.example",
        False,
    ),
    _strategic(
        "kth",
        "KTH Royal Institute of Technology",
        "SE",
        EUROPE,
        "President",
        "https://www.kth.se",
        "kth.example",
        False,
    ),
    _strategic(
        "tum", "Technical University of Munich", "DE", EUROPE, "President", "https://www.tum.de", "tum.example", False
    ),
    # A 17th university whose strategic agreement is still under review: tier `key` until it is signed.
    PartnerSeed(
        key="tudelft",
        name="Delft University of Technology",
        kind="university",
        country="NL",
        tier="key",
        owner=EUROPE,
        signs_as="Rector Magnificus",
        website="https://www.tudelft.nl",
        contacts=_university_contacts("tudelft.example"),
        description="Long-standing research partner; a strategic research cooperation agreement "
        "is under review (illustrative).",
    ),
    # Universities with joint research centers (named in the source), and UC Berkeley of the U-I-U project.
    PartnerSeed(
        key="jhu",
        name="Johns Hopkins University",
        kind="university",
        country="US",
        tier="key",
        owner=AMERICAS,
        signs_as="Vice Provost for Research",
        website="https://www.jhu.edu",
        contacts=_university_contacts("jhu.example"),
        description="Partner in a joint research center.",
    ),
    PartnerSeed(
        key="nus",
        name="National University of Singapore",
        kind="university",
        country="SG",
        tier="key",
        owner=ASIA_PACIFIC,
        signs_as="Deputy President (Research and Technology)",
        website="https://nus.edu.sg",
        contacts=_university_contacts("nus.example"),
        description="Partner in a joint research center.",
    ),
    PartnerSeed(
        key="berkeley",
        name="University of California, Berkeley",
        kind="university",
        country="US",
        tier="key",
        owner=AMERICAS,
        signs_as="Vice Chancellor for Research",
        website="https://www.berkeley.edu",
        contacts=_university_contacts("berkeley.example"),
        description="Lead university partner of the University-Industry-University (U-I-U) project with Siemens.",
    ),
    # Multinational enterprises with joint research centers (named in the source).
    PartnerSeed(
        key="toyota",
        name="Toyota Motor Corporation",
        kind="enterprise",
        country="JP",
        tier="key",
        owner=INDUSTRY,
        signs_as="Chief Scientist",
        website="https://global.toyota",
        contacts=_enterprise_contacts("toyota.example", "R&D Group"),
        description="Joint research center partner (automotive, energy and environment).",
    ),
    PartnerSeed(
        key="siemens",
        name="Siemens AG",
        kind="enterprise",
        country="DE",
        tier="key",
        owner=INDUSTRY,
        signs_as="Chief Technology Officer",
        website="https://www.siemens.com",
        contacts=(
            *_enterprise_contacts("siemens.example", "Technology"),
            Contact(
                "CKI Programme Office", "Center of Knowledge Interchange account manager", "cki.office@siemens.example"
            ),
        ),
        description="Tsinghua is a member of Siemens' Center of Knowledge Interchange (CKI), the highest level of "
        "Siemens' global academic collaboration; also a joint research center partner and the industry party of "
        "the U-I-U project.",
    ),
    PartnerSeed(
        key="boeing",
        name="The Boeing Company",
        kind="enterprise",
        country="US",
        tier="key",
        owner=INDUSTRY,
        signs_as="Chief Technology Officer",
        website="https://www.boeing.com",
        contacts=_enterprise_contacts("boeing.example", "Boeing Research & Technology"),
        description="Joint research center partner (aviation technology).",
    ),
    PartnerSeed(
        key="microsoft",
        name="Microsoft Corporation",
        kind="enterprise",
        country="US",
        tier="key",
        owner=INDUSTRY,
        signs_as="Corporate Vice President, Microsoft Research",
        website="https://www.microsoft.com",
        contacts=_enterprise_contacts("microsoft.example", "Microsoft Research Asia"),
        description="Framework collaboration partner; joint research center made under the framework agreement.",
    ),
    PartnerSeed(
        key="samsung",
        name="Samsung Electronics",
        kind="enterprise",
        country="KR",
        tier="key",
        owner=INDUSTRY,
        signs_as="President, Samsung Research",
        website="https://www.samsung.com",
        contacts=_enterprise_contacts("samsung.example", "Samsung Research"),
        description="Joint research center partner (semiconductors, displays, communications).",
    ),
    # The Chunfeng Foundation programme (March 2020); its funds live in the funding service,
    # the office records the foundation and the memorandum here. No website: none is given.
    PartnerSeed(
        key="chunfeng",
        name="Chunfeng Foundation",
        kind="foundation",
        country="CN",
        tier="standard",
        owner=INDUSTRY,
        signs_as="Chair of the Board",
        contacts=(Contact("Programme Secretariat", "International programme officer"),),
        description="Supports the Chunfeng Foundation – International Scientific Research Support Program, "
        "announced in March 2020 to promote international joint research on Covid-19.",
    ),
)

# -- agreements ---------------------------------------------------------------------------

STRATEGIC_SCOPE = (
    "University-level strategic scientific research cooperation: a joint seed funding programme for joint research "
    "projects, faculty and student exchange, and joint workshops, on the principles of complementary advantages, "
    "reciprocity, world-class achievements and mutual development."
)


def _strategic_agreement(
    partner: str, name: str, signed_on: date, effective_from: date, expires_on: Day, **extra
) -> AgreementSeed:
    return AgreementSeed(
        key=f"strategic-{partner}",
        type="strategic",
        title=f"Strategic Research Cooperation Agreement: Tsinghua University–{name}",
        parties=(partner,),
        lead=partner,
        scope=STRATEGIC_SCOPE,
        signed_on=signed_on,
        effective_from=effective_from,
        expires_on=expires_on,
        reach="active",
        **extra,
    )


AGREEMENTS: tuple[AgreementSeed, ...] = (
    # The 16 strategic agreements, signed 2018-2020 ("as of the end of 2020"), mostly ten-year terms.
    _strategic_agreement(
        "cambridge", "University of Cambridge", date(2019, 5, 20), date(2019, 6, 1), date(2029, 5, 31)
    ),
    _strategic_agreement(
        "imperial", "Imperial College London", date(2018, 10, 22), date(2018, 11, 1), date(2028, 10, 31)
    ),
    _strategic_agreement("utokyo", "University of Tokyo", date(2019, 4, 15), date(2019, 5, 1), date(2029, 4, 30)),
    # Expires within 90 days of the seed's run: the expiry reminders show up (and a renewal is due).
    _strategic_agreement("tohoku", "Tohoku University", date(2018, 9, 10), date(2018, 10, 1), InDays(45)),
    _strategic_agreement("toronto", "University of Toronto", date(2019, 11, 4), date(2019, 12, 1), date(2029, 11, 30)),
    # Also expiring soon, a little later than Tohoku's.
    _strategic_agreement("alberta", "University of Alberta", date(2018, 6, 12), date(2018, 7, 1), InDays(80)),
    # A five-year first term (2018–2023), renewed below: the renewal chain.
    _strategic_agreement("unsw", "UNSW Sydney (2018–2023)", date(2018, 3, 27), date(2018, 4, 1), date(2023, 3, 31)),
    _strategic_agreement("rwth", "RWTH Aachen University", date(2019, 9, 23), date(2019, 10, 1), date(2029, 9, 30)),
    _strategic_agreement(
        "spbpu",
        "Peter the Great St. Petersburg Polytechnic University",
        date(2019, 6, 18),
        date(2019, 7, 1),
        date(2027, 6, 30),
    ),
    _strategic_agreement("eth", "ETH Zurich", date(2020, 1, 16), date(2020, 2, 1), date(2030, 1, 31)),
    _strategic_agreement("tau", "Tel Aviv University", date(2018, 11, 19), date(2018, 12, 1), date(2028, 11, 30)),
    _strategic_agreement("uw", "University of Washington", date(2019, 3, 11), date(2019, 4, 1), date(2029, 3, 31)),
    _strategic_agreement("polimi", "Politecnico di Milano", date(2019, 10, 28), date(2019, 11, 1), date(2029, 10, 31)),
    _strategic_agreement(
        "melbourne",
        "University of Melbourne",
        date(2020, 10, 26),
        date(2020, 11, 1),
        date(2030, 10, 31),
        notes="Signed remotely during the Covid-19 pandemic.",
    ),
    _strategic_agreement(
        "kth", "KTH Royal Institute of Technology", date(2020, 5, 18), date(2020, 6, 1), date(2030, 5, 31)
    ),
    _strategic_agreement(
        "tum", "Technical University of Munich", date(2020, 11, 30), date(2021, 1, 1), date(2030, 12, 31)
    ),
    # Still under review: submitted, not signed (its terms start next year).
    AgreementSeed(
        key="strategic-tudelft",
        type="strategic",
        title="Strategic Research Cooperation Agreement: Tsinghua University–Delft University of Technology",
        parties=("tudelft",),
        lead="tudelft",
        scope=STRATEGIC_SCOPE,
        effective_from=InDays(90),
        expires_on=InDays(90 + 3652),
        reach="under_review",
        notes="Under legal review at both universities.",
    ),
    # A draft that will never be signed: a separate exchange agreement with KTH, abandoned because the
    # strategic agreement's exchange programme covers it. Withdrawn, it leaves KTH's open agreements.
    AgreementSeed(
        key="exchange-kth-draft",
        type="exchange",
        title="Student Exchange Agreement: Tsinghua University–KTH Royal Institute of Technology",
        parties=("kth",),
        lead="kth",
        scope="Undergraduate and graduate student exchange, up to ten students each way per year.",
        effective_from=date(2025, 9, 1),
        expires_on=date(2030, 8, 31),
        reach="draft",
        withdrawn="Covered by the exchange programme of the strategic research cooperation agreement.",
        owner=EUROPE,
    ),
    # Siemens' Center of Knowledge Interchange: a membership programme, not a project.
    AgreementSeed(
        key="cki-siemens",
        type="membership",
        title="Siemens Center of Knowledge Interchange (CKI) membership",
        parties=("siemens",),
        lead="siemens",
        scope="Tsinghua's membership of Siemens' Center of Knowledge Interchange, the highest level of Siemens' global "
        "academic collaboration: a bridge and platform to deepen and broaden collaboration in scientific research and "
        "talent training.",
        signed_on=date(2022, 6, 20),
        effective_from=date(2022, 7, 1),
        expires_on=date(2027, 6, 30),
        reach="active",
        owner=INDUSTRY,
    ),
    # The University-Industry-University (U-I-U) collaboration: one memorandum, three sides, Berkeley leads.
    AgreementSeed(
        key="uiu-green-platform",
        type="mou",
        title="University-Industry-University (U-I-U) collaboration: Green Online Experimental Platform",
        parties=("berkeley", "siemens"),
        lead="berkeley",
        scope="Joint research project of Tsinghua University and UC Berkeley, supported by Siemens, in intellectual "
        "architecture: information technology such as green electro-communication and intellectual network control, "
        "to develop new information and energy technology that reduces energy consumption and protects the "
        "environment.",
        signed_on=date(2019, 7, 8),
        effective_from=date(2019, 7, 15),
        expires_on=date(2027, 7, 14),
        reach="active",
        notes="The first University-Industry-University (U-I-U) collaboration; "
        "the project itself is run in the funding service.",
    ),
    # The Chunfeng Foundation's Covid-19 research support programme (announced March 2020).
    AgreementSeed(
        key="chunfeng-covid",
        type="mou",
        title="Chunfeng Foundation – International Scientific Research Support Program (Covid-19)",
        parties=("chunfeng",),
        lead="chunfeng",
        scope="Support for international joint scientific research collaboration on Covid-19, "
        "open to the university's partners.",
        signed_on=date(2020, 3, 18),
        effective_from=date(2020, 3, 18),
        expires_on=date(2028, 3, 17),
        reach="active",
    ),
    # A framework agreement with an agreement made under it (the Microsoft joint center, below).
    AgreementSeed(
        key="framework-microsoft",
        type="framework",
        title="Framework Collaboration Agreement: Tsinghua University–Microsoft Corporation",
        parties=("microsoft",),
        lead="microsoft",
        scope="Umbrella terms (intellectual property, publication, confidentiality) for joint research, "
        "joint laboratories and student internships with Microsoft.",
        signed_on=date(2019, 1, 21),
        effective_from=date(2019, 2, 1),
        expires_on=date(2029, 1, 31),
        reach="active",
        owner=INDUSTRY,
    ),
    # One joint_center agreement per joint research center.
    AgreementSeed(
        key="jc-jhu",
        type="joint_center",
        title="Joint Research Center Agreement: Tsinghua University–Johns Hopkins University",
        parties=("jhu",),
        lead="jhu",
        scope="A joint center for biomedical engineering research.",
        signed_on=date(2019, 4, 8),
        effective_from=date(2019, 5, 1),
        expires_on=date(2029, 4, 30),
        reach="active",
    ),
    AgreementSeed(
        key="jc-nus",
        type="joint_center",
        title="Joint Research Center Agreement: Tsinghua University–National University of Singapore",
        parties=("nus",),
        lead="nus",
        scope="A joint center for sustainable urban systems research.",
        signed_on=date(2020, 1, 13),
        effective_from=date(2020, 2, 1),
        expires_on=date(2030, 1, 31),
        reach="active",
    ),
    AgreementSeed(
        key="jc-toyota",
        type="joint_center",
        title="Joint Research Center Agreement: Tsinghua University–Toyota Motor Corporation",
        parties=("toyota",),
        lead="toyota",
        scope="A joint research center on automotive technology, energy and the environment.",
        signed_on=date(2021, 3, 22),
        effective_from=date(2021, 4, 1),
        expires_on=date(2031, 3, 31),
        reach="active",
        owner=INDUSTRY,
    ),
    # An amendment to the Toyota agreement (drafted once that one is active): once active, it extends
    # the agreement by five years and widens its scope; the agreement itself changes accordingly.
    AgreementSeed(
        key="jc-toyota-amendment-1",
        type="joint_center",
        title="Amendment No. 1 to the Tsinghua University–Toyota Joint Research Center Agreement",
        parties=("toyota",),
        lead="toyota",
        amends="jc-toyota",
        scope="Extends the agreement to 31 March 2036 and adds hydrogen energy and fuel-cell research "
        "to the center's scope.",
        changes={
            "expires_on": date(2036, 3, 31),
            "scope": "A joint research center on automotive technology, energy and the environment, "
            "including hydrogen energy and fuel-cell research.",
        },
        signed_on=date(2023, 9, 18),
        effective_from=date(2023, 10, 1),
        reach="active",
        owner=INDUSTRY,
    ),
    AgreementSeed(
        key="jc-siemens",
        type="joint_center",
        title="Joint Research Center Agreement: Tsinghua University–Siemens AG",
        parties=("siemens",),
        lead="siemens",
        scope="A joint research center on industrial automation and energy systems.",
        signed_on=date(2020, 9, 14),
        effective_from=date(2020, 10, 1),
        expires_on=date(2030, 9, 30),
        reach="active",
        owner=INDUSTRY,
    ),
    AgreementSeed(
        key="jc-boeing",
        type="joint_center",
        title="Joint Research Center Agreement: Tsinghua University–The Boeing Company",
        parties=("boeing",),
        lead="boeing",
        scope="A joint research center on aviation technology and sustainable aviation.",
        signed_on=date(2019, 11, 18),
        effective_from=date(2019, 12, 1),
        expires_on=date(2029, 11, 30),
        reach="active",
        owner=INDUSTRY,
    ),
    AgreementSeed(
        key="jc-microsoft",
        type="joint_center",
        title="Joint Research Center Agreement: Tsinghua University–Microsoft Corporation",
        parties=("microsoft",),
        lead="microsoft",
        framework="framework-microsoft",
        scope="A joint research center on computing, made under the framework collaboration agreement.",
        signed_on=date(2019, 5, 27),
        effective_from=date(2019, 6, 1),
        expires_on=date(2029, 1, 31),
        reach="active",
        owner=INDUSTRY,
    ),
    AgreementSeed(
        key="jc-samsung",
        type="joint_center",
        title="Joint Research Center Agreement: Tsinghua University–Samsung Electronics",
        parties=("samsung",),
        lead="samsung",
        scope="A joint research center on semiconductors, displays and communications.",
        signed_on=date(2021, 11, 15),
        effective_from=date(2021, 12, 1),
        expires_on=date(2031, 11, 30),
        reach="active",
        owner=INDUSTRY,
    ),
)

# The UNSW agreement's first term ended in 2023; its renewal carries on to 2028.
RENEWALS: tuple[RenewalSeed, ...] = (
    RenewalSeed(
        key="strategic-unsw-2023",
        of="strategic-unsw",
        title="Strategic Research Cooperation Agreement: Tsinghua University–UNSW Sydney (2023–2028)",
        signed_on=date(2023, 3, 15),
        effective_from=date(2023, 4, 1),
        expires_on=date(2028, 3, 31),
    ),
)

# -- joint research centers ------------------------------------------------------------------------


def _directors(partner: str, partner_name: str) -> tuple[Director, ...]:
    return (
        Director("Director (Tsinghua University)", "university"),
        Director(f"Co-Director ({partner_name})", "partner", partner),
    )


CENTERS: tuple[CenterSeed, ...] = (
    CenterSeed(
        key="jhu",
        name="Tsinghua University–Johns Hopkins University Joint Research Center for Biomedical Engineering",
        partners=("jhu",),
        disciplines=("biomedical engineering", "medical imaging", "neural engineering"),
        established_on=date(2019, 5, 1),
        agreement="jc-jhu",
        directors=_directors("jhu", "Johns Hopkins University"),
        description="Interdisciplinary research and joint doctoral training in biomedical engineering.",
    ),
    CenterSeed(
        key="nus",
        name="Tsinghua University–National University of Singapore Joint Research Center for Sustainable Urban Systems",
        partners=("nus",),
        disciplines=("urban planning", "environmental engineering", "energy systems"),
        established_on=date(2020, 2, 1),
        agreement="jc-nus",
        directors=_directors("nus", "National University of Singapore"),
        description="Research on sustainable, livable cities in Asia.",
    ),
    CenterSeed(
        key="toyota",
        name="Tsinghua University–Toyota Joint Research Center",
        partners=("toyota",),
        disciplines=(
            "automotive engineering",
            "hydrogen and fuel cells",
            "intelligent transportation",
            "environmental science",
        ),
        established_on=date(2021, 4, 1),
        agreement="jc-toyota",
        directors=_directors("toyota", "Toyota Motor Corporation"),
        description="Long-term research on automotive technology, energy and the environment.",
    ),
    CenterSeed(
        key="siemens",
        name="Tsinghua University–Siemens Joint Research Center",
        partners=("siemens",),
        disciplines=("industrial automation", "digital twins", "energy systems"),
        established_on=date(2020, 10, 1),
        agreement="jc-siemens",
        directors=_directors("siemens", "Siemens AG"),
        description="Research on industrial automation and energy systems, alongside the CKI membership.",
    ),
    CenterSeed(
        key="boeing",
        name="Tsinghua University–Boeing Joint Research Center",
        partners=("boeing",),
        disciplines=("aeronautics", "advanced materials", "sustainable aviation fuels"),
        established_on=date(2019, 12, 1),
        agreement="jc-boeing",
        directors=_directors("boeing", "The Boeing Company"),
        description="Research on aviation technology and lower-emission flight.",
    ),
    CenterSeed(
        key="microsoft",
        name="Tsinghua University–Microsoft Joint Research Center",
        partners=("microsoft",),
        disciplines=("computer science", "artificial intelligence", "human-computer interaction"),
        established_on=date(2019, 6, 1),
        agreement="jc-microsoft",
        directors=_directors("microsoft", "Microsoft Corporation"),
        description="Joint research and student internships in computing, under the framework collaboration agreement.",
    ),
    CenterSeed(
        key="samsung",
        name="Tsinghua University–Samsung Joint Research Center",
        partners=("samsung",),
        disciplines=("semiconductors", "display technology", "wireless communications"),
        established_on=date(2021, 12, 1),
        agreement="jc-samsung",
        directors=_directors("samsung", "Samsung Electronics"),
        description="Research on semiconductors, displays and next-generation communications.",
    ),
)

# -- funding: funds, calls, proposals, awards, disbursements, projects ---------------------------------
#
# Illustrative, not sourced: the source text names the joint seed funding programmes, the Chunfeng
# Foundation's Covid-19 programme, the U-I-U project and commissioned R&D by enterprises abroad, but
# no budgets, calls or projects. People are roles with made-up person ids (no real people).


@dataclass(frozen=True)
class Person:
    person_id: str  # the `sub` their token would carry
    name: str  # a role, never a real person
    unit: str


@dataclass(frozen=True)
class FundSeed:
    key: str
    name: str
    sponsors: tuple[str, ...]  # partner keys
    budget: str  # a decimal string in the fund's currency
    currency: str
    research_areas: tuple[str, ...]
    description: str
    agreement_required: bool = True  # every sponsor here has an active agreement in AGREEMENTS
    manager: Person | None = None


@dataclass(frozen=True)
class CallSeed:
    key: str
    fund: str  # fund key
    title: str
    opens: InDays  # relative to the day the seed runs, so the call is open when it loads
    closes: InDays
    max_award: str
    research_areas: tuple[str, ...] = ()
    sponsor_co_pi_required: bool = True
    description: str | None = None


@dataclass(frozen=True)
class DisbursementSeed:
    amount: str
    scheduled_on: Day
    deliverable: str | None = None  # the progress report it waits on
    paid: bool = False  # approved and paid (its deliverable accepted first) when the seed runs


@dataclass(frozen=True)
class ProposalSeed:
    key: str
    call: str  # call key
    title: str
    requested: str
    pi: Person
    co_pis: tuple[tuple[str, str], ...]  # (role, partner key)
    reach: str  # draft | submitted | under_review | awarded | rejected
    research_area: str | None = None
    abstract: str | None = None
    reviewer: Person | None = None  # assigned from under_review on
    score: int | None = None  # the reviewer's score, when given
    award: str | None = None  # the amount awarded
    reason: str = "Ranked among the strongest proposals of the call by its review panel."
    disbursements: tuple[DisbursementSeed, ...] = ()


@dataclass(frozen=True)
class ProjectSeed:
    key: str
    title: str
    kind: str  # joint_research | commissioned | multi_party
    partners: tuple[str, ...]  # partner keys
    reach: str  # planned | active
    lead: str | None = None
    description: str | None = None
    award_of: str | None = None  # proposal key: the project comes from its award
    budget: tuple[str, str] | None = None  # (amount, currency)
    starts_on: date | None = None
    ends_on: date | None = None
    started_on: date | None = None
    milestones: tuple[tuple[str, str, date], ...] = ()  # (key, title, due_on)
    reached: tuple[tuple[str, date], ...] = ()  # (milestone key, reached_on)
    contract: tuple[str, str, str] | None = None  # (client partner key, value, currency)
    invoices: tuple[tuple[str, str, date], ...] = ()  # (number, amount, due_on), in the contract's currency
    paid_invoices: tuple[tuple[str, date], ...] = ()  # (number, paid_on)
    pi: Person | None = None


FUND_MANAGER = Person("ext-funds-01", "Joint funds manager, Overseas Research Collaboration Office", "Overseas Office")
REVIEWER_MSE = Person("rev-mse-01", "Reviewer, School of Materials Science and Engineering", "School of Materials")
REVIEWER_MED = Person("rev-med-01", "Reviewer, School of Medicine", "School of Medicine")
REVIEWER_CS = Person("rev-cs-01", "Reviewer, Department of Computer Science", "Department of Computer Science")

FUNDS: tuple[FundSeed, ...] = (
    FundSeed(
        key="cambridge-seed",
        name="Tsinghua–Cambridge Joint Research Seed Fund",
        sponsors=("cambridge",),
        budget="600000.00",
        currency="GBP",
        research_areas=("low-carbon energy", "advanced materials", "public health"),
        description="Seed grants for joint projects of the two universities, under their strategic agreement.",
        manager=FUND_MANAGER,
    ),
    FundSeed(
        key="chunfeng-covid",
        name="Chunfeng Foundation International Scientific Research Support Program (Covid-19)",
        sponsors=("chunfeng",),
        budget="10000000.00",
        currency="CNY",
        research_areas=("Covid-19", "virology", "public health"),
        description="The foundation's programme of March 2020 supporting international joint research on Covid-19.",
        manager=FUND_MANAGER,
    ),
)

CALLS: tuple[CallSeed, ...] = (
    CallSeed(
        key="cambridge-2027",
        fund="cambridge-seed",
        title="Joint Seed Call 2027",
        opens=InDays(-30),
        closes=InDays(60),
        max_award="60000.00",
        research_areas=("low-carbon energy", "advanced materials", "public health"),
        description="Seed grants of up to GBP 60,000 for joint projects starting within the year.",
    ),
    CallSeed(
        key="chunfeng-round-3",
        fund="chunfeng-covid",
        title="International Covid-19 Research Support, round 3",
        opens=InDays(-20),
        closes=InDays(40),
        max_award="1500000.00",
        research_areas=("Covid-19", "virology", "public health"),
        # Open to joint work with any of the university's partners, not only the foundation's.
        sponsor_co_pi_required=False,
    ),
)

PROPOSALS: tuple[ProposalSeed, ...] = (
    ProposalSeed(
        key="cam-hydrogen",
        call="cambridge-2027",
        title="Solid-state hydrogen storage for grid balancing",
        requested="55000.00",
        research_area="low-carbon energy",
        pi=Person("pi-energy-01", "Principal investigator, Department of Energy and Power Engineering", "Energy"),
        co_pis=(("Co-investigator, Department of Engineering", "cambridge"),),
        reach="awarded",
        reviewer=REVIEWER_MSE,
        score=9,
        award="50000.00",
        disbursements=(
            DisbursementSeed("20000.00", InDays(-10), paid=True),
            DisbursementSeed("30000.00", InDays(180), deliverable="Mid-term progress report"),
        ),
    ),
    ProposalSeed(
        key="cam-cement",
        call="cambridge-2027",
        title="Low-carbon cement chemistry",
        requested="40000.00",
        research_area="advanced materials",
        pi=Person("pi-civil-01", "Principal investigator, Department of Civil Engineering", "Civil Engineering"),
        co_pis=(("Co-investigator, Department of Materials Science", "cambridge"),),
        reach="rejected",
        reviewer=REVIEWER_MSE,
        score=5,
        reason="Outside the call's priorities for this round; encouraged to apply again.",
    ),
    ProposalSeed(
        key="cam-epidemic",
        call="cambridge-2027",
        title="Epidemic forecasting from mobility data",
        requested="45000.00",
        research_area="public health",
        pi=Person("pi-ph-01", "Principal investigator, Vanke School of Public Health", "Public Health"),
        co_pis=(("Co-investigator, MRC Biostatistics Unit", "cambridge"),),
        reach="under_review",
        reviewer=REVIEWER_CS,
    ),
    ProposalSeed(
        key="chunfeng-antivirals",
        call="chunfeng-round-3",
        title="Broad-spectrum antiviral screening",
        requested="1200000.00",
        research_area="virology",
        pi=Person("pi-life-01", "Principal investigator, School of Life Sciences", "Life Sciences"),
        co_pis=(("Co-investigator, Department of Infectious Disease", "imperial"),),
        reach="awarded",
        reviewer=REVIEWER_MED,
        score=8,
        award="1000000.00",
        disbursements=(DisbursementSeed("400000.00", InDays(-15), paid=True),),
    ),
)

PROJECTS: tuple[ProjectSeed, ...] = (
    ProjectSeed(
        key="uiu-green-platform",
        title="Green Online Experimental Platform (University-Industry-University)",
        kind="multi_party",
        partners=("berkeley", "siemens"),
        lead="berkeley",
        reach="active",
        description="Tsinghua University and UC Berkeley, supported by Siemens: green electro-communication and "
        "intellectual network control, to reduce energy consumption.",
        starts_on=date(2019, 7, 15),
        ends_on=date(2027, 7, 14),
        started_on=date(2019, 9, 1),
        milestones=(
            ("architecture", "Platform architecture agreed by the three sides", date(2020, 6, 30)),
            ("online", "Online experiments open to students of both universities", date(2022, 9, 1)),
            ("evaluation", "Joint evaluation of energy savings", date(2027, 3, 31)),
        ),
        reached=(("architecture", date(2020, 6, 15)), ("online", date(2022, 8, 29))),
    ),
    ProjectSeed(
        key="toyota-battery-study",
        title="Battery thermal management under fast charging (commissioned study)",
        kind="commissioned",
        partners=("toyota",),
        lead="toyota",
        reach="active",
        description="Research commissioned and paid by Toyota Motor Corporation (illustrative).",
        starts_on=date(2026, 1, 1),
        ends_on=date(2027, 12, 31),
        started_on=date(2026, 1, 5),
        milestones=(
            ("test-rig", "Test rig commissioned", date(2026, 6, 30)),
            ("final-report", "Final report delivered", date(2027, 12, 15)),
        ),
        reached=(("test-rig", date(2026, 6, 20)),),
        contract=("toyota", "480000.00", "USD"),
        invoices=(
            ("TSU-TMC-2026-01", "160000.00", date(2026, 2, 28)),
            ("TSU-TMC-2026-02", "160000.00", date(2026, 12, 31)),
            ("TSU-TMC-2027-01", "160000.00", date(2027, 12, 31)),
        ),
        paid_invoices=(("TSU-TMC-2026-01", date(2026, 2, 20)),),
        pi=Person("pi-auto-01", "Principal investigator, School of Vehicle and Mobility", "Vehicle and Mobility"),
    ),
    ProjectSeed(
        key="cam-hydrogen-project",
        title="Solid-state hydrogen storage for grid balancing (joint project)",
        kind="joint_research",
        partners=("cambridge",),
        lead="cambridge",
        reach="planned",
        award_of="cam-hydrogen",
        starts_on=date(2027, 1, 1),
        ends_on=date(2028, 12, 31),
        milestones=(("materials", "Candidate storage materials characterised", date(2027, 9, 30)),),
    ),
)

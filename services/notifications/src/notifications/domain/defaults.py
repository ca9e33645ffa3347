"""The service's default rules and message templates, as data.

Adding another service's rules is a few lines here: a template per event type
(`TEMPLATES`) and a `DefaultRule` per audience (`DEFAULT_RULES`). People are
addressed by the fields of the event's state that name them by person id (the
token's `sub`):

    partners   partner    relationship_owner_id
               agreement  owner_id (and signatories[].person_id)
    funding    proposal   pi.person_id, co_pis[].person_id, reviewer_id (in reviews)
    techtransfer technology inventors[].person_id

For example, funding's awarded proposals to the PI, by email too:

    DefaultRule(id="funding-proposal-pi", name="Proposal decisions, to the PI",
                event_types=["funding.proposal.awarded", "funding.proposal.rejected"],
                recipients=["field:state.pi"], channels=EMAIL),

An event type without a template says "<action>: <name>" (`templates.fallback`).
`tests/unit/test_defaults.py` checks that every partners event type a person
acts on has a rule, and that every rule renders.
"""

from __future__ import annotations

from notifications.domain.rules import Channel, Condition, DefaultRule
from notifications.domain.templates import Template

OFFICE = ["role:admin", "role:partnerships_officer"]
RELATIONSHIP_OWNER = "field:state.relationship_owner_id"
AGREEMENT_OWNER = "field:state.owner_id"
INBOX = [Channel.INBOX]
EMAIL = [Channel.INBOX, Channel.EMAIL]

# Event types of the catalogue that nobody acts on, so no default rule covers them.
INFORMATIONAL = frozenset({"partners.center.updated"})


def t(subject: str, text: str) -> Template:
    return Template(subject=subject, text=text)


# Event type -> language -> template. English is the fallback for any other language.
TEMPLATES: dict[str, dict[str, Template]] = {
    "partners.partner.registered": {
        "en": t(
            "New partner: {name} ({s[country]})", "{name}, a {kind} in {s[country]}, was registered as {s[status]}."
        ),
        "zh": t("新合作伙伴：{name}（{s[country]}）", "{name} 已登记，状态为 {s[status]}。"),
    },
    "partners.partner.updated": {
        "en": t("Partner updated: {name}", "{name} changed: {fields}. Relationship owner: {s[relationship_owner]}."),
        "zh": t("合作伙伴信息已更新：{name}", "{name} 的变更：{fields}。"),
    },
    "partners.partner.status_changed": {
        "en": t("{name} is now {c[to]}", "{name} went from {c[from]} to {c[to]}{reason}."),
        "zh": t("{name} 状态变为 {c[to]}", "{name} 由 {c[from]} 变为 {c[to]}{reason}。"),
    },
    "partners.partner.archived": {
        "en": t("Partner archived: {name}", "{name} was archived{reason}."),
        "zh": t("合作伙伴已归档：{name}", "{name} 已归档{reason}。"),
    },
    "partners.partner.merged": {
        "en": t(
            "Partner merged: {name}", "{name} was merged into {c[successor_id]}; its agreements and centers follow."
        ),
        "zh": t("合作伙伴已合并：{name}", "{name} 已并入 {c[successor_id]}。"),
    },
    "partners.agreement.drafted": {
        "en": t("Draft agreement: {name}", "The {agreement} was drafted; submit it for review when it is ready."),
        "zh": t("协议草稿：{name}", "协议“{name}”已起草。"),
    },
    "partners.agreement.submitted": {
        "en": t("For review: {name}", "The {agreement} was submitted for review."),
        "zh": t("待审核：{name}", "协议“{name}”已提交审核。"),
    },
    "partners.agreement.signed": {
        "en": t("Signed: {name}", "The {agreement} was signed on {s[signed_on]}."),
        "zh": t("已签署：{name}", "协议“{name}”已于 {s[signed_on]} 签署。"),
    },
    "partners.agreement.activated": {
        "en": t("In force: {name}", "The {agreement} is in force from {s[effective_from]}."),
        "zh": t("已生效：{name}", "协议“{name}”自 {s[effective_from]} 起生效。"),
    },
    "partners.agreement.amended": {
        "en": t("Agreement changed: {name}", "The {agreement} changed: {fields}."),
        "zh": t("协议已变更：{name}", "协议“{name}”已变更。"),
    },
    "partners.agreement.expiring": {
        "en": t(
            "Expires in {c[days_left]} days: {name}",
            "The {agreement} expires on {c[expires_on]} ({c[days_before]}-day reminder{late}). Renew it or let it end.",
        ),
        "zh": t("{c[days_left]} 天后到期：{name}", "协议“{name}”将于 {c[expires_on]} 到期，请续签或任其终止。"),
    },
    "partners.agreement.expired": {
        "en": t("Expired: {name}", "The {agreement} expired on {c[expires_on]}."),
        "zh": t("已到期：{name}", "协议“{name}”已于 {c[expires_on]} 到期。"),
    },
    "partners.agreement.signature_overdue": {
        "en": t(
            "Waiting for signature for {c[days_waiting]} days: {name}",
            "The {agreement} has been {stage} since {c[waiting_since]}.",
        ),
        "zh": t("等待签署已 {c[days_waiting]} 天：{name}", "协议“{name}”自 {c[waiting_since]} 起等待签署。"),
    },
    "partners.agreement.terminated": {
        "en": t("Terminated: {name}", "The {agreement} was terminated on {c[terminated_on]}{reason}."),
        "zh": t("已终止：{name}", "协议“{name}”已于 {c[terminated_on]} 终止{reason}。"),
    },
    "partners.agreement.renewed": {
        "en": t("Renewed: {name}", "The {agreement} was renewed; its successor is {c[successor_id]}."),
        "zh": t("已续签：{name}", "协议“{name}”已续签，后续协议为 {c[successor_id]}。"),
    },
    "partners.agreement.withdrawn": {
        "en": t(
            "Withdrawn: {name}", "The {agreement} was withdrawn on {c[withdrawn_on]}{reason}; it will not be signed."
        ),
        "zh": t("已撤回：{name}", "协议“{name}”已于 {c[withdrawn_on]} 撤回{reason}。"),
    },
    "partners.center.established": {
        "en": t("New joint center: {name}", "{name} was established on {s[established_on]}."),
        "zh": t("新联合研究中心：{name}", "{name} 于 {s[established_on]} 成立。"),
    },
    "partners.center.closed": {
        "en": t("Joint center closed: {name}", "{name} closed on {c[closed_on]}{reason}."),
        "zh": t("联合研究中心已关闭：{name}", "{name} 于 {c[closed_on]} 关闭{reason}。"),
    },
    "notifications.delivery.failed": {
        "en": t(
            "Delivery failed: {s[channel]} to {s[target]}",
            "The {s[channel]} delivery {subject} of {s[event_type]} to {s[target]} failed after "
            "{s[attempts]} attempts: {s[last_error]}. Replay it with POST /api/v1/deliveries/{subject}/replay.",
        ),
    },
}

DEFAULT_RULES: list[DefaultRule] = [
    # -- partners: the office --
    DefaultRule(
        id="partners-partner-office",
        name="Partners registered, archived or merged, to the office",
        event_types=["partners.partner.registered", "partners.partner.archived", "partners.partner.merged"],
        recipients=OFFICE,
    ),
    DefaultRule(
        id="partners-agreement-office",
        name="Agreements to review, signed, expiring, overdue or ended, to the office",
        event_types=[
            "partners.agreement.submitted",
            "partners.agreement.signed",
            "partners.agreement.expiring",
            "partners.agreement.signature_overdue",
            "partners.agreement.expired",
            "partners.agreement.terminated",
            "partners.agreement.renewed",
            "partners.agreement.withdrawn",
        ],
        recipients=OFFICE,
    ),
    DefaultRule(
        id="partners-center-office",
        name="Joint centers established or closed, to the office",
        event_types=["partners.center.established", "partners.center.closed"],
        recipients=OFFICE,
    ),
    # -- partners: the relationship owner --
    DefaultRule(
        id="partners-partner-owner",
        name="A partner's registration, status, archiving or merger, to its relationship owner",
        event_types=[
            "partners.partner.registered",
            "partners.partner.status_changed",
            "partners.partner.archived",
            "partners.partner.merged",
        ],
        recipients=[RELATIONSHIP_OWNER],
        channels=EMAIL,
    ),
    DefaultRule(
        id="partners-partner-new-owner",
        name="A partner's new relationship owner",
        event_types=["partners.partner.updated"],
        conditions=[Condition(field="change.fields", op="contains", value="relationship_owner_id")],
        recipients=[RELATIONSHIP_OWNER],
        channels=EMAIL,
    ),
    # -- partners: the agreement's owner --
    DefaultRule(
        id="partners-agreement-owner-act",
        name="What an agreement's owner acts on: signed, expiring, overdue, ended, renewed",
        event_types=[
            "partners.agreement.signed",
            "partners.agreement.expiring",
            "partners.agreement.signature_overdue",
            "partners.agreement.expired",
            "partners.agreement.terminated",
            "partners.agreement.renewed",
        ],
        recipients=[AGREEMENT_OWNER],
        channels=EMAIL,
    ),
    DefaultRule(
        id="partners-agreement-owner-follow",
        name="The rest of an agreement's life, to its owner: drafted, submitted, in force, changed",
        event_types=[
            "partners.agreement.drafted",
            "partners.agreement.submitted",
            "partners.agreement.activated",
            "partners.agreement.amended",
            "partners.agreement.withdrawn",
        ],
        recipients=[AGREEMENT_OWNER],
    ),
    # -- this service --
    DefaultRule(
        id="notifications-delivery-failed",
        name="A delivery that failed for good, to the admins",
        event_types=["notifications.delivery.failed"],
        recipients=["role:admin"],
    ),
]


def template_for(event_type: str, language: str) -> Template | None:
    texts = TEMPLATES.get(event_type)
    if not texts:
        return None
    return texts.get(language) or texts.get("en")

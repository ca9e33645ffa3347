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
FUNDING_OFFICE = ["role:admin", "role:funding_officer"]
TECHTRANSFER_OFFICE = ["role:admin", "role:techtransfer_officer"]
RELATIONSHIP_OWNER = "field:state.relationship_owner_id"
AGREEMENT_OWNER = "field:state.owner_id"
INBOX = [Channel.INBOX]
EMAIL = [Channel.INBOX, Channel.EMAIL]

# Event types of the catalogue that nobody acts on, so no default rule covers them: edits,
# bookkeeping steps of the services' own sagas, and this service's own administration.
INFORMATIONAL = frozenset(
    {
        "partners.center.updated",
        "funding.fund.updated",
        "funding.fund.committed",
        "funding.fund.disbursed",
        "funding.call.scheduled",
        "funding.call.updated",
        "funding.call.frozen",
        "funding.proposal.drafted",
        "funding.proposal.updated",
        "funding.award.disbursement_planned",
        "funding.award.disbursement_released",
        "funding.award.disbursement_paid",
        "funding.project.planned",
        "funding.project.updated",
        "techtransfer.technology.updated",
        "techtransfer.technology.patent_updated",
        "techtransfer.technology.rights_reserved",
        "techtransfer.technology.rights_released",
        "techtransfer.license.drafted",
        "techtransfer.license.updated",
        "techtransfer.license.export_classified",
        "techtransfer.license.execution_requested",
        "techtransfer.royalty_report.opened",
        "notifications.person.registered",
        "notifications.person.updated",
        "notifications.person.removed",
        "notifications.rule.added",
        "notifications.rule.changed",
        "notifications.rule.disabled",
        "notifications.rule.enabled",
        "notifications.subscription.created",
        "notifications.subscription.changed",
        "notifications.subscription.cancelled",
        "notifications.webhook.registered",
        "notifications.webhook.changed",
        "notifications.webhook.secret_rotated",
        "notifications.webhook.disabled",
        "notifications.webhook.enabled",
    }
)


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
        "en": t("Partner updated: {name}", "{name} changed: {fields}."),
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
    # -- funding --
    "funding.fund.created": {
        "en": t("New fund: {name}", "The fund {name} was created with a budget of {money[budget]}{flag}."),
        "zh": t("新基金：{name}", "基金“{name}”已设立，预算 {money[budget]}{flag}。"),
    },
    "funding.fund.closed": {
        "en": t("Fund closed: {name}", "The fund {name} was closed{reason}."),
        "zh": t("基金已关闭：{name}", "基金“{name}”已关闭{reason}。"),
    },
    "funding.fund.flagged": {
        "en": t(
            "No active agreement: {name}",
            "The fund {name} takes no new awards until its sponsors have an active agreement: {s[flag_reason]}.",
        ),
        "zh": t("缺少有效协议：{name}", "基金“{name}”的资助方暂无有效协议，暂停新的资助：{s[flag_reason]}。"),
    },
    "funding.fund.unflagged": {
        "en": t("Agreement in force again: {name}", "The fund {name} takes new awards again."),
        "zh": t("协议恢复有效：{name}", "基金“{name}”可以重新发放资助。"),
    },
    "funding.call.opened": {
        "en": t("Call open: {name}", "The call {name} is open for proposals until {s[closes_at]}."),
        "zh": t("征集开放：{name}", "征集“{name}”已开放，截止 {s[closes_at]}。"),
    },
    "funding.call.closed": {
        "en": t("Call closed: {name}", "The call {name} closed; its proposals can now be reviewed."),
        "zh": t("征集已截止：{name}", "征集“{name}”已截止。"),
    },
    "funding.proposal.submitted": {
        "en": t(
            "Proposal submitted: {name}", "The proposal {name} by {s[pi][name]} was submitted; assign its reviewers."
        ),
        "zh": t("提案已提交：{name}", "{s[pi][name]} 的提案“{name}”已提交，请分配评审人。"),
    },
    "funding.proposal.reviewer_assigned": {
        "en": t("Please review: {name}", "You are asked to review the proposal {name}. Give your score and comments."),
        "zh": t("请评审：{name}", "请评审提案“{name}”，并给出评分和意见。"),
    },
    "funding.proposal.reviewed": {
        "en": t("Review received: {name}", "A review of the proposal {name} was given."),
        "zh": t("已收到评审：{name}", "提案“{name}”收到一份评审。"),
    },
    "funding.proposal.awarded": {
        "en": t("Awarded: {name}", "The proposal {name} was awarded{reason}."),
        "zh": t("获得资助：{name}", "提案“{name}”获得资助{reason}。"),
    },
    "funding.proposal.rejected": {
        "en": t("Not awarded: {name}", "The proposal {name} was not awarded{reason}."),
        "zh": t("未获资助：{name}", "提案“{name}”未获资助{reason}。"),
    },
    "funding.proposal.withdrawn": {
        "en": t("Proposal withdrawn: {name}", "The proposal {name} was withdrawn{reason}."),
        "zh": t("提案已撤回：{name}", "提案“{name}”已撤回{reason}。"),
    },
    "funding.award.granted": {
        "en": t("Award granted: {name}", "An award of {money[amount]} was granted for {name}."),
        "zh": t("资助已发放：{name}", "“{name}”获得资助 {money[amount]}。"),
    },
    "funding.award.closed": {
        "en": t("Award closed: {name}", "The award for {name} was closed{reason}."),
        "zh": t("资助已结束：{name}", "“{name}”的资助已结束{reason}。"),
    },
    "funding.disbursement.scheduled": {
        "en": t("Disbursement to approve", "A disbursement of {money[amount]} is scheduled for {s[scheduled_on]}."),
        "zh": t("待批准的拨款", "一笔 {money[amount]} 的拨款计划于 {s[scheduled_on]}。"),
    },
    "funding.disbursement.deliverable_accepted": {
        "en": t(
            "Deliverable accepted: ready to approve",
            "The deliverable {c[title]} was accepted; approve the disbursement.",
        ),
        "zh": t("交付物已验收", "交付物“{c[title]}”已验收，请批准拨款。"),
    },
    "funding.disbursement.approved": {
        "en": t("Disbursement approved: to pay", "A disbursement of {money[amount]} was approved; record the payment."),
        "zh": t("拨款已批准", "一笔 {money[amount]} 的拨款已批准。"),
    },
    "funding.disbursement.paid": {
        "en": t("Disbursement paid", "A disbursement of {money[amount]} was paid on {s[paid_on]}."),
        "zh": t("拨款已支付", "一笔 {money[amount]} 的拨款已于 {s[paid_on]} 支付。"),
    },
    "funding.disbursement.cancelled": {
        "en": t("Disbursement cancelled", "A disbursement of {money[amount]} was cancelled{reason}."),
        "zh": t("拨款已取消", "一笔 {money[amount]} 的拨款已取消{reason}。"),
    },
    "funding.project.started": {
        "en": t("Project started: {name}", "The project {name} started."),
        "zh": t("项目已启动：{name}", "项目“{name}”已启动。"),
    },
    "funding.project.milestone_reached": {
        "en": t("Milestone reached: {name}", "A milestone of the project {name} was reached."),
        "zh": t("里程碑达成：{name}", "项目“{name}”达成一个里程碑。"),
    },
    "funding.project.invoice_paid": {
        "en": t("Invoice paid: {name}", "An invoice of the project {name} was paid."),
        "zh": t("发票已支付：{name}", "项目“{name}”的一张发票已支付。"),
    },
    "funding.project.completed": {
        "en": t("Project completed: {name}", "The project {name} was completed."),
        "zh": t("项目已完成：{name}", "项目“{name}”已完成。"),
    },
    "funding.project.terminated": {
        "en": t("Project terminated: {name}", "The project {name} was terminated{reason}."),
        "zh": t("项目已终止：{name}", "项目“{name}”已终止{reason}。"),
    },
    # -- techtransfer --
    "techtransfer.technology.disclosed": {
        "en": t("New disclosure: {name}", "The technology {name} was disclosed; evaluate it."),
        "zh": t("新披露：{name}", "技术“{name}”已披露，请评估。"),
    },
    "techtransfer.technology.deadline_approaching": {
        "en": t(
            "Patent deadline on {c[due_on]}: {name}",
            "The {c[kind]} deadline of {name} falls on {c[due_on]} ({c[days_left]} days left{late}).",
        ),
        "zh": t("专利期限 {c[due_on]}：{name}", "“{name}”的期限为 {c[due_on]}，剩余 {c[days_left]} 天。"),
    },
    "techtransfer.technology.protected": {
        "en": t("Protected: {name}", "The technology {name} is protected by a patent application."),
        "zh": t("已获保护：{name}", "技术“{name}”已受专利保护。"),
    },
    "techtransfer.technology.patent_recorded": {
        "en": t("Patent recorded: {name}", "A patent record was added to {name}."),
        "zh": t("专利已登记：{name}", "“{name}”新增一项专利记录。"),
    },
    "techtransfer.technology.status_changed": {
        "en": t("{name} is now {s[status]}", "The technology {name} is now {s[status]}."),
        "zh": t("{name} 状态变为 {s[status]}", "技术“{name}”状态变为 {s[status]}。"),
    },
    "techtransfer.license.export_permit_required": {
        "en": t(
            "Export permit needed: {name}",
            "The license {name} is a restricted export: record the permit before it is executed.",
        ),
        "zh": t("需要出口许可：{name}", "许可“{name}”属于出口管制，执行前须登记许可证。"),
    },
    "techtransfer.license.execution_refused": {
        "en": t("Execution refused: {name}", "The license {name} could not be executed{reason}."),
        "zh": t("执行被拒：{name}", "许可“{name}”无法执行{reason}。"),
    },
    "techtransfer.license.executed": {
        "en": t("License executed: {name}", "The license {name} was executed."),
        "zh": t("许可已执行：{name}", "许可“{name}”已执行。"),
    },
    "techtransfer.license.activated": {
        "en": t("License in force: {name}", "The license {name} is in force."),
        "zh": t("许可已生效：{name}", "许可“{name}”已生效。"),
    },
    "techtransfer.license.terminated": {
        "en": t("License terminated: {name}", "The license {name} was terminated{reason}."),
        "zh": t("许可已终止：{name}", "许可“{name}”已终止{reason}。"),
    },
    "techtransfer.license.expired": {
        "en": t("License expired: {name}", "The license {name} expired."),
        "zh": t("许可已到期：{name}", "许可“{name}”已到期。"),
    },
    "techtransfer.royalty_report.received": {
        "en": t("Royalty report received", "A royalty report for {s[period_start]} to {s[period_end]} was received."),
        "zh": t("收到特许权使用费报告", "已收到 {s[period_start]} 至 {s[period_end]} 的报告。"),
    },
    "techtransfer.royalty_report.overdue": {
        "en": t(
            "Royalty report overdue",
            "The royalty report for {s[period_start]} to {s[period_end]} was due on {s[due_on]}; "
            "ask the licensee for it.",
        ),
        "zh": t("特许权使用费报告逾期", "{s[period_start]} 至 {s[period_end]} 的报告应于 {s[due_on]} 提交，请催收。"),
    },
    "techtransfer.royalty_report.payment_recorded": {
        "en": t("Royalty payment recorded", "A payment was recorded against the report for {s[period_end]}."),
        "zh": t("已记录付款", "已记录 {s[period_end]} 报告的一笔付款。"),
    },
    "techtransfer.distribution.made": {
        "en": t(
            "Income distributed",
            "Income of {money[income]} was distributed between inventors, department and university.",
        ),
        "zh": t("收益已分配", "{money[income]} 的收益已在发明人、院系和学校之间分配。"),
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
    # -- funding --
    DefaultRule(
        id="funding-office",
        name="What the funding office acts on: proposals to assign and decide, disbursements, flagged funds",
        event_types=[
            "funding.fund.created",
            "funding.fund.closed",
            "funding.fund.flagged",
            "funding.fund.unflagged",
            "funding.call.opened",
            "funding.call.closed",
            "funding.proposal.submitted",
            "funding.proposal.reviewed",
            "funding.proposal.withdrawn",
            "funding.proposal.awarded",
            "funding.proposal.rejected",
            "funding.award.granted",
            "funding.award.closed",
            "funding.disbursement.scheduled",
            "funding.disbursement.deliverable_accepted",
            "funding.disbursement.approved",
            "funding.disbursement.paid",
            "funding.disbursement.cancelled",
            "funding.project.started",
            "funding.project.milestone_reached",
            "funding.project.invoice_paid",
            "funding.project.completed",
            "funding.project.terminated",
        ],
        recipients=FUNDING_OFFICE,
    ),
    DefaultRule(
        id="funding-fund-flagged-partnerships",
        name="A fund without an active agreement, to the partnerships office too (it owns the agreements)",
        event_types=["funding.fund.flagged"],
        recipients=OFFICE,
        channels=EMAIL,
    ),
    DefaultRule(
        # A fund created while a sponsor has no active agreement is born flagged: funding announces
        # it as created (with `flagged` in its state), not as flagged.
        id="funding-fund-created-flagged-partnerships",
        name="A fund created without the agreement it requires, to the partnerships office too",
        event_types=["funding.fund.created"],
        conditions=[Condition(field="state.flagged", op="eq", value=True)],
        recipients=OFFICE,
        channels=EMAIL,
    ),
    DefaultRule(
        id="funding-reviewer",
        name="A proposal to review, to its reviewer",
        event_types=["funding.proposal.reviewer_assigned"],
        recipients=["field:change.reviewer_id"],
        channels=EMAIL,
    ),
    DefaultRule(
        id="funding-proposal-team",
        name="Decisions on a proposal, to its PI and co-PIs",
        event_types=["funding.proposal.awarded", "funding.proposal.rejected"],
        recipients=["field:state.pi", "field:state.co_pis"],
        channels=EMAIL,
    ),
    DefaultRule(
        id="funding-award-pi",
        name="An award granted or closed, to its PI",
        event_types=["funding.award.granted", "funding.award.closed"],
        recipients=["field:state.pi"],
    ),
    # -- techtransfer --
    DefaultRule(
        id="techtransfer-office",
        name="What the technology transfer office acts on: disclosures, deadlines, permits, reports, distributions",
        event_types=[
            "techtransfer.technology.disclosed",
            "techtransfer.technology.protected",
            "techtransfer.technology.patent_recorded",
            "techtransfer.technology.status_changed",
            "techtransfer.technology.deadline_approaching",
            "techtransfer.license.export_permit_required",
            "techtransfer.license.execution_refused",
            "techtransfer.license.executed",
            "techtransfer.license.activated",
            "techtransfer.license.terminated",
            "techtransfer.license.expired",
            "techtransfer.royalty_report.received",
            "techtransfer.royalty_report.overdue",
            "techtransfer.royalty_report.payment_recorded",
            "techtransfer.distribution.made",
        ],
        recipients=TECHTRANSFER_OFFICE,
    ),
    DefaultRule(
        id="techtransfer-deadline-urgent",
        name="Patent deadlines approaching, by email to the office",
        event_types=["techtransfer.technology.deadline_approaching"],
        recipients=TECHTRANSFER_OFFICE,
        channels=[Channel.EMAIL],
    ),
    DefaultRule(
        id="techtransfer-inventors",
        name="A technology's deadlines and status, and income distributed, to its inventors",
        event_types=[
            "techtransfer.technology.deadline_approaching",
            "techtransfer.technology.protected",
            "techtransfer.technology.status_changed",
            "techtransfer.distribution.made",
        ],
        recipients=["field:state.inventor_ids"],
    ),
    DefaultRule(
        id="techtransfer-license-owner",
        name="A license's permit, execution and end, and its overdue reports, to its owner",
        event_types=[
            "techtransfer.license.export_permit_required",
            "techtransfer.license.execution_refused",
            "techtransfer.license.executed",
            "techtransfer.license.terminated",
            "techtransfer.license.expired",
            "techtransfer.royalty_report.overdue",
        ],
        recipients=["field:state.owner_id"],
        channels=EMAIL,
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

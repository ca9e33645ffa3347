"""Request bodies of the notifications API (strict: an unknown field is a 422)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from notifications.domain.rules import Channel
from opp_shared.auth import Role
from opp_shared.fields import Email, LongText, Name, ShortText, StrictBody, Url

PersonId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:@\-]{0,99}$")]
EventPattern = Annotated[str, StringConstraints(min_length=1, max_length=120, pattern=r"^[a-z_.*]+$")]
Recipient = Annotated[
    str, StringConstraints(min_length=3, max_length=200, pattern=r"^(role|user|field):[A-Za-z0-9_.:@\-]+$")
]
Language = Annotated[str, StringConstraints(pattern=r"^(en|zh)$")]
AggregateId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,99}$")]
FieldPath = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[a-z]+(\.[A-Za-z0-9_]+)*$")]
Number = Annotated[int, Field(ge=-(2**53), le=2**53)]


class ConditionIn(StrictBody):
    """A condition as a client sends it: bounded values (the domain checks the rest)."""

    field: FieldPath
    op: Literal["eq", "ne", "in", "not_in", "contains", "exists", "missing"] = "eq"
    value: ShortText | Number | bool | list[ShortText] | None = Field(None)


class TemplateIn(StrictBody):
    subject: ShortText
    text: LongText
    html: LongText | None = None


class RegisterPerson(StrictBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "li.wei",
                    "name": "Li Wei",
                    "email": "li.wei@example.edu",
                    "roles": ["partnerships_officer"],
                    "unit": "Office of International Affairs",
                    "channels": ["inbox", "email"],
                    "language": "zh",
                }
            ]
        }
    )

    id: PersonId = Field(description="The person's `sub` in their token.")
    name: Name
    email: Email | None = None
    roles: list[Role] = Field(default_factory=list, max_length=10)
    unit: Name | None = None
    channels: list[Channel] = Field(default_factory=lambda: [Channel.INBOX, Channel.EMAIL], max_length=2)
    language: Language = "en"


class EditPerson(StrictBody):
    name: Name | None = None
    email: Email | None = None
    roles: list[Role] | None = Field(None, max_length=10)
    unit: Name | None = None
    channels: list[Channel] | None = Field(None, max_length=2)
    language: Language | None = None


class EditPreferences(StrictBody):
    channels: list[Channel] | None = Field(None, max_length=2)
    language: Language | None = None


class RuleBody(StrictBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Agreements about to expire",
                    "event_types": ["partners.agreement.expiring"],
                    "recipients": ["role:partnerships_officer", "field:owner_id"],
                    "channels": ["inbox", "email"],
                }
            ]
        }
    )

    name: Name
    description: ShortText | None = None
    event_types: list[EventPattern] = Field(min_length=1, max_length=50)
    conditions: list[ConditionIn] = Field(default_factory=list, max_length=20)
    recipients: list[Recipient] = Field(min_length=1, max_length=50)
    channels: list[Channel] = Field(default_factory=lambda: [Channel.INBOX], min_length=1, max_length=2)
    template: TemplateIn | None = None


class EditRule(StrictBody):
    name: Name | None = None
    description: ShortText | None = None
    event_types: list[EventPattern] | None = Field(None, min_length=1, max_length=50)
    conditions: list[ConditionIn] | None = Field(None, max_length=20)
    recipients: list[Recipient] | None = Field(None, min_length=1, max_length=50)
    channels: list[Channel] | None = Field(None, min_length=1, max_length=2)
    template: TemplateIn | None = None


class SubscriptionBody(StrictBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"event_types": ["funding.award.*"], "channels": ["inbox"]}]}
    )

    event_types: list[EventPattern] = Field(min_length=1, max_length=50)
    aggregate_id: AggregateId | None = Field(
        None, description="Only events about this aggregate (or naming this partner)."
    )
    channels: list[Channel] = Field(default_factory=lambda: [Channel.INBOX], min_length=1, max_length=2)
    person_id: PersonId | None = Field(None, description="Admins only: whose subscription (default: yours).")


class EditSubscription(StrictBody):
    event_types: list[EventPattern] | None = Field(None, min_length=1, max_length=50)
    aggregate_id: AggregateId | None = None
    channels: list[Channel] | None = Field(None, min_length=1, max_length=2)


class WebhookBody(StrictBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "url": "https://erp.example.edu/hooks/opp",
                    "description": "The finance system",
                    "event_types": ["funding.disbursement.*", "techtransfer.royalty_report.payment_recorded"],
                }
            ]
        }
    )

    url: Url
    description: LongText | None = None
    event_types: list[EventPattern] = Field(min_length=1, max_length=100)


class EditWebhook(StrictBody):
    url: Url | None = None
    description: LongText | None = None
    event_types: list[EventPattern] | None = Field(None, min_length=1, max_length=100)


class RotateSecret(StrictBody):
    old_secret_valid_for_seconds: float | None = Field(
        None,
        ge=0,
        le=30 * 86400,
        description="How long the old secret still signs (default OPP_WEBHOOK_SECRET_OVERLAP_SECONDS).",
    )


class DisableWebhook(StrictBody):
    reason: ShortText

"""The techtransfer service's settings (`OPP_*` environment variables)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import pycountry
from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode

from opp_shared.settings import ServiceSettings
from techtransfer.domain.distribution import SharingRule


class TechtransferSettings(ServiceSettings):
    service_name: str = "techtransfer"
    http_port: int = Field(default=8003, ge=1, le=65535)
    university_country: str = Field(
        default="CN",
        description="The university's country (ISO 3166-1 alpha-2): a licensee elsewhere makes a license an export.",
    )
    patent_deadline_lead_days: Annotated[list[int], NoDecode] = Field(
        default_factory=lambda: [90, 30, 7],
        description="Comma-separated days before a patent deadline at which deadline_approaching is announced.",
    )
    royalty_grace_days: int = Field(
        default=30, ge=0, le=365, description="Days after a period's end a report is due by, unless a license says."
    )
    distribution_inventors_percent: Decimal = Field(default=Decimal(50), ge=0, le=100)
    distribution_department_percent: Decimal = Field(default=Decimal(20), ge=0, le=100)
    distribution_university_percent: Decimal = Field(default=Decimal(30), ge=0, le=100)
    distribution_minimum_inventors_percent: Decimal = Field(
        default=Decimal(50),
        ge=0,
        le=100,
        description="The least part of the net the inventors may be given (half, when nothing else is agreed).",
    )

    @field_validator("university_country")
    @classmethod
    def _country(cls, value: str) -> str:
        code = value.strip().upper()
        if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
            raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
        return code

    @field_validator("patent_deadline_lead_days", mode="before")
    @classmethod
    def _lead_days(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(item) for item in value.split(",") if item.strip()]
        return value

    @field_validator("patent_deadline_lead_days")
    @classmethod
    def _positive_days(cls, value: list[int]) -> list[int]:
        if not value or any(not 1 <= days <= 3650 for days in value):
            raise ValueError("lead times are 1 to 3650 days, at least one")
        return sorted(set(value), reverse=True)

    @model_validator(mode="after")
    def _rule(self) -> TechtransferSettings:
        rule = self.sharing_rule  # refuses parts that do not add up to 100%
        if rule.inventors < self.distribution_minimum_inventors_percent:
            raise ValueError(
                f"the sharing rule gives the inventors {rule.inventors}%, less than "
                f"the {self.distribution_minimum_inventors_percent}% they must have at least"
            )
        return self

    @property
    def sharing_rule(self) -> SharingRule:
        return SharingRule(
            inventors=self.distribution_inventors_percent,
            department=self.distribution_department_percent,
            university=self.distribution_university_percent,
        )

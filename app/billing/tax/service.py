"""Tax rates (master) and customers' billing profiles, and the tax of an invoice's lines."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.billing.tax import arithmetic, repository
from app.billing.tax.countries import COUNTRY_CODES
from app.customers.service.common import customer_in_scope
from app.kit import clock
from app.kit.errors import ErrorCode, UserInputError, UserInputErrors, not_found
from app.kit.ids import encode
from app.kit.uow import UnitOfWork
from app.kit.validation import checked_text
from app.models.invoices import BillingProfile, TaxRate

_REGION = re.compile(r"^[A-Z0-9]{1,3}$")  # the ISO 3166-2 subdivision part: `CA`, `BY`, `13`
MAX_TAX_ID = 64


def checked_country(value: str, field: str = "country") -> str:
    code = value.strip().upper()
    if code not in COUNTRY_CODES:
        raise UserInputError(
            "Give an ISO 3166-1 alpha-2 country code such as `DE` or `US`.",
            ErrorCode.INVALID,
            field,
        )
    return code


def checked_region(value: str | None, field: str = "region") -> str | None:
    if value is None or not value.strip():
        return None
    region = value.strip().upper()
    if "-" in region:  # `US-CA` given whole: keep the subdivision part
        region = region.split("-", 1)[1]
    if not _REGION.match(region):
        raise UserInputError(
            "Give the ISO 3166-2 subdivision code such as `CA` (of `US-CA`).",
            ErrorCode.INVALID,
            field,
        )
    return region


def jurisdiction_of(country: str, region: str | None) -> str:
    return country if region is None else f"{country}-{region}"


def _rate_view(rate: TaxRate) -> dict[str, Any]:
    return {
        "country": rate.country,
        "region": rate.region,
        "basisPoints": rate.basis_points,
        "inclusive": rate.inclusive,
        "displayName": rate.display_name,
        "archivedAt": rate.archived_at,
    }


async def create_tax_rate(
    uow: UnitOfWork,
    *,
    country: str,
    region: str | None,
    percentage: str,
    inclusive: bool,
    display_name: str,
) -> TaxRate:
    problems: list[UserInputError] = []
    values: dict[str, Any] = {}
    checks: dict[str, Any] = {
        "country": lambda: checked_country(country),
        "region": lambda: checked_region(region),
        "displayName": lambda: checked_text(display_name, "displayName", 100),
    }
    for name, check in checks.items():
        try:
            values[name] = check()
        except UserInputError as error:
            problems.append(error)
    try:
        values["basis_points"] = arithmetic.basis_points_of(percentage)
    except ValueError as error:
        problems.append(UserInputError(str(error), ErrorCode.INVALID, "percentage"))
    if problems:
        raise UserInputErrors(problems)
    rate = TaxRate(
        country=values["country"],
        region=values["region"],
        basis_points=values["basis_points"],
        inclusive=inclusive,
        display_name=values["displayName"],
        created_at=clock.now(),
    )
    uow.session.add(rate)
    await uow.session.flush()
    uow.record(
        "tax_rate.create", "TaxRate", encode(TaxRate.PREFIX, rate.id), after=_rate_view(rate)
    )
    return rate


async def archive_tax_rate(uow: UnitOfWork, rate_id: uuid.UUID) -> TaxRate:
    rate = await repository.tax_rate(uow.session, rate_id)
    if rate is None:
        raise not_found("Tax rate", "taxRateId")
    if rate.archived_at is not None:
        raise UserInputError(
            "This tax rate is archived already.", ErrorCode.INVALID_STATE, "taxRateId"
        )
    before = _rate_view(rate)
    rate.archived_at = clock.now()
    await uow.session.flush()
    uow.record(
        "tax_rate.archive",
        "TaxRate",
        encode(TaxRate.PREFIX, rate.id),
        before=before,
        after=_rate_view(rate),
    )
    return rate


# ---------------------------------------------------------------- billing profiles

_PROFILE_TEXT = {
    "name": 200,
    "line1": 200,
    "line2": 200,
    "city": 100,
    "postal_code": 32,
    "tax_id": MAX_TAX_ID,
}


def _profile_view(profile: BillingProfile | None) -> dict[str, Any]:
    if profile is None:
        return {}
    return {
        "name": profile.name,
        "line1": profile.line1,
        "line2": profile.line2,
        "city": profile.city,
        "postalCode": profile.postal_code,
        "country": profile.country,
        "region": profile.region,
        "taxId": profile.tax_id,
        "taxExempt": profile.tax_exempt,
    }


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


async def update_billing_profile(
    uow: UnitOfWork, *, customer_id: uuid.UUID, changes: dict[str, Any]
) -> BillingProfile:
    """Set the fields given (`None` clears a text field); country and region are checked
    against ISO 3166. `changes` keys are the profile's column names."""
    problems: list[UserInputError] = []
    values: dict[str, Any] = {}
    for name, value in changes.items():
        try:
            if name in _PROFILE_TEXT:
                text = checked_text(value or "", _camel(name), _PROFILE_TEXT[name], required=False)
                values[name] = text or None
            elif name == "country":
                values[name] = None if not value else checked_country(value)
            elif name == "region":
                values[name] = checked_region(value)
            elif name == "tax_exempt":
                values[name] = bool(value)
            else:
                raise KeyError(name)
        except UserInputError as error:
            problems.append(error)
    if problems:
        raise UserInputErrors(problems)
    customer = await customer_in_scope(uow, customer_id)
    profile = await repository.billing_profile(uow.session, customer.id)
    before = _profile_view(profile)
    now = clock.now()
    if profile is None:
        profile = BillingProfile(customer_id=customer.id, created_at=now, updated_at=now)
        uow.session.add(profile)
    for name, value in values.items():
        setattr(profile, name, value)
    after = _profile_view(profile)
    if after != before:
        profile.updated_at = now
        await uow.session.flush()
        uow.record(
            "customer.billing_profile.update",
            "Customer",
            encode("cus", customer.id),
            before=before,
            after=after,
            customer_id=customer.id,
        )
    return profile


# ---------------------------------------------------------------- the tax of lines


@dataclass(frozen=True, slots=True)
class LineTax:
    tax_rate_id: uuid.UUID | None
    tax_amount: int
    inclusive: bool
    jurisdiction: str | None


@dataclass(frozen=True, slots=True)
class InvoiceTax:
    lines: list[LineTax]
    reverse_charge: bool

    @property
    def exclusive_total(self) -> int:
        return sum(line.tax_amount for line in self.lines if not line.inclusive)

    @property
    def total(self) -> int:
        return sum(line.tax_amount for line in self.lines)


def rate_for(rates: Sequence[TaxRate], region: str | None) -> TaxRate | None:
    """The most specific active rate: the region's own, else the country-wide one."""
    regional = [rate for rate in rates if region is not None and rate.region == region]
    national = [rate for rate in rates if rate.region is None]
    chosen = regional or national
    return chosen[-1] if chosen else None  # the newest wins if several apply


async def tax_for(
    uow: UnitOfWork, profile: BillingProfile | None, bases: Sequence[int]
) -> InvoiceTax:
    """The tax of lines whose taxable bases (amount after discount) are `bases`.

    No billing country, or no active rate for it: no tax. A customer with a tax id or marked
    exempt pays none (reverse charge, noted on the invoice, when it has a tax id); the line
    still names the jurisdiction and rate, so the tax export can list zero-rated sales.
    """
    if profile is None or profile.country is None:
        return InvoiceTax([LineTax(None, 0, False, None) for _ in bases], False)
    rate = rate_for(await repository.active_rates(uow.session, profile.country), profile.region)
    jurisdiction = jurisdiction_of(profile.country, rate.region if rate else None)
    if rate is None:
        return InvoiceTax([LineTax(None, 0, False, jurisdiction) for _ in bases], False)
    reverse = profile.tax_id is not None
    exempt = reverse or profile.tax_exempt
    lines = []
    for base in bases:
        if exempt:
            amount = 0
        elif rate.inclusive:
            amount = arithmetic.inclusive_tax(base, rate.basis_points)
        else:
            amount = arithmetic.exclusive_tax(base, rate.basis_points)
        lines.append(LineTax(rate.id, amount, rate.inclusive, jurisdiction))
    return InvoiceTax(lines, reverse)

"""Customer accounts: create, update, deactivate, reactivate, staff notes."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from app.customers import repository
from app.customers.service.common import (
    MAX_NAME,
    MAX_NOTE,
    MAX_REASON,
    customer_in_scope,
    is_master,
    validated,
)
from app.kit import clock, hooks
from app.kit.errors import ErrorCode, UserInputError, UserInputErrors
from app.kit.ids import encode
from app.kit.uow import UnitOfWork
from app.kit.validation import checked_email, checked_slug, checked_text
from app.models import (
    Customer,
    CustomerNote,
    CustomerStatus,
)


def customer_public_id(customer: Customer) -> str:
    return encode(Customer.PREFIX, customer.id)


def snapshot(customer: Customer, plan_code: str | None) -> dict[str, Any]:
    """The audited view of a customer."""
    return {
        "slug": customer.slug,
        "name": customer.name,
        "billingEmail": customer.billing_email,
        "planCode": plan_code,
        "status": customer.status,
        "deactivationReason": customer.deactivation_reason,
    }


def _publish(uow: UnitOfWork, event_type: str, customer: Customer, **extra: Any) -> None:
    data = {"customerId": customer_public_id(customer), "slug": customer.slug, **extra}
    uow.publish(event_type, data, customer_id=customer.id)


def _record_customer(
    uow: UnitOfWork, action: str, customer: Customer, before: dict[str, Any], after: dict[str, Any]
) -> None:
    uow.record(
        action,
        "Customer",
        customer_public_id(customer),
        before=before,
        after=after,
        customer_id=customer.id,
    )


async def _plan_id(uow: UnitOfWork, code: str) -> uuid.UUID:
    plan_id = await repository.plan_id_by_code(uow.session, code.strip())
    if plan_id is None:
        raise UserInputError("No plan has this code.", ErrorCode.NOT_FOUND, "planCode")
    return plan_id


async def _require_free_slug(
    uow: UnitOfWork, slug: str, except_id: uuid.UUID | None = None
) -> None:
    if await repository.slug_taken(uow.session, slug, except_id):
        raise UserInputError("Another customer has this slug.", ErrorCode.SLUG_TAKEN, "slug")


async def create_customer(
    uow: UnitOfWork, *, slug: str, name: str, billing_email: str, plan_code: str | None
) -> Customer:
    values = validated(
        slug=lambda: checked_slug(slug),
        name=lambda: checked_text(name, "name", MAX_NAME),
        billing_email=lambda: checked_email(billing_email, "billingEmail"),
    )
    await _require_free_slug(uow, values["slug"])
    plan_id = await _plan_id(uow, plan_code) if plan_code is not None else None
    now = clock.now()
    customer = Customer(
        slug=values["slug"],
        name=values["name"],
        billing_email=values["billing_email"],
        plan_id=plan_id,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(customer)
    await uow.session.flush()
    plan = plan_code.strip() if plan_code is not None else None
    _record_customer(uow, "customer.create", customer, {}, snapshot(customer, plan))
    _publish(uow, "customer.created", customer)
    return customer


def _refuse_master_fields(uow: UnitOfWork, slug: str | None, plan_code: str | None) -> None:
    if is_master(uow):
        return
    refused = [
        UserInputError(f"Only a master admin may change the {label}.", ErrorCode.FORBIDDEN, name)
        for name, label, value in (("slug", "slug", slug), ("planCode", "plan", plan_code))
        if value is not None
    ]
    if refused:
        raise UserInputErrors(refused)


async def update_customer(
    uow: UnitOfWork,
    *,
    customer_id: uuid.UUID,
    name: str | None = None,
    billing_email: str | None = None,
    slug: str | None = None,
    plan_code: str | None = None,
) -> Customer:
    """A session admin may change the name and billing email; a master anything here."""
    customer = await customer_in_scope(uow, customer_id)
    _refuse_master_fields(uow, slug, plan_code)
    checks: dict[str, Callable[[], str]] = {}
    if name is not None:
        checks["name"] = lambda: checked_text(name, "name", MAX_NAME)
    if billing_email is not None:
        checks["billing_email"] = lambda: checked_email(billing_email, "billingEmail")
    if slug is not None:
        checks["slug"] = lambda: checked_slug(slug)
    values = validated(**checks)
    old_plan = await repository.plan_code(uow.session, customer.plan_id)
    before = snapshot(customer, old_plan)
    if "slug" in values and values["slug"] != customer.slug:
        await _require_free_slug(uow, values["slug"], customer.id)
        customer.slug = values["slug"]
    customer.name = values.get("name", customer.name)
    customer.billing_email = values.get("billing_email", customer.billing_email)
    new_plan = old_plan
    if plan_code is not None:
        customer.plan_id = await _plan_id(uow, plan_code)
        new_plan = plan_code.strip()
    after = snapshot(customer, new_plan)
    if after == before:
        return customer
    customer.updated_at = clock.now()
    await uow.session.flush()
    _record_customer(uow, "customer.update", customer, before, after)
    if new_plan != old_plan:
        await hooks.customer_changed(uow, customer.id)  # its API keys take the new limits
    changed = sorted(key for key in after if after[key] != before.get(key))
    _publish(uow, "customer.updated", customer, changed=changed)
    return customer


async def deactivate_customer(uow: UnitOfWork, *, customer_id: uuid.UUID, reason: str) -> Customer:
    """Nothing is destroyed: the account leaves its admins' scope and invitations to it fail."""
    reason = checked_text(reason, "reason", MAX_REASON)
    customer = await customer_in_scope(uow, customer_id)
    if customer.status is CustomerStatus.DEACTIVATED:
        raise UserInputError(
            "This customer is already deactivated.", ErrorCode.INVALID_STATE, "customerId"
        )
    plan = await repository.plan_code(uow.session, customer.plan_id)
    before = snapshot(customer, plan)
    now = clock.now()
    customer.status = CustomerStatus.DEACTIVATED
    customer.deactivated_at = now
    customer.deactivation_reason = reason
    customer.updated_at = now
    await uow.session.flush()
    _record_customer(uow, "customer.deactivate", customer, before, snapshot(customer, plan))
    await hooks.customer_changed(uow, customer.id)  # its API keys stop verifying
    _publish(uow, "customer.deactivated", customer)
    return customer


async def reactivate_customer(
    uow: UnitOfWork, *, customer_id: uuid.UUID, reason: str | None
) -> Customer:
    reason = checked_text(reason or "", "reason", MAX_REASON, required=False)
    customer = await customer_in_scope(uow, customer_id)
    if customer.status is not CustomerStatus.DEACTIVATED:
        raise UserInputError(
            "This customer is not deactivated.", ErrorCode.INVALID_STATE, "customerId"
        )
    plan = await repository.plan_code(uow.session, customer.plan_id)
    before = snapshot(customer, plan)
    customer.status = CustomerStatus.ACTIVE
    customer.deactivated_at = None
    customer.deactivation_reason = None
    customer.updated_at = clock.now()
    await uow.session.flush()
    after = snapshot(customer, plan) | ({"reactivationReason": reason} if reason else {})
    _record_customer(uow, "customer.reactivate", customer, before, after)
    await hooks.customer_changed(uow, customer.id)  # its API keys verify again
    _publish(uow, "customer.reactivated", customer)
    return customer


async def add_note(uow: UnitOfWork, *, customer_id: uuid.UUID, body: str) -> CustomerNote:
    body = checked_text(body, "body", MAX_NOTE)
    customer = await customer_in_scope(uow, customer_id)
    note = CustomerNote(
        customer_id=customer.id, author_id=uow.actor.id, body=body, created_at=clock.now()
    )
    uow.session.add(note)
    await uow.session.flush()
    uow.record(
        "customer_note.create",
        "CustomerNote",
        encode(CustomerNote.PREFIX, note.id),
        after={"customerId": customer_public_id(customer), "body": body},
        customer_id=customer.id,
    )
    return note

"""Call, then commit: a local failure after a Stripe success undoes the Stripe change."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.billing.gateway.stripe import StripeGateway
from app.billing.gateway.stripe_compensation import (
    COMPENSATED,
    COMPENSATION_FAILED,
    call_then_commit,
)
from app.billing.gateway.stripe_types import GatewayError
from app.db import Database
from app.kit.actor import Actor
from app.kit.errors import ErrorCode, UserInputError
from app.kit.scope import EVERYTHING
from app.kit.uow import UnitOfWork
from app.models.tables import AUDIT_EVENTS, CUSTOMERS
from tests.billing.fake_stripe import FakeStripe
from tests.support import rows

ACTOR = Actor.system("test")


def customers_in(fake: FakeStripe) -> list[str]:
    return [key for key, obj in fake.objects.items() if obj["object"] == "customer"]


async def audit_actions(db: Database) -> list[tuple[str, str, str | None]]:
    found = await rows(
        db, sa.select(AUDIT_EVENTS.c.action, AUDIT_EVENTS.c.target_type, AUDIT_EVENTS.c.target_id)
    )
    return [(row.action, row.target_type, row.target_id) for row in found]


@pytest.mark.parametrize(
    "failure",
    [UserInputError("a rule found late", ErrorCode.CONFLICT), RuntimeError("a bug")],
    ids=["business-failure", "error"],
)
async def test_a_local_failure_after_a_stripe_success_undoes_it(
    db: Database, gateway: StripeGateway, fake: FakeStripe, failure: Exception
) -> None:
    made: list[str] = []

    async def work(uow: UnitOfWork) -> None:
        created = await call_then_commit(
            uow,
            lambda: gateway.ensure_customer(
                customer_id="cus_1", name="Acme", idempotency_key="m-1"
            ),
            gateway.undo_customer,
            what="customer",
        )
        made.append(created)
        uow.record("billing.customer_linked", "customer", "cus_1", after={"stripe": created})
        raise failure

    with pytest.raises(type(failure)):
        await db.run(work, actor=ACTOR, row_scope=EVERYTHING)
    assert customers_in(fake) == []
    assert [(r.method, r.path) for r in fake.requests] == [
        ("POST", "/v1/customers"),
        ("DELETE", f"/v1/customers/{made[0]}"),
    ]
    # The failed work left nothing; the compensation left its audit event.
    assert await audit_actions(db) == [(COMPENSATED, "stripe_customer", made[0])]


async def test_a_failed_commit_undoes_it_too(
    db: Database, gateway: StripeGateway, fake: FakeStripe
) -> None:
    async def work(uow: UnitOfWork) -> None:
        await call_then_commit(
            uow,
            lambda: gateway.ensure_customer(customer_id="cus_1", name="Acme", idempotency_key=None),
            gateway.undo_customer,
            what="customer",
        )

        async def broken(_: UnitOfWork) -> None:
            # A row the database refuses at commit time: a name is required.
            await uow.session.execute(sa.insert(CUSTOMERS).values(id=None))

        uow.before_commit.append(broken)

    with pytest.raises(sa.exc.IntegrityError):
        await db.run(work, actor=ACTOR, row_scope=EVERYTHING)
    assert customers_in(fake) == []


async def test_a_committed_work_keeps_the_stripe_change(
    db: Database, gateway: StripeGateway, fake: FakeStripe
) -> None:
    async def work(uow: UnitOfWork) -> str:
        return await call_then_commit(
            uow,
            lambda: gateway.ensure_customer(customer_id="cus_1", name="Acme", idempotency_key=None),
            gateway.undo_customer,
            what="customer",
        )

    created = await db.run(work, actor=ACTOR, row_scope=EVERYTHING)
    assert customers_in(fake) == [created]
    assert await audit_actions(db) == []


async def test_a_refused_undo_is_recorded_for_an_operator(
    db: Database, gateway: StripeGateway, fake: FakeStripe
) -> None:
    async def work(uow: UnitOfWork) -> None:
        created = await call_then_commit(
            uow,
            lambda: gateway.ensure_customer(customer_id="cus_1", name="Acme", idempotency_key=None),
            gateway.undo_customer,
            what="customer",
        )
        del fake.objects[created]  # gone meanwhile: the undo is refused (404)
        raise UserInputError("late", ErrorCode.CONFLICT)

    with pytest.raises(UserInputError):
        await db.run(work, actor=ACTOR, row_scope=EVERYTHING)
    [(action, target_type, _)] = await audit_actions(db)
    assert (action, target_type) == (COMPENSATION_FAILED, "stripe_customer")


async def test_a_refused_call_propagates_and_registers_nothing(
    db: Database, gateway: StripeGateway
) -> None:
    async def work(uow: UnitOfWork) -> None:
        await call_then_commit(
            uow,
            lambda: gateway.grant_balance(
                "cus_missing", amount=1, currency="usd", description="x", idempotency_key=None
            ),
            lambda _: gateway.undo_balance("cus_missing", amount=1, currency="usd"),
            what="balance",
        )

    with pytest.raises(GatewayError, match="No such customer"):
        await db.run(work, actor=ACTOR, row_scope=EVERYTHING)
    assert await audit_actions(db) == []


async def test_a_dry_run_never_reaches_stripe(
    db: Database, gateway: StripeGateway, fake: FakeStripe
) -> None:
    async def work(uow: UnitOfWork) -> None:
        await call_then_commit(
            uow,
            lambda: gateway.ensure_customer(customer_id="cus_1", name="Acme", idempotency_key=None),
            gateway.undo_customer,
            what="customer",
        )

    with pytest.raises(RuntimeError, match="dry run"):
        await db.run(work, actor=ACTOR, row_scope=EVERYTHING, dry_run=True)
    assert fake.requests == []

"""plans_and_subscriptions

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 23:45:07.701582
"""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(
        year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1])
    )


def _sla_percent(text: str | None) -> Decimal | None:
    if not text:
        return None
    try:
        return Decimal(text.strip().rstrip("%").strip()).quantize(Decimal("0.001"))
    except InvalidOperation:
        return None


def _uuid7() -> uuid.UUID:
    from app.kit.ids import uuid7

    return uuid7()


def _migrate_data() -> None:
    """Every plan gets its current version row and its SLA as a percentage; every customer
    on a plan gets an ACTIVE subscription on it, starting a period now (subscriptions are the
    source of truth from here on; `customers.plan_id` follows them)."""
    bind = op.get_bind()
    plans = sa.table(
        "plans",
        sa.column("id", sa.Uuid()),
        sa.column("price_amount", sa.BigInteger()),
        sa.column("currency", sa.String()),
        sa.column("interval", sa.String()),
        sa.column("monthly_quota", sa.BigInteger()),
        sa.column("rate_per_second", sa.Integer()),
        sa.column("seats", sa.Integer()),
        sa.column("sla", sa.String()),
        sa.column("sla_percent", sa.Numeric(6, 3)),
        sa.column("features", JSON_TYPE),
        sa.column("version", sa.Integer()),
    )
    versions = sa.table(
        "plan_versions",
        *(
            sa.column(name, kind)
            for name, kind in (
                ("id", sa.Uuid()),
                ("plan_id", sa.Uuid()),
                ("version", sa.Integer()),
                ("price_amount", sa.BigInteger()),
                ("currency", sa.String()),
                ("interval", sa.String()),
                ("monthly_quota", sa.BigInteger()),
                ("rate_per_second", sa.Integer()),
                ("seats", sa.Integer()),
                ("sla_percent", sa.Numeric(6, 3)),
                ("created_at", sa.DateTime(timezone=True)),
            )
        ),
    )
    customers = sa.table("customers", sa.column("id", sa.Uuid()), sa.column("plan_id", sa.Uuid()))
    subscriptions = sa.table(
        "subscriptions",
        *(sa.column(name, sa.Uuid()) for name in "id customer_id plan_id plan_version_id".split()),
        *(
            sa.column(name, sa.DateTime(timezone=True))
            for name in (
                "current_period_start current_period_end billing_cycle_anchor created_at updated_at"
            ).split()
        ),
        *(
            sa.column(name)
            for name in (
                "plan_version price_amount currency interval status cancel_at_period_end "
                "billing_override"
            ).split()
        ),
    )
    sqlite = bind.dialect.name == "sqlite"
    now = datetime.now(UTC).replace(microsecond=0)
    stamp: Any = now.replace(tzinfo=None) if sqlite else now
    version_of: dict[Any, dict[str, Any]] = {}
    for plan in bind.execute(sa.select(plans)).mappings().all():
        sla = _sla_percent(plan["sla"])
        bind.execute(
            plans.update().where(plans.c.id == plan["id"]).values(sla_percent=sla, features={})
        )
        row = {
            "id": _uuid7(),
            "plan_id": plan["id"],
            "version": plan["version"],
            "price_amount": plan["price_amount"],
            "currency": plan["currency"],
            "interval": plan["interval"],
            "monthly_quota": plan["monthly_quota"],
            "rate_per_second": plan["rate_per_second"],
            "seats": plan["seats"],
            "sla_percent": sla,
            "created_at": stamp,
        }
        bind.execute(versions.insert().values(**row))
        version_of[plan["id"]] = row
    on_plan = sa.select(customers.c.id, customers.c.plan_id).where(customers.c.plan_id.isnot(None))
    for customer in bind.execute(on_plan).mappings().all():
        version = version_of[customer["plan_id"]]
        months = 12 if version["interval"] == "YEAR" else 1
        end = _add_months(now, months)
        bind.execute(
            subscriptions.insert().values(
                id=_uuid7(),
                customer_id=customer["id"],
                plan_id=customer["plan_id"],
                plan_version_id=version["id"],
                plan_version=version["version"],
                price_amount=version["price_amount"],
                currency=version["currency"],
                interval=version["interval"],
                status="ACTIVE",
                current_period_start=stamp,
                current_period_end=end.replace(tzinfo=None) if sqlite else end,
                billing_cycle_anchor=stamp,
                cancel_at_period_end=False,
                billing_override=False,
                created_at=stamp,
                updated_at=stamp,
            )
        )


def upgrade() -> None:
    op.create_table(
        "plan_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("price_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "interval",
            sa.Enum("MONTH", "YEAR", name="planinterval", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("monthly_quota", sa.BigInteger(), nullable=True),
        sa.Column("rate_per_second", sa.Integer(), nullable=True),
        sa.Column("seats", sa.Integer(), nullable=True),
        sa.Column("sla_percent", sa.Numeric(precision=6, scale=3), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plans.id"],
            name=op.f("fk_plan_versions_plan_id_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_versions")),
        sa.UniqueConstraint("plan_id", "version", name=op.f("uq_plan_versions_plan_id_version")),
    )
    with op.batch_alter_table("plan_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_versions_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "billing_override_skips",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=True),
        sa.Column("provider_event_id", sa.String(length=255), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_billing_override_skips_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_override_skips")),
    )
    with op.batch_alter_table("billing_override_skips", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_billing_override_skips_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            "ix_billing_override_skips_customer_received",
            ["customer_id", "received_at"],
            unique=False,
        )

    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("plan_version_id", sa.Uuid(), nullable=False),
        sa.Column("plan_version", sa.Integer(), nullable=False),
        sa.Column("price_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "interval",
            sa.Enum("MONTH", "YEAR", name="planinterval", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "TRIALING",
                "ACTIVE",
                "PAST_DUE",
                "CANCELED",
                name="subscriptionstatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("trial_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("trial_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("current_period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("current_period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("billing_cycle_anchor", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancel_at_period_end", sa.Boolean(), nullable=False),
        sa.Column("canceled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.Column("limits_override", JSON_TYPE, nullable=True),
        sa.Column("limits_override_reason", sa.String(length=500), nullable=True),
        sa.Column("billing_override", sa.Boolean(), nullable=False),
        sa.Column("billing_override_reason", sa.String(length=500), nullable=True),
        sa.Column("stripe_subscription_id", sa.String(length=255), nullable=True),
        sa.Column("stripe_customer_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_subscriptions_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plans.id"],
            name=op.f("fk_subscriptions_plan_id_plans"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["plan_version_id"],
            ["plan_versions.id"],
            name=op.f("fk_subscriptions_plan_version_id_plan_versions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
    )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subscriptions_current_period_end"), ["current_period_end"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_subscriptions_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_subscriptions_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_subscriptions_plan_version_id"), ["plan_version_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_subscriptions_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_subscriptions_stripe_subscription_id"),
            ["stripe_subscription_id"],
            unique=False,
        )
        batch_op.create_index(
            "uq_subscriptions_live_customer",
            ["customer_id"],
            unique=True,
            sqlite_where=sa.text("status != 'CANCELED'"),
            postgresql_where=sa.text("status != 'CANCELED'"),
        )

    op.create_table(
        "pending_invoice_items",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("PRORATION", name="pendingitemkind", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("invoice_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_pending_invoice_items_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_pending_invoice_items_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_invoice_items")),
    )
    with op.batch_alter_table("pending_invoice_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pending_invoice_items_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_pending_invoice_items_invoice_id"), ["invoice_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_pending_invoice_items_subscription_id"),
            ["subscription_id"],
            unique=False,
        )

    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("trial_days", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("sla_percent", sa.Numeric(precision=6, scale=3), nullable=True)
        )
        batch_op.add_column(sa.Column("features", JSON_TYPE, nullable=True))
        batch_op.add_column(
            sa.Column(
                "status",
                sa.Enum("ACTIVE", "ARCHIVED", name="planstatus", native_enum=False, length=24),
                nullable=False,
                server_default="ACTIVE",
            )
        )
        batch_op.create_index(batch_op.f("ix_plans_status"), ["status"], unique=False)
    _migrate_data()
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.alter_column("features", existing_type=JSON_TYPE, nullable=False)
        batch_op.alter_column("trial_days", server_default=None)
        batch_op.alter_column("status", server_default=None)
        batch_op.drop_column("sla")


def downgrade() -> None:
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sla", sa.String(length=100), nullable=True))
        batch_op.drop_index(batch_op.f("ix_plans_status"))
        batch_op.drop_column("status")
        batch_op.drop_column("features")
        batch_op.drop_column("sla_percent")
        batch_op.drop_column("trial_days")

    with op.batch_alter_table("pending_invoice_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_invoice_items_subscription_id"))
        batch_op.drop_index(batch_op.f("ix_pending_invoice_items_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_pending_invoice_items_customer_id"))

    op.drop_table("pending_invoice_items")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_subscriptions_live_customer",
            sqlite_where=sa.text("status != 'CANCELED'"),
            postgresql_where=sa.text("status != 'CANCELED'"),
        )
        batch_op.drop_index(batch_op.f("ix_subscriptions_stripe_subscription_id"))
        batch_op.drop_index(batch_op.f("ix_subscriptions_status"))
        batch_op.drop_index(batch_op.f("ix_subscriptions_plan_version_id"))
        batch_op.drop_index(batch_op.f("ix_subscriptions_plan_id"))
        batch_op.drop_index(batch_op.f("ix_subscriptions_customer_id"))
        batch_op.drop_index(batch_op.f("ix_subscriptions_current_period_end"))

    op.drop_table("subscriptions")
    with op.batch_alter_table("billing_override_skips", schema=None) as batch_op:
        batch_op.drop_index("ix_billing_override_skips_customer_received")
        batch_op.drop_index(batch_op.f("ix_billing_override_skips_customer_id"))

    op.drop_table("billing_override_skips")
    with op.batch_alter_table("plan_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_versions_plan_id"))

    op.drop_table("plan_versions")

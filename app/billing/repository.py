"""SQL of the billing domain lives in its parts: `app.billing.plans.repository` (the catalog)
and `app.billing.subscriptions.repository`; this name stays for readers of the plan model."""

from __future__ import annotations

from app.billing.plans.repository import PLAN_MODEL, PLAN_VERSION_MODEL

__all__ = ["PLAN_MODEL", "PLAN_VERSION_MODEL"]

"""Loaders of the billing domain."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Row

from app.billing.repository import PLAN_MODEL
from app.graphql.billing.types import Plan
from app.graphql.dataloaders import OneByKeyLoader


class PlanByIdLoader(OneByKeyLoader[Plan]):
    model = PLAN_MODEL

    def convert(self, row: Row[Any]) -> Plan:
        return Plan.from_row(row)

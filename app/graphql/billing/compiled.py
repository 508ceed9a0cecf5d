"""What the compiled read path may answer in the billing domain."""

from __future__ import annotations

from app.graphql.compiled.declare import compilable_type

compilable_type(
    "Plan",
    "code",
    "name",
    "description",
    "interval",
    "trialDays",
    "status",
    "version",
    "archivedAt",
    "createdAt",
    "updatedAt",
    "subscribersCount",
)

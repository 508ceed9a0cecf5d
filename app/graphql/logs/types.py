"""GraphQL types of the stored logs and their error groups."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import strawberry

from app.graphql.model_types import ModelObject, model_type
from app.graphql.node import Node
from app.graphql.scalars import JSON
from app.logs.repository import LOG_ENTRY_MODEL


@strawberry.enum(description="A log level; as a filter, that level and every level above it.")
class LogLevel(enum.Enum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"
    CRITICAL = "CRITICAL"


@model_type(
    LOG_ENTRY_MODEL,
    description="One stored log line (INFO and above), with the request it was written in.",
)
class LogEntry(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    created_at: datetime
    level: str = strawberry.field(description="DEBUG, INFO, WARNING, ERROR or CRITICAL.")
    logger: str
    message: str
    request_id: str | None
    operation_name: str | None = strawberry.field(description="The GraphQL operation's name.")
    principal_id: str | None = strawberry.field(
        description="The public id of the master key or user that made the request."
    )
    principal_kind: str | None = strawberry.field(description="MASTER_KEY or USER.")
    duration_ms: float | None = strawberry.field(description="The request's duration.")
    data: JSON = strawberry.field(description="The line's other structured fields.")
    error_type: str | None = strawberry.field(description="The exception's qualified type.")
    error_place: str | None = strawberry.field(
        description="module:function:line of the innermost frame of Admiral's code."
    )
    fingerprint: str | None = strawberry.field(description="The error group it belongs to.")
    stack: str | None


@strawberry.type(
    description="Stored errors of one kind: the same exception type raised at the same place."
)
class ErrorGroup:
    fingerprint: str = strawberry.field(
        description="The group's key; `logs(filter: {fingerprint})` lists its entries."
    )
    title: str = strawberry.field(description="The type and the newest entry's message.")
    error_type: str
    place: str = strawberry.field(description="module:function:line.")
    count: int
    first_seen: datetime
    last_seen: datetime
    sample_request_id: str | None = strawberry.field(description="The request of the newest entry.")

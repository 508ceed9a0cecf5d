"""GraphQL types of the licenses domain."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from app.graphql.context import Info
from app.graphql.customers.types import Customer
from app.graphql.model_types import ModelObject, model_type
from app.graphql.node import Node
from app.graphql.preload import related
from app.graphql.projects.types import Project
from app.graphql.scalars import JSON
from app.licenses.repository import (
    ACTIVATION_MODEL,
    LICENSE_MODEL,
    MACHINE_MODEL,
    SIGNING_KEY_MODEL,
)
from app.models.licenses import ActivationEvent, LicenseStatus, SigningKeyStatus

LicenseStatusEnum = strawberry.enum(
    LicenseStatus,
    name="LicenseStatus",
    description="Derived, by precedence: REVOKED > SUSPENDED (by an operator or by billing) > "
    "EXPIRED > EXPIRING (within 30 days) > ACTIVE.",
)
SigningKeyStatusEnum = strawberry.enum(
    SigningKeyStatus,
    name="SigningKeyStatus",
    description="ACTIVE signs; RETIRING is replaced but still published (the overlap); "
    "RETIRED is no longer published.",
)
ActivationEventEnum = strawberry.enum(ActivationEvent, name="LicenseActivationEvent")


@model_type(
    SIGNING_KEY_MODEL,
    description="An Ed25519 key that signs license keys, license files and revocation lists. "
    "Its private half is encrypted at rest and never returned.",
)
class SigningKey(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    kid: str = strawberry.field(description="The key id tokens name in their header.")
    algorithm: str = strawberry.field(description="Always `EdDSA` (Ed25519).")
    public_key: str = strawberry.field(description="The raw public key, base64url (the JWK's `x`).")
    status: SigningKeyStatus
    created_at: datetime
    retires_at: datetime | None = strawberry.field(
        description="When a replaced key stops being published (the end of the overlap)."
    )
    project_id: strawberry.ID | None = strawberry.field(
        description="The project whose key it is; null for the platform's key."
    )


@model_type(MACHINE_MODEL, description="A machine a license was activated on (by heartbeat).")
class LicenseMachine(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    fingerprint: str
    hostname: str | None
    platform: str | None
    activated_at: datetime
    last_heartbeat_at: datetime
    deactivated_at: datetime | None
    alive: bool = strawberry.field(
        description="Heard from within the heartbeat window and not deactivated: it holds a seat."
    )
    license_id: strawberry.ID


@model_type(ACTIVATION_MODEL, description="One activation or deactivation of a machine.")
class LicenseActivation(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    fingerprint: str
    hostname: str | None
    event: ActivationEvent
    reason: str | None
    created_at: datetime


@model_type(
    LICENSE_MODEL,
    description="A license of a customer: an Ed25519-signed key its product verifies offline "
    "(README: licenses). The key is shown once, when issued or reissued.",
)
class License(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    key_hint: str = strawberry.field(description="The last characters of the key.")
    status: LicenseStatus
    plan_code: str | None
    entitlements: list[str]
    max_machines: int = strawberry.field(
        description="Seats: machines alive at once (0: not bound to machines)."
    )
    metadata: JSON
    issued_at: datetime = strawberry.field(description="When its current key was signed.")
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None
    suspended_at: datetime | None = strawberry.field(description="Suspended by an operator.")
    billing_suspended_at: datetime | None = strawberry.field(
        description="Held by billing (a canceled or long past-due subscription) until it pays."
    )
    revoked_at: datetime | None
    revoked_reason: str | None
    signing_key_id: strawberry.ID = strawberry.field(description="The kid of its current key.")

    @strawberry.field
    def customer(self, info: Info) -> Customer | None:
        return related(self, info, "customer")  # type: ignore[no-any-return]

    @strawberry.field
    def project(self, info: Info) -> Project | None:
        return related(self, info, "project")  # type: ignore[no-any-return]

    @strawberry.field(description="Its machines, oldest first, deactivated ones included.")
    def machines(self, info: Info) -> list[LicenseMachine]:
        return related(self, info, "machines")  # type: ignore[no-any-return]

    @strawberry.field(description="Every activation and deactivation, oldest first.")
    def activations(self, info: Info) -> list[LicenseActivation]:
        return related(self, info, "activations")  # type: ignore[no-any-return]


@strawberry.type(description="A signed license file for an air-gapped machine.")
class LicenseFile:
    token: str = strawberry.field(
        description="A JWS (`typ: license-file`) signed like license keys; verify it offline."
    )
    issued_at: datetime
    expires_at: datetime = strawberry.field(description="Past this, the file is not to be trusted.")

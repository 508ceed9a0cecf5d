"""License and signing key mutations (masters only).

A license's key is in the payload of the mutation that signs it, once: never stored for an
idempotent replay, blank on a dry run (which issues nothing).
"""

import uuid
from datetime import datetime
from typing import ClassVar

import strawberry

from app.graphql.context import Info
from app.graphql.customers.mutations.ids import customer_id_of
from app.graphql.licenses.types import License, LicenseMachine, SigningKey
from app.graphql.model_types import read_back
from app.graphql.mutation import Payload, input_id, mutation
from app.graphql.permissions import master_writer
from app.graphql.scalars import JSON
from app.kit.uow import UnitOfWork
from app.licenses import service, signing
from app.models.projects import Project


def _license_id(value: strawberry.ID) -> uuid.UUID:
    license_id: uuid.UUID = input_id(value, License.PREFIX, "licenseId", "License")
    return license_id


def _project_id(value: strawberry.ID | None) -> uuid.UUID | None:
    if value is None:
        return None
    project_id: uuid.UUID = input_id(value, Project.PREFIX, "projectId", "Project")
    return project_id


def _secret_key(info: Info) -> str:
    return info.context.runtime.secret_key


@strawberry.input
class LicenseIssueInput:
    customer_id: strawberry.ID
    project_id: strawberry.ID | None = strawberry.field(
        default=None, description="Signed with this project's key when it has one."
    )
    plan_code: str | None = None
    entitlements: list[str]
    max_machines: int = strawberry.field(
        description="Machines alive at once, 0 to 100000 (0: not bound to machines)."
    )
    expires_at: datetime | None = None
    metadata: JSON | None = None


@strawberry.type
class LicenseIssuePayload(Payload):
    license: License | None = None
    key: str | None = strawberry.field(
        default=None, description="The license key itself, shown this once (null on a dry run)."
    )

    secret_fields: ClassVar[frozenset[str]] = frozenset({"key"})


@mutation(master_writer, "Issue a license to a customer; its signed key is shown once.")
async def license_issue(
    info: Info, input: LicenseIssueInput, uow: UnitOfWork
) -> LicenseIssuePayload:
    issued = await service.issue(
        uow,
        customer_id=customer_id_of(input.customer_id),
        project_id=_project_id(input.project_id),
        plan_code=input.plan_code,
        entitlements=input.entitlements,
        max_machines=input.max_machines,
        expires_at=input.expires_at,
        metadata=input.metadata,
        secret_key=_secret_key(info),
    )
    return LicenseIssuePayload(
        license=await read_back(uow.session, License, issued.license.id), key=issued.key
    )


@strawberry.input
class LicenseUpdateInput:
    license_id: strawberry.ID
    expires_at: datetime | None = None
    clear_expiry: bool = strawberry.field(default=False, description="Make it never expire.")
    max_machines: int | None = None
    entitlements: list[str] | None = None
    metadata: JSON | None = None


@strawberry.type
class LicensePayload(Payload):
    license: License | None = None


@mutation(
    master_writer,
    "Change a license's expiry, seats, entitlements or metadata; validation follows at once "
    "(keys already given keep their signed claims: reissue for offline checks to follow).",
)
async def license_update(info: Info, input: LicenseUpdateInput, uow: UnitOfWork) -> LicensePayload:
    license = await service.update(
        uow,
        license_id=_license_id(input.license_id),
        expires_at=input.expires_at,
        clear_expiry=input.clear_expiry,
        max_machines=input.max_machines,
        entitlements=input.entitlements,
        metadata=input.metadata,
    )
    return LicensePayload(license=await read_back(uow.session, License, license.id))


@strawberry.input
class LicenseSuspendInput:
    license_id: strawberry.ID


@mutation(master_writer, "Suspend a license: validation and heartbeats answer SUSPENDED.")
async def license_suspend(
    info: Info, input: LicenseSuspendInput, uow: UnitOfWork
) -> LicensePayload:
    license = await service.suspend(uow, license_id=_license_id(input.license_id))
    return LicensePayload(license=await read_back(uow.session, License, license.id))


@strawberry.input
class LicenseReinstateInput:
    license_id: strawberry.ID


@mutation(master_writer, "Lift an operator's suspension (a hold by billing lasts until it pays).")
async def license_reinstate(
    info: Info, input: LicenseReinstateInput, uow: UnitOfWork
) -> LicensePayload:
    license = await service.reinstate(uow, license_id=_license_id(input.license_id))
    return LicensePayload(license=await read_back(uow.session, License, license.id))


@strawberry.input
class LicenseRevokeInput:
    license_id: strawberry.ID
    reason: str


@mutation(
    master_writer,
    "Revoke a license for good: refused at the next validation or heartbeat, and listed in "
    "the signed revocation list.",
)
async def license_revoke(info: Info, input: LicenseRevokeInput, uow: UnitOfWork) -> LicensePayload:
    license = await service.revoke(
        uow, license_id=_license_id(input.license_id), reason=input.reason
    )
    return LicensePayload(license=await read_back(uow.session, License, license.id))


@strawberry.input
class LicenseReissueInput:
    license_id: strawberry.ID


@mutation(
    master_writer,
    "A new key for a license, signed by the active key; the old key is refused at once "
    "(NOT_FOUND). Machines are kept.",
)
async def license_reissue(
    info: Info, input: LicenseReissueInput, uow: UnitOfWork
) -> LicenseIssuePayload:
    issued = await service.reissue(
        uow, license_id=_license_id(input.license_id), secret_key=_secret_key(info)
    )
    return LicenseIssuePayload(
        license=await read_back(uow.session, License, issued.license.id), key=issued.key
    )


@strawberry.input
class LicenseMachineDeactivateInput:
    machine_id: strawberry.ID


@strawberry.type
class LicenseMachineDeactivatePayload(Payload):
    machine: LicenseMachine | None = None
    license: License | None = None


@mutation(master_writer, "Deactivate a machine: its seat is free at once.")
async def license_machine_deactivate(
    info: Info, input: LicenseMachineDeactivateInput, uow: UnitOfWork
) -> LicenseMachineDeactivatePayload:
    machine_id: uuid.UUID = input_id(
        input.machine_id, LicenseMachine.PREFIX, "machineId", "Machine"
    )
    machine = await service.deactivate_machine(uow, machine_id=machine_id)
    return LicenseMachineDeactivatePayload(
        machine=await read_back(uow.session, LicenseMachine, machine.id),
        license=await read_back(uow.session, License, machine.license_id),
    )


@strawberry.input
class SigningKeyRotateInput:
    overlap_hours: int = strawberry.field(
        description="How long the old key stays published (RETIRING): 0 to 2160 hours "
        "(168, a week, is usual)."
    )
    project_id: strawberry.ID | None = strawberry.field(
        default=None, description="Rotate this project's key; the platform's when null."
    )


@strawberry.type
class SigningKeyRotatePayload(Payload):
    signing_key: SigningKey | None = strawberry.field(default=None, description="The new key.")
    retiring: list[SigningKey] = strawberry.field(
        default_factory=list, description="The keys it replaces, published until the overlap ends."
    )


@mutation(
    master_writer,
    "A new active signing key; the old one stays published for the overlap, so what it "
    "signed keeps verifying until then.",
)
async def signing_key_rotate(
    info: Info, input: SigningKeyRotateInput, uow: UnitOfWork
) -> SigningKeyRotatePayload:
    rotation = await signing.rotate(
        uow,
        project_id=_project_id(input.project_id),
        overlap_hours=input.overlap_hours,
        secret_key=_secret_key(info),
    )
    return SigningKeyRotatePayload(
        signing_key=await read_back(uow.session, SigningKey, rotation.new.id),
        retiring=[await read_back(uow.session, SigningKey, old.id) for old in rotation.retiring],
    )

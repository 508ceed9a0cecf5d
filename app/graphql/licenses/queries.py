"""License and signing key queries: masters see all; session admins their customers' licenses."""

from __future__ import annotations

from datetime import timedelta

import strawberry

from app.graphql.context import Info
from app.graphql.licenses.types import License, LicenseFile, SigningKey
from app.graphql.model_types import by_id_loader
from app.graphql.node import parse_id
from app.graphql.pagination import Connection, paginate
from app.graphql.permissions import authenticated, master_only
from app.graphql.root import query
from app.kit.crypto import token_hash
from app.kit.errors import ErrorCode, RequestError
from app.kit.pagination import check_search
from app.licenses import files
from app.licenses.repository import LICENSE_MODEL, SIGNING_KEY_MODEL
from app.models.customers import Customer
from app.models.licenses import LicenseStatus, SigningKeyStatus
from app.models.projects import Project

MAX_EXPIRING_DAYS = 3660
MAX_KEY = 8192


@strawberry.input
class LicenseFilter:
    customer_id: strawberry.ID | None = None
    status: LicenseStatus | None = None
    expiring_within_days: int | None = strawberry.field(
        default=None, description="Not yet expired, and expiring within this many days."
    )
    search: str | None = strawberry.field(
        default=None, description="Part of the key's last characters or of the plan code."
    )


@query(authenticated, "Licenses, newest first; session admins see their customers' only.")
async def licenses(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    filter: LicenseFilter | None = None,
) -> Connection[License]:
    given = filter or LicenseFilter()
    customer_id = (
        parse_id(given.customer_id, Customer.PREFIX, "filter.customerId")
        if given.customer_id is not None
        else None
    )
    days = given.expiring_within_days
    if days is not None and not 0 <= days <= MAX_EXPIRING_DAYS:
        raise RequestError(
            f"expiringWithinDays lies between 0 and {MAX_EXPIRING_DAYS}.", ErrorCode.BAD_USER_INPUT
        )
    return await paginate(
        info,
        LICENSE_MODEL,
        License.from_row,
        first=first,
        after=after,
        filters={
            "customer_id": customer_id,
            "status": given.status,
            "expiring_within_days": days,
            "search": check_search(given.search),
        },
    )


@query(authenticated, "One license by id, in the caller's scope.")
async def license(info: Info, id: strawberry.ID) -> License | None:
    found: License | None = await by_id_loader(info, LICENSE_MODEL).load(
        parse_id(id, LICENSE_MODEL.prefix)
    )
    return found


@query(authenticated, "The license a key belongs to (its current key; not a replaced one).")
async def license_by_key(info: Info, key: str) -> License | None:
    if len(key) > MAX_KEY:
        return None
    rows = await info.context.reader.all(
        LICENSE_MODEL.by_keys_statement(
            "key_hash", [token_hash(key.strip())], info.context.row_scope
        )
    )
    return License.from_row(rows[0]) if rows else None


@query(authenticated, "A signed license file for an air-gapped machine, valid for `ttlDays`.")
async def license_file(
    info: Info, id: strawberry.ID, ttl_days: int | None = None
) -> LicenseFile | None:
    if ttl_days is not None and not 1 <= ttl_days <= files.MAX_FILE_TTL.days:
        raise RequestError("ttlDays lies between 1 and 366.", ErrorCode.BAD_USER_INPUT)
    settings = info.context.settings
    ttl = timedelta(days=settings.license_file_ttl_days if ttl_days is None else ttl_days)
    reader = info.context.reader
    row = await files.license_row(
        reader, parse_id(id, LICENSE_MODEL.prefix), info.context.row_scope
    )
    if row is None:
        return None
    signed = await files.license_file(reader, row, ttl, info.context.runtime.secret_key)
    if signed is None:  # pragma: no cover - a license always has a key that signed it
        return None
    return LicenseFile(token=signed.token, issued_at=signed.issued_at, expires_at=signed.expires_at)


@query(master_only, "Signing keys, newest first: every one, or one project's.")
async def signing_keys(
    info: Info,
    project_id: strawberry.ID | None = None,
    status: SigningKeyStatus | None = None,
    first: int | None = None,
    after: str | None = None,
) -> Connection[SigningKey] | None:
    project = parse_id(project_id, Project.PREFIX, "projectId") if project_id is not None else None
    return await paginate(
        info,
        SIGNING_KEY_MODEL,
        SigningKey.from_row,
        first=first,
        after=after,
        filters={
            "project_id": project,
            "status": status,
        },
    )

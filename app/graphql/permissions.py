"""Field permissions, declared on fields so `schema.graphql` shows who may see what.

A refused field resolves to null with an error whose `extensions.code` says why; fields carrying
a permission are therefore nullable.
"""

from __future__ import annotations

from typing import Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension

from app.graphql.context import Info
from app.kit.errors import ErrorCode


class IsAuthenticated(BasePermission):
    message = "Authentication required."
    error_extensions = {"code": ErrorCode.UNAUTHENTICATED.value}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.principal is not None


class IsMaster(BasePermission):
    message = "Only a master admin may see or do this."
    error_extensions = {"code": ErrorCode.FORBIDDEN.value}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        return principal is not None and principal.is_master


class NotReadOnly(BasePermission):
    message = "This session is read-only: it cannot change anything."
    error_extensions = {"code": ErrorCode.READ_ONLY_SESSION.value}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        return principal is None or not principal.read_only


def authenticated() -> list[FieldExtension]:
    return [PermissionExtension([IsAuthenticated()], use_directives=True)]


def master_only() -> list[FieldExtension]:
    return [PermissionExtension([IsMaster()], use_directives=True)]


def writer() -> list[FieldExtension]:
    """A mutation any signed-in, writable principal may call (row scope is checked inside)."""
    return [PermissionExtension([IsAuthenticated(), NotReadOnly()], use_directives=True)]


def master_writer() -> list[FieldExtension]:
    return [PermissionExtension([NotReadOnly(), IsMaster()], use_directives=True)]


def open_writer() -> list[FieldExtension]:
    """A mutation open to anonymous callers (only `sessionCreate`)."""
    return [PermissionExtension([NotReadOnly()], use_directives=True)]

"""Error codes and the exceptions that carry them.

    AdmiralError                 base: every expected failure has a stable `ErrorCode`
    ├── UserInputError           a mutation's business failure → payload `userErrors`
    │   └── UserInputErrors      several of them at once (all validation failures of one input)
    ├── RequestError             the request itself is unusable (bad cursor, `first: 500`)
    │                            → top-level GraphQL error, `extensions.code`
    ├── PermissionDenied         the caller may not do this → top-level FORBIDDEN
    └── ServiceUnavailable       a dependency (the database) is down or saturated → 503

Anything else that escapes is a bug: it is logged with its stack and shown to the client only as
"Internal server error" with the request id.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence


class ErrorCode(enum.StrEnum):
    # input and state
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    INVALID_STATE = "INVALID_STATE"
    CONFIRMATION_REQUIRED = "CONFIRMATION_REQUIRED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    SLUG_TAKEN = "SLUG_TAKEN"
    LAST_OWNER = "LAST_OWNER"
    PROJECT_NOT_EMPTY = "PROJECT_NOT_EMPTY"
    WEAK_PASSWORD = "WEAK_PASSWORD"
    TOKEN_INVALID = "TOKEN_INVALID"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    TOKEN_USED = "TOKEN_USED"
    # billing: plans and subscriptions
    PLAN_ARCHIVED = "PLAN_ARCHIVED"
    # invoices, tax, credit balance, credit notes
    AMOUNT_TOO_LARGE = "AMOUNT_TOO_LARGE"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    # coupons and discounts (billing)
    COUPON_EXPIRED = "COUPON_EXPIRED"
    COUPON_MAX_REDEEMED = "COUPON_MAX_REDEEMED"
    COUPON_NOT_APPLICABLE = "COUPON_NOT_APPLICABLE"
    COUPON_ALREADY_APPLIED = "COUPON_ALREADY_APPLIED"
    # API keys (app/keys): a customer change whose fan-out to its keys failed (all rolled back)
    FANOUT_FAILED = "FANOUT_FAILED"
    # webhooks and mail
    UNSAFE_URL = "UNSAFE_URL"
    UNKNOWN_EVENT_TYPE = "UNKNOWN_EVENT_TYPE"
    ENDPOINT_DISABLED = "ENDPOINT_DISABLED"
    # licenses (app/licenses): the license's state forbids the change
    LICENSE_REVOKED = "LICENSE_REVOKED"
    # authentication
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    USER_SUSPENDED = "USER_SUSPENDED"
    USER_BLOCKED = "USER_BLOCKED"
    USER_DELETED = "USER_DELETED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    READ_ONLY_SESSION = "READ_ONLY_SESSION"
    # request level
    BAD_REQUEST = "BAD_REQUEST"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    INVALID_CURSOR = "INVALID_CURSOR"
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    PERSISTED_QUERY_REQUIRED = "PERSISTED_QUERY_REQUIRED"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    # billing renewals and test clocks
    TEST_CLOCKS_DISABLED = "TEST_CLOCKS_DISABLED"  # ADMIRAL_BILLING_TEST_CLOCKS is off
    # date ranges of metrics, usage and exports (app/kit/ranges.py; a malformed day: INVALID)
    RANGE_REVERSED = "RANGE_REVERSED"  # `from` after `to`
    RANGE_TOO_LONG = "RANGE_TOO_LONG"  # more than 366 days
    # metrics and exports (app/metrics): cost imports, signed export links
    SIGNATURE_EXPIRED = "SIGNATURE_EXPIRED"  # a signed export link past its 5 minutes
    # payment provider (Stripe)
    SIGNATURE_INVALID = "SIGNATURE_INVALID"  # a webhook whose Stripe-Signature does not verify
    PAYMENT_PROVIDER_ERROR = "PAYMENT_PROVIDER_ERROR"  # Stripe refused or could not be reached
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
    # Usage metering (POST /v1/usage, usage metrics, usage ranges)
    UNKNOWN_METRIC = "UNKNOWN_METRIC"
    NEGATIVE_QUANTITY = "NEGATIVE_QUANTITY"
    TIMESTAMP_TOO_OLD = "TIMESTAMP_TOO_OLD"  # more than 35 days before now
    TIMESTAMP_IN_FUTURE = "TIMESTAMP_IN_FUTURE"
    UNKNOWN_PROJECT = "UNKNOWN_PROJECT"  # not a project of the key's customer
    VALUE_REQUIRED = "VALUE_REQUIRED"  # a UNIQUE_COUNT event without `properties.value`
    TOO_MANY_EVENTS = "TOO_MANY_EVENTS"  # more than 1,000 in one request
    METRIC_CODE_TAKEN = "METRIC_CODE_TAKEN"
    # Runtime settings (app/runtime_settings, settingUpdate) and maintenance mode
    UNKNOWN_SETTING = "UNKNOWN_SETTING"  # a key outside the allowlist
    INVALID_VALUE = "INVALID_VALUE"  # a value of the wrong type or out of bounds
    MAINTENANCE_MODE = "MAINTENANCE_MODE"  # maintenanceMode is on: only masters may change


class AdmiralError(Exception):
    code: ErrorCode = ErrorCode.INTERNAL_SERVER_ERROR

    def __init__(self, message: str, code: ErrorCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class UserInputError(AdmiralError):
    """An expected failure reported in a mutation payload; the unit of work is rolled back."""

    code = ErrorCode.INVALID

    def __init__(
        self,
        message: str,
        code: ErrorCode | None = None,
        field: Sequence[str] | str | None = None,
    ) -> None:
        super().__init__(message, code)
        if isinstance(field, str):
            field = [field]
        self.field: list[str] | None = list(field) if field is not None else None


class UserInputErrors(UserInputError):
    def __init__(self, errors: Sequence[UserInputError]) -> None:
        super().__init__("; ".join(error.message for error in errors), errors[0].code)
        self.errors = list(errors)


class RequestError(AdmiralError):
    code = ErrorCode.BAD_USER_INPUT


class PermissionDenied(AdmiralError):
    code = ErrorCode.FORBIDDEN


class ServiceUnavailable(AdmiralError):
    code = ErrorCode.SERVICE_UNAVAILABLE


def not_found(kind: str, field: str | Sequence[str] = "id") -> UserInputError:
    """The same answer whether the object does not exist or lies outside the caller's scope."""
    return UserInputError(f"{kind} not found.", ErrorCode.NOT_FOUND, field)

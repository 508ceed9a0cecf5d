"""The allowlist: every key that may be set at runtime, its type, bounds and default.

A key's default is the environment's `Settings` field where one exists (`env`), else the
catalogue's own; a stored value wins over both. Values are JSON: booleans, numbers, strings,
and two objects (`cashBalance` as Money, `alertThresholds`).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from app.kit.errors import ErrorCode, UserInputError
from app.settings import Settings


class SettingType(enum.StrEnum):
    BOOLEAN = "BOOLEAN"
    INT = "INT"
    FLOAT = "FLOAT"
    STRING = "STRING"
    URL = "URL"
    MONEY = "MONEY"  # {"amount": minor units, "currency": ISO 4217}
    OBJECT = "OBJECT"


MAINTENANCE_MODE = "maintenanceMode"
MAINTENANCE_MESSAGE = "maintenanceMessage"
SIGNUP_ENABLED = "signupEnabled"
LOG_RETENTION_DAYS = "logRetentionDays"
LOG_SAMPLE_RATE = "logSampleRate"
LICENSE_HEARTBEAT_WINDOW_MINUTES = "licenseHeartbeatWindowMinutes"
DEFAULT_TRIAL_DAYS = "defaultTrialDays"
CASH_BALANCE = "cashBalance"
ALERT_THRESHOLDS = "alertThresholds"
ALERT_WEBHOOK_URL = "alertWebhookUrl"

# The figures the alert loop watches (`app/ops/alerts.py`); null turns one off.
THRESHOLD_KEYS = (
    "failedDeliveries",
    "outboxAgeSeconds",
    "aggregatorLagSeconds",
    "errorRatePercent",
    "runwayDays",
)
DEFAULT_THRESHOLDS: dict[str, float | None] = {
    "failedDeliveries": 10,  # deliveries that failed for good in the last hour
    "outboxAgeSeconds": 300,
    "aggregatorLagSeconds": 300,
    "errorRatePercent": 5,
    "runwayDays": 90,
}
MAX_TRIAL_DAYS = 730  # the plans' own bound (app/billing/plans/service.py)
MAX_STRING = 500


def _invalid(message: str) -> UserInputError:
    return UserInputError(message, ErrorCode.INVALID_VALUE, "value")


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _invalid("Give true or false.")
    return value


def _integer(low: int, high: int | None = None) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        # JSON has one number type: 3.0 is the integer 3, 3.5 is not an integer.
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _invalid("Give a whole number.")
        if value < low or (high is not None and value > high):
            bounds = f"at least {low}" if high is None else f"from {low} to {high}"
            raise _invalid(f"Give a whole number {bounds}.")
        return value

    return check


def _number(low: float, high: float) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _invalid("Give a number.")
        if not math.isfinite(value) or not low <= value <= high:
            raise _invalid(f"Give a number from {low:g} to {high:g}.")
        return float(value)

    return check


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise _invalid("Give a string.")
    text = value.strip()
    if len(text) > MAX_STRING:
        raise _invalid(f"Give at most {MAX_STRING} characters.")
    return text


def _url(value: Any) -> str:
    # The SSRF rules (scheme, credentials, the addresses the name resolves to) are checked
    # by `app/ops/settings.py` with the webhooks' own `check_url`; this is only the shape.
    if not isinstance(value, str) or not value.strip():
        raise _invalid("Give an https:// URL.")
    return value.strip()


def _money(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping) or set(value) != {"amount", "currency"}:
        raise _invalid('Give {"amount": minor units, "currency": "USD"}.')
    amount = value["amount"]
    if isinstance(amount, float) and amount.is_integer():
        amount = int(amount)
    if isinstance(amount, bool) or not isinstance(amount, int) or abs(amount) >= 2**63:
        raise _invalid("The amount is a whole number of minor units.")
    currency = value["currency"]
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha():
        raise _invalid("The currency is an ISO 4217 code such as USD.")
    return {"amount": amount, "currency": currency.upper()}


def _thresholds(value: Any) -> dict[str, float | None]:
    if not isinstance(value, Mapping):
        raise _invalid(f"Give an object with some of: {', '.join(THRESHOLD_KEYS)}.")
    unknown = sorted(set(value) - set(THRESHOLD_KEYS))
    if unknown:
        raise _invalid(f"Unknown thresholds: {', '.join(unknown)}.")
    checked: dict[str, float | None] = {}
    for name, given in value.items():
        if given is None:
            checked[name] = None
            continue
        if isinstance(given, bool) or not isinstance(given, (int, float)):
            raise _invalid(f"{name}: give a number, or null to turn it off.")
        if not math.isfinite(given) or given < 0:
            raise _invalid(f"{name}: give a number of at least 0.")
        if name == "errorRatePercent" and given > 100:
            raise _invalid("errorRatePercent: give a number from 0 to 100.")
        checked[name] = given
    return checked


@dataclass(frozen=True, slots=True)
class Spec:
    key: str
    type: SettingType
    description: str
    check: Callable[[Any], Any]
    default: Any = None
    # The `Settings` field the default comes from, when the environment has one.
    env: str | None = None
    # Left out of the audit diff (a Slack incoming-webhook URL is itself the credential).
    secret: bool = False
    # An object whose given keys are merged over the current value (the others are kept).
    merges: bool = False
    nullable: bool = False

    def default_for(self, settings: Settings | None) -> Any:
        if self.key == CASH_BALANCE:
            if settings is None:
                return {"amount": 0, "currency": "USD"}
            return {"amount": settings.cash_balance, "currency": settings.reporting_currency}
        if self.env is not None and settings is not None:
            return getattr(settings, self.env)
        if isinstance(self.default, dict):
            return dict(self.default)
        return self.default


SPECS: dict[str, Spec] = {
    spec.key: spec
    for spec in (
        Spec(
            MAINTENANCE_MODE,
            SettingType.BOOLEAN,
            "Refuse every mutation but a master's (and logging in or out); queries and the "
            "product's REST endpoints keep working.",
            _boolean,
            default=False,
        ),
        Spec(
            MAINTENANCE_MESSAGE,
            SettingType.STRING,
            "What refused callers are told while maintenance mode is on.",
            _string,
            default="Admiral is in maintenance mode; changes are refused for now.",
        ),
        Spec(
            SIGNUP_ENABLED,
            SettingType.BOOLEAN,
            "Whether people may sign themselves up (read by signup flows).",
            _boolean,
            default=True,
        ),
        Spec(
            LOG_RETENTION_DAYS,
            SettingType.INT,
            "Stored logs older than this many days are pruned.",
            _integer(1, 3650),
            default=30,
            env="log_retention_days",
        ),
        Spec(
            LOG_SAMPLE_RATE,
            SettingType.FLOAT,
            "The share of ordinary log records stored (0 to 1); warnings and errors are "
            "always kept.",
            _number(0.0, 1.0),
            default=1.0,
            env="log_sample_rate",
        ),
        Spec(
            LICENSE_HEARTBEAT_WINDOW_MINUTES,
            SettingType.INT,
            "A license machine silent longer than this stops counting against its seats.",
            _integer(1, 7 * 24 * 60),
            env="license_heartbeat_window_minutes",
        ),
        Spec(
            DEFAULT_TRIAL_DAYS,
            SettingType.INT,
            "The trial of a plan created without `trialDays`.",
            _integer(0, MAX_TRIAL_DAYS),
            default=0,
        ),
        Spec(
            CASH_BALANCE,
            SettingType.MONEY,
            "Cash at hand in the reporting currency, for the runway of `metrics.predictions`.",
            _money,
        ),
        Spec(
            ALERT_THRESHOLDS,
            SettingType.OBJECT,
            "When the alert loop fires: failedDeliveries (deliveries failed for good in the "
            "last hour), outboxAgeSeconds, aggregatorLagSeconds, errorRatePercent (server "
            "errors over the last 5 minutes), runwayDays (fires below it). Given keys are "
            "merged; null turns one off.",
            _thresholds,
            default=DEFAULT_THRESHOLDS,
            merges=True,
        ),
        Spec(
            ALERT_WEBHOOK_URL,
            SettingType.URL,
            "Where alerts are posted (a Slack-compatible incoming webhook); null: alerts are "
            "only recorded.",
            _url,
            secret=True,
            nullable=True,
        ),
    )
}

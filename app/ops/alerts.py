"""Operational alerts: thresholds over a few figures, posted to a Slack-compatible webhook.

Each tick (`Alerts.step`, the loop of `app/ops/loops.py`) reads the figures, compares them
with the runtime setting `alertThresholds`, and for each kind:

- crossed, and no FIRING alert of its kind: one is inserted, then posted to
  `alertWebhookUrl` through the SSRF-safe sender of customer webhooks, and whether the post
  was answered 2xx is stored (`delivered`). At most one FIRING alert per kind exists (a
  unique partial index), so ticks that keep seeing the figure crossed post nothing more, and
  of two processes racing to fire only the one whose insert won posts;
- back under its threshold while FIRING: the alert becomes RESOLVED (a conditional update;
  its winner posts the resolution).

A figure that cannot be read this tick (too few requests to judge an error rate by, no burn
or no cash balance to judge a runway by) leaves its alert as it is.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.db import Database
from app.kit import clock
from app.kit.actor import Actor
from app.kit.scope import EVERYTHING
from app.kit.uow import UnitOfWork
from app.metrics import predictions
from app.metrics.runway import runway_now
from app.models.runtime_settings import AlertStatus, OpsAlert
from app.ops import alert_repository as repository
from app.ops.error_rate import ERRORS, ErrorRate
from app.runtime_settings import values
from app.settings import Settings
from app.usage import aggregator
from app.webhooks.sender import Policy, SafeSender

log = logging.getLogger(__name__)

ACTOR = Actor.system("alerts")
INTERVAL_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Kind:
    name: str  # the kind of the alert
    threshold_key: str  # its key in `alertThresholds`
    label: str
    unit: str
    # Fires when the value is above the threshold, or (runway) below it.
    below: bool = False

    def crossed(self, value: float, threshold: float) -> bool:
        return value < threshold if self.below else value > threshold

    def message(self, value: float, threshold: float) -> str:
        side = "below" if self.below else "above"
        return (
            f"{self.label}: {_number(value)}{self.unit}, {side} the threshold of "
            f"{_number(threshold)}{self.unit}."
        )


KINDS = (
    Kind("FAILED_DELIVERIES", "failedDeliveries", "Webhook deliveries failed in the last hour", ""),
    Kind("OUTBOX_AGE", "outboxAgeSeconds", "Oldest undispatched outbox event", " s"),
    Kind("AGGREGATOR_LAG", "aggregatorLagSeconds", "Usage aggregator lag", " s"),
    Kind("ERROR_RATE", "errorRatePercent", "Server errors in the last 5 minutes", " %"),
    Kind("RUNWAY", "runwayDays", "Cash runway", " days", below=True),
)


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:,.2f}"


def slack_body(alert: OpsAlert, *, resolved: bool = False) -> dict[str, Any]:
    """A body Slack's incoming webhooks (and look-alikes: Mattermost, Discord's /slack) take:
    `text` for notifications and plain clients, `blocks` for the formatted message."""
    state = "RESOLVED" if resolved else "FIRING"
    headline = f"[{state}] {alert.kind}: {alert.message}"
    when = alert.resolved_at if resolved and alert.resolved_at else alert.fired_at
    return {
        "text": headline,
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*[{state}] {alert.kind}*\n{alert.message}"},
            },
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"value {_number(alert.value)} · threshold "
                        f"{_number(alert.threshold)} · {state.lower()} at {when.isoformat()}",
                    }
                ],
            },
        ],
    }


Figures = Callable[[], Awaitable[dict[str, float | None]]]


class Alerts:
    """The alert loop's state in one process: its sender and where figures come from."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        sender: SafeSender | None = None,
        errors: ErrorRate = ERRORS,
    ) -> None:
        self.db = db
        self.settings = settings
        self.errors = errors
        self.sender = sender or SafeSender(
            Policy(settings.webhooks_allow_http, settings.webhooks_allow_private),
            connect_timeout=settings.webhooks_connect_timeout,
            read_timeout=settings.webhooks_read_timeout,
        )

    async def figures(self) -> dict[str, float | None]:
        """The current value of each kind (None: not measurable now)."""
        now = clock.now()
        failed = await repository.failed_deliveries_since(
            db=self.db, since=now - repository.FAILED_WINDOW
        )
        oldest = await repository.oldest_pending_event(self.db)
        _, lag = await aggregator.pending(self.db)
        runway = await runway_now(self.db, self.settings)
        return {
            "FAILED_DELIVERIES": float(failed),
            "OUTBOX_AGE": 0.0 if oldest is None else max((now - oldest).total_seconds(), 0.0),
            "AGGREGATOR_LAG": lag,
            "ERROR_RATE": self.errors.percent(),
            # No burn, or no cash balance set (0, the default): no runway to judge.
            "RUNWAY": None
            if not runway.months
            else round(runway.months * predictions.DAYS_PER_MONTH, 1),
        }

    async def step(self) -> list[OpsAlert]:
        """One tick; the alerts it fired or resolved (for tests and logs)."""
        thresholds = await values.alert_thresholds(self.db)
        found = await self.figures()
        async with self.db.write_session() as session:
            found_alerts = (await session.execute(repository.firing_statement())).scalars()
            firing: dict[str, OpsAlert] = {alert.kind: alert for alert in found_alerts}
        changed: list[OpsAlert] = []
        for kind in KINDS:
            value = found.get(kind.name)
            threshold = thresholds.get(kind.threshold_key)
            if value is None:
                continue
            current = firing.get(kind.name)
            crossed = threshold is not None and kind.crossed(value, float(threshold))
            if crossed and current is None:
                assert threshold is not None
                fired = await self._fire(kind, value, float(threshold))
                if fired is not None:
                    changed.append(fired)
            elif not crossed and current is not None:
                resolved = await self._resolve(current, value)
                if resolved is not None:
                    changed.append(resolved)
        return changed

    async def _fire(self, kind: Kind, value: float, threshold: float) -> OpsAlert | None:
        alert = OpsAlert(
            kind=kind.name,
            message=kind.message(value, threshold)[:500],
            value=value,
            threshold=threshold,
            status=AlertStatus.FIRING,
            fired_at=clock.now(),
        )

        async def insert(uow: UnitOfWork) -> None:
            uow.session.add(alert)
            await uow.session.flush()

        try:
            await self.db.run(insert, actor=ACTOR, row_scope=EVERYTHING)
        except IntegrityError:
            return None  # another process fired it first; it posts
        log.warning("alert %s fired: %s", kind.name, alert.message)
        delivered, error = await self._post(slack_body(alert))
        alert.delivered, alert.delivery_error = delivered, error

        async def outcome(uow: UnitOfWork) -> None:
            await uow.session.execute(
                sa.update(repository.ALERTS)
                .where(repository.ALERTS.c.id == alert.id)
                .values(delivered=delivered, delivery_error=error)
            )

        await self.db.run(outcome, actor=ACTOR, row_scope=EVERYTHING)
        return alert

    async def _resolve(self, alert: OpsAlert, value: float) -> OpsAlert | None:
        now = clock.now()

        async def resolve(uow: UnitOfWork) -> int:
            done = await uow.session.execute(
                sa.update(repository.ALERTS)
                .where(
                    repository.ALERTS.c.id == alert.id,
                    repository.ALERTS.c.status == AlertStatus.FIRING.value,
                )
                .values(status=AlertStatus.RESOLVED.value, resolved_at=now)
            )
            return int(done.rowcount)  # type: ignore[attr-defined]

        if await self.db.run(resolve, actor=ACTOR, row_scope=EVERYTHING) != 1:
            return None  # another process resolved it
        alert.status, alert.resolved_at = AlertStatus.RESOLVED, now
        log.info("alert %s resolved at %s", alert.kind, value)
        await self._post(slack_body(alert, resolved=True))
        return alert

    async def _post(self, body: dict[str, Any]) -> tuple[bool, str | None]:
        url = await values.alert_webhook_url(self.db)
        if url is None:
            return False, "No alertWebhookUrl is set."
        sent = await self.sender.post(url, orjson.dumps(body), {})
        if sent.ok:
            return True, None
        return False, (sent.error or f"Answered HTTP {sent.status_code}.")[:500]

    async def close(self) -> None:
        await self.sender.close()

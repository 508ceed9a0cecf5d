"""The billing domain's background work: renewals at period end and payment retries.

Each due subscription (and each due retry) runs in its own unit of work as the system actor,
claimed so that several processes running this loop renew each exactly once
(`app/billing/renewal/repository.py`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable

from app.billing.gateway import mirror
from app.billing.renewal import repository
from app.billing.renewal.service import Policy, claim_and_renew, claim_and_retry
from app.db import Database
from app.kit import clock
from app.kit.actor import Actor
from app.kit.loops import Loop
from app.kit.scope import EVERYTHING
from app.kit.uow import UnitOfWork
from app.settings import Settings

log = logging.getLogger(__name__)

RENEWAL_INTERVAL_SECONDS = 60.0
ACTOR = Actor.system("billing-renewals")


async def _guarded(
    db: Database, work: Callable[[UnitOfWork], Awaitable[bool]], what: str, row: uuid.UUID
) -> bool:
    """Run one claim; a failure (the gateway unreachable, a bug) is logged and skipped, so one
    subscription cannot hold up the others (it is due again at the next step)."""
    try:
        return await db.run(work, actor=ACTOR, row_scope=EVERYTHING)
    except Exception:
        log.exception("billing %s of %s failed; it stays due", what, row)
        return False


async def run_due(db: Database, settings: Settings) -> tuple[int, int]:
    """Renew every due subscription and retry every due payment (of customers without a test
    clock); how many renewals and retries this runner did."""
    policy = Policy.of(settings)

    async def due(uow: UnitOfWork) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
        now = clock.now()
        return (
            list(await repository.due_subscription_ids(uow.session, now)),
            list(await repository.due_retry_ids(uow.session, now)),
        )

    renewed = retried = 0
    while True:
        subscriptions, attempts = await db.run(due, actor=ACTOR, row_scope=EVERYTHING)
        progress = 0
        for subscription_id in subscriptions:

            async def renew(uow: UnitOfWork, sid: uuid.UUID = subscription_id) -> bool:
                gateway = mirror.charging_gateway(uow, settings)
                return await claim_and_renew(uow, sid, gateway, policy) is not None

            if await _guarded(db, renew, "renewal", subscription_id):
                renewed += 1
                progress += 1
        for attempt_id in attempts:

            async def pay(uow: UnitOfWork, aid: uuid.UUID = attempt_id) -> bool:
                gateway = mirror.charging_gateway(uow, settings)
                return await claim_and_retry(uow, aid, gateway, policy) is not None

            if await _guarded(db, pay, "payment retry", attempt_id):
                retried += 1
                progress += 1
        # A subscription many periods behind is due again after one renewal: go round until
        # nothing moves (another runner holding the rest also ends the round).
        if not progress:
            return renewed, retried


def loops(db: Database, settings: Settings) -> list[Loop]:
    async def step() -> None:
        renewed, retried = await run_due(db, settings)
        if renewed or retried:
            log.info("billing renewals: %d renewed, %d payments retried", renewed, retried)

    return [Loop("billing-renewals", RENEWAL_INTERVAL_SECONDS, step)]

"""The billing domain's background work: renewals at period end and payment retries.

Each due subscription (and each due retry) runs in its own unit of work as the system actor,
claimed so that several processes running this loop renew each exactly once
(`app/billing/renewal/repository.py`).
"""

from __future__ import annotations

import logging
import uuid

from app.billing.gateway import gateway_for
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


async def run_due(db: Database, settings: Settings) -> tuple[int, int]:
    """Renew every due subscription and retry every due payment (of customers without a test
    clock); how many renewals and retries this runner did."""
    gateway = gateway_for(settings)
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
                return await claim_and_renew(uow, sid, gateway, policy) is not None

            if await db.run(renew, actor=ACTOR, row_scope=EVERYTHING):
                renewed += 1
                progress += 1
        for attempt_id in attempts:

            async def pay(uow: UnitOfWork, aid: uuid.UUID = attempt_id) -> bool:
                return await claim_and_retry(uow, aid, gateway, policy) is not None

            if await db.run(pay, actor=ACTOR, row_scope=EVERYTHING):
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

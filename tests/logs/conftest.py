"""A log pipeline of the test app's database, receiving the root logger's records at INFO.

The session app is served without its lifespan, so no writer task runs: tests flush."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from app.db import Database
from app.logs.pipeline import LogPipeline
from app.settings import Settings


@pytest.fixture
async def pipeline(
    db: Database, settings: Settings, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[LogPipeline]:
    logs = LogPipeline(db, settings)
    logs.install()
    try:
        with caplog.at_level(logging.INFO):
            yield logs
    finally:
        logs.uninstall()

"""Every event type a service publishes is in the catalogue (and so can be subscribed to)."""

from __future__ import annotations

import re
from pathlib import Path

import app
from app.outbox.catalog import EVENTS, TEST_EVENT

PUBLISHED = re.compile(r'(?:publish\w*)\(\s*(?:uow,\s*)?"([a-z_]+\.[a-z_]+)"')
# Services that pass the event type on to a helper (`_record(..., "subscription.created")`).
PASSED_ON = re.compile(r'event: str \| None = "([a-z_]+\.[a-z_]+)"|, "(subscription\.[a-z_]+)"\)')


def test_every_published_event_type_is_catalogued() -> None:
    found: set[str] = set()
    for path in Path(app.__file__).parent.rglob("*.py"):
        text = path.read_text()
        found |= set(PUBLISHED.findall(text))
        found |= {name for pair in PASSED_ON.findall(text) for name in pair if name}
    assert {"user.suspended", "customer.updated", "member.added"} <= found
    assert {"subscription.created", "subscription.updated", "subscription.canceled"} <= found
    assert found - {TEST_EVENT.type} <= set(EVENTS), found - set(EVENTS)


def test_every_sample_is_plain_json_without_secrets() -> None:
    for event in EVENTS.values():
        text = str(event.sample).lower()
        assert "secret" not in text, event.type
        assert "token" not in text, event.type

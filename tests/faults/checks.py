"""What a fault test checks afterwards: acknowledged mutations against the database's rows."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import asyncpg
import httpx

from tests.faults.support import Answer, connect, post

CUSTOMER_CREATE = """
mutation($input: CustomerCreateInput!, $key: String) {
  customerCreate(input: $input, idempotencyKey: $key) {
    customer { id slug }
    userErrors { code message }
  }
}"""

USER_CREATE = """
mutation($input: UserCreateInput!, $key: String) {
  userCreate(input: $input, idempotencyKey: $key) {
    user { id email }
    userErrors { code message }
  }
}"""

CHAIN = "{ auditChainVerify { ok checked firstBrokenId } }"


def acknowledged(answer: Answer, mutation: str) -> str | None:
    """The created object's id when the server said the mutation was done, else None."""
    if answer.status != 200 or answer.body is None or answer.body.get("errors"):
        return None
    payload = (answer.body.get("data") or {}).get(mutation)
    if not payload or payload["userErrors"]:
        return None
    node = payload.get("customer") or payload.get("user")
    return str(node["id"]) if node else None


@dataclass
class Mutations:
    """Every customerCreate (and userCreate) sent, by idempotency key, with its outcome."""

    customers: dict[str, str | None] = field(default_factory=dict)  # key -> id if acknowledged
    users: dict[str, str | None] = field(default_factory=dict)
    answers: list[Answer] = field(default_factory=list)

    async def create_customer(self, client: httpx.AsyncClient, key: str) -> Answer:
        variables = {
            "key": key,
            "input": {"slug": key, "name": f"Customer {key}", "billingEmail": f"{key}@x.test"},
        }
        answer = await post(client, CUSTOMER_CREATE, variables)
        self.customers[key] = acknowledged(answer, "customerCreate")
        self.answers.append(answer)
        return answer

    async def create_user(self, client: httpx.AsyncClient, key: str) -> Answer:
        variables = {"key": key, "input": {"email": f"{key}@users.test", "name": key}}
        answer = await post(client, USER_CREATE, variables)
        self.users[key] = acknowledged(answer, "userCreate")
        self.answers.append(answer)
        return answer

    def acknowledged(self) -> int:
        return sum(1 for found in (*self.customers.values(), *self.users.values()) if found)

    async def retry_unacknowledged(self, client: httpx.AsyncClient) -> None:
        """Send again, with the same idempotency keys, what got no acknowledgment: a client
        does so after a failure. Each must now be acknowledged, once."""
        for key, found in list(self.customers.items()):
            if found is None:
                answer = await self.create_customer(client, key)
                assert self.customers[key], answer
        for key, found in list(self.users.items()):
            if found is None:
                answer = await self.create_user(client, key)
                assert self.users[key], answer


async def assert_stored(database: str, sent: Mutations) -> None:
    """Every acknowledged mutation is stored whole: its row, its audit event and (customers)
    its outbox event; and nothing is stored half or twice."""
    connection: asyncpg.Connection = await connect(database)
    try:
        customers = {
            row["slug"]: row["id"]
            for row in await connection.fetch("SELECT id, slug FROM customers")
        }
        users = {
            row["email"]: row["id"] for row in await connection.fetch("SELECT id, email FROM users")
        }
        created = [
            row["target_id"]
            for row in await connection.fetch(
                "SELECT target_id FROM audit_events WHERE action = 'customer.create'"
            )
        ]
        users_created = [
            row["target_id"]
            for row in await connection.fetch(
                "SELECT target_id FROM audit_events WHERE action = 'user.create'"
            )
        ]
        published = [
            json.loads(row["data"])["customerId"]
            for row in await connection.fetch(
                "SELECT data FROM outbox_events WHERE event_type = 'customer.created'"
            )
        ]
        stored_keys = {
            row["key"] for row in await connection.fetch("SELECT key FROM idempotency_records")
        }
    finally:
        await connection.close()
    customer_ids = {key: found for key, found in sent.customers.items() if found}
    user_ids = {key: found for key, found in sent.users.items() if found}
    lost = sorted(key for key in customer_ids if key not in customers)
    lost += sorted(key for key in user_ids if f"{key}@users.test" not in users)
    assert lost == [], f"acknowledged but not stored: {lost}"
    # Whole, once: one audit event and one outbox event per stored customer, nothing else.
    assert sorted(created) == sorted(set(created)), "a customer was created twice"
    assert sorted(published) == sorted(created), "audit events and outbox events disagree"
    assert len(created) == len(customers), "a customer without its audit event, or the reverse"
    assert sorted(users_created) == sorted(set(users_created))
    assert len(users_created) == len(users)
    assert set(customer_ids.values()) <= set(created)
    assert set(user_ids.values()) <= set(users_created)
    # Every stored mutation left its idempotency record with it (the retry finds it).
    assert set(customer_ids) | set(user_ids) <= stored_keys


async def assert_chain_ok(client: httpx.AsyncClient) -> int:
    answer = await post(client, CHAIN)
    assert answer.status == 200, answer
    assert answer.body is not None
    chain = answer.body["data"]["auditChainVerify"]
    assert chain["ok"] is True, chain
    assert chain["firstBrokenId"] is None
    checked: int = chain["checked"]
    return checked

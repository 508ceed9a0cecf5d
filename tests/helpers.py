"""Test helpers: a GraphQL client over HTTP, mutations sent as a client sends them, factories
writing real rows, a statement counter."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa

from app.auth import service as auth_service
from app.auth.passwords import Passwords
from app.auth.tokens import IMPERSONATION_PREFIX, SESSION_PREFIX
from app.billing import proration
from app.db import Database
from app.kit import clock
from app.kit.actor import Actor
from app.kit.crypto import random_token, token_hash
from app.kit.ids import encode
from app.kit.scope import EVERYTHING
from app.kit.uow import UnitOfWork
from app.models import (
    Customer,
    CustomerStatus,
    LoginSession,
    MemberRole,
    Membership,
    NoteCategory,
    Plan,
    PlanVersion,
    SessionKind,
    Subscription,
    SubscriptionStatus,
    User,
    UserNote,
    UserStatus,
)
from app.settings import Settings

DEFAULT_PASSWORD = "correct horse battery staple"


@dataclass
class Response:
    status: int
    body: dict[str, Any]
    headers: httpx.Headers

    @property
    def data(self) -> Any:
        return self.body.get("data")

    @property
    def errors(self) -> list[dict[str, Any]]:
        return list(self.body.get("errors") or [])

    @property
    def codes(self) -> list[str | None]:
        return [error.get("extensions", {}).get("code") for error in self.errors]


class GraphQL:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def __call__(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        payload: dict[str, Any] = {"query": query}
        if variables is not None:
            payload["variables"] = variables
        response = await self.client.post("/graphql", json=payload, headers=sent)
        return Response(response.status_code, response.json(), response.headers)

    async def ok(self, query: str, variables: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """The data of a response that must have no top-level errors."""
        response = await self(query, variables, **kwargs)
        assert response.status == 200, response.body
        assert not response.errors, response.errors
        return response.data


@dataclass(frozen=True)
class Mutation:
    """One mutation field, sent the way a client sends it: a document taking `$input` (typed
    `<Name>Input`, the schema's convention), `$dryRun` and `$key`, so one constant serves
    successes, refusals, dry runs and idempotent replays alike.

    The payload asks for `selection` and `userErrors { <user_errors> }`; a test comparing whole
    payloads names the error fields it compares. `takes_input=False` is for a mutation without
    an input (`membersBackfill`).
    """

    name: str
    selection: str = ""
    takes_input: bool = True
    user_errors: str = "field message code"

    @property
    def document(self) -> str:
        declared = "$dryRun: Boolean! = false, $key: String"
        passed = "dryRun: $dryRun, idempotencyKey: $key"
        if self.takes_input:
            declared = f"$input: {self.name[0].upper()}{self.name[1:]}Input!, {declared}"
            passed = f"input: $input, {passed}"
        return f"""
mutation({declared}) {{
  {self.name}({passed}) {{
    {self.selection}
    userErrors {{ {self.user_errors} }}
  }}
}}"""

    async def send(
        self,
        gql: GraphQL,
        input: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        dry_run: bool = False,
        key: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """The response to one call, whatever it is."""
        assert (input is not None) == self.takes_input, (
            f"{self.name} takes {'an' if self.takes_input else 'no'} input"
        )
        variables: dict[str, Any] = {"dryRun": dry_run}
        if input is not None:
            variables["input"] = input
        if key is not None:
            variables["key"] = key
        return await gql(self.document, variables, token=token, headers=headers)

    async def payload(
        self,
        gql: GraphQL,
        input: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        dry_run: bool = False,
        key: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """The payload of a call answered without a top-level error (userErrors may be set)."""
        response = await self.send(
            gql, input, token=token, dry_run=dry_run, key=key, headers=headers
        )
        assert response.status == 200, response.body
        assert response.errors == [], response.errors
        payload: dict[str, Any] = response.data[self.name]
        return payload

    async def ok(
        self,
        gql: GraphQL,
        input: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        dry_run: bool = False,
        key: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """The payload of a call that must succeed (no userErrors)."""
        payload = await self.payload(
            gql, input, token=token, dry_run=dry_run, key=key, headers=headers
        )
        assert payload["userErrors"] == [], payload["userErrors"]
        return payload

    async def refused(
        self,
        gql: GraphQL,
        input: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        dry_run: bool = False,
        key: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> list[tuple[str, list[str] | None]]:
        """The (code, field) of each user error of a call that must be refused with some."""
        payload = await self.payload(
            gql, input, token=token, dry_run=dry_run, key=key, headers=headers
        )
        errors = payload["userErrors"]
        assert errors, payload
        return [(error["code"], error["field"]) for error in errors]


class StatementCounter:
    """How many SQL statements the app sent inside a block."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.count = 0

    @contextmanager
    def measure(self) -> Iterator[StatementCounter]:
        start = self.db.statements.total
        yield self
        self.count = self.db.statements.total - start


class Factory:
    """Writes real rows through the same engine the app uses."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.passwords = Passwords(settings.argon2_time_cost, settings.argon2_memory_cost)
        self._counter = 0
        self._versions: dict[uuid.UUID, PlanVersion] = {}

    def _next(self) -> int:
        self._counter += 1
        return self._counter

    async def _add(self, *rows: Any) -> None:
        async with self.db.write_session() as session:
            session.add_all(rows)
            await session.commit()

    async def plan(self, code: str | None = None, **fields: Any) -> Plan:
        """A plan with its version row (as `planCreate` writes it)."""
        n = self._next()
        plan = Plan(code=code or f"plan-{n}", name=fields.pop("name", f"Plan {n}"), **fields)
        await self._add(plan)
        version = PlanVersion(
            plan_id=plan.id,
            version=plan.version,
            price_amount=plan.price_amount,
            currency=plan.currency,
            interval=plan.interval,
            monthly_quota=plan.monthly_quota,
            rate_per_second=plan.rate_per_second,
            seats=plan.seats,
            sla_percent=plan.sla_percent,
        )
        await self._add(version)
        self._versions[plan.id] = version
        return plan

    async def subscription(
        self,
        customer: Customer,
        plan: Plan,
        *,
        status: SubscriptionStatus = SubscriptionStatus.ACTIVE,
        start: datetime | None = None,
        **fields: Any,
    ) -> Subscription:
        """A live subscription on the plan's latest version, its period starting at `start`."""
        version = self._versions.get(plan.id)
        if version is None:
            async with self.db.write_session() as session:
                found = await session.execute(
                    sa.select(PlanVersion).where(
                        PlanVersion.plan_id == plan.id,  # type: ignore[arg-type]
                        PlanVersion.version == plan.version,  # type: ignore[arg-type]
                    )
                )
                version = found.scalar_one()
        begin = start or clock.now()
        subscription = Subscription(
            customer_id=customer.id,
            plan_id=plan.id,
            plan_version_id=version.id,
            plan_version=version.version,
            price_amount=version.price_amount,
            currency=version.currency,
            interval=version.interval,
            status=status,
            current_period_start=begin,
            current_period_end=proration.period_end(begin, version.interval),
            billing_cycle_anchor=begin,
            **fields,
        )
        await self._add(subscription)
        return subscription

    async def user(
        self,
        email: str | None = None,
        *,
        password: str | None = DEFAULT_PASSWORD,
        status: UserStatus = UserStatus.ACTIVE,
        **fields: Any,
    ) -> User:
        n = self._next()
        user = User(
            email=(email or f"user{n}@example.com").lower(),
            name=fields.pop("name", f"User {n}"),
            password_hash=self.passwords.hash(password) if password else None,
            status=status,
            **fields,
        )
        await self._add(user)
        return user

    async def customer(
        self, slug: str | None = None, *, plan: Plan | None = None, **fields: Any
    ) -> Customer:
        n = self._next()
        customer = Customer(
            slug=slug or f"customer-{n}",
            name=fields.pop("name", f"Customer {n}"),
            billing_email=fields.pop("billing_email", f"billing{n}@example.com"),
            plan_id=plan.id if plan else None,
            status=fields.pop("status", CustomerStatus.ACTIVE),
            **fields,
        )
        await self._add(customer)
        if plan is not None:  # subscriptions are the source of truth of a customer's plan
            await self.subscription(customer, plan)
        return customer

    async def member(
        self, customer: Customer, user: User, role: MemberRole = MemberRole.MEMBER
    ) -> Membership:
        membership = Membership(customer_id=customer.id, user_id=user.id, role=role)
        await self._add(membership)
        return membership

    async def note(
        self,
        user: User,
        body: str = "A note",
        category: NoteCategory = NoteCategory.GENERAL,
        **fields: Any,
    ) -> UserNote:
        note = UserNote(user_id=user.id, body=body, category=category, author_id="test", **fields)
        await self._add(note)
        return note

    async def master_key(self, name: str = "test") -> str:
        async def create(uow: UnitOfWork) -> str:
            return (await auth_service.create_master_key(uow, name)).token

        return await self.db.run(create, actor=Actor.system("test"), row_scope=EVERYTHING)

    async def session_token(
        self,
        user: User,
        *,
        impersonator: User | None = None,
        read_only: bool = False,
        expires_in: timedelta = timedelta(hours=1),
        created_at: datetime | None = None,
        revoked: bool = False,
    ) -> str:
        now = created_at or clock.now()
        impersonating = impersonator is not None or read_only
        token = random_token(IMPERSONATION_PREFIX if impersonating else SESSION_PREFIX)
        row = LoginSession(
            user_id=user.id,
            token_hash=token_hash(token),
            kind=SessionKind.IMPERSONATION if impersonating else SessionKind.LOGIN,
            impersonator_id=impersonator.id if impersonator else None,
            read_only=read_only,
            created_at=now,
            last_seen_at=now,
            expires_at=now + expires_in,
            revoked_at=clock.now() if revoked else None,
        )
        await self._add(row)
        return token

    async def count(self, model: Any, *where: Any) -> int:
        async with self.db.write_session() as session:
            statement = sa.select(sa.func.count()).select_from(model.__table__)
            if where:
                statement = statement.where(*where)
            return int((await session.execute(statement)).scalar_one())

    async def get(self, model: Any, pk: uuid.UUID) -> Any:
        async with self.db.write_session() as session:
            return await session.get(model, pk)


def gid(prefix: str, row: Any) -> str:
    return encode(prefix, row.id)


@dataclass
class World:
    """A small, typical set of callers and rows for permission tests."""

    master: str
    plan: Plan
    own: Customer
    other: Customer
    owner: User
    admin: User
    member: User
    outsider: User
    staff: User
    owner_token: str
    admin_token: str
    member_token: str
    staff_token: str
    read_only_token: str


async def build_world(factory: Factory, staff_email: str) -> World:
    master = await factory.master_key()
    plan = await factory.plan("pro", name="Pro", price_amount=9900)
    own = await factory.customer("own-co", plan=plan)
    other = await factory.customer("other-co", plan=plan)
    owner = await factory.user("owner@own.test")
    admin = await factory.user("admin@own.test")
    member = await factory.user("member@own.test")
    outsider = await factory.user("outsider@other.test")
    staff = await factory.user(staff_email, is_staff=True)
    await factory.member(own, owner, MemberRole.OWNER)
    await factory.member(own, admin, MemberRole.ADMIN)
    await factory.member(own, member, MemberRole.MEMBER)
    await factory.member(other, outsider, MemberRole.OWNER)
    return World(
        master=master,
        plan=plan,
        own=own,
        other=other,
        owner=owner,
        admin=admin,
        member=member,
        outsider=outsider,
        staff=staff,
        owner_token=await factory.session_token(owner),
        admin_token=await factory.session_token(admin),
        member_token=await factory.session_token(member),
        staff_token=await factory.session_token(staff),
        read_only_token=await factory.session_token(owner, impersonator=staff, read_only=True),
    )

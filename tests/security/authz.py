"""The authorization matrix: every root query field and every mutation of the schema, called by
callers who must not reach another customer's data, with that customer's real ids.

The cases come from the schema the app builds (`app.graphql.schema.build_schema`), so an
operation added later is in the matrix without editing it. For each one:

- the arguments are generated from their types: every id-typed argument and input field (and
  the required ones, whatever their type) gets a value; an id gets the victim's id of the kind
  its name says (`customerId`, `endpointId`, `id` of a field returning `Invoice`, ...), other
  values are minimal valid ones, so that only authorization stands between the call and the
  victim's data (a dry-run control by the master shows how many calls are otherwise valid);
- the selection asks for the ids and scalar fields of what comes back (a page's nodes, a
  payload's objects), so that data about the victim would show.

Callers: anonymous; a session OWNER of another customer (the attacker); a MEMBER (no admin
role) of the victim's customer; a read-only impersonation of the victim's OWNER.

Verdicts (DESIGN §2): anonymous gets nothing but the login; a master-only field (`@isMaster`)
gives a non-master caller no data at all; a session-scoped field gives the attacker and the
member nothing about the victim's customer; a mutation succeeds for none of them, nor under
read-only impersonation. `ALLOWED` lists the exceptions, each with its reason.

`run_matrix(app)` runs the whole matrix against any app (e.g. one with another read path
switched on) and returns its findings; the tests in `test_authorization_matrix.py` run each
case as one test.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    Undefined,
    build_schema,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
)
from starlette.applications import Starlette

from app.db import Database
from app.graphql.extensions import ANONYMOUS_FIELDS
from app.graphql.schema import build_schema as build_app_schema
from app.kit import clock
from app.kit.ids import decode as decode_id
from app.kit.ids import uuid7
from app.models import MemberRole, metadata
from app.models.webhooks import DeliveryStatus, WebhookDelivery
from app.settings import Settings
from tests.helpers import Factory, gid
from tests.support import add_rows, master_key_id, session_id

CALLERS = ("anonymous", "attacker", "member", "read_only")
# Platform rows every caller may name (a tax rate, the master key): no customer's data.
GLOBAL_KINDS = frozenset({"taxRate", "masterKey"})

# ---------------------------------------------------------------- the schema


def app_schema() -> GraphQLSchema:
    """The schema the app serves, with its permission directives (built from its own SDL:
    introspection does not carry applied directives)."""
    return build_schema(build_app_schema(Settings()).as_str())


def directives_of(definition: GraphQLField) -> set[str]:
    node = definition.ast_node
    return {item.name.value for item in (node.directives or ())} if node is not None else set()


@dataclass(frozen=True)
class Case:
    caller: str
    root: str  # "query" or "mutation"
    name: str
    master_only: bool
    # For `node(id:)`, the kind of the victim's object asked for; else "".
    kind: str = ""

    @property
    def id(self) -> str:
        suffix = f"[{self.kind}]" if self.kind else ""
        return f"{self.caller}-{self.root}-{self.name}{suffix}"


# Kinds of the victim's objects, by the name of the argument or input field holding an id.
ID_KINDS = {
    "customerId": "customer",
    "customerIds": "customer",
    "targetId": "customer",
    "projectId": "project",
    "apiKeyId": "apiKey",
    "licenseId": "license",
    "machineId": "machine",
    "invoiceId": "invoice",
    "invoiceLineId": "invoiceLine",
    "endpointId": "endpoint",
    "deliveryId": "delivery",
    "invitationId": "invitation",
    "noteId": "userNote",
    "discountId": "discount",
    "userId": "user",
    "actorId": "user",
    "sessionId": "session",
    "masterKeyId": "masterKey",
    "taxRateId": "taxRate",
}
# The kind of `id:` by the type the field returns.
KIND_OF_TYPE = {
    "Customer": "customer",
    "Invoice": "invoice",
    "License": "license",
    "LicenseFile": "license",
    "User": "user",
    "Project": "project",
    "ApiKey": "apiKey",
}
# Kinds `node(id:)` is asked for, each a case of its own.
NODE_KINDS = (
    "customer",
    "user",
    "project",
    "apiKey",
    "license",
    "invoice",
    "endpoint",
    "invitation",
    "subscription",
    "delivery",
)


def cases(schema: GraphQLSchema | None = None) -> list[Case]:
    schema = schema or app_schema()
    found = []
    roots = (("query", schema.query_type), ("mutation", schema.mutation_type))
    for caller in CALLERS:
        for root, type_ in roots:
            assert type_ is not None
            for name, definition in type_.fields.items():
                master_only = "isMaster" in directives_of(definition)
                kinds = NODE_KINDS if (root, name) == ("query", "node") else ("",)
                found += [Case(caller, root, name, master_only, kind) for kind in kinds]
    return found


# ---------------------------------------------------------------- what each caller may do

# Successes DESIGN §2 allows although the rule of their kind would refuse them.
ALLOWED: dict[tuple[str, str], str] = {
    # Logging in is the one operation open without credentials (a wrong password here).
    ("anonymous", "sessionCreate"): "login",
    ("attacker", "sessionCreate"): "login",
    ("member", "sessionCreate"): "login",
    # Who the caller is: their own identity, memberships and scope.
    ("attacker", "me"): "self",
    ("member", "me"): "self",
    ("read_only", "me"): "self",
    # Ending one's own session (no id given: the caller's own).
    ("attacker", "sessionRevoke"): "self",
    ("member", "sessionRevoke"): "self",
}


# ---------------------------------------------------------------- the world


@dataclass
class Party:
    """A customer and what hangs off it, with its OWNER's and a MEMBER's session tokens."""

    slug: str
    ids: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    owner_email: str = ""
    owner_token: str = ""
    member_token: str = ""
    member_id: str = ""


@dataclass
class World:
    master: str
    victim: Party
    attacker: Party
    read_only_token: str
    plan_code: str
    coupon_code: str
    snapshot: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def token(self, caller: str) -> str | None:
        return {
            "anonymous": None,
            "attacker": self.attacker.owner_token,
            "member": self.victim.member_token,
            "read_only": self.read_only_token,
        }[caller]

    def markers(self, caller: str) -> list[str]:
        """What in an answer shows data about the victim's customer (for this caller: the
        member's own identity is theirs to see)."""
        found = [value for kind, value in self.victim.ids.items() if kind not in GLOBAL_KINDS]
        found = [value for value in found if value != self.victim.member_id]
        return [*found, self.victim.owner_email, "victim"]


class Client:
    """GraphQL over an httpx client, failing loudly while the world is built."""

    def __init__(self, http: httpx.AsyncClient, token: str) -> None:
        self.http = http
        self.token = token

    async def __call__(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        body = response.json()
        assert response.status_code == 200, body
        assert not body.get("errors"), body
        return body["data"]

    async def mutate(self, name: str, input: dict[str, Any], selection: str) -> dict[str, Any]:
        type_name = name[0].upper() + name[1:] + "Input"
        data = await self(
            f"mutation($input: {type_name}!) {{ {name}(input: $input) "
            f"{{ {selection} userErrors {{ code field message }} }} }}",
            {"input": input},
        )
        payload: dict[str, Any] = data[name]
        assert payload["userErrors"] == [], (name, payload["userErrors"])
        return payload


async def _party(
    factory: Factory, gql: Client, http: httpx.AsyncClient, db: Database, slug: str, plan: Any
) -> Party:
    """A customer with a member of each role, a project, an API key, a license with a machine,
    an invoice, a subscription, a webhook endpoint with a delivery, an invitation, notes, a
    discount, credit, usage events and feedback: each kind of row a caller might reach."""
    label = slug.split("-")[0]
    customer = await factory.customer(
        slug, plan=plan, name=f"{label.title()} Co", billing_email=f"billing@{label}.test"
    )
    owner = await factory.user(f"owner@{label}.test", name=f"{label.title()} Owner")
    # No party marker in the member's own identity: it is theirs to see.
    member = await factory.user(f"plain-{label[:1]}@example.net", name="Plain Member")
    await factory.member(customer, owner, MemberRole.OWNER)
    await factory.member(customer, member, MemberRole.MEMBER)
    party = Party(slug, owner_email=owner.email, member_id=gid("usr", member))
    party.owner_token = await factory.session_token(owner)
    party.member_token = await factory.session_token(member)
    ids = party.ids
    ids["customer"] = gid("cus", customer)
    ids["user"] = gid("usr", owner)
    ids["session"] = await session_id(db, party.owner_token)
    customer_id = ids["customer"]

    project = await gql.mutate(
        "projectCreate",
        {"customerId": customer_id, "name": f"{label} project", "slug": f"{label}-project"},
        "project { id }",
    )
    ids["project"] = project["project"]["id"]
    key = await gql.mutate(
        "apiKeyCreate",
        {
            "customerId": customer_id,
            "projectId": ids["project"],
            "name": f"{label} key",
            "environment": "LIVE",
        },
        "apiKey { id } secret",
    )
    ids["apiKey"] = key["apiKey"]["id"]
    party.secrets["apiKey"] = key["secret"]
    license = await gql.mutate(
        "licenseIssue",
        {"customerId": customer_id, "entitlements": [f"{label}-feature"], "maxMachines": 2},
        "license { id } key",
    )
    ids["license"] = license["license"]["id"]
    party.secrets["license"] = license["key"]
    beat = await http.post(
        "/v1/licenses/heartbeat",
        json={"key": license["key"], "fingerprint": f"{label}-machine"},
    )
    assert beat.status_code == 200, beat.text
    ids["machine"] = beat.json()["machine"]["id"]
    invoice = await gql.mutate(
        "invoiceCreate",
        {
            "customerId": customer_id,
            "currency": "USD",
            "items": [{"description": f"{label} line", "amount": 1500}],
        },
        "invoice { id lines { id } }",
    )
    ids["invoice"] = invoice["invoice"]["id"]
    ids["invoiceLine"] = invoice["invoice"]["lines"][0]["id"]
    endpoint = await gql.mutate(
        "webhookEndpointCreate",
        {
            "customerId": customer_id,
            "url": f"https://93.184.215.14/{label}-hooks",
            "eventTypes": ["member.added"],
        },
        "endpoint { id } secret",
    )
    ids["endpoint"] = endpoint["endpoint"]["id"]
    party.secrets["webhook"] = endpoint["secret"]
    # A delivery that ran out of attempts (what the dispatcher leaves; it sends nothing here).
    delivery = WebhookDelivery(
        customer_id=customer.id,
        endpoint_id=decode_id(ids["endpoint"], "whe"),
        event_id=uuid7(),
        event_type="member.added",
        payload={"customer": f"{label} payload"},
        status=DeliveryStatus.FAILED,
        attempt_count=5,
    )
    await add_rows(db, delivery)
    ids["delivery"] = gid("whd", delivery)
    invitation = await gql.mutate(
        "invitationCreate",
        {"customerId": customer_id, "email": f"invitee@{label}.test", "role": "MEMBER"},
        "invitation { id } acceptUrl",
    )
    ids["invitation"] = invitation["invitation"]["id"]
    party.secrets["invitation"] = invitation["acceptUrl"].rsplit("token=", 1)[1]
    await gql.mutate(
        "customerNoteCreate", {"customerId": customer_id, "body": f"{label} note"}, "__typename"
    )
    note = await gql.mutate(
        "userNoteCreate",
        {"userId": ids["user"], "category": "GENERAL", "body": f"{label} user note"},
        "note { id }",
    )
    ids["userNote"] = note["note"]["id"]
    await gql.mutate(
        "customerCreditGrant",
        {"customerId": customer_id, "amount": {"amount": 500, "currency": "USD"}, "reason": "x"},
        "__typename",
    )
    subscription = await gql(
        "query($id: ID!) { customer(id: $id) { subscription { id } } }", {"id": customer_id}
    )
    ids["subscription"] = subscription["customer"]["subscription"]["id"]
    usage = await http.post(
        "/v1/usage",
        json={"events": [{"metric": "matrix-calls", "quantity": 3}]},
        headers={"Authorization": f"Bearer {key['secret']}"},
    )
    assert usage.status_code < 300, usage.text
    feedback = await http.post(
        "/v1/feedback",
        json={"kind": "IDEA", "message": f"{label} idea", "rating": 4},
        headers={"Authorization": f"Bearer {party.owner_token}"},
    )
    assert feedback.status_code == 201, feedback.text
    return party


async def build_world(app: Starlette) -> World:
    """The two customers and the platform rows around them, written through the app."""
    db: Database = app.state.db
    settings: Settings = app.state.settings
    factory = Factory(db, settings)
    transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        master = await factory.master_key("matrix")
        gql = Client(http, master)
        plan = await factory.plan("pro", name="Pro", price_amount=9900)
        await gql.mutate(
            "usageMetricCreate",
            {
                "code": "matrix-calls",
                "name": "Calls",
                "unit": "calls",
                "aggregation": "SUM",
                "unitCostMicros": 1,
                "currency": "USD",
            },
            "__typename",
        )
        coupon = await gql.mutate(
            "couponCreate",
            {"code": "MATRIX10", "name": "Ten", "duration": "ONCE", "percentOff": 10.0},
            "coupon { code }",
        )
        tax = await gql.mutate(
            "taxRateCreate",
            {"country": "DE", "percentage": "19", "displayName": "VAT", "inclusive": False},
            "taxRate { id }",
        )
        victim = await _party(factory, gql, http, db, "victim-co", plan)
        attacker = await _party(factory, gql, http, db, "attacker-co", plan)
        applied = await gql.mutate(
            "couponApply",
            {"customerId": victim.ids["customer"], "code": "MATRIX10"},
            "discount { id }",
        )
        victim.ids["discount"] = applied["discount"]["id"]
        victim.ids["taxRate"] = tax["taxRate"]["id"]
        victim.ids["masterKey"] = await master_key_id(db, master)
        staff = await factory.user(settings.staff_emails[0], is_staff=True)
        victim_owner = await _user_by_email(db, victim.owner_email)
        read_only = await factory.session_token(
            victim_owner, impersonator=staff, read_only=True, expires_in=timedelta(hours=2)
        )
    world = World(master, victim, attacker, read_only, "pro", coupon["coupon"]["code"])
    world.snapshot = await snapshot(db)
    return world


async def _user_by_email(db: Database, email: str) -> Any:
    from app.models import User

    async with db.write_session() as session:
        found = await session.execute(sa.select(User).where(User.email == email))  # type: ignore[arg-type]
        return found.scalar_one()


# ---------------------------------------------------------------- saving and restoring it


async def snapshot(db: Database) -> dict[str, list[dict[str, Any]]]:
    saved = {}
    async with db.write_engine.connect() as connection:
        for table in metadata.sorted_tables:
            result = await connection.execute(sa.select(table))
            saved[table.name] = [dict(row._mapping) for row in result]
    return saved


async def empty(db: Database) -> None:
    async with db.write_engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            await connection.execute(sa.delete(table))


async def restore(db: Database, saved: dict[str, list[dict[str, Any]]]) -> None:
    """The world as it was built, whatever the previous case did (into an empty database)."""
    async with db.write_engine.begin() as connection:
        for table in metadata.sorted_tables:
            rows = saved.get(table.name)
            if rows:
                await connection.execute(table.insert(), rows)


# ---------------------------------------------------------------- generated calls

# Values a generic rule would get wrong, by operation and name: they only make more calls
# valid for the master's control (the victim's ids are what the cases are about).
SPECIFIC: dict[tuple[str, str], Any] = {
    ("sessionCreate", "email"): "owner@victim.test",
    ("couponCreate", "code"): "MATRIX20",
    ("couponCreate", "percentOff"): 5.0,
    ("planCreate", "code"): "matrix-plan",
    ("costEntriesImport", "csv"): "date,category,amount,currency\n2026-01-01,hosting,100,USD\n",
}


def _scalar(name: str, scalar: str, world: World, kind: str, operation: str) -> Any:
    victim = world.victim
    if (operation, name) in SPECIFIC:
        return SPECIFIC[(operation, name)]
    if name == "code" and operation.startswith("coupon"):
        return world.coupon_code
    if scalar == "ID":
        wanted = kind or ID_KINDS.get(name) or _kind_from_name(name)
        return victim.ids.get(wanted, victim.ids["customer"])
    if scalar == "String":
        strings = {
            "email": "newcomer@matrix.test",
            "billingEmail": "billing@matrix.test",
            "password": "not the password",
            "slug": victim.slug,
            "code": world.plan_code,
            "planCode": world.plan_code,
            "newCode": "matrix-copy",
            "key": victim.secrets["license"],
            "token": victim.secrets["invitation"],
            "url": "https://93.184.215.14/matrix-hooks",
            "currency": "USD",
            "country": "DE",
            "percentage": "7",
            "template": "invoice_finalized",
            "metric": "matrix-calls",
            "category": "hosting",
        }
        return strings.get(name, "matrix")
    if scalar == "Int":
        return {"gracePeriodSeconds": 0, "overlapHours": 1, "minutes": 15}.get(name, 1)
    if scalar == "Boolean":
        return name in {"confirm", "atPeriodEnd", "enabled"}
    if scalar == "Float":
        return 1.0
    today = clock.now().replace(microsecond=0)
    if scalar == "DateTime":
        moment = today - timedelta(days=30) if name == "since" else today + timedelta(days=30)
        return moment.isoformat()
    if scalar == "Date":
        earlier = name in {"from", "startDate"}
        return (today - timedelta(days=30) if earlier else today).date().isoformat()
    if scalar == "Money":
        return {"amount": 100, "currency": "USD"}
    if scalar == "Decimal":
        return "99.9"
    if scalar == "JSON":
        return {}
    return "matrix"


def _kind_from_name(name: str) -> str:
    return re.sub(r"Ids?$", "", name)


def value_for(
    type_: GraphQLInputType, name: str, world: World, operation: str, kind: str = ""
) -> Any:
    nullable = get_nullable_type(type_)
    if isinstance(nullable, GraphQLList):
        if name == "eventTypes":
            return ["member.added"]
        return [value_for(nullable.of_type, name, world, operation, kind)]
    if isinstance(nullable, GraphQLInputObjectType):
        return {
            key: value_for(item.type, key, world, operation)
            for key, item in nullable.fields.items()
            if wanted(item) or (operation, key) in SPECIFIC
        }
    if isinstance(nullable, GraphQLEnumType):
        return next(iter(nullable.values))
    assert isinstance(nullable, GraphQLScalarType)
    return _scalar(name, nullable.name, world, kind, operation)


def holds_id(type_: GraphQLInputType) -> bool:
    named = get_named_type(type_)
    return isinstance(named, GraphQLScalarType) and named.name == "ID"


def wanted(item: GraphQLArgument | GraphQLInputField) -> bool:
    """Required values, and every id (an optional one too: it points the call at the victim)."""
    if isinstance(item.type, GraphQLNonNull) and item.default_value is Undefined:
        return True
    return holds_id(item.type)


def selection(type_: Any, depth: int = 0) -> str:
    """The ids and scalars of what a field returns (one level into objects and pages)."""
    named = get_named_type(type_)
    if is_leaf_type(named):
        return ""
    if isinstance(named, GraphQLUnionType):
        return "{ __typename }"
    parts = ["__typename"]
    assert isinstance(named, (GraphQLObjectType, GraphQLInterfaceType))
    fields = named.fields
    for name, item in fields.items():
        if any(isinstance(arg.type, GraphQLNonNull) for arg in item.args.values()):
            continue
        inner = get_named_type(item.type)
        if is_leaf_type(inner):
            parts.append(name)
        elif name == "userErrors":
            parts.append("userErrors { code field message }")
        elif name == "nodes" and depth < 2:
            parts.append(f"nodes {selection(inner, depth + 1)}")
        elif name == "edges" and "nodes" not in fields and depth < 2:
            assert isinstance(inner, GraphQLObjectType)
            node = inner.fields["node"].type
            parts.append(f"edges {{ node {selection(node, depth + 1)} }}")
        elif (
            depth == 0
            and isinstance(inner, (GraphQLObjectType, GraphQLInterfaceType))
            and "id" in inner.fields
        ):
            parts.append(f"{name} {{ id }}")
    return "{ " + " ".join(parts) + " }"


@dataclass
class Call:
    document: str
    variables: dict[str, Any]


def call_for(schema: GraphQLSchema, case: Case, world: World, *, dry_run: bool = False) -> Call:
    root_type = schema.query_type if case.root == "query" else schema.mutation_type
    assert root_type is not None
    definition = root_type.fields[case.name]
    return_kind = KIND_OF_TYPE.get(get_named_type(definition.type).name, "")
    declarations, arguments, variables = [], [], {}
    for name, argument in definition.args.items():
        if name == "dryRun":
            if dry_run:
                arguments.append("dryRun: true")
            continue
        if not (wanted(argument) or name == "input"):
            continue
        kind = case.kind if name == "id" and case.kind else ""
        if name == "id" and not kind:
            kind = return_kind
        variables[name] = value_for(argument.type, name, world, case.name, kind)
        declarations.append(f"${name}: {argument.type}")
        arguments.append(f"{name}: ${name}")
    head = f"({', '.join(declarations)})" if declarations else ""
    call = f"({', '.join(arguments)})" if arguments else ""
    document = f"{case.root}{head} {{ {case.name}{call} {selection(definition.type)} }}"
    return Call(document, variables)


# ---------------------------------------------------------------- running and judging


@dataclass
class Outcome:
    status: int
    body: dict[str, Any]

    @property
    def text(self) -> str:
        return json.dumps(self.body)


async def send(http: httpx.AsyncClient, call: Call, token: str | None) -> Outcome:
    response = await http.post(
        "/graphql",
        json={"query": call.document, "variables": call.variables},
        headers={"Authorization": f"Bearer {token}"} if token else {},
    )
    return Outcome(response.status_code, response.json())


def succeeded(case: Case, outcome: Outcome) -> bool:
    """Whether the call did what it asked: data for a query field, a payload without
    userErrors for a mutation."""
    data = (outcome.body.get("data") or {}).get(case.name)
    if data is None:
        return False
    if case.root == "mutation":
        return isinstance(data, dict) and not data.get("userErrors")
    return True


def problem(case: Case, outcome: Outcome, world: World) -> str | None:
    """Why this answer breaks DESIGN §2 for this caller, or None."""
    if outcome.status >= 500:
        return f"HTTP {outcome.status}"
    codes = [(e.get("extensions") or {}).get("code") for e in outcome.body.get("errors") or []]
    if "INTERNAL_SERVER_ERROR" in codes:
        return "an internal error"
    if (case.caller, case.name) in ALLOWED:
        return None
    if case.caller != "anonymous" and outcome.status == 401:
        # The caller's token stopped working: every later refusal would prove nothing.
        return "the caller's token was refused (HTTP 401)"
    if case.caller == "anonymous":
        if outcome.status != 401 and case.name not in ANONYMOUS_FIELDS:
            return f"anonymous answered with HTTP {outcome.status}"
        return "anonymous caller got data" if succeeded(case, outcome) else None
    if not succeeded(case, outcome):
        return None
    if case.root == "mutation":
        return "mutation succeeded"
    if case.master_only:
        return "master-only field answered"
    if case.caller == "read_only":
        return None  # the impersonated owner's own scope: the victim's data is theirs to read
    data = json.dumps((outcome.body.get("data") or {}).get(case.name)).lower()
    leaked = [marker for marker in world.markers(case.caller) if marker.lower() in data]
    return f"data about the victim: {leaked[:3]}" if leaked else None


class Matrix:
    """The world built in an app's database, and the cases run against it one at a time.

    A case that may have changed the world (a mutation that succeeded, which is a finding or
    an allowed success such as ending one's own session) makes the next case start from the
    world as built; refused calls and reads change nothing that matters to a verdict.
    """

    def __init__(self, app: Starlette, world: World, http: httpx.AsyncClient) -> None:
        self.app = app
        self.db: Database = app.state.db
        self.world = world
        self.http = http
        self.schema = app_schema()
        self.dirty = False

    @classmethod
    @asynccontextmanager
    async def built(cls, app: Starlette) -> AsyncIterator[Matrix]:
        """In `app`'s empty database; emptied again afterwards."""
        db: Database = app.state.db
        try:
            world = await build_world(app)
            transport = httpx.ASGITransport(app=app, client=("203.0.113.50", 40000))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                yield cls(app, world, http)
        finally:
            await empty(db)

    async def run(self, case: Case) -> str | None:
        """The finding of one case (None: as DESIGN §2 allows), with the answer showing it."""
        if self.dirty:
            await empty(self.db)
            await restore(self.db, self.world.snapshot)
            self.dirty = False
        call = call_for(self.schema, case, self.world)
        outcome = await send(self.http, call, self.world.token(case.caller))
        found = problem(case, outcome, self.world)
        if found is not None or (case.root == "mutation" and succeeded(case, outcome)):
            self.dirty = True
        return None if found is None else f"{case.id}: {found}: {outcome.text[:400]}"

    async def master_accepts(self, case: Case) -> Outcome:
        """The control: the same call by the master (a mutation as a dry run, so it changes
        nothing); when it succeeds, the other callers' refusals come from authorization, not
        from the generated values."""
        call = call_for(self.schema, case, self.world, dry_run=case.root == "mutation")
        return await send(self.http, call, self.world.master)


@dataclass
class MatrixReport:
    cases: int
    findings: list[str]


async def run_matrix(app: Starlette) -> MatrixReport:
    """Every case against `app` (its database empty): the findings, for an app set up
    differently (another read path switched on, another engine)."""
    async with Matrix.built(app) as matrix:
        all_cases = cases(matrix.schema)
        findings = [found for case in all_cases if (found := await matrix.run(case))]
    return MatrixReport(len(all_cases), findings)

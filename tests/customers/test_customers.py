"""Customer lifecycle (create, update, deactivate, reactivate), notes, and what admins read."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.db import Database
from app.kit.ids import decode
from app.models import Customer, CustomerStatus
from app.models.tables import CUSTOMER_NOTES
from tests.customers import support
from tests.helpers import Factory, GraphQL, Mutation, World, gid
from tests.support import rows

CUSTOMER_CREATE = Mutation(
    "customerCreate", "customer { id slug name billingEmail status plan { code } }"
)
CUSTOMER_UPDATE = Mutation("customerUpdate")


def create_input(**overrides: str) -> dict[str, str]:
    values = {"slug": "acme", "name": "Acme", "billingEmail": "Billing@Acme.test"}
    return {**values, **overrides}


# ---------------------------------------------------------------- customerCreate


async def test_create_normalizes_and_audits(gql: GraphQL, world: World, db: Database) -> None:
    payload = await CUSTOMER_CREATE.ok(
        gql, create_input(slug=" ACME ", planCode="pro"), token=world.master
    )
    customer = payload["customer"]
    assert customer["slug"] == "acme"
    assert customer["billingEmail"] == "billing@acme.test"
    assert customer["status"] == "ACTIVE"
    assert customer["plan"] == {"code": "pro"}
    [event] = await support.events(db, "customer.create")
    assert event.target_id == customer["id"]
    assert event.customer_id == decode(customer["id"], "cus")
    assert event.diff["planCode"] == {"before": None, "after": "pro"}


async def test_create_without_a_plan(gql: GraphQL, world: World) -> None:
    payload = await CUSTOMER_CREATE.ok(gql, create_input(), token=world.master)
    assert payload["customer"]["plan"] is None


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"slug": "own-co"}, [("SLUG_TAKEN", ["input", "slug"])]),
        ({"planCode": "gold"}, [("NOT_FOUND", ["input", "planCode"])]),
        (
            {"slug": "Not a slug!", "name": " ", "billingEmail": "nope"},
            [
                ("INVALID", ["input", "slug"]),
                ("REQUIRED", ["input", "name"]),
                ("INVALID", ["input", "billingEmail"]),
            ],
        ),
        ({"name": "x" * 201}, [("TOO_LONG", ["input", "name"])]),
    ],
    ids=["slug-taken", "unknown-plan", "all-invalid", "name-too-long"],
)
async def test_create_refusals_write_nothing(
    gql: GraphQL, world: World, db: Database, overrides: dict[str, str], errors: list[object]
) -> None:
    before = await support.counts(db)
    found = await CUSTOMER_CREATE.refused(gql, create_input(**overrides), token=world.master)
    assert found == errors
    assert await support.counts(db) == before


# ---------------------------------------------------------------- customerUpdate


async def test_session_admin_updates_name_and_billing_email(
    gql: GraphQL, world: World, db: Database
) -> None:
    payload = await Mutation("customerUpdate", "customer { name billingEmail slug }").ok(
        gql,
        {"customerId": gid("cus", world.own), "name": "Own Inc", "billingEmail": "AP@own.test"},
        token=world.admin_token,
    )
    assert payload["customer"] == {
        "name": "Own Inc",
        "billingEmail": "ap@own.test",
        "slug": "own-co",
    }
    stored = await gql.ok(
        "query($id: ID!) { customer(id: $id) { name billingEmail } }",
        {"id": gid("cus", world.own)},
        token=world.owner_token,
    )
    assert stored["customer"] == {"name": "Own Inc", "billingEmail": "ap@own.test"}
    [event] = await support.events(db, "customer.update")
    assert event.customer_id == world.own.id
    assert set(event.diff) == {"name", "billingEmail"}


@pytest.mark.parametrize(
    ("field", "value"), [("slug", "own-renamed"), ("planCode", "pro")], ids=["slug", "plan"]
)
async def test_session_admin_may_not_change_slug_or_plan(
    gql: GraphQL, world: World, db: Database, field: str, value: str
) -> None:
    before = await support.counts(db)
    found = await CUSTOMER_UPDATE.refused(
        gql,
        {"customerId": gid("cus", world.own), "name": "Own Inc", field: value},
        token=world.owner_token,
    )
    assert found == [("FORBIDDEN", ["input", field])]
    assert await support.counts(db) == before


async def test_master_changes_slug_and_plan_and_the_plan_change_is_audited(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    await factory.plan("enterprise")
    payload = await Mutation("customerUpdate", "customer { slug plan { code } }").ok(
        gql,
        {"customerId": gid("cus", world.own), "slug": "own-renamed", "planCode": "enterprise"},
        token=world.master,
    )
    assert payload["customer"] == {"slug": "own-renamed", "plan": {"code": "enterprise"}}
    [event] = await support.events(db, "customer.update")
    assert event.diff["planCode"] == {"before": "pro", "after": "enterprise"}
    assert event.diff["slug"] == {"before": "own-co", "after": "own-renamed"}


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"slug": "other-co"}, ("SLUG_TAKEN", ["input", "slug"])),
        ({"planCode": "gold"}, ("NOT_FOUND", ["input", "planCode"])),
        ({"billingEmail": "not-an-email"}, ("INVALID", ["input", "billingEmail"])),
        ({"name": ""}, ("REQUIRED", ["input", "name"])),
    ],
    ids=["slug-taken", "unknown-plan", "bad-email", "blank-name"],
)
async def test_update_refusals(
    gql: GraphQL, world: World, change: dict[str, str], error: tuple[str, list[str]]
) -> None:
    found = await CUSTOMER_UPDATE.refused(
        gql, {"customerId": gid("cus", world.own), **change}, token=world.master
    )
    assert found == [error]


async def test_update_of_an_unknown_or_malformed_id_is_not_found(
    gql: GraphQL, world: World
) -> None:
    for customer_id in ("cus_00000000000000000000000000", "usr_nonsense"):
        found = await CUSTOMER_UPDATE.refused(
            gql, {"customerId": customer_id, "name": "X"}, token=world.master
        )
        assert found == [("NOT_FOUND", ["input", "customerId"])]


async def test_an_update_changing_nothing_writes_no_event(
    gql: GraphQL, world: World, db: Database
) -> None:
    await CUSTOMER_UPDATE.ok(
        gql, {"customerId": gid("cus", world.own), "name": world.own.name}, token=world.owner_token
    )
    assert await support.events(db, "customer.update") == []


# ---------------------------------------------------------------- deactivate / reactivate

DEACTIVATE_SELECT = "customer { status deactivatedAt deactivationReason }"
CUSTOMER_DEACTIVATE = Mutation("customerDeactivate", DEACTIVATE_SELECT)
CUSTOMER_REACTIVATE = Mutation("customerReactivate", DEACTIVATE_SELECT)


async def test_deactivation_keeps_everything_and_ends_the_admins_access(
    gql: GraphQL, world: World, db: Database
) -> None:
    before = await support.counts(db)
    payload = await CUSTOMER_DEACTIVATE.ok(
        gql,
        {"customerId": gid("cus", world.own), "reason": "Asked to close the account"},
        token=world.master,
    )
    assert payload["customer"]["status"] == "DEACTIVATED"
    assert payload["customer"]["deactivationReason"] == "Asked to close the account"
    after = await support.counts(db)
    assert after == {**before, "audit_events": before["audit_events"] + 1}  # nothing destroyed
    listed = await gql.ok("{ customers { totalCount } }", token=world.owner_token)
    assert listed["customers"]["totalCount"] == 0
    found = await CUSTOMER_UPDATE.refused(
        gql, {"customerId": gid("cus", world.own), "name": "Still mine?"}, token=world.owner_token
    )
    assert found == [("NOT_FOUND", ["input", "customerId"])]


@pytest.mark.parametrize(
    ("reason", "code"), [("", "REQUIRED"), ("x" * 501, "TOO_LONG")], ids=["blank", "too-long"]
)
async def test_deactivation_needs_a_reason(
    gql: GraphQL, world: World, reason: str, code: str
) -> None:
    found = await CUSTOMER_DEACTIVATE.refused(
        gql, {"customerId": gid("cus", world.own), "reason": reason}, token=world.master
    )
    assert found == [(code, ["input", "reason"])]


async def test_a_reason_of_500_characters_is_kept(gql: GraphQL, world: World) -> None:
    own = gid("cus", world.own)
    payload = await CUSTOMER_DEACTIVATE.ok(
        gql, {"customerId": own, "reason": "r" * 500}, token=world.master
    )
    assert payload["customer"]["deactivationReason"] == "r" * 500
    data = await gql.ok(
        "query($id: ID!) { customer(id: $id) { deactivationReason } }",
        {"id": own},
        token=world.master,
    )
    assert data["customer"]["deactivationReason"] == "r" * 500


async def test_deactivating_twice_is_an_invalid_state(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    dormant = await factory.customer("dormant", status=CustomerStatus.DEACTIVATED)
    found = await CUSTOMER_DEACTIVATE.refused(
        gql, {"customerId": gid("cus", dormant), "reason": "Again"}, token=world.master
    )
    assert found == [("INVALID_STATE", ["input", "customerId"])]


async def test_reactivation_restores_the_admins_access(
    gql: GraphQL, world: World, db: Database
) -> None:
    own = {"customerId": gid("cus", world.own)}
    await CUSTOMER_DEACTIVATE.ok(gql, {**own, "reason": "Unpaid"}, token=world.master)
    payload = await CUSTOMER_REACTIVATE.ok(gql, {**own, "reason": "Paid up"}, token=world.master)
    assert payload["customer"] == {
        "status": "ACTIVE",
        "deactivatedAt": None,
        "deactivationReason": None,
    }
    listed = await gql.ok("{ customers { totalCount } }", token=world.owner_token)
    assert listed["customers"]["totalCount"] == 1
    [event] = await support.events(db, "customer.reactivate")
    assert event.customer_id == world.own.id
    assert event.diff["reactivationReason"] == {"before": None, "after": "Paid up"}


async def test_reactivating_an_active_customer_is_an_invalid_state(
    gql: GraphQL, world: World
) -> None:
    found = await CUSTOMER_REACTIVATE.refused(
        gql, {"customerId": gid("cus", world.own)}, token=world.master
    )
    assert found == [("INVALID_STATE", ["input", "customerId"])]


# ---------------------------------------------------------------- notes

CUSTOMER_NOTE_CREATE = Mutation("customerNoteCreate", "customerNote { id body authorId }")
NOTES_QUERY = (
    "query($id: ID!) { customer(id: $id) { notes { totalCount nodes { body authorId } } } }"
)


async def test_master_writes_and_reads_notes(gql: GraphQL, world: World, db: Database) -> None:
    own = gid("cus", world.own)
    payload = await CUSTOMER_NOTE_CREATE.ok(
        gql, {"customerId": own, "body": "  Prefers email.  "}, token=world.staff_token
    )
    assert payload["customerNote"]["body"] == "Prefers email."
    assert payload["customerNote"]["authorId"] == gid("usr", world.staff)
    data = await gql.ok(NOTES_QUERY, {"id": own}, token=world.master)
    assert data["customer"]["notes"] == {
        "totalCount": 1,
        "nodes": [{"body": "Prefers email.", "authorId": gid("usr", world.staff)}],
    }
    [event] = await support.events(db, "customer_note.create")
    assert event.customer_id == world.own.id


async def test_a_session_admin_cannot_read_notes(gql: GraphQL, world: World) -> None:
    response = await gql(NOTES_QUERY, {"id": gid("cus", world.own)}, token=world.owner_token)
    assert response.codes == ["FORBIDDEN"]
    assert response.data == {"customer": {"notes": None}}


@pytest.mark.parametrize(
    ("body", "code"), [(" ", "REQUIRED"), ("x" * 5001, "TOO_LONG")], ids=["blank", "too-long"]
)
async def test_note_body_is_checked(gql: GraphQL, world: World, body: str, code: str) -> None:
    found = await CUSTOMER_NOTE_CREATE.refused(
        gql, {"customerId": gid("cus", world.own), "body": body}, token=world.master
    )
    assert found == [(code, ["input", "body"])]


async def test_a_note_of_exactly_5000_characters_is_kept(
    gql: GraphQL, world: World, db: Database
) -> None:
    body = "".join(chr(ord("a") + n % 26) for n in range(5000))  # a cut shows at any length
    own = gid("cus", world.own)
    payload = await CUSTOMER_NOTE_CREATE.ok(
        gql, {"customerId": own, "body": body}, token=world.master
    )
    assert payload["customerNote"]["body"] == body
    data = await gql.ok(NOTES_QUERY, {"id": own}, token=world.master)
    assert [node["body"] for node in data["customer"]["notes"]["nodes"]] == [body]
    [stored] = await rows(db, sa.select(CUSTOMER_NOTES.c.body))
    assert stored.body == body


# ---------------------------------------------------------------- reading

READ = """
query($id: ID!) {
  customer(id: $id) {
    slug plan { code }
    members { totalCount nodes { role user { id email name status } } }
    invitations { totalCount nodes { email status } }
    projects { totalCount nodes { slug } }
  }
}"""


async def test_session_admins_read_their_customer(gql: GraphQL, world: World, db: Database) -> None:
    await support.project(db, world.own)
    await support.invitation(db, world.own, "new@own.test")
    # A read-only impersonation of the OWNER reads what the OWNER reads.
    for token in (world.owner_token, world.admin_token, world.read_only_token):
        data = await gql.ok(READ, {"id": gid("cus", world.own)}, token=token)
        customer = data["customer"]
        assert customer["plan"] == {"code": "pro"}
        assert customer["members"]["totalCount"] == 3
        assert customer["invitations"]["nodes"] == [{"email": "new@own.test", "status": "PENDING"}]
        assert customer["projects"]["nodes"] == [{"slug": "api"}]


@pytest.mark.parametrize("caller", ["outsider", "member"])
async def test_others_cannot_read_the_customer(
    gql: GraphQL, world: World, factory: Factory, caller: str
) -> None:
    token = (
        await factory.session_token(world.outsider) if caller == "outsider" else world.member_token
    )
    data = await gql.ok(READ, {"id": gid("cus", world.own)}, token=token)
    assert data == {"customer": None}


async def test_members_show_only_limited_user_fields_to_session_admins(
    gql: GraphQL, world: World
) -> None:
    response = await gql(
        "{ customers { nodes { members { nodes { user { email isStaff } } } } } }",
        token=world.owner_token,
    )
    assert set(response.codes) == {"FORBIDDEN"}
    users = [m["user"] for m in response.data["customers"]["nodes"][0]["members"]["nodes"]]
    assert all(user["isStaff"] is None and user["email"] for user in users)


async def test_customers_filters(gql: GraphQL, world: World, factory: Factory) -> None:
    await factory.customer("dormant", status=CustomerStatus.DEACTIVATED, name="Sleepy Co")
    query = "query($f: CustomerFilter) { customers(filter: $f) { nodes { slug } } }"

    async def slugs(filter: dict[str, object]) -> list[str]:
        data = await gql.ok(query, {"f": filter}, token=world.master)
        return sorted(node["slug"] for node in data["customers"]["nodes"])

    assert await slugs({"status": "DEACTIVATED"}) == ["dormant"]
    assert await slugs({"planCode": "pro"}) == ["other-co", "own-co"]
    assert await slugs({"search": "sleepy"}) == ["dormant"]
    assert await slugs({"createdBefore": "2000-01-01T00:00:00Z"}) == []
    assert len(await slugs({"createdAfter": "2000-01-01T00:00:00Z"})) == 3


async def test_session_admins_see_audit_events_of_their_customer(
    gql: GraphQL, world: World
) -> None:
    await CUSTOMER_UPDATE.ok(
        gql, {"customerId": gid("cus", world.own), "name": "Own Inc"}, token=world.admin_token
    )
    query = '{ auditEvents(filter: {action: "customer.update"}) { totalCount } }'
    assert (await gql.ok(query, token=world.owner_token))["auditEvents"]["totalCount"] == 1
    outsider_view = await gql.ok(query, token=world.member_token)
    assert outsider_view["auditEvents"]["totalCount"] == 0


async def test_created_customer_row_is_stored(gql: GraphQL, world: World, factory: Factory) -> None:
    payload = await CUSTOMER_CREATE.ok(gql, create_input(), token=world.master)
    stored = await factory.get(Customer, decode(payload["customer"]["id"], "cus"))
    assert stored.billing_email == "billing@acme.test"

"""Documents generated over the compilable part of the schema: both paths answer alike.

The generator draws selections of the types the compiled path declares (fields, aliases,
inline fragments and named ones, `@skip`/`@include`) under `users`, `customers` and `user`,
with arguments; every drawn document is valid, so each one must be compiled too.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.graphql.compiled.conftest import Both, Callers

PLAN = [
    "__typename",
    "id",
    "code",
    "name",
    "interval",
    "trialDays",
    "status",
    "version",
    "createdAt",
    "archivedAt",
    "subscribersCount",
]
CUSTOMER = [
    "__typename",
    "id",
    "slug",
    "name",
    "status",
    "billingEmail",
    "createdAt",
    "deactivatedAt",
    "deactivationReason",
    "taxId",
    "openInvoicesCount",
]
MEMBERSHIP = ["__typename", "id", "role", "createdAt"]
USER = [
    "__typename",
    "id",
    "email",
    "name",
    "status",
    "createdAt",
    "lastSeenAt",
    "isStaff",
    "notesCount",
]
NESTED = {
    "User": ("memberships", "Membership"),
    "Membership": ("customer", "Customer"),
    "Customer": ("plan", "Plan"),
}
SCALARS = {"User": USER, "Membership": MEMBERSHIP, "Customer": CUSTOMER, "Plan": PLAN}

# Aliases tied to the field's name: two fields never share a response key.
ALIAS = st.sampled_from(["", "", "", "a_{}: ", "{}2: "])
DIRECTIVE = st.sampled_from(
    [
        "",
        "",
        "",
        " @skip(if: true)",
        " @skip(if: false)",
        " @include(if: true)",
        " @include(if: false)",
    ]
)


@st.composite
def selection(draw: Any, type_name: str, depth: int = 0) -> str:
    names = draw(st.lists(st.sampled_from(SCALARS[type_name]), min_size=1, max_size=6, unique=True))
    parts = [f"{draw(ALIAS).format(name)}{name}{draw(DIRECTIVE)}" for name in names]
    nested = NESTED.get(type_name)
    if nested is not None and depth < 3 and draw(st.booleans()):
        field, target = nested
        parts.append(
            f"{draw(ALIAS).format(field)}{field}{draw(DIRECTIVE)} {{ {draw(selection(target, depth + 1))} }}"
        )
    if draw(st.integers(0, 4)) == 0:
        parts.append(f"... on {type_name} {{ {draw(selection(type_name, depth + 1))} }}")
    order = draw(st.permutations(parts))
    # Some field is always kept, whatever the directives say.
    return " ".join(order) + " __typename"


@st.composite
def document(draw: Any) -> tuple[str, dict[str, Any] | None]:
    root = draw(st.sampled_from(["users", "customers", "user"]))
    if root == "user":
        body = draw(selection("User"))
        return "query($id: ID!) { user(id: $id) { " + body + " } }", {"id": "<owner>"}
    type_name = "User" if root == "users" else "Customer"
    node = draw(selection(type_name))
    parts = draw(
        st.lists(
            st.sampled_from(["totalCount", "edges", "nodes", "__typename"]),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    inner = " ".join(
        f"edges {{ node {{ {node} }} }}"
        if part == "edges"
        else f"nodes {{ {node} }}"
        if part == "nodes"
        else part
        for part in parts
    )
    arguments = [f"first: {draw(st.sampled_from([0, 1, 2, 5, 50]))}"]
    if root == "users":
        status = draw(st.sampled_from(["", "ACTIVE", "SUSPENDED", "BLOCKED"]))
        if status:
            arguments.append(f"filter: {{status: {status}}}")
        order = draw(st.sampled_from(["CREATED_AT", "EMAIL", "LAST_SEEN_AT"]))
    else:
        order = draw(st.sampled_from(["CREATED_AT", "NAME", "SLUG"]))
    direction = draw(st.sampled_from(["ASC", "DESC"]))
    arguments.append(f"orderBy: {{field: {order}, direction: {direction}}}")
    fragment = ""
    if draw(st.booleans()):
        fragment = f" fragment N on {type_name} {{ {draw(selection(type_name))} }}"
        inner = inner.replace("node {", "node { ...N", 1).replace("nodes {", "nodes { ...N", 1)
        if "...N" not in inner:
            fragment = ""
    return f"{{ {root}({', '.join(arguments)}) {{ {inner} }} }}{fragment}", None


@pytest.mark.parametrize("caller", ["master", "owner", "member", "read_only"])
@settings(
    phases=[Phase.explicit, Phase.generate],
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(drawn=document())
async def test_generated_documents_answer_alike(
    both: Both, callers: Callers, caller: str, drawn: tuple[str, dict[str, Any] | None]
) -> None:
    query, variables = drawn
    if variables is not None:
        variables = {"id": callers.tokens and _owner_id(callers)}
    ordinary, compiled = await both(query, variables, token=callers.tokens[caller])
    assert ordinary.status == 200, ordinary.body
    # A drawn document may pass the protection limits (aliases, cost): refused before
    # execution, it is answered the ordinary way, and only that way.
    refused = dict(ordinary.body).get("data", ...) is ... and "QUERY_TOO_COMPLEX" in repr(
        ordinary.body
    )
    assert compiled.path == ("ordinary" if refused else "compiled"), (query, ordinary.body)
    assert compiled.body == ordinary.body, query


def _owner_id(callers: Callers) -> str:
    from app.kit.ids import encode

    return encode("usr", callers.world.owner.id)

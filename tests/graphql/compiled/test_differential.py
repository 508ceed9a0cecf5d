"""Both read paths give identical JSON (data and errors, key order included) to every caller."""

from __future__ import annotations

import pytest

from tests.graphql.compiled.conftest import Both, Callers

W1 = (
    "{ users(first: 100, filter: {status: ACTIVE}) { totalCount edges { node { id email name "
    "status createdAt memberships { role customer { id name plan { code name } } } notesCount "
    "} } } }"
)

COMPILED_DOCUMENTS = [
    W1,
    "{ users { totalCount } }",
    "{ users(first: 2) { nodes { id email } } }",
    "{ __typename users(first: 3, orderBy: {field: EMAIL, direction: ASC}) { __typename "
    "edges { __typename node { __typename id name isStaff lastSeenAt } } } }",
    "query($f: UserFilter, $n: Int) { users(first: $n, filter: $f) { totalCount nodes { email "
    "status } } }",
    "query($skip: Boolean!) { users { a: totalCount b: totalCount @skip(if: $skip) "
    "nodes { ... on User { email } ...F } } } fragment F on User { name @include(if: $skip) }",
    "{ users { nodes { memberships { role createdAt customer { slug status taxId "
    "openInvoicesCount plan { code interval trialDays status version createdAt "
    "archivedAt subscribersCount } } } } } }",
    "{ customers { totalCount nodes { id slug name plan { id code } deactivationReason } } }",
    "{ customers(orderBy: {field: NAME, direction: ASC}) { edges { node { name billingEmail "
    "createdAt updatedAt deactivatedAt } } } }",
    '{ users(filter: {search: "own"}) { nodes { email notesCount lastSeenAt } } }',
]
VARIABLES = {
    # Requests of one shape (same filters given) share a compiled statement: other values
    # under the same shape must be this request's, not the first one's.
    4: [
        {"f": {"status": "SUSPENDED"}, "n": 5},
        {"f": {"status": "ACTIVE"}, "n": 2},
        {"f": None, "n": None},
        {"f": {"search": "ZOË"}},
        {"f": {"search": "own"}, "n": 1},
    ],
    5: [{"skip": True}, {"skip": False}],
}

CALLERS = ["master", "staff", "owner", "admin", "member", "read_only"]


@pytest.mark.parametrize("caller", CALLERS)
async def test_compiled_documents_answer_like_ordinary_execution(
    both: Both, callers: Callers, caller: str
) -> None:
    token = callers.tokens[caller]
    for index, document in enumerate(COMPILED_DOCUMENTS):
        for variables in VARIABLES.get(index, [None]):
            ordinary, compiled = await both(document, variables, token=token)
            assert ordinary.path == "ordinary"
            assert ordinary.status == compiled.status, (document, variables)
            assert compiled.body == ordinary.body, (document, variables)
            if caller != "member":
                assert compiled.path == "compiled", (document, variables, ordinary.body)

"""The authorization matrix (see `tests/security/authz.py`): one test per caller and root
field of the schema, each against two customers' real rows, the victim's ids in every id.

Another read path runs the same matrix with it switched on: through the settings
(`ADMIRAL_READ_PATH=… pytest tests/security/test_authorization_matrix.py`, which every setting
of the test app honours), or by parametrizing `matrix_app` indirectly with setting overrides
(`@pytest.mark.parametrize("matrix_app", [{"read_path": "compiled"}], indirect=True)`), or by
calling `authz.run_matrix(app)` on an app of its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from starlette.applications import Starlette

from app.main import create_app
from tests.conftest import make_settings
from tests.security import authz

CASES = authz.cases()


@pytest.fixture(scope="module")
async def matrix_app(
    request: pytest.FixtureRequest, app: Starlette, migrated_url: str, matrix_dir: Path
) -> AsyncIterator[Starlette]:
    """The session's app, or (given setting overrides as a param) one built with them on the
    same database."""
    overrides = getattr(request, "param", None)
    if not overrides:
        yield app
        return
    other = create_app(make_settings(migrated_url, matrix_dir / "secret", **overrides))
    yield other
    await other.state.db.dispose()


@pytest.fixture(scope="module")
def matrix_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("matrix")


@pytest.fixture(scope="module")
async def matrix(matrix_app: Starlette) -> AsyncIterator[authz.Matrix]:
    # Module scope, so the world is built once per worker (and again should the worker run
    # another module in between: pytest tears this down first, which empties the database).
    async with authz.Matrix.built(matrix_app) as built:
        yield built


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_no_caller_reaches_what_its_scope_does_not_allow(
    matrix: authz.Matrix, case: authz.Case
) -> None:
    finding = await matrix.run(case)
    assert finding is None, finding


def test_the_matrix_covers_every_root_field_for_every_caller() -> None:
    schema = authz.app_schema()
    assert schema.query_type is not None
    assert schema.mutation_type is not None
    fields = {("query", name) for name in schema.query_type.fields}
    fields |= {("mutation", name) for name in schema.mutation_type.fields}
    for caller in authz.CALLERS:
        assert {(case.root, case.name) for case in CASES if case.caller == caller} == fields
    assert len(CASES) == len(authz.CALLERS) * (len(fields) + len(authz.NODE_KINDS) - 1)
    print(f"authorization matrix: {len(CASES)} cases over {len(fields)} root fields")


def test_every_allowance_names_a_field_of_the_schema() -> None:
    names = {case.name for case in CASES}
    assert {name for _, name in authz.ALLOWED} <= names
    assert {caller for caller, _ in authz.ALLOWED} <= set(authz.CALLERS)


async def test_the_generated_calls_are_valid_for_the_master(matrix: authz.Matrix) -> None:
    """The same calls by the master succeed (mutations as dry runs), so most refusals above
    come from authorization, not from the values. The rest need a state the world does not
    have (a DRAFT invoice cannot be paid) or are refused to the master too (a wrong password,
    an invitation for someone else); they still check that no other caller gets further."""
    calls = sorted({(case.root, case.name, case.kind) for case in CASES})
    refused = []
    for root, name, kind in calls:
        case = authz.Case("master", root, name, False, kind)
        outcome = await matrix.master_accepts(case)
        assert outcome.status < 500, outcome.text
        if not authz.succeeded(case, outcome):
            refused.append(f"{case.id}: {outcome.text[:200]}")
    accepted = len(calls) - len(refused)
    print(f"master control: {accepted} of {len(calls)} generated calls succeed")
    assert accepted >= 0.8 * len(calls), "\n".join(refused)

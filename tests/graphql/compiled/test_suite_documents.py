"""Every query document the test suite sends that the compiled path accepts answers alike."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse

from app.graphql.compiled.planner import Planner, Uncompilable
from app.graphql.schema import build_schema
from tests.graphql.compiled.conftest import Both, Callers

TESTS = Path(__file__).resolve().parents[2]


@cache
def compilable_documents() -> list[str]:
    """Query documents (string literals of the tests, without variables) the planner accepts."""
    schema = build_schema()
    found: set[str] = set()
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            text = node.value.strip()
            if not text.startswith(("{", "query")) or len(text) > 5000:
                continue
            try:
                document = parse(text)
            except GraphQLError:
                continue
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            if len(operations) != 1 or operations[0].operation is not OperationType.QUERY:
                continue
            if operations[0].variable_definitions:
                continue
            try:
                if schema.limits.validate(text):
                    continue
            except ValueError:  # documents some tests send to see them refused
                continue
            try:
                Planner(schema._schema, document, operations[0], {}, True).plan()
            except Uncompilable:
                continue
            found.add(text)
    return sorted(found)


def test_the_suite_has_compilable_documents() -> None:
    assert len(compilable_documents()) >= 3


@pytest.mark.parametrize("caller", ["master", "owner", "member", "read_only"])
async def test_suite_documents_answer_alike(both: Both, callers: Callers, caller: str) -> None:
    for document in compilable_documents():
        ordinary, compiled = await both(document, token=callers.tokens[caller])
        assert ordinary.status == compiled.status, document
        assert compiled.body == ordinary.body, document

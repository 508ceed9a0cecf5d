"""What a GraphQL request asks for, told without any value it carries.

An impersonated request is audited with this summary: the operation's name and type, the root
fields it selects and the names of the variables it declares. Arguments, literals and variable
values never appear, so a password or token typed into a document stays out of the audit trail.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
    get_operation_ast,
)

from app.kit.http import is_operation_name


def operation_summary(document: DocumentNode | None, operation_name: str | None) -> dict[str, Any]:
    """`operationName`, `operationType` (null when the document does not parse or names no
    such operation), `rootFields` and `variables` (names only)."""
    operation = get_operation_ast(document, operation_name) if document is not None else None
    if operation is None:
        # Only a name that could be a GraphQL name is kept: the field is not free text.
        named = operation_name is not None and is_operation_name(operation_name)
        return {
            "operationName": operation_name if named else None,
            "operationType": None,
            "rootFields": [],
            "variables": [],
        }
    assert document is not None
    fragments = {
        item.name.value: item
        for item in document.definitions
        if isinstance(item, FragmentDefinitionNode)
    }
    return {
        "operationName": operation.name.value if operation.name else None,
        "operationType": operation.operation.value,
        "rootFields": list(dict.fromkeys(_field_names(operation.selection_set, fragments, set()))),
        "variables": [item.variable.name.value for item in operation.variable_definitions or ()],
    }


def _field_names(
    selection_set: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    entered: set[str],
) -> list[str]:
    """The fields of one selection set, through its fragments (each entered once)."""
    names: list[str] = []
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            names.append(selection.name.value)
        elif isinstance(selection, InlineFragmentNode):
            names.extend(_field_names(selection.selection_set, fragments, entered))
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in entered:
                entered.add(name)
                names.extend(_field_names(fragment.selection_set, fragments, entered))
    return names

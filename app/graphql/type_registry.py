"""The GraphQL type showing each read model, filled by `@model_type` as types are imported.

Kept apart from `model_types` so the loaders, which turn rows into those types, can look them
up without importing the module that imports them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_types: dict[str, type[Any]] = {}


def register_type(model_name: str, cls: type[Any]) -> None:
    if model_name in _types:
        raise ValueError(f"a GraphQL type for {model_name} is registered twice")
    _types[model_name] = cls


def type_of(model_name: str) -> Any:
    return _types[model_name]


def registered_types() -> Mapping[str, type[Any]]:
    return dict(_types)

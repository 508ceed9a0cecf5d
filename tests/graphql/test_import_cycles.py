"""The GraphQL package has no import circle: a module never needs itself to load.

Types that refer to each other do so lazily (`strawberry.lazy`, imports for the type checker
only), so any module can be imported first. A circle would make the import order matter again,
the way a central loader list once tied fifteen modules together.
"""

from __future__ import annotations

import grimp


def _cycles(graph: grimp.ImportGraph, modules: set[str]) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for imported in sorted(graph.find_modules_directly_imported_by(module) & modules):
            if state.get(imported) == 1:
                found.append([*path[path.index(imported) :], imported])
            elif imported not in state:
                visit(imported, [*path, imported])
        state[module] = 2

    for module in sorted(modules):
        if module not in state:
            visit(module, [module])
    return found


def test_app_graphql_has_no_import_cycle() -> None:
    graph = grimp.build_graph("app", exclude_type_checking_imports=True, cache_dir=None)
    modules = {m for m in graph.modules if m == "app.graphql" or m.startswith("app.graphql.")}
    assert len(modules) > 20
    assert _cycles(graph, modules) == []

"""No import cycle under src/tfhub: the modules can be read bottom-up (checked with `ast`).

The rule: module A depends on module B if A imports B anywhere, at the top or inside a function
(a late import hides a cycle, it does not break it). `from pkg import name` depends on
`pkg.name` if that is a module, else on `pkg` (its `__init__.py`). Not counted: imports under
`if TYPE_CHECKING:` (never run), dynamic imports (`importlib.import_module`, e.g. the lazy
public API of `tfhub/__init__.py`), and the implicit import of a parent package when a
submodule is imported (every package would otherwise be a cycle with its own submodules). A
registry breaks a dependency that must run upward: see `tfhub/tf1/registry.py`.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src"
PACKAGE = "tfhub"
# Cycles tolerated for now: none. Fix a new cycle by moving the shared piece below both modules.
KNOWN_CYCLES: list[list[str]] = []


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth, except those under `if TYPE_CHECKING:`."""
    found: list[ast.Import | ast.ImportFrom] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return found


def dependencies(name: str, is_package: bool, source: str, known: set[str]) -> set[str]:
    """The modules of `known` that the module `name` imports."""
    result: set[str] = set()
    for node in _imports(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = name if is_package else name.rpartition(".")[0]
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            stem = ".".join(p for p in (base if node.level else "", node.module or "") if p)
            full = [".".join(p for p in (stem, alias.name) if p) for alias in node.names]
            targets = [target if target in known else stem for target in full]
        result.update(t for t in targets if t in known and t != name)
    return result


def import_graph() -> dict[str, set[str]]:
    """Each module of src/tfhub -> the modules of src/tfhub it imports: a copy (the caller may
    change it) of the graph read once per process (tests/test_tools_layering_probes33.py reads
    it three times). Only the small graph is kept, not the syntax trees, whose ~400,000 objects
    would make each later full collection of the worker slower."""
    return {name: set(targets) for name, targets in _read_import_graph().items()}


@functools.cache
def _read_import_graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in sorted((SRC / PACKAGE).rglob("*.py"))}
    known = set(paths)
    return {
        name: dependencies(name, path.name == "__init__.py", path.read_text(), known)
        for name, path in paths.items()
    }


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_no_import_cycle_under_src_tfhub() -> None:
    graph = import_graph()
    assert "tfhub.tf1.module" in graph and graph["tfhub.tf1.module"]  # The parse found edges.
    cycles = [c for c in find_cycles(graph) if c not in KNOWN_CYCLES]
    assert cycles == [], "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from .b import f", {"p.b"}),
        ("def f():\n    from . import b", {"p.b"}),
        ("from .. import q", {"q"}),
        ("import p.b", {"p.b"}),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import f", set()),
    ],
)
def test_dependencies_count_late_imports_and_skip_type_checking(
    source: str, expected: set[str]
) -> None:
    assert dependencies("p.a", False, source, {"p", "p.a", "p.b", "q"}) == expected


def test_find_cycles_reports_a_late_import_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c"]]

"""The package's shape: no import cycle, no job importing a face, few top-level modules.

The import graph is read from the sources with :mod:`ast` (nothing is imported): every
``import`` and ``from ... import`` anywhere in a module counts, deferred ones inside
functions included, except those under ``if TYPE_CHECKING:``; importing a module also
imports its parent packages. A module's own parent packages are not counted: they are
always initialised before it, and a package that imports its own modules is not a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import hashpivot

PACKAGE_DIR = Path(hashpivot.__file__).parent
FACES = ("hashpivot.cli", "hashpivot.api", "hashpivot.report")
FACES_IMPORTED_BY_NONE_BELOW = ("hashpivot.cli", "hashpivot.api")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE_DIR.rglob("*.py")}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[tuple[str, list[str]]]:
    """(module, names) of every import outside ``if TYPE_CHECKING:`` blocks."""
    found: list[tuple[str, list[str]]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names]))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _with_parents(name: str, known: set[str]) -> set[str]:
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts) + 1)} & known


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module → the ``hashpivot`` modules importing it runs (parents included)."""
    known = set(modules)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges: set[str] = set()
        for target, names in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if not target.startswith("hashpivot"):
                continue
            edges |= _with_parents(target, known)
            edges |= {f"{target}.{n}" for n in names if f"{target}.{n}" in known}
        graph[name] = edges - _with_parents(name, known)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strongconnect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    return found


def test_cycle_finder_finds_a_cycle_and_passes_a_tree() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def test_graph_reader_sees_deferred_imports_and_skips_type_checking() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from hashpivot.cli import app\n"
        "def f():\n    from hashpivot.spec import Scenario\n"
    )
    assert _imports(tree) == [("typing", ["TYPE_CHECKING"]), ("hashpivot.spec", ["Scenario"])]


def test_no_import_cycle() -> None:
    assert cycles(import_graph(all_modules())) == []


def test_no_module_below_the_faces_imports_a_face() -> None:
    graph = import_graph(all_modules())
    bad = {
        module: sorted(t for t in targets if t.startswith(FACES_IMPORTED_BY_NONE_BELOW))
        for module, targets in graph.items()
        if not module.startswith(FACES)
    }
    assert {m: t for m, t in bad.items() if t} == {}


def test_top_level_holds_few_modules_and_no_prefix_families() -> None:
    top = sorted(p.stem for p in PACKAGE_DIR.glob("*.py"))
    assert len(top) <= 25, top
    prefixed = [m for m in top if m.startswith(("cli_", "network_", "sweep_", "store_"))]
    assert prefixed == []


NOTEBOOK_API = (
    "load_scenario", "default_scenario", "Scenario", "Simulation", "project", "value", "plan",
    "Dispatch", "RunStore", "load_company",
)  # fmt: skip


@pytest.mark.parametrize("name", NOTEBOOK_API)
def test_top_level_api_resolves(name: str) -> None:
    assert name in hashpivot.__all__
    assert getattr(hashpivot, name) is not None


def test_top_level_api_refuses_unknown_names() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = hashpivot.nope  # type: ignore[attr-defined]


def test_package_inits_are_short_and_name_their_api() -> None:
    for init in PACKAGE_DIR.rglob("__init__.py"):
        text = init.read_text(encoding="utf-8")
        if init.parent.name == "data":
            continue
        assert text.count("\n") < 200, init
        assert "__all__" in text or init.parent.name in {"api", "report"}, init

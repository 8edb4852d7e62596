"""The package's import graph has no cycle, counting imports inside functions too: a lazy
import may defer a cost, never hide a loop. Imports under `if TYPE_CHECKING:` are left out
(they never run)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "analyzer"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(tree: ast.Module) -> set[int]:
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                hidden.update(id(n) for n in ast.walk(child))
    return hidden


def targets(node: ast.Import | ast.ImportFrom, modules: set[str]) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level or node.module is None:
        raise AssertionError("relative imports are not used in analyzer/")
    found = [node.module]
    for alias in node.names:
        if f"{node.module}.{alias.name}" in modules:
            found.append(f"{node.module}.{alias.name}")
    return found


def import_graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for path in paths:
        source = module_name(path)
        own = source if path.name == "__init__.py" else source.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        hidden = _type_checking_only(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom) or id(node) in hidden:
                continue
            for target in targets(node, modules):
                if target not in modules:
                    continue
                graph[source].add(target)
                # importing a.b.c also runs the packages a.b and a that the importer is not in
                parts = target.split(".")
                for depth in range(2, len(parts)):
                    package = ".".join(parts[:depth])
                    if package in modules and not (own + ".").startswith(package + "."):
                        graph[source].add(package)
        graph[source].discard(source)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_detector_sees_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_graph_sees_imports_inside_functions() -> None:
    graph = import_graph()
    assert "analyzer.render.html" in graph["analyzer.render.registry"]  # imported lazily


def test_analyzer_has_no_import_cycle() -> None:
    assert find_cycle(import_graph()) is None


# What each layer may import besides itself (ARCHITECTURE.md, "Layers"). Data flows one way:
# a new arrow here is a design decision to write down there, not an accident.
MAY_IMPORT: dict[str, set[str]] = {
    "domain": set(),
    "normalize": {"domain"},
    "sources": {"domain", "normalize"},
    "frame": {"domain", "normalize", "sources"},
    "aws": {"domain", "frame", "normalize", "sources"},
    "history": {"frame", "normalize"},
    "findings": {"domain", "frame", "normalize", "reports"},
    "reports": {"domain", "findings", "frame", "render.formats"},
    "render": {"domain", "findings", "frame", "reports"},
    "audit": {"aws", "domain", "findings", "frame", "history", "render", "reports", "sources"},
    "api": {"audit", "aws", "domain", "findings", "frame", "history", "render", "sources"},
    "entry": {"audit", "aws", "domain", "findings", "frame", "render", "reports", "sources"},
}


def test_layers_import_only_what_they_may() -> None:
    wrong = []
    for source, targets in import_graph().items():
        layer = source.split(".")[1] if "." in source else "analyzer"
        if layer not in MAY_IMPORT:
            continue  # the package file and compatibility shims
        for target in targets:
            other = target.split(".")[1] if "." in target else "analyzer"
            if other == layer or other == "analyzer":
                continue
            allowed = MAY_IMPORT[layer]
            parts = target.split(".")
            if len(parts) == 2:  # a package file, run when one of its modules is imported
                ok = any(a == other or a.startswith(f"{other}.") for a in allowed)
            else:
                ok = other in allowed or f"{other}.{parts[2]}" in allowed
            if not ok:
                wrong.append(f"{source} -> {target}")
    assert wrong == []

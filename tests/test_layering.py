"""The shape of the code: the layers (envs, verify and ppo never import the recipe), no import cycles
among the project's modules (function-level imports included), and no oversized source files.

Read with `ast` only: nothing is imported, so these run in a fraction of a second.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("envs", "verify", "recipe", "ppo")
BELOW_RECIPE = ("envs", "verify", "ppo")
MAX_LINES = 700
SKIPPED_DIRS = {"tests", "target", "node_modules", "__pycache__"}
# Imports of the recipe that are allowed for now, as (module, enclosing function): none at present.
PENDING_RECIPE_IMPORTS: set[tuple[str, str]] = set()
# Import cycles that are known and waiting to be broken (none at present).
PENDING_CYCLES: set[frozenset[str]] = set()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))
            if "__pycache__" not in p.parts}


def _imports(name: str, path: Path) -> list[tuple[str, str, int, str | None]]:
    """(imported, its module if `imported` is not one, line, enclosing function or None) for every import in
    the module, at module level or inside functions and classes; relative imports resolved.
    `from a import b` gives ("a.b", "a", ...): the module a.b if there is one, else a name from module a."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and ast.unparse(child.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
                continue  # for annotations only: never imported when the code runs
            if isinstance(child, ast.Import):
                found.extend((alias.name, alias.name, child.lineno, function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parts = package.split(".")
                    base = ".".join(parts[: len(parts) - (child.level - 1)] + ([base] if base else []))
                found.extend((f"{base}.{alias.name}", base, child.lineno, function) for alias in child.names)
            visit(child, child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function)

    visit(tree, None)
    return found


def _graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports (a module, not the packages above it: `from a import b`
    with a module a.b is an edge to a.b)."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges = set()
        for imported, module, _, _ in _imports(name, path):
            target = imported if imported in modules else module
            if target in modules and target != name:
                edges.add(target)
        graph[name] = edges
    return graph


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def _tangles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The sets of modules that import each other (strongly connected components of more than one module)."""
    reach: dict[str, set[str]] = {}

    def reachable(node: str) -> set[str]:
        if node not in reach:
            seen, todo = set(), [node]
            while todo:
                for nxt in graph.get(todo.pop(), ()):
                    if nxt not in seen:
                        seen.add(nxt)
                        todo.append(nxt)
            reach[node] = seen
        return reach[node]

    tangles = {frozenset({n} | {m for m in reachable(n) if n in reachable(m)}) for n in graph if n in reachable(n)}
    return sorted(tangles, key=sorted)


def test_envs_verify_and_ppo_never_import_the_recipe():
    offending = []
    for name, path in _modules().items():
        if not name.startswith(BELOW_RECIPE):
            continue
        for imported, module, line, function in _imports(name, path):
            if module.split(".")[0] == "recipe" and (name, function) not in PENDING_RECIPE_IMPORTS:
                offending.append(f"{path.relative_to(ROOT)}:{line} imports {imported}")
    assert not offending, "envs/, verify/ and ppo/ are below the recipe:\n" + "\n".join(sorted(set(offending)))


def test_no_import_cycles():
    graph = _graph()
    cycles = []
    for tangle in _tangles(graph):
        if tangle not in PENDING_CYCLES:
            cycle = _find_cycle({n: graph[n] & tangle for n in tangle})
            cycles.append(" -> ".join(cycle))
    assert not cycles, "import cycles (module-level and function-level imports):\n" + "\n".join(cycles)


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a", "e"}, "e": {"d"}, "f": {"a"}}
    assert _find_cycle(graph) == ["a", "b", "c", "a"]
    assert _tangles(graph) == [frozenset("abc"), frozenset("de")]
    assert _find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_relative_and_function_level_imports_are_seen(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    module = package / "mod.py"
    module.write_text("from typing import TYPE_CHECKING\nfrom . import sibling\nfrom .sub import thing\n"
                      "if TYPE_CHECKING:\n    import hidden\ndef f():\n    import recipe.cli\n")
    found = {(imported, module, function) for imported, module, _, function in _imports("pkg.mod", module)}
    assert found == {("typing.TYPE_CHECKING", "typing", None), ("pkg.sibling", "pkg", None),
                     ("pkg.sub.thing", "pkg.sub", None), ("recipe.cli", "recipe.cli", "f")}


def test_no_source_file_outside_tests_is_over_700_lines():
    long = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if any(part in SKIPPED_DIRS or part.startswith(".") for part in rel.parts[:-1]):
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            long.append(f"{rel}: {lines} lines")
    assert not long, f"split these (at most {MAX_LINES} lines a file):\n" + "\n".join(long)

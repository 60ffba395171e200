"""The package's shape, read from its source: imports run one way, nothing below the engine imports the
Searcher, and no module reaches into another module's private names."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "searchcore"
#: private names of the standard library that are its public API
STDLIB_PRIVATE = {"_exit"}


def modules() -> dict[str, ast.Module]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return found


def is_package(name: str) -> bool:
    return (PACKAGE.parent / name.replace(".", "/") / "__init__.py").exists()


def imported(name: str, tree: ast.Module, known: set[str]) -> set[str]:
    """The searchcore modules ``name`` imports anywhere in its source (in functions and TYPE_CHECKING
    blocks too): what it depends on."""
    base = name if is_package(name) else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                module = ".".join(anchor + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                full = f"{module}.{alias.name}"
                found.add(full if full in known else module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in known and m != name}


def test_imports_run_one_way():
    trees = modules()
    known = set(trees)
    graph = {name: imported(name, tree, known) for name, tree in trees.items()}
    # a package's __init__ gathers its modules' public names: it sits above them, not in a cycle with them
    graph = {name: {m for m in deps if not (is_package(m) and name.startswith(m + "."))} for name, deps in graph.items()}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        path.append(name)
        for dep in sorted(graph[name]):
            if state.get(dep) == 1:
                cycle = path[path.index(dep):] + [dep]
                pytest.fail("import cycle: " + " → ".join(cycle))
            if dep not in state:
                visit(dep)
        path.pop()
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)


def test_only_the_facades_and_the_engine_import_the_searcher():
    # and the programs built on the public API, above everything: the CLI and the server
    allowed = {"searchcore", "searchcore.search", "searchcore.engine", "searchcore.cli", "searchcore.server.app",
               "searchcore.server.page"}
    for name, tree in modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and any(alias.name == "Searcher" for alias in node.names):
                assert name in allowed, f"{name} imports the Searcher"
            if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("searcher"):
                assert name in allowed, f"{name} imports the searcher module"


def defined_names(tree: ast.Module) -> set[str]:
    """Every name a module defines: functions, classes, attributes it assigns, slots it declares."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier():
            names.add(node.value)  # __slots__ entries, setattr/getattr names
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return names


def test_no_module_reaches_into_another_modules_private_names():
    reach_ins = []
    for name, tree in modules().items():
        own = defined_names(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                reach_ins += [f"{name}: imports {alias.name} from {node.module}" for alias in node.names
                              if alias.name.startswith("_") and not alias.name.startswith("__")]
            elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                if node.attr not in own and node.attr not in STDLIB_PRIVATE:
                    reach_ins.append(f"{name}:{node.lineno}: {ast.unparse(node)}")
    assert not reach_ins, "\n".join(reach_ins)


def test_the_check_finds_a_reach_in():
    """The checks above can fail: a private name used but not defined in the module is reported."""
    tree = ast.parse("def f(reader):\n    return reader._runs\n")
    own = defined_names(tree)
    used = [n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr.startswith("_")]
    assert used == ["_runs"] and "_runs" not in own

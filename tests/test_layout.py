"""The layout the house keeps: shells reach the registry only through the services."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "safepassage"
SHELLS = ("cli", "api", "web")
FORBIDDEN = ("safepassage.store", "sqlalchemy")


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def forbidden_in(path: Path) -> list[str]:
    return sorted(
        name
        for name in imported_modules(path)
        if any(name == prefix or name.startswith(prefix + ".") for prefix in FORBIDDEN)
    )


@pytest.mark.parametrize("shell", SHELLS)
def test_shells_import_neither_the_store_nor_sqlalchemy(shell: str) -> None:
    files = sorted((PACKAGE / shell).rglob("*.py"))
    assert files
    found = {
        str(path.relative_to(PACKAGE)): names for path in files if (names := forbidden_in(path))
    }
    assert found == {}, "query through safepassage.services instead"


def test_the_check_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    module = tmp_path / "shell.py"
    module.write_text(
        "from safepassage.services import registry\n\n"
        "def page():\n    from sqlalchemy import select\n    import safepassage.store.tables\n"
    )
    assert forbidden_in(module) == ["safepassage.store.tables", "sqlalchemy", "sqlalchemy.select"]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_cycles(package: str) -> list[list[str]]:
    """Cycles among the modules of ``package`` (imports inside functions included: a
    deferred import is still a circle, only hidden)."""
    folder = PACKAGE.parent.joinpath(*package.split("."))
    modules = {module_name(path): path for path in folder.rglob("*.py")}
    graph = {
        name: sorted(
            other for other in modules if other != name and other in imported_modules(path)
        )
        for name, path in modules.items()
    }
    cycles: list[list[str]] = []
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            cycles.append([*trail[trail.index(name) :], name])
            return
        if name in done:
            return
        for other in graph[name]:
            visit(other, [*trail, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    return cycles


def test_the_store_has_no_import_circle() -> None:
    assert import_cycles("safepassage.store") == []

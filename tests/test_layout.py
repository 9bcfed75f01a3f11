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

"""The tests' own house: shared helpers in tests/helpers/; test files never import each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.no_database

TESTS = Path(__file__).resolve().parent


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports from, at any depth (local imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            # A relative import is named from the file's own package: tests.browser.test_offline.
            package = ".".join(("tests", *path.relative_to(TESTS).parent.parts))
            if node.level:
                package = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                found.add(f"{package}.{node.module}" if node.module else package)
            elif node.module:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_test_file_imports_another_test_file_or_a_conftest() -> None:
    wrong = {
        f"{path.relative_to(TESTS)} imports {module}"
        for path in TESTS.rglob("*.py")
        for module in imported_modules(path)
        if module.startswith("tests.")
        and not module.startswith("tests.helpers")
        and (module.rsplit(".", 1)[-1].startswith("test_") or module.endswith("conftest"))
    }
    assert not wrong, sorted(wrong)


def test_the_helpers_import_no_test_file() -> None:
    for path in (TESTS / "helpers").glob("*.py"):
        assert all(
            not module.rsplit(".", 1)[-1].startswith("test_") for module in imported_modules(path)
        ), path

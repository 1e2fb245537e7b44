"""The house holds: the core never imports Flask or the web layer (import-linter, `make lint`),
and no module grows past about 400 lines."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.no_database

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def contract() -> dict[str, list[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    first: dict[str, list[str]] = config["tool"]["importlinter"]["contracts"][0]
    return first


def lint_copy(tmp_path: Path, change: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the contract on a copy of the package with some modules' first lines added."""
    shutil.copytree(ROOT / "rehab_app", tmp_path / "rehab_app")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for module, line in change.items():
        path = tmp_path.joinpath(*module.split(".")).with_suffix(".py")
        path.write_text(line + "\n" + path.read_text())
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    return subprocess.run(  # noqa: S603 - our own tool, on our own copy
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_module_is_either_core_or_web() -> None:
    """Every module sits in a layer: core, web, build tools, or the shared models and extensions."""
    assert contract()["source_modules"] == ["rehab_app.core"]
    assert {"rehab_app.web", "rehab_app.tools", "flask"} <= set(contract()["forbidden_modules"])
    package = ROOT / "rehab_app"
    base = {"__init__.py", "extensions.py"}
    layers = {"core", "web", "tools", "models"}  # models: the tables, shared by both layers
    for path in package.rglob("*.py"):
        relative = path.relative_to(package)
        assert relative.parts[0] in layers or str(relative) in base, relative
    for layer in layers:
        assert (package / layer / "__init__.py").is_file(), layer


def test_a_flask_import_in_the_core_breaks_the_contract(tmp_path: Path) -> None:
    kept = lint_copy(tmp_path / "kept", {})
    assert kept.returncode == 0, kept.stdout[-2000:]
    broken = lint_copy(
        tmp_path / "broken",
        {
            "rehab_app.core.trends.review": "from flask import request  # noqa",
            "rehab_app.core.walks": "from rehab_app.web import roles  # noqa",
        },
    )
    assert broken.returncode == 1, broken.stdout[-2000:]
    assert "rehab_app.core.trends.review -> flask" in broken.stdout
    assert "rehab_app.core.walks -> rehab_app.web.roles" in broken.stdout


FLASK_FAMILY = ("flask", "flask_sqlalchemy", "flask_login", "flask_wtf", "wtforms", "flask_migrate")


def test_the_core_and_the_models_import_without_flask() -> None:
    """Every module of the core, and the models, in a fresh interpreter: nothing of Flask loads
    (the package's create_app imports the web layer only when called)."""
    script = f"""
import importlib, pkgutil, sys
import rehab_app.core, rehab_app.models
for found in pkgutil.walk_packages(rehab_app.core.__path__, "rehab_app.core."):
    importlib.import_module(found.name)
print(len(list(pkgutil.walk_packages(rehab_app.core.__path__))))
print(" ".join(sorted(n for n in sys.modules
                      if n.split(".")[0] in {FLASK_FAMILY!r} or n.startswith("rehab_app.web"))))
"""
    done = subprocess.run(  # noqa: S603 - our own interpreter, on our own package
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    count, loaded = [*done.stdout.splitlines(), ""][:2]
    assert int(count) > 30  # the walk found the core's modules
    assert loaded == "", f"importing the core loaded: {loaded}"


# No module over about 400 lines (issue 10): a module that grows past it is split by what it
# holds. The exceptions are named here, each with its reason, and each must still need it.
MAX_LINES = 400
LONGER_ALLOWED: dict[str, str] = {}


def test_no_module_is_over_400_lines() -> None:
    lengths = {
        str(path.relative_to(ROOT)): len(path.read_text().splitlines())
        for path in (ROOT / "rehab_app").rglob("*.py")
    }
    too_long = {
        name: n for name, n in lengths.items() if n > MAX_LINES and name not in LONGER_ALLOWED
    }
    assert not too_long, f"split these (over {MAX_LINES} lines): {sorted(too_long.items())}"
    no_longer_needed = {name for name in LONGER_ALLOWED if lengths.get(name, 0) <= MAX_LINES}
    assert not no_longer_needed, f"remove from LONGER_ALLOWED: {sorted(no_longer_needed)}"


def test_views_leave_the_queries_to_the_core() -> None:
    """Views parse, call the core, commit and render: no SQL of their own (web/app.py's SQLite
    settings and the command-line scripts of web/cli.py excepted)."""
    querying = {}
    for path in (ROOT / "rehab_app" / "web").rglob("*.py"):
        if path.name in ("app.py", "cli.py"):
            continue
        text = path.read_text()
        found = [w for w in ("select(", ".execute(", ".scalar(", ".scalars(") if w in text]
        if found:
            querying[str(path.relative_to(ROOT))] = found
    assert querying == {}

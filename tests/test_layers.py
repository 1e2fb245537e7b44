"""The layers hold: the core never imports Flask or the web layer (import-linter, `make lint`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

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
        path = tmp_path / "rehab_app" / f"{module}.py"
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
    """A new module is placed on purpose: in the core list, or known to be web or tooling."""
    core = {m.removeprefix("rehab_app.") for m in contract()["source_modules"]}
    web = {m.removeprefix("rehab_app.") for m in contract()["forbidden_modules"]} - {
        m for m in contract()["forbidden_modules"] if not m.startswith("rehab_app.")
    }
    outside = {"__init__", "extensions", "models", "logs", "pwa_images"}
    modules = {p.stem for p in (ROOT / "rehab_app").glob("*.py")}
    assert modules == core | web | outside, sorted(modules ^ (core | web | outside))


def test_a_flask_import_in_the_core_breaks_the_contract(tmp_path: Path) -> None:
    kept = lint_copy(tmp_path / "kept", {})
    assert kept.returncode == 0, kept.stdout[-2000:]
    broken = lint_copy(tmp_path / "broken", {"trends": "from flask import request  # noqa"})
    assert broken.returncode == 1, broken.stdout[-2000:]
    assert "rehab_app.trends -> flask" in broken.stdout

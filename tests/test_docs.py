"""Docs kept honest by tests: every configuration variable and command is in the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.no_database

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _environment_variables() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "config.py", ROOT / "Makefile"):
        text = path.read_text()
        names |= set(re.findall(r"environ\.get\(\s*\"([A-Z_]+)\"", text))
        names |= set(re.findall(r"^([A-Z_]+) \?=", text, flags=re.MULTILINE))
    return names - {"PYTHON", "VENV", "BIN", "CHROMIUM"}


def test_every_configuration_variable_is_documented() -> None:
    names = _environment_variables()
    assert {"SECRET_KEY", "DATABASE_URL", "APP_ENV", "HOST", "PORT"} <= names
    missing = sorted(n for n in names if f"`{n}`" not in README)
    assert missing == []


def test_the_two_commands_are_in_the_readme() -> None:
    assert "make run" in README
    assert "make test" in README
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run:", makefile, re.MULTILINE)
    assert re.search(r"^test:", makefile, re.MULTILINE)
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_every_runtime_dependency_is_explained() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    block = pyproject.split("dependencies = [", 1)[1].split("]", 1)[0]
    packages = re.findall(r'"([A-Za-z0-9_.\-]+)', block)
    readme = README.lower()
    missing = [p for p in packages if p.lower() not in readme]
    assert missing == []


def test_the_readme_states_the_scrypt_cost_the_config_uses() -> None:
    from config import Config

    method, n, r, p = Config.PASSWORD_HASH_METHOD.split(":")
    assert method == "scrypt"
    exponent = int(n).bit_length() - 1
    assert 2**exponent == int(n)
    stated = re.findall(r"scrypt \(N=2\^(\d+), r=(\d+), p=(\d+)", README)
    assert stated == [(str(exponent), r, p)]

"""The type check sees the models' columns: a misspelt one fails `make lint` (issue 10)."""

from __future__ import annotations

from pathlib import Path

import pytest
from mypy import api

pytestmark = pytest.mark.no_database

ROOT = Path(__file__).resolve().parent.parent


def check(tmp_path: Path, code: str) -> tuple[str, int]:
    module = tmp_path / "uses_models.py"
    module.write_text(code)
    out, _err, status = api.run(
        ["--strict", "--follow-imports=silent", "--cache-dir", str(tmp_path / "cache"), str(module)]
    )
    return out, status


def test_a_misspelt_column_fails_the_type_check(tmp_path: Path) -> None:
    good = (
        "from rehab_app.models import Entry\n\n\n"
        "def rating(entry: Entry) -> int | None:\n"
        "    return entry.fatigue\n"
    )
    out, status = check(tmp_path, good)
    assert status == 0, out
    out, status = check(tmp_path, good.replace("entry.fatigue", "entry.fatigeu"))
    assert status == 1 and '"Entry" has no attribute "fatigeu"' in out, out
    # and a column's own type: a rating is a whole number or none, not a string
    out, status = check(tmp_path, good.replace("-> int | None", "-> str"))
    assert status == 1 and "Incompatible return value type" in out, out

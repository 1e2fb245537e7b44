"""The entry kinds' one declaration (rehab_app/core/kinds.py) and what is made from it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rehab_app.core import exports, kinds
from rehab_app.core.sync import rules

pytestmark = pytest.mark.no_database

ROOT = Path(__file__).resolve().parent.parent


def test_a_field_two_kinds_share_means_one_thing() -> None:
    """One column, one meaning: a field in two kinds has one type, limit and choices."""
    seen: dict[str, kinds.FieldSpec] = {}
    for spec in kinds.KINDS.values():
        for f in spec.fields:
            first = seen.setdefault(f.name, f)
            assert (f.type, f.limit, dict(f.choices)) == (
                first.type,
                first.limit,
                dict(first.choices),
            ), f.name


def test_what_is_made_from_it_matches_it() -> None:
    walk = kinds.KINDS["walk_test"]
    assert rules.KIND_FIELDS["walk_test"] == walk.names()
    assert rules.REQUIRED["walk_test"] == ("trial_1_seconds", "trial_2_seconds", "aid", "setting")
    assert rules.NUMBER_LIMITS["falls"] == 20 and rules.CHOICES["aid"] == dict(
        walk.fields[2].choices
    )
    assert "exercise_id" not in exports.ENTRY_COLUMNS  # ids of other rows stay in the app


def test_a_field_added_to_the_declaration_reaches_every_surface() -> None:
    """Give the walk test one more field in its declaration only (tests/helpers/added_field.py)
    and run tests/added_field_checks.py: sync takes it, checks its limit and pulls it; the
    OpenAPI schema, the form, the phone's words, both exports and FHIR have it."""
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}  # its own SQLite
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-p",
            "tests.helpers.added_field",
            "-q",
            "tests/added_field_checks.py",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "5 passed" in done.stdout, done.stdout[-3000:]

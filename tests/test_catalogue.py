"""The exercise catalogue: sound as shipped, seeded whole, and its checks catch mistakes."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from rehab_app.core.catalogue import CATALOGUE, CatalogueExercise, validate_catalogue
from rehab_app.core.vocab import DISCIPLINES, DOSE_LABELS
from rehab_app.extensions import db
from rehab_app.models import DOSE_COLUMNS, Exercise
from rehab_app.web.forms import ExerciseForm, ProgrammeItemForm


def test_the_shipped_catalogue_has_no_problem() -> None:
    assert validate_catalogue() == []


def test_the_seeded_table_holds_every_catalogue_exercise(app: Flask) -> None:
    rows = {e.slug: e for e in db.session.scalars(select(Exercise))}
    assert set(rows) == {item["slug"] for item in CATALOGUE}
    for item in CATALOGUE:
        row = rows[item["slug"]]
        assert (row.name, row.discipline, row.category) == (
            item["name"],
            item["discipline"],
            item["category"],
        )
        assert row.record_fields == list(item["records"])  # same fields, same order


def test_there_are_at_least_30_exercises_across_the_four_disciplines() -> None:
    assert len(CATALOGUE) >= 30
    assert {item["discipline"] for item in CATALOGUE} == set(DISCIPLINES)


@pytest.mark.parametrize(
    ("discipline", "at_least"), [("physio", 10), ("ot", 5), ("slt", 5), ("cognitive", 5)]
)
def test_every_discipline_has_exercises(discipline: str, at_least: int) -> None:
    counts = Counter(item["discipline"] for item in CATALOGUE)
    assert counts[discipline] >= at_least


@pytest.mark.parametrize("item", CATALOGUE, ids=[item["slug"] for item in CATALOGUE])
def test_every_recorded_field_is_a_dose_field(item: CatalogueExercise) -> None:
    # A person can only record what an entry stores and both forms ask for.
    for field in item["records"]:
        assert field in DOSE_COLUMNS
        assert field in DOSE_LABELS
        assert hasattr(ExerciseForm, field) and hasattr(ProgrammeItemForm, field)


def exercise(**changes: Any) -> CatalogueExercise:
    """A sound hand-made catalogue entry, with some fields changed."""
    item: dict[str, Any] = {
        "slug": "chair-march",
        "name": "Chair march",
        "discipline": "physio",
        "category": "aerobic",
        "description": "Sit tall and march your knees up and down in turn.",
        "records": ("minutes",),
    }
    item.update(changes)
    return item  # type: ignore[return-value]


def test_a_sound_hand_made_catalogue_passes() -> None:
    catalogue = (exercise(), exercise(slug="wrist-curls", name="Wrist curls"))
    assert validate_catalogue(catalogue, check_coverage=False) == []


@pytest.mark.parametrize(
    ("second", "problem"),
    [
        (exercise(name="Marching seated"), "#1 (chair-march): duplicate slug"),
        (exercise(slug="chair-march-2", name="CHAIR MARCH"), "duplicate name"),
        (exercise(slug="Chair_March", name="Other"), "slug must be lowercase-kebab"),
        (exercise(slug="b", name="B", records=("laps",)), "unknown record fields ['laps']"),
        (exercise(slug="b", name="B", records=()), "records must be a non-empty tuple"),
        (exercise(slug="b", name="B", records=("reps", "reps")), "records repeats a field"),
        (exercise(slug="b", name="B", discipline="yoga"), "unknown discipline 'yoga'"),
        (exercise(slug="b", name="B", category="voice"), "category 'voice' is not valid"),
        (exercise(slug="b", name="B", description=""), "description must be a non-empty"),
        (exercise(slug="b", name="B" * 61), "name longer than 60 characters"),
        (exercise(slug="b", name="B", description="One. Two. Three. Four."), "more than 3"),
    ],
    ids=[
        "duplicate-slug",
        "duplicate-name",
        "bad-slug",
        "unknown-field",
        "no-fields",
        "repeated-field",
        "unknown-discipline",
        "wrong-category",
        "no-description",
        "long-name",
        "long-description",
    ],
)
def test_validate_catalogue_catches_mistakes(second: CatalogueExercise, problem: str) -> None:
    problems = validate_catalogue((exercise(), second), check_coverage=False)
    assert len(problems) == 1, problems
    assert problem in problems[0]


def test_validate_catalogue_checks_coverage() -> None:
    problems = validate_catalogue((exercise(),))
    assert any("needs at least" in p for p in problems)
    assert "no exercise in slt/voice" in problems

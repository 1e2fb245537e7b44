"""The seeded exercise catalogue, in our own plain words: its rules, its checks and its rows.

The exercises themselves are data, in catalogue.json beside this module (one object an
exercise: slug, name, discipline, category, description, records), read once at import.
A change to them needs a migration of its own (tests/test_migrations.py says so).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Final, TypedDict, cast

from .vocab import DOSE_FIELDS

DISCIPLINE_CATEGORIES: Final[dict[str, tuple[str, ...]]] = {
    "physio": ("strength", "balance", "stretching", "walking", "aerobic"),
    "ot": ("daily_living", "energy_conservation", "hand"),
    "slt": ("voice", "articulation", "swallowing"),
    "cognitive": ("memory", "attention"),
}

MIN_TOTAL: Final = 36
MIN_PER_DISCIPLINE: Final[dict[str, int]] = {"physio": 14, "ot": 8, "slt": 8, "cognitive": 6}
MAX_NAME_CHARS: Final = 60
MAX_DESCRIPTION_CHARS: Final = 300
MAX_DESCRIPTION_SENTENCES: Final = 3

_SLUG_RE: Final = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_SENTENCE_END_RE: Final = re.compile(r"[.!?](?=\s|$)")


class CatalogueExercise(TypedDict):
    slug: str  # unique, lowercase-kebab, stable forever (sync and migrations key on it)
    name: str  # short, plain, <= 60 chars
    discipline: str  # one of DISCIPLINE_CATEGORIES
    category: str  # one of DISCIPLINE_CATEGORIES[discipline]
    description: str  # 1-3 short plain sentences on doing it safely, <= 300 chars
    records: tuple[str, ...]  # which DOSE_FIELDS a person records, in display order


DATA: Final = Path(__file__).with_name("catalogue.json")


def load_catalogue(path: Path = DATA) -> tuple[CatalogueExercise, ...]:
    """The exercises as stored in the JSON file, each one's records as a tuple."""
    items = json.loads(path.read_text(encoding="utf-8"))
    return tuple(cast(CatalogueExercise, {**e, "records": tuple(e["records"])}) for e in items)


CATALOGUE: Final[tuple[CatalogueExercise, ...]] = load_catalogue()


def _check_text(item: CatalogueExercise, label: str) -> list[str]:
    """Problems with the text fields of one entry (presence, slug format, length limits)."""
    problems: list[str] = []
    for key in ("slug", "name", "discipline", "category", "description"):
        value = item.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{label}: {key} must be a non-empty string")
    slug = item.get("slug")
    if isinstance(slug, str) and slug and not _SLUG_RE.match(slug):
        problems.append(f"{label}: slug must be lowercase-kebab")
    name = item.get("name")
    if isinstance(name, str) and len(name) > MAX_NAME_CHARS:
        problems.append(f"{label}: name longer than {MAX_NAME_CHARS} characters")
    description = item.get("description")
    if isinstance(description, str):
        if len(description) > MAX_DESCRIPTION_CHARS:
            problems.append(f"{label}: description longer than {MAX_DESCRIPTION_CHARS} characters")
        if len(_SENTENCE_END_RE.findall(description.strip())) > MAX_DESCRIPTION_SENTENCES:
            problems.append(
                f"{label}: description has more than {MAX_DESCRIPTION_SENTENCES} sentences"
            )
    return problems


def _check_kind(item: CatalogueExercise, label: str) -> list[str]:
    """Problems with the discipline, the category for that discipline, and the records."""
    problems: list[str] = []
    discipline = item.get("discipline")
    category = item.get("category")
    if discipline not in DISCIPLINE_CATEGORIES:
        problems.append(f"{label}: unknown discipline {discipline!r}")
    elif category not in DISCIPLINE_CATEGORIES[discipline]:
        problems.append(f"{label}: category {category!r} is not valid for {discipline!r}")
    records = item.get("records")
    if not isinstance(records, tuple) or not records:
        problems.append(f"{label}: records must be a non-empty tuple")
    else:
        unknown = [field for field in records if field not in DOSE_FIELDS]
        if unknown:
            problems.append(f"{label}: unknown record fields {unknown}")
        if len(set(records)) != len(records):
            problems.append(f"{label}: records repeats a field")
    return problems


def _check_coverage(catalogue: tuple[CatalogueExercise, ...]) -> list[str]:
    """Problems with the catalogue as a whole: minimum counts and every category covered."""
    problems: list[str] = []
    if len(catalogue) < MIN_TOTAL:
        problems.append(f"catalogue has {len(catalogue)} exercises, needs at least {MIN_TOTAL}")
    for discipline, minimum in MIN_PER_DISCIPLINE.items():
        count = sum(1 for item in catalogue if item.get("discipline") == discipline)
        if count < minimum:
            problems.append(f"{discipline} has {count} exercises, needs at least {minimum}")
    covered = {(item.get("discipline"), item.get("category")) for item in catalogue}
    for discipline, categories in DISCIPLINE_CATEGORIES.items():
        for category in categories:
            if (discipline, category) not in covered:
                problems.append(f"no exercise in {discipline}/{category}")
    return problems


def validate_catalogue(
    catalogue: tuple[CatalogueExercise, ...] = CATALOGUE,
    *,
    check_coverage: bool = True,
) -> list[str]:
    """Return a list of problems with the catalogue (empty when it is sound).

    Each entry is checked on its own (slug format, known discipline and category for it,
    non-empty records drawn from DOSE_FIELDS, length limits) and against the others (unique
    slugs, unique names ignoring case). With ``check_coverage`` the catalogue as a whole must
    also meet the minimum counts and have at least one exercise in every category.
    """
    problems: list[str] = []
    seen_slugs: set[str] = set()
    seen_names: set[str] = set()
    for index, item in enumerate(catalogue):
        slug = item.get("slug")
        label = f"#{index} ({slug or 'no slug'})"
        problems += _check_text(item, label)
        problems += _check_kind(item, label)
        if isinstance(slug, str) and slug:
            if slug in seen_slugs:
                problems.append(f"{label}: duplicate slug")
            seen_slugs.add(slug)
        name = item.get("name")
        if isinstance(name, str) and name:
            key = name.strip().casefold()
            if key in seen_names:
                problems.append(f"{label}: duplicate name {name!r}")
            seen_names.add(key)
    if check_coverage:
        problems += _check_coverage(catalogue)
    return problems


def seed_rows(catalogue: tuple[CatalogueExercise, ...] = CATALOGUE) -> list[dict[str, str]]:
    """The catalogue as rows for the exercises table."""
    return [
        {
            "slug": e["slug"],
            "name": e["name"],
            "discipline": e["discipline"],
            "category": e["category"],
            "description": e["description"],
            "records": ",".join(e["records"]),
        }
        for e in catalogue
    ]

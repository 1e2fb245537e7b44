"""A pytest plugin (`-p tests.helpers.added_field`) that gives one entry kind one more field
in its declaration (rehab_app/core/kinds.py) before anything else of the app is imported, as a
developer adding a field would: tests/added_field_checks.py then finds it on every surface.

The walk test gains "rests" (a whole number up to 50, as an exercise's rests: one column, one
meaning): a column the `entries` table already has (single-table inheritance), so no migration
is needed for this try.
"""

from __future__ import annotations

import dataclasses

from rehab_app.core import kinds

ADDED = kinds.FieldSpec("rests", "whole", "Rests between the walks", limit=50)

_walk = kinds.KINDS["walk_test"]
kinds.KINDS["walk_test"] = dataclasses.replace(_walk, fields=(*_walk.fields, ADDED))

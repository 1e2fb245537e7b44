"""The protocol's limits, each kind's fields, and the errors a push answers with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..kinds import KINDS, all_fields

MAX_MUTATIONS = 500

MAX_CLIENTS = 20  # installed apps kept per person (phones, tablets, browsers)

MAX_PULL_LIMIT = 500

DEFAULT_PULL_LIMIT = 100

MAX_MUTATION_ID = 2**62  # a BIGINT with room to spare

MAX_CURSOR = 10**18 - 1  # up to 18 digits, as the API reads a cursor

COMMON_FIELDS = ("occurred_at", "by_carer", "note")

# Read from the one declaration of the entry kinds (kinds.py). The fields a client may set, per
# kind, besides COMMON_FIELDS:
KIND_FIELDS: dict[str, tuple[str, ...]] = {key: spec.names() for key, spec in KINDS.items()}

_FIELDS = all_fields()

# Whole numbers and their upper bound (all start at 0).
NUMBER_LIMITS = {f.name: f.limit or 0 for f in _FIELDS.values() if f.type == "whole"}

# Seconds to a tenth (a timed walk's trials).
SECONDS_FIELDS = tuple(f.name for f in _FIELDS.values() if f.type == "seconds")

# Ids of other rows (an exercise of the catalogue, an item of the person's programme).
REFERENCE_FIELDS = tuple(f.name for f in _FIELDS.values() if f.type == "reference")

CHOICES: dict[str, dict[str, str]] = {
    f.name: dict(f.choices) for f in _FIELDS.values() if f.type == "choice"
}

REQUIRED: dict[str, tuple[str, ...]] = {
    key: tuple(f.name for f in spec.fields if f.required) for key, spec in KINDS.items()
}

# What a missing required field is answered with.
REQUIRED_MESSAGES = {f.name: f.required for f in _FIELDS.values() if f.required}

# Fields a client may send back as it pulled them; the server keeps its own values.
READ_ONLY = ("local_date", "created_at", "updated_at", "deleted_at", "change_seq", "type")

OPS = ("create", "update", "delete", "restore")

DEFAULT_TOMBSTONE_DAYS = 30  # the TOMBSTONE_DAYS setting: how long a delete can be undone

# How long an outcome is kept at least (`flask sync prune`): far longer than any retry, and
# only once its app has been told by a pull that the change is decided (docs/sync.md).
OUTCOME_DAYS = 90


class UnknownClient(LookupError):
    """The client id is not one of this user's registered clients."""


@dataclass
class Rejection(Exception):
    """A mutation that cannot be applied as sent: shown to the person next to the entry."""

    code: str
    message: str
    field: str | None = None

    def result(self, mutation_id: int) -> dict[str, Any]:
        """The answer to the client for this mutation."""
        return {
            "mutation_id": mutation_id,
            "status": "rejected",
            "code": self.code,
            "message": self.message,
            "field": self.field,
        }

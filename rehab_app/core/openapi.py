"""The OpenAPI 3.1 description of the sync API (no Flask here)."""

from __future__ import annotations

from typing import Any

from .entries import MAX_ENTRIES_PER_DAY
from .kinds import FieldSpec, all_fields
from .sync import (
    COMMON_FIELDS,
    KIND_FIELDS,
    MAX_CURSOR,
    MAX_MUTATION_ID,
    MAX_MUTATIONS,
    MAX_PULL_LIMIT,
    OPS,
    READ_ONLY,
)
from .vocab import NOTE_MAX

NULLABLE_INT = {"type": ["integer", "null"]}
NULLABLE_TEXT = {"type": ["string", "null"]}


def _field_schema(spec: FieldSpec) -> dict[str, Any]:
    """A declared entry field (kinds.py) as JSON Schema."""
    if spec.type == "whole":
        return {"type": ["integer", "null"], "minimum": 0, "maximum": spec.limit}
    if spec.type == "seconds":
        return {
            "type": ["number", "null"],
            "exclusiveMinimum": 0,
            "maximum": spec.limit,
            "description": f"{spec.label}, kept to a tenth",
        }
    if spec.type == "choice":
        return {"enum": [*spec.choices, None]}
    if spec.type == "text":
        return {"type": ["string", "null"], "maxLength": spec.limit}
    return NULLABLE_INT  # a reference: the id of a catalogue exercise or a programme item


def _entry_field_schemas() -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": {"type": "string", "format": "uuid"},
        "kind": {"type": "string", "enum": list(KIND_FIELDS)},
        "occurred_at": {
            "type": "string",
            "format": "date-time",
            "description": "UTC, e.g. 2026-03-01T09:30:00Z",
        },
        "by_carer": {"type": ["boolean", "null"], "description": "null is false"},
        "note": {"type": ["string", "null"], "maxLength": NOTE_MAX},
    }
    for name, spec in all_fields().items():
        fields[name] = _field_schema(spec)
    return fields


def _kind_schema(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The fields an entry of one kind may carry in a mutation, and no others."""
    names = ("id", "kind", *COMMON_FIELDS, *KIND_FIELDS[kind])
    properties = {name: fields[name] for name in names}
    properties["kind"] = {"const": kind}
    for name in READ_ONLY:
        properties[name] = {"description": "read-only, ignored"}
    return {
        "type": "object",
        "required": ["id"],
        "properties": properties,
        "additionalProperties": False,
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    words = {
        400: "Bad JSON, a bad request shape or a missing or wrong X-CSRFToken header",
        401: "Not logged in (or the session expired): log in again; keep the outbox",
        403: "Logged in as a therapist",
        404: "Not one of this person's registered clients",
        409: "The Rehab-Account header names another account than the session's: nothing done",
        413: f"More than {MAX_MUTATIONS} mutations or more than 1 MB: split the batch",
    }
    return {str(s): _json(_ref("Error"), words[s]) for s in statuses}


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document served at /api/v1/openapi.json."""
    entry_fields = _entry_field_schemas()
    schemas: dict[str, Any] = {
        "Error": {
            "type": "object",
            "required": ["error", "message"],
            "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
        },
        "EntryFields": {
            "description": "A create carries kind, occurred_at and the kind's required fields; "
            "an update carries only the fields that changed (of the entry's kind); a delete "
            "and a restore only the id. Read-only fields pulled may be echoed back; they are "
            "ignored. Any other field is refused.",
            "anyOf": [_ref(f"EntryFields_{kind}") for kind in KIND_FIELDS],
        },
        **{f"EntryFields_{kind}": _kind_schema(kind, entry_fields) for kind in KIND_FIELDS},
        "Mutation": {
            "type": "object",
            "required": ["id", "op", "entry"],
            "properties": {
                "id": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_MUTATION_ID,
                    "description": "Per client, increasing by 1",
                },
                "op": {"type": "string", "enum": list(OPS)},
                "entry": _ref("EntryFields"),
                "change_id": {
                    "type": "string",
                    "format": "uuid",
                    "description": "The change's own id, made on the phone and kept across "
                    "renumbering and re-registration: a change is applied once per person, "
                    "and a change sent again is answered with the outcome it had",
                },
                "undoes": {
                    "type": "string",
                    "format": "uuid",
                    "description": "restore only: the change_id of the delete it undoes",
                },
            },
        },
        "PushRequest": {
            "type": "object",
            "required": ["client_id", "mutations"],
            "properties": {
                "client_id": {"type": "string", "format": "uuid"},
                "mutations": {
                    "type": "array",
                    "maxItems": MAX_MUTATIONS,
                    "items": _ref("Mutation"),
                },
                "pull": {
                    "type": "object",
                    "description": "Also answer the pull the app would send next (after the "
                    "push, in its transaction), as the answer's pull: one request, not two",
                    "properties": {
                        "cursor": {"type": "integer", "minimum": 0, "maximum": MAX_CURSOR},
                        "limit": {"type": "integer", "minimum": 1, "maximum": MAX_PULL_LIMIT},
                    },
                },
            },
        },
        "MutationResult": {
            "type": "object",
            "required": ["mutation_id", "status"],
            "properties": {
                "mutation_id": {"type": "integer"},
                "status": {
                    "type": "string",
                    "enum": ["applied", "duplicate", "gap", "rejected", "deleted"],
                },
                "entry_id": {"type": "string", "format": "uuid"},
                "created": {"type": "boolean"},
                "code": {
                    "type": "string",
                    "description": "Why a change was rejected: invalid, unknown_field, bad_op, "
                    "bad_entry, bad_id, kind_changed, not_found, id_taken, bad_change_id, "
                    "id_reused, undecidable, or too_many_entries (a create on a day that "
                    f"already has {MAX_ENTRIES_PER_DAY} entries, field occurred_at)",
                },
                "message": {"type": "string", "description": "Plain words to show the person"},
                "field": {"type": ["string", "null"]},
                "repeated": {
                    "type": "boolean",
                    "description": "The outcome this change had when it was first decided, "
                    "given again: nothing was done this time",
                },
            },
        },
        "PushResponse": {
            "type": "object",
            "required": ["results", "last_mutation_id"],
            "properties": {
                "results": {"type": "array", "items": _ref("MutationResult")},
                "last_mutation_id": {"type": "integer"},
                "pull": {
                    **_ref("PullResponse"),
                    "description": "Only when the push asked for it: the pull's answer",
                },
            },
        },
        "Change": {
            "type": "object",
            "required": ["type", "id", "change_seq"],
            "description": "An entry (a deleted one carries only type, id, kind, deleted_at and "
            "change_seq) or a programme item.",
            "properties": {
                "type": {"type": "string", "enum": ["entry", "programme_item"]},
                "id": {"type": ["string", "integer"]},
                "change_seq": {"type": "integer"},
                "deleted_at": {"type": ["string", "null"], "format": "date-time"},
            },
            "additionalProperties": True,
        },
        "PullResponse": {
            "type": "object",
            "required": ["changes", "cursor", "more", "last_mutation_id", "csrf_token"],
            "properties": {
                "changes": {"type": "array", "items": _ref("Change")},
                "cursor": {"type": "integer"},
                "more": {"type": "boolean"},
                "last_mutation_id": {"type": "integer"},
                "csrf_token": {"type": "string"},
            },
        },
        "Client": {
            "type": "object",
            "required": ["client_id", "last_mutation_id", "cursor"],
            "properties": {
                "client_id": {"type": "string", "format": "uuid"},
                "last_mutation_id": {"type": "integer"},
                "cursor": {"type": "integer"},
            },
        },
    }
    csrf_header = {
        "name": "X-CSRFToken",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "The session's CSRF token (from a page, or from the last pull).",
    }
    account_header = {
        "name": "Rehab-Account",
        "in": "header",
        "required": False,
        "schema": {"type": "string"},
        "description": (
            "The account key of the person whose outbox this is (from the page's "
            "data-account). Another account's key: 409 wrong_account, nothing is done. Every "
            "answer to a logged-in patient carries the session's key in the same header."
        ),
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Rehab Log sync API",
            "version": "1",
            "description": "Offline sync for the Rehab Log app; see docs/sync.md.",
        },
        "servers": [{"url": "/"}],
        "components": {
            "schemas": schemas,
            "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "session"}},
        },
        "security": [{"session": []}],
        "paths": {
            "/api/v1/clients": {
                "post": {
                    "summary": "Register an installed app",
                    "parameters": [csrf_header, account_header],
                    "responses": {
                        "201": _json(_ref("Client"), "Registered"),
                        **_errors(400, 401, 403, 409),
                    },
                }
            },
            "/api/v1/sync/push": {
                "post": {
                    "summary": "Apply a batch of mutations exactly once, in order",
                    "description": f"At most {MAX_MUTATIONS} mutations and 1 MB per push, "
                    "with or without Content-Length. A create is rejected (too_many_entries) "
                    f"when the person's local day of occurred_at already has "
                    f"{MAX_ENTRIES_PER_DAY} entries that are not deleted.",
                    "parameters": [csrf_header, account_header],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("PushRequest")}},
                    },
                    "responses": {
                        "200": _json(_ref("PushResponse"), "One result per mutation"),
                        **_errors(400, 401, 403, 404, 409, 413),
                    },
                }
            },
            "/api/v1/sync/pull": {
                "get": {
                    "summary": "The changes after a cursor, a page at a time",
                    "parameters": [
                        account_header,
                        {
                            "name": "client_id",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "string", "format": "uuid"},
                        },
                        {
                            "name": "cursor",
                            "in": "query",
                            "schema": {
                                "type": "integer",
                                "minimum": 0,
                                "maximum": MAX_CURSOR,
                                "default": 0,
                            },
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": MAX_PULL_LIMIT,
                                "default": 100,
                            },
                        },
                    ],
                    "responses": {
                        "200": _json(_ref("PullResponse"), "A page of changes"),
                        **_errors(400, 401, 403, 409),
                        "404": _json(
                            {
                                "type": "object",
                                "required": ["error", "message", "csrf_token"],
                                "properties": {
                                    "error": {"const": "unknown_client"},
                                    "message": {"type": "string"},
                                    "csrf_token": {"type": "string"},
                                },
                            },
                            "Not one of this person's clients: register again, with the "
                            "session's CSRF token answered here",
                        ),
                    },
                }
            },
            "/api/v1/sync/token": {
                "get": {
                    "summary": "The session's CSRF token, for an app without a client",
                    "description": "An app whose token is stale (a new login) and that has no "
                    "client yet asks here before it registers; with a client, a pull answers "
                    "the token too.",
                    "parameters": [account_header],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["csrf_token"],
                                "properties": {"csrf_token": {"type": "string"}},
                            },
                            "The token for X-CSRFToken",
                        ),
                        **_errors(401, 403, 409),
                    },
                }
            },
            "/api/v1/openapi.json": {
                "get": {
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1")},
                }
            },
        },
    }

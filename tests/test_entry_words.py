"""The phone and the server describe an entry in the same words: History and Today show the
phone's words (static/js/views.js) for what is not synced yet and the server's
(rehab_app/core/wording.py) once it is; a person must not see an entry change its words when it
syncs. Random entries of every kind, drawn from the kinds' declaration (kinds.py), go through
both."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from rehab_app.core.kinds import KINDS, FieldSpec, all_fields, client_words
from rehab_app.core.wording import entry_details, entry_title

pytestmark = pytest.mark.no_database

ROOT = Path(__file__).resolve().parent.parent


def draw(spec: FieldSpec, rng: random.Random) -> Any:
    """A value of the field as a person could log it, often nothing (when it may be left
    out), sometimes an edge."""
    if not spec.required and rng.random() < 0.3:
        return None
    if spec.type == "whole":
        return rng.choice([0, 1, 2, rng.randint(0, spec.limit or 0), spec.limit])
    if spec.type == "seconds":
        return rng.choice(
            [0.1, round(rng.uniform(0.1, spec.limit or 1), 1), float(spec.limit or 1)]
        )
    if spec.type == "choice":
        return rng.choice([*spec.choices])
    if spec.type == "text":
        return rng.choice(["Stairs", "Garden steps", "Ünïcode — walk"])
    return rng.randint(1, 60)  # a reference


def entries(n: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    made = []
    for _ in range(n):
        kind = rng.choice([*KINDS])
        entry: dict[str, Any] = dict.fromkeys(all_fields())
        entry |= {f.name: draw(f, rng) for f in KINDS[kind].fields}
        entry |= {"kind": kind, "by_carer": rng.random() < 0.2}
        made.append(entry)
    return made


def phone_words(cases: list[dict[str, Any]]) -> list[list[str]]:
    """Each entry's title and details through views.js, given the server's words."""
    script = (
        "import { readFileSync } from 'node:fs';"
        "const { words, cases } = JSON.parse(readFileSync(0, 'utf8'));"
        "globalThis.document = { getElementById: (id) => id === 'rl-words'"
        "  ? { textContent: JSON.stringify(words) } : null };"
        "const { title, details } = await import('./static/js/views.js');"
        "console.log(JSON.stringify(cases.map((e) => [title(e), details(e)])));"
    )
    done = subprocess.run(  # noqa: S603 - node and our own module, with our own input
        ["node", "--input-type=module", "-e", script],  # noqa: S607
        input=json.dumps({"words": client_words(), "cases": cases}),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        timeout=60,
    )
    said: list[list[str]] = json.loads(done.stdout)
    return said


def test_phone_and_server_describe_every_entry_alike() -> None:
    cases = entries(400, seed=12)
    assert {c["kind"] for c in cases} == set(KINDS)
    phone = phone_words(cases)
    differ = []
    for entry, (title, details) in zip(cases, phone, strict=True):
        server = SimpleNamespace(**entry)
        if [entry_title(server), entry_details(server)] != [title, details]:
            differ.append((entry, [entry_title(server), entry_details(server)], [title, details]))
    assert differ == [], [(d[0]["kind"], d[1], d[2]) for d in differ[:5]]

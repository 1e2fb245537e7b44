"""One table of entries, judged by the server (the sync API's checks, which the forms share)
and by the phone's own module (static/js/validate.js, run in Node with the words the server
sends every page): the same verdict, on the same field, in the same words.

The table covers the rules the phone's module checks itself (those that span fields or need
the clock). Ranges, lengths and required choices the phone leaves to the HTML attributes the
server renders from the same forms.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from rehab_app.core.kinds import client_words
from rehab_app.core.sync import Rejection, clean_fields
from rehab_app.extensions import db
from tests.helpers.accounts import People

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime.now(UTC).replace(microsecond=0)


def at(delta: timedelta) -> str:
    return (NOW + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


def fatigue(**fields: Any) -> dict[str, Any]:
    return {"fatigue": 4, "occurred_at": at(-timedelta(minutes=5)), **fields}


def walk(**fields: Any) -> dict[str, Any]:
    base = {"trial_1_seconds": 9.2, "trial_2_seconds": 8.7, "aid": "none", "setting": "indoors"}
    return {**base, "occurred_at": at(-timedelta(minutes=5)), **fields}


def exercise(**fields: Any) -> dict[str, Any]:
    return {"occurred_at": at(-timedelta(minutes=5)), **fields}


CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("a fatigue rating now", "fatigue", fatigue()),
    (
        "half an hour ahead (a phone's clock)",
        "fatigue",
        fatigue(occurred_at=at(timedelta(minutes=30))),
    ),
    ("two hours ahead", "fatigue", fatigue(occurred_at=at(timedelta(hours=2)))),
    ("four years ago", "fatigue", fatigue(occurred_at=at(-timedelta(days=4 * 365)))),
    ("six years ago", "fatigue", fatigue(occurred_at=at(-timedelta(days=6 * 365)))),
    ("a note with tabs and new lines", "fatigue", fatigue(note="legs\theavy\r\nafter work")),
    ("a note with a bell", "fatigue", fatigue(note="legs\u0007")),
    ("a note with NUL", "fatigue", fatigue(note="\u0000")),
    ("a note with DEL", "fatigue", fatigue(note="x\u007f")),
    ("an exercise of one's own", "exercise", exercise(name="Stairs", discipline="physio")),
    ("an exercise with no name", "exercise", exercise(discipline="physio")),
    ("one's own exercise with no therapy", "exercise", exercise(name="Stairs")),
    # The therapy filter left at "All therapies": the listed exercise says its own therapy.
    ("an exercise from the list, no therapy chosen", "exercise", exercise(exercise_id=1)),
    ("no exercise, no name, no therapy", "exercise", exercise()),
    ("a walk timed twice", "walk_test", walk()),
    ("a walk with its first trial missing", "walk_test", walk(trial_1_seconds=None)),
    ("a walk with its second trial missing", "walk_test", walk(trial_2_seconds=None)),
    ("a walk of no time", "walk_test", walk(trial_1_seconds=0.04)),
    ("a walk over ten minutes", "walk_test", walk(trial_2_seconds=600.06)),
    ("a walk of exactly ten minutes", "walk_test", walk(trial_2_seconds=600.04)),
]


def server_verdict(app: Flask, people: People, kind: str, entry: dict[str, Any]) -> list[list[str]]:
    try:
        clean_fields(db.session, people.patient, kind, dict(entry), partial=False)
    except Rejection as rejection:
        return [[rejection.field or "", rejection.message]]
    return []


def phone_verdicts(cases: list[tuple[str, dict[str, Any]]]) -> list[list[list[str]]]:
    """Each case through the phone's module, with the server's words for the phone."""
    words = client_words()
    script = (
        "import { entryProblems } from './static/js/validate.js';"
        "import { readFileSync } from 'node:fs';"
        "const { words, now, cases } = JSON.parse(readFileSync(0, 'utf8'));"
        "const verdicts = cases.map(([kind, entry]) => entryProblems(kind, entry, words, now));"
        "console.log(JSON.stringify(verdicts));"
    )
    given = {"words": words, "now": NOW.timestamp() * 1000, "cases": cases}
    done = subprocess.run(  # noqa: S603 - node and our own module, with our own input
        ["node", "--input-type=module", "-e", script],  # noqa: S607
        input=json.dumps(given),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        timeout=60,
    )
    verdicts: list[list[list[str]]] = json.loads(done.stdout)
    return verdicts


def test_phone_and_server_give_one_verdict_in_one_wording(app: Flask, people: People) -> None:
    phone = phone_verdicts([(kind, entry) for _what, kind, entry in CASES])
    differ = {}
    for (what, kind, entry), on_phone in zip(CASES, phone, strict=True):
        on_server = server_verdict(app, people, kind, entry)
        if on_phone != on_server:
            differ[what] = {"phone": on_phone, "server": on_server}
    assert differ == {}
    # The table is not all one answer: both accept some and refuse others.
    assert 5 < sum(1 for p in phone if p) < len(CASES) - 5


def test_the_phone_keeps_no_copy_of_the_servers_words() -> None:
    """Every message the phone's module can give comes from the words the server sends."""
    source = (ROOT / "static" / "js" / "validate.js").read_text(encoding="utf-8")
    words: dict[str, Any] = client_words()
    messages = [*words["rules"]["messages"].values()]
    messages += [f[2] for fields in words["fields"].values() for f in fields if f[2]]
    assert len(messages) > 10
    for message in messages:
        assert message not in source, message


@pytest.mark.parametrize("name", ["future", "past", "control_chars"])
def test_a_changed_rule_reaches_the_phone(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reworded on the server, the phone says the new words (nothing to change in the JS)."""
    from rehab_app.core import validation

    rules = validation.phone_rules()
    monkeypatch.setattr(
        validation,
        "phone_rules",
        lambda: {**rules, "messages": {**rules["messages"], name: f"New words for {name}."}},
    )  # type: ignore[dict-item]
    from rehab_app.core import kinds

    monkeypatch.setattr(kinds, "phone_rules", validation.phone_rules)
    entry = {
        "future": fatigue(occurred_at=at(timedelta(hours=2))),
        "past": fatigue(occurred_at=at(-timedelta(days=6 * 365))),
        "control_chars": fatigue(note="\u0007"),
    }[name]
    (verdict,) = phone_verdicts([("fatigue", entry)])
    assert verdict == [
        ["note" if name == "control_chars" else "occurred_at", f"New words for {name}."]
    ]

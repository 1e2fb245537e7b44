// The phone's own entry checks (static/js/validate.js), case by case, in the server's words.
import assert from "node:assert/strict";
import { test } from "node:test";

import { entryProblems } from "../../static/js/validate.js";

// Words as the server sends them (kinds.client_words); these are made up: the module must use
// whatever it is given (tests/test_phone_verdicts.py checks it with the server's own).
const RULES = {
  max_future_ms: 3600e3, max_past_ms: 5 * 366 * 864e5,
  control_chars: "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]",
  messages: { future: "Later than now.", past: "Too long ago.", control_chars: "Odd characters.",
    exercise_missing: "Name the exercise.", own_therapy: "Name the therapy." },
};
// Each kind's declared fields (kinds.phone_fields): [name, type, the message when missing].
const FIELDS = {
  exercise: [["discipline", "choice", null], ["name", "text", null], ["reps", "whole", null]],
  fatigue: [["fatigue", "whole", "Pick a number."]],
  walk_test: [["trial_1_seconds", "seconds", "Time walk one."],
    ["trial_2_seconds", "seconds", "Time walk two."], ["aid", "choice", "Choose."]],
  // A kind the app does not have: the module reads whatever the declaration sends.
  balance_test: [["stand_seconds", "seconds", null], ["aid", "choice", null]],
};
const WORDS = { walk_seconds_max: 180, walk_seconds_message: "Enter the seconds, from 0.1 to 180.",
  rules: RULES, fields: FIELDS };
const NOW = Date.parse("2026-12-05T12:00:00Z");

const CASES = [
  // [what, kind, entry, the fields with problems]
  ["a listed exercise", "exercise", { exercise_id: 3, name: null }, []],
  ["an exercise of one's own with its therapy", "exercise", { name: "Stairs", discipline: "pt" }, []],
  ["no exercise at all", "exercise", { name: null }, ["name"]],
  ["one's own exercise without a therapy", "exercise", { name: "Stairs" }, ["discipline"]],
  ["two timed walks", "walk_test", { trial_1_seconds: 9.04, trial_2_seconds: 8.96 }, []],
  ["a walk not timed", "walk_test", { trial_1_seconds: null, trial_2_seconds: 9 }, ["trial_1_seconds"]],
  ["no walk timed", "walk_test", { trial_1_seconds: null, trial_2_seconds: null },
    ["trial_1_seconds", "trial_2_seconds"]],
  ["a walk of no time", "walk_test", { trial_1_seconds: 0.04, trial_2_seconds: 9 }, ["trial_1_seconds"]],
  ["a walk over three minutes", "walk_test", { trial_1_seconds: 9, trial_2_seconds: 180.06 },
    ["trial_2_seconds"]],
  ["a walk of exactly three minutes", "walk_test", { trial_1_seconds: 180, trial_2_seconds: 180.04 }, []],
  ["within the hour a phone's clock may be ahead", "fatigue",
    { fatigue: 3, occurred_at: "2026-12-05T12:59:00Z" }, []],
  ["in the future", "fatigue", { fatigue: 3, occurred_at: "2026-12-05T13:01:00Z" }, ["occurred_at"]],
  ["within five years", "fatigue", { fatigue: 3, occurred_at: "2022-01-01T12:00:00Z" }, []],
  ["over five years ago", "fatigue", { fatigue: 3, occurred_at: "2020-01-01T12:00:00Z" }, ["occurred_at"]],
  ["a note with a tab and new lines", "fatigue", { fatigue: 3, note: "tired\tafter\r\nwork" }, []],
  ["a note with a control character", "fatigue", { fatigue: 3, note: "tired\u0007" }, ["note"]],
  ["a note with DEL", "fatigue", { fatigue: 3, note: "x\u007f" }, ["note"]],
  ["optional seconds left out", "balance_test", { stand_seconds: null }, []],
  ["optional seconds of no time", "balance_test", { stand_seconds: 0.01 }, ["stand_seconds"]],
];

for (const [what, kind, entry, fields] of CASES) {
  test(`${what}: ${fields.length ? fields.join(", ") : "no problem"}`, () => {
    const problems = entryProblems(kind, { ...entry }, WORDS, NOW);
    assert.deepEqual(problems.map(([field]) => field), fields);
    for (const [, message] of problems) assert.match(message, /^[A-Z].*\.$/);
  });
}

test("a walk that passes is kept to a tenth, as the server keeps it", () => {
  const entry = { trial_1_seconds: 9.04, trial_2_seconds: 8.96 };
  entryProblems("walk_test", entry, WORDS, NOW);
  assert.deepEqual(entry, { trial_1_seconds: 9, trial_2_seconds: 9 });
});

test("the walk's limit and words are the server's, not the phone's", () => {
  const words = { walk_seconds_max: 60, walk_seconds_message: "Up to a minute.", rules: RULES,
    fields: FIELDS };
  const problems = entryProblems("walk_test", { trial_1_seconds: 61, trial_2_seconds: 9 }, words, NOW);
  assert.deepEqual(problems, [["trial_1_seconds", "Up to a minute."]]);
});

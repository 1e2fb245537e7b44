// The order the phone draws a day's entries in (static/js/store.js): the server's, so that
// History and Today drawn again from the phone's copy do not move under the finger.
import "fake-indexeddb/auto";
import assert from "node:assert/strict";
import { test } from "node:test";

import { newestFirst } from "../../static/js/store.js";

const entry = (id, occurred_at, created_at) => ({ id, occurred_at, created_at });

test("newest first, then the last logged, then by id, as the server orders them", () => {
  const rows = [
    entry("a0000000-0000-4000-8000-000000000001", "2026-12-07T09:00:00Z", "2026-12-07T09:00:05.000001Z"),
    entry("f0000000-0000-4000-8000-000000000002", "2026-12-07T09:00:00Z", "2026-12-07T09:00:05Z"),
    entry("b0000000-0000-4000-8000-000000000003", "2026-12-07T10:00:00Z", "2026-12-07T08:00:00Z"),
    entry("c0000000-0000-4000-8000-000000000004", "2026-12-07T09:00:00Z", "2026-12-07T09:00:05.000001Z"),
    entry("d0000000-0000-4000-8000-000000000005", "2026-12-07T09:00:00Z", undefined),
  ];
  assert.deepEqual(rows.sort(newestFirst).map((r) => r.id[0]), ["b", "d", "c", "a", "f"]);
});

test("a time with microseconds and one without compare by their value, not their text", () => {
  // As text "…:05Z" sorts after "…:05.5Z"; as times it is half a second before.
  const whole = entry("a0000000-0000-4000-8000-000000000001", "2026-12-07T09:00:05Z");
  const half = entry("b0000000-0000-4000-8000-000000000002", "2026-12-07T09:00:05.500000Z");
  assert.deepEqual([whole, half].sort(newestFirst), [half, whole]);
});

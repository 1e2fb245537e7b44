// The outbox's answers, one case each (static/js/outbox.js), on IndexedDB in memory: the cases
// where a wrong step loses or doubles a change without the end state showing it at once.
import "fake-indexeddb/auto";
import assert from "node:assert/strict";
import { test } from "node:test";

import * as outbox from "../../static/js/outbox.js";
import { getEntry } from "../../static/js/store.js";

let n = 0;
const AT = "2026-12-05T09:00:00Z";

/** A new person's phone with one fatigue entry queued; its account key and entry id. */
async function phoneWithEntry(fatigue = 4) {
  const account = `outbox${++n}`;
  const id = `10000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
  await outbox.queue(account, "create", { id, kind: "fatigue", fatigue, occurred_at: AT }, "2026-12-05");
  return { account, id };
}

const applied = (mid, id) => ({ mutation_id: mid, status: "applied", entry_id: id });

test("a queued change is on the phone at once, waiting, with a change id of its own", async () => {
  const { account, id } = await phoneWithEntry();
  const [m] = await outbox.list(account);
  assert.equal(m.mid, 1);
  assert.match(m.change_id, /^[0-9a-f-]{36}$/);
  const record = await getEntry(account, id);
  assert.equal(record.fatigue, 4);
  assert.equal(record.pending, true);
});

test("an undo waiting in the delete's place is not swept by a pull that counts the delete as done", async () => {
  const { account, id } = await phoneWithEntry();
  await outbox.acknowledge(account, [applied(1, id)], 1);
  await outbox.queue(account, "delete", { id }, null);
  assert.equal(await outbox.undoDelete(account, id), true);
  // The server decided the delete (its answer was lost): a pull says last_mutation_id 2.
  await outbox.applyPull(account, [], 5, 2, null);
  const [restore] = await outbox.list(account);
  assert.equal(restore.op, "restore");
  assert.equal((await getEntry(account, id)).deleted, false);
  // A tombstone pulled meanwhile does not take the entry off the phone either.
  await outbox.applyPull(account, [{ type: "entry", id, deleted_at: AT, change_seq: 6 }], 6, 2, null);
  assert.ok(await getEntry(account, id));
});

test("an answer for a change replaced while it was on the way leaves the new change waiting", async () => {
  const { account, id } = await phoneWithEntry();
  await outbox.acknowledge(account, [applied(1, id)], 1);
  await outbox.queue(account, "delete", { id }, null);
  const [sent] = await outbox.list(account);
  const wire = [{ id: sent.mid, op: sent.op, entry: sent.entry, change_id: sent.change_id }];
  await outbox.undoDelete(account, id);
  await outbox.acknowledge(account, [{ mutation_id: 2, status: "deleted", entry_id: id }], 2, wire);
  const [left] = await outbox.list(account);
  assert.equal(left.op, "restore");
  assert.equal(left.undoes, sent.change_id);
  assert.ok(await getEntry(account, id), "the entry the person brought back is gone");
});

test("renumbering for a new client keeps the order and each change's id", async () => {
  const { account, id } = await phoneWithEntry();
  await outbox.queue(account, "update", { id, fatigue: 6 }, null);
  await outbox.acknowledge(account, [applied(1, id)], 1);
  const before = await outbox.list(account);
  await outbox.renumber(account);
  const after = await outbox.list(account);
  assert.deepEqual(after.map((m) => m.mid), [1]);
  assert.deepEqual(after.map((m) => m.change_id), before.map((m) => m.change_id));
  await outbox.queue(account, "update", { id, fatigue: 7 }, null);
  assert.deepEqual((await outbox.list(account)).map((m) => m.mid), [1, 2]);
});

test("a refusal stays on the entry, with the server's words, and its create is marked refused", async () => {
  const { account, id } = await phoneWithEntry(11);
  await outbox.acknowledge(account, [{ mutation_id: 1, status: "rejected", code: "invalid",
    field: "fatigue", message: "Enter a whole number from 0 to 10." }], 1);
  const record = await getEntry(account, id);
  assert.deepEqual(record.error, { code: "invalid", field: "fatigue",
    message: "Enter a whole number from 0 to 10." });
  assert.equal(record.rejected_create, true);
  assert.equal(record.pending, false);
  await outbox.discard(account, id);
  assert.equal(await getEntry(account, id), undefined, "a refused new entry is discarded whole");
});

test("a create the server never kept, its answer lost, says so instead of vanishing", async () => {
  const { account, id } = await phoneWithEntry();
  await outbox.applyPull(account, [], 0, 1, null);  // decided (answer lost), not in the feed
  assert.deepEqual(await outbox.list(account), []);
  assert.equal((await getEntry(account, id)).error.code, "lost");
});

test("a change set aside goes as a change of nothing and says why on the entry", async () => {
  const { account, id } = await phoneWithEntry();
  await outbox.setAside(account, 1, "the server could not take this change.");
  const [m] = await outbox.list(account);
  assert.deepEqual([m.mid, m.op, m.entry, m.set_aside, m.resend], [1, "update", { id }, true, true]);
  assert.equal((await getEntry(account, id)).error.code, "not_sent");
});

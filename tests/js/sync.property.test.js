// Property tests of the outbox and sync (static/js/outbox.js, sync.js) against a fake server
// behind a network that loses requests and answers, repeats them, holds them back and delivers
// them after later ones, never answers them, a server that is away, forgets the app's
// registration or changes the session's token. Whatever happens, once the network heals: the
// server holds exactly what the person last saw on the phone, an entry the server refused says
// so on the phone, nothing waits in the outbox, and no change was decided twice.
import "fake-indexeddb/auto";
import assert from "node:assert/strict";
import { test } from "node:test";

import fc from "fast-check";

import * as outbox from "../../static/js/outbox.js";
import { entriesBetween } from "../../static/js/store.js";
import * as sync from "../../static/js/sync.js";
import { FAULTS, FakeServer, faultyFetch } from "./fake_server.js";

const RUNS = Number(process.env.JS_PROPERTY_RUNS || 60);
// A request never answered ("hang_request", "hang_answer") is given up on after this.
sync.REQUEST_TIMEOUT.baseMs = 5;
sync.REQUEST_TIMEOUT.msPerKB = 0;
let accounts = 0;

const action = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant("create"), fatigue: fc.integer({ min: 0, max: 11 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("update"), pick: fc.nat(), fatigue: fc.integer({ min: 0, max: 10 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("delete"), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("undo"), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("sync") }) },
);

/** What the person did, as they would expect to find it: id -> fatigue for the live entries. */
class Person {
  constructor() {
    this.live = new Map();
    this.deleted = new Map();
    this.refused = new Set();
    this.n = 0;
    this.edits = 0;
  }
  pick(map, i) {
    const ids = [...map.keys()];
    return ids.length ? ids[i % ids.length] : null;
  }
}

async function act(account, person, a, log) {
  if (a.t === "create") {
    const id = `00000000-0000-4000-8000-${String(++person.n).padStart(12, "0")}`;
    const at = new Date(Date.now() - person.n * 60000).toISOString().slice(0, 19) + "Z";
    await outbox.queue(account, "create", { id, kind: "fatigue", fatigue: a.fatigue, occurred_at: at,
      by_carer: false, note: null, context: null }, at.slice(0, 10));
    if (a.fatigue > 10) person.refused.add(id);
    else person.live.set(id, a.fatigue);
  } else if (a.t === "update") {
    const id = person.pick(person.live, a.pick);
    if (!id) return;
    // Each edit says which it is in its note: the server can tell an edit applied twice.
    await outbox.queue(account, "update", { id, fatigue: a.fatigue, note: `edit ${++person.edits}` },
      null);
    person.live.set(id, a.fatigue);
  } else if (a.t === "delete") {
    const id = person.pick(person.live, a.pick);
    if (!id) return;
    await outbox.queue(account, "delete", { id }, null);
    person.deleted.set(id, person.live.get(id));
    person.live.delete(id);
  } else if (a.t === "undo") {
    const id = person.pick(person.deleted, a.pick);
    if (!id) return;
    // Undo works while the delete waits in the outbox (History's "Undo delete" on the phone).
    if (await outbox.undoDelete(account, id)) {
      person.live.set(id, person.deleted.get(id));
      person.deleted.delete(id);
    }
  } else {
    try { await sync.run(account); } catch (error) { log.push(error.kind); }
  }
}

/** At every moment the phone shows what the person did: their entries with their last values,
    and the ones the server refused (with or without the reason yet). */
async function phoneShows(account, person) {
  const phone = await entriesBetween(account, "2000-01-01", "2100-01-01");
  const shown = new Map(phone.filter((e) => !person.refused.has(e.id)).map((e) => [e.id, e.fatigue]));
  assert.deepEqual(shown, person.live, "the phone shows other entries than the person left");
}

// A request the app never gave up on would hang the run: fail instead, saying so.
test("whatever the network does, the server ends with what the phone shows, once", { timeout: 120000 }, async () => {
  await fc.assert(fc.asyncProperty(
    fc.array(action, { minLength: 1, maxLength: 25 }),
    // Pushes meet a fault one time in two; registrations and pulls now and then.
    fc.array(fc.constantFrom(...FAULTS.filter((f) => f !== "ok"), ...Array(7).fill("ok")),
      { maxLength: 12 }),
    fc.array(fc.oneof({ weight: 6, arbitrary: fc.constant("ok") }, fc.constantFrom(...FAULTS)),
      { maxLength: 20 }),
    async (actions, plan, otherPlan) => {
      const account = `prop${++accounts}`;
      const server = new FakeServer(account);
      const network = faultyFetch(server, plan, otherPlan);
      globalThis.fetch = network;
      const person = new Person(), log = [];
      for (const a of actions) {
        await act(account, person, a, log);
        await phoneShows(account, person);
      }
      // The network heals: what was held up arrives, and the app syncs as it would on its own.
      network.heal();
      for (let i = 0; i < 4 && (await outbox.list(account)).length; i++) {
        try { await sync.run(account); } catch (error) { log.push(error.kind); }
      }
      await sync.run(account);  // a last pull: the phone's copy as the server has it

      assert.deepEqual(await outbox.list(account), [], "something still waits to be sent");
      assert.deepEqual(server.live(), person.live, "the server differs from what the person did");
      for (const [change, times] of server.decided) assert.equal(times, 1, change);
      for (const [edit, times] of server.edits) assert.equal(times, 1, `${edit} applied ${times} times`);
      const phone = await entriesBetween(account, "2000-01-01", "2100-01-01");
      const shown = new Map(phone.filter((e) => !e.error).map((e) => [e.id, e.fatigue]));
      assert.deepEqual(shown, person.live, "the phone shows other entries than the server has");
      const flagged = new Set(phone.filter((e) => e.error).map((e) => e.id));
      assert.deepEqual(flagged, person.refused, "a refused entry is not shown as refused");
      for (const e of phone) assert.equal(e.pending, false, `${e.id} still says waiting`);
    },
  ), { numRuns: RUNS });
});

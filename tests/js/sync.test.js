// What the phone does for each answer of the server (docs/sync.md, "What the app does for each
// answer"), one row each, against the fake server: the change is kept while the answer lasts,
// the sync recovers (at once, or on the next try) and the server ends with the change once.
import "fake-indexeddb/auto";
import assert from "node:assert/strict";
import { test } from "node:test";

import * as outbox from "../../static/js/outbox.js";
import { getEntry, getMeta } from "../../static/js/store.js";
import * as sync from "../../static/js/sync.js";
import { FakeServer } from "./fake_server.js";

let n = 0;

function answer(status, body) {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

/** A phone with `count` fatigue entries queued, synced once before (registered, token kept), and
    a network that answers pushes with `answers` in turn (a function of the request), then as
    the server does. */
async function setUp(count, answers) {
  const account = `answers${++n}`;
  const server = new FakeServer(account);
  const pushes = [];
  let refused = 0;
  globalThis.fetch = async (url, init = {}) => {
    const handle = () => server.handle(init.method || "GET", url, init.headers || {}, init.body);
    if (String(url).includes("/sync/push")) {
      pushes.push(JSON.parse(init.body).mutations.length);
      const next = answers[refused];
      if (next !== undefined) {
        refused += 1;
        const given = next(JSON.parse(init.body));
        if (given) return given;
      }
    }
    return handle();
  };
  await sync.run(account);  // registered, the token kept
  const ids = [];
  for (let i = 0; i < count; i++) {
    const id = `20000000-0000-4000-8000-${String(n * 100 + i).padStart(12, "0")}`;
    ids.push(id);
    await outbox.queue(account, "create", { id, kind: "fatigue", fatigue: i % 10,
      occurred_at: "2026-12-05T09:00:00Z" }, "2026-12-05");
  }
  return { account, server, ids, pushes };
}

async function failsWith(account, kind) {
  await assert.rejects(sync.run(account), (error) => error.kind === kind);
}

async function sentOnce(server, account, ids, { elsewhere = 0 } = {}) {
  const mine = [...server.live().keys()].filter((id) => !id.startsWith(ELSEWHERE));
  assert.deepEqual(mine.sort(), [...ids].sort());
  assert.equal(server.live().size, ids.length + elsewhere);
  assert.deepEqual(await outbox.list(account), []);
  for (const times of server.decided.values()) assert.equal(times, 1);
}

const once = (status, body) => [() => answer(status, body)];

for (const [row, status, body, kind] of [
  ["network error", 0, null, "network"],
  ["401 login_required", 401, { error: "login_required" }, "login"],
  ["403 forbidden", 403, { error: "forbidden" }, "server"],
  ["429 too many requests", 429, { error: "rate_limited" }, "server"],
  ["502 bad gateway", 502, {}, "server"],
  ["503 unavailable", 503, { error: "unavailable" }, "server"],
  ["504 gateway timeout", 504, {}, "server"],
]) {
  test(`${row}: the change waits, however often, and goes once when the answer is right`, async () => {
    const fail = status ? () => answer(status, body) : () => { throw new TypeError("Failed to fetch"); };
    const times = sync.ATTEMPTS + 1;  // more than it takes to set a change aside: never for these
    const { account, server, ids } = await setUp(1, Array(times).fill(fail));
    for (let i = 0; i < times; i++) await failsWith(account, kind);
    assert.equal((await outbox.list(account)).length, 1, "the change was dropped");
    const record = await getEntry(account, ids[0]);
    assert.equal(record.pending, true);
    assert.equal(record.error, null, "set aside for an answer that says nothing of its content");
    await sync.run(account);
    await sentOnce(server, account, ids);
  });
}

test("404 unknown_client: a new client, the outbox renumbered, sent once in the same sync", async () => {
  const { account, server, ids } = await setUp(2, []);
  const before = await getMeta(account, "clientId");
  server.clients.clear();  // the server forgot this app
  await sync.run(account);
  assert.notEqual(await getMeta(account, "clientId"), before);
  await sentOnce(server, account, ids);
});

test("400 csrf: the token is renewed by a pull and the push goes in the same sync", async () => {
  const { account, server, ids } = await setUp(1, []);
  server.token = "after-a-new-login";
  await sync.run(account);
  assert.equal(await getMeta(account, "csrf"), "after-a-new-login");
  await sentOnce(server, account, ids);
});

test("400 csrf with a forgotten client (the remember-cookie stall): both recovered at once", async () => {
  const { account, server, ids } = await setUp(1, []);
  server.token = "after-a-remember-cookie-login";
  server.clients.clear();
  await sync.run(account);
  await sentOnce(server, account, ids);
});

test("400 csrf before the app has a client: the token is asked for, with no unknown-client answer on the way", async () => {
  // A new login on a phone with nothing synced yet: the registration is refused for its token.
  const account = `answers${++n}`;
  const server = new FakeServer(account);
  const answered = [];
  globalThis.fetch = async (url, init = {}) => {
    const response = server.handle(init.method || "GET", url, init.headers || {}, init.body);
    answered.push(`${init.method || "GET"} ${new URL(url, "http://phone.test").pathname} ${response.status}`);
    return response;
  };
  await sync.run(account);
  assert.deepEqual(answered, [
    "POST /api/v1/clients 400",
    "GET /api/v1/sync/token 200",
    "POST /api/v1/clients 201",
    "GET /api/v1/sync/pull 200",
  ]);
  assert.equal(await getMeta(account, "csrf"), server.token);
  assert.equal(server.clients.size, 1);
});

test("409 wrong_account: it stops at once, never registers nor renumbers for that session", async () => {
  const { account, server, ids } = await setUp(1, once(409, { error: "wrong_account" }));
  const client = await getMeta(account, "clientId");
  await failsWith(account, "wrong_account");
  assert.equal(await getMeta(account, "clientId"), client);
  assert.equal(server.clients.size, 1);
  assert.equal((await outbox.list(account)).length, 1);
  await sync.run(account);  // its own person logs in again
  await sentOnce(server, account, ids);
});

test("413: the batch is halved until it fits, in the same sync", async () => {
  const tooBig = (body) => (body.mutations.length > 2 ? answer(413, { error: "too_large" }) : null);
  const { account, server, ids, pushes } = await setUp(8, [tooBig, tooBig, tooBig, tooBig]);
  await sync.run(account);
  await sentOnce(server, account, ids);
  assert.ok(pushes.slice(1).every((size, i) => i < 2 || size <= 2), `${pushes}`);
});

for (const status of [400, 422, 500]) {
  test(`${status} on one change's content: after ${sync.ATTEMPTS} tries that change is set aside, the rest goes`, async () => {
    const { account, server, ids } = await setUp(4, []);
    const poison = ids[2];
    const original = globalThis.fetch;
    globalThis.fetch = async (url, init = {}) => {
      if (String(url).includes("/sync/push") &&
          JSON.parse(init.body).mutations.some((m) => m.entry.id === poison && m.op === "create")) {
        return answer(status, { error: "bad", message: "The server could not read this." });
      }
      return original(url, init);
    };
    for (let i = 1; i < sync.ATTEMPTS; i++) await failsWith(account, "server");
    assert.equal(server.live().size, 0, "sent before its tries were over");
    await sync.run(account);
    assert.deepEqual([...server.live().keys()].sort(), ids.filter((id) => id !== poison).sort());
    assert.deepEqual(await outbox.list(account), []);
    const record = await getEntry(account, poison);
    assert.equal(record.error.code, "not_sent");
    assert.match(record.error.message, /Fix it or discard it\.$/);
  });
}

test("a server failing on everything sets nothing aside", async () => {
  const { account, server } = await setUp(2, []);
  globalThis.fetch = async (url) => (String(url).includes("/sync/push")
    ? answer(500, { error: "server_error" }) : server.handle("GET", url, {}, undefined));
  for (let i = 0; i < sync.ATTEMPTS + 2; i++) await failsWith(account, "server");
  const waiting = await outbox.list(account);
  assert.equal(waiting.length, 2);
  assert.ok(waiting.every((m) => !m.set_aside));
});

/** Every request the phone sends from here on, as "METHOD /path", answered by `server`. */
function recordRequests(server, { withoutPull = false } = {}) {
  const sent = [];
  globalThis.fetch = async (url, init = {}) => {
    sent.push(`${init.method || "GET"} ${new URL(url, "http://phone.test").pathname}`);
    const response = server.handle(init.method || "GET", url, init.headers || {}, init.body);
    if (!withoutPull || !String(url).includes("/sync/push")) return response;
    const { pull, ...rest } = await response.json();  // a server from before "Push and pull in one"
    return answer(response.status, rest);
  };
  return sent;
}

const ELSEWHERE = "30000000-";

/** Entries logged on another phone of the same person, straight into the server. */
function loggedElsewhere(server, count) {
  for (let i = 0; i < count; i++) {
    const id = `${ELSEWHERE}0000-4000-8000-${String(i).padStart(12, "0")}`;
    server.entries.set(id, { type: "entry", id, kind: "fatigue", fatigue: 6, deleted_at: null,
      occurred_at: "2026-12-05T10:00:00Z", local_date: "2026-12-05", change_seq: ++server.seq });
  }
}

test("a small sync is one request: the push's answer brings the pull after it", async () => {
  const { account, server, ids } = await setUp(1, []);
  loggedElsewhere(server, 2);
  const sent = recordRequests(server);
  await sync.run(account);
  assert.deepEqual(sent, ["POST /api/v1/sync/push"]);
  await sentOnce(server, account, ids, { elsewhere: 2 });
  assert.equal((await getEntry(account, ids[0])).pending, false);
  for (const id of server.entries.keys()) assert.ok(await getEntry(account, id), `${id} not pulled`);
  assert.equal(await getMeta(account, "cursor"), server.seq);
});

test("what the push's answer could not bring is pulled on its own, page by page", async () => {
  const { account, server, ids } = await setUp(1, []);
  loggedElsewhere(server, 450);  // more than one page (200) of the pull
  const sent = recordRequests(server);
  await sync.run(account);
  assert.deepEqual(sent, ["POST /api/v1/sync/push", "GET /api/v1/sync/pull", "GET /api/v1/sync/pull"]);
  await sentOnce(server, account, ids, { elsewhere: 450 });
  for (const id of server.entries.keys()) assert.ok(await getEntry(account, id), `${id} not pulled`);
  assert.equal(await getMeta(account, "cursor"), server.seq);
});

test("a push answered without the pull (a server from before): the pull goes on its own", async () => {
  const { account, server, ids } = await setUp(1, []);
  loggedElsewhere(server, 1);
  const sent = recordRequests(server, { withoutPull: true });
  await sync.run(account);
  assert.deepEqual(sent, ["POST /api/v1/sync/push", "GET /api/v1/sync/pull"]);
  await sentOnce(server, account, ids, { elsewhere: 1 });
  for (const id of server.entries.keys()) assert.ok(await getEntry(account, id), `${id} not pulled`);
});

test("an outbox of several batches asks for the pull with its last batch only", async () => {
  const { account, server, ids } = await setUp(501, []);
  const pulls = [];
  const sent = recordRequests(server);
  const recorded = globalThis.fetch;
  globalThis.fetch = async (url, init = {}) => {
    if (String(url).includes("/sync/push")) pulls.push(Boolean(JSON.parse(init.body).pull));
    return recorded(url, init);
  };
  await sync.run(account);
  assert.deepEqual(sent, ["POST /api/v1/sync/push", "POST /api/v1/sync/push", "GET /api/v1/sync/pull",
    "GET /api/v1/sync/pull"]);
  assert.deepEqual(pulls, [false, true]);
  await sentOnce(server, account, ids);
});

test("an answer that never comes: the sync gives up on it, the change waits, then goes once", async () => {
  const saved = { ...sync.REQUEST_TIMEOUT };
  Object.assign(sync.REQUEST_TIMEOUT, { baseMs: 20, msPerKB: 0 });
  try {
    const never = (signal) => new Promise((_, reject) => {
      const given = () => reject(new DOMException("aborted", "AbortError"));
      if (signal.aborted) given();
      else signal.addEventListener("abort", given);
    });
    // The push reaches the server, which applies it; its answer never comes back.
    const { account, server, ids } = await setUp(1, []);
    const reach = globalThis.fetch;
    let hung = 0;
    globalThis.fetch = async (url, init = {}) => {
      if (String(url).includes("/sync/push") && hung++ === 0) {
        await reach(url, init);
        return never(init.signal);
      }
      return reach(url, init);
    };
    await failsWith(account, "network");
    assert.equal((await outbox.list(account)).length, 1, "the change was dropped");
    assert.equal((await getEntry(account, ids[0])).pending, true);
    await sync.run(account);
    await sentOnce(server, account, ids);
  } finally {
    Object.assign(sync.REQUEST_TIMEOUT, saved);
  }
});

test("a request is given time by its size: the largest push has minutes", () => {
  assert.equal(sync.timeoutFor(undefined), 30000);
  assert.equal(sync.timeoutFor("x".repeat(900 * 1024)), 30000 + 900 * 100);
});

test("Background Sync's sendWaiting: nothing waiting, nothing asked; something waiting, sent once", async () => {
  const { account, server, ids } = await setUp(1, []);
  await sync.run(account);  // the page sent it first, as it usually does
  const sent = recordRequests(server);
  assert.equal(await sync.sendWaiting(account), false);
  assert.deepEqual(sent, [], "a sync of nothing still asked the server");
  await outbox.queue(account, "create", { id: "40000000-0000-4000-8000-000000000001",
    kind: "fatigue", fatigue: 2, occurred_at: "2026-12-05T11:00:00Z" }, "2026-12-05");
  assert.equal(await sync.sendWaiting(account), true);
  assert.deepEqual(sent, ["POST /api/v1/sync/push"]);
  await sentOnce(server, account, [...ids, "40000000-0000-4000-8000-000000000001"]);
});

test("Background Sync fails when a try may mend it (the browser tries again), not for another person's outbox", async () => {
  const { account, server, ids } = await setUp(1, []);
  const other = `${account}-other`;  // someone else's outbox on the phone, their session gone
  await outbox.queue(other, "create", { id: "50000000-0000-4000-8000-000000000001",
    kind: "fatigue", fatigue: 1, occurred_at: "2026-12-05T12:00:00Z" }, "2026-12-05");
  const reach = globalThis.fetch;
  let away = true;
  globalThis.fetch = async (url, init = {}) => {
    if (init.headers && init.headers["Rehab-Account"] === other) {
      return new Response(JSON.stringify({ error: "wrong_account" }),
        { status: 409, headers: { "Content-Type": "application/json", "Rehab-Account": account } });
    }
    if (away && String(url).includes("/sync/push")) return answer(503, { error: "unavailable" });
    return reach(url, init);
  };
  await assert.rejects(sync.sendAllWaiting([account, other]), (error) => error.kind === "server");
  assert.equal((await outbox.list(account)).length, 1);
  away = false;
  await sync.sendAllWaiting([account, other]);  // the other outbox's refusal is not retried
  await sentOnce(server, account, ids);
  assert.equal((await outbox.list(other)).length, 1, "another person's outbox was touched");
});

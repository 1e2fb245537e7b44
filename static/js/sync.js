/* Sync: send the outbox to /api/v1/sync/push in batches, then pull what changed (with the last
   push, in its answer, or on its own), for one account.
   Exactly once is the server's promise (docs/sync.md); this side never drops a change before the
   server has answered for it, and never sends one account's outbox with another's session: every
   call names the account, and an answer for another account stops the sync at once.
   Runs in pages, the service worker and Node's test runner (with a fake server as `fetch`). */
import * as outbox from "./outbox.js";
import { KEEP_DAYS, getMeta, prune, setMeta } from "./store.js";

const API = "/api/v1";
const MAX_BATCH = 500;             // the server's limit of mutations per push
const MAX_BYTES = 900 * 1024;      // under the server's 1 MB body limit
const PULL_LIMIT = 200;
const ACCOUNT_HEADER = "Rehab-Account";
/** A batch failing this often (with back-off between) is split to find the change it fails on. */
export const ATTEMPTS = 3;
const running = new Map();         // account -> Promise of the run in progress

/** An answer the app acts on: 401 (log in again), 409 (another account), 413, unknown client,
    network, or a server that refuses or fails on what was sent. */
export class SyncError extends Error {
  constructor(kind, status, message, data) {
    super(message || kind);
    this.kind = kind;
    this.status = status;
    this.data = data || {};
  }
}

function csrfToken(account) {
  const tag = globalThis.document && globalThis.document.querySelector('meta[name="csrf-token"]');
  if (tag && tag.content) return tag.content;
  return getMeta(account, "csrf");
}

/** How long a request may go unanswered before it counts as lost: a connection that never
    answers (a weak signal, a network that lets nothing through) would otherwise hold the sync,
    and every other sync of the person waiting for it, for as long as the phone keeps it open.
    Long enough for the largest push (900 KB) on a slow connection (about 10 KB a second). */
export const REQUEST_TIMEOUT = { baseMs: 30000, msPerKB: 100 };

/** The time a request with this body is given (ms). */
export function timeoutFor(body) {
  const kb = body === undefined ? 0 : Math.ceil(body.length / 1024);
  return REQUEST_TIMEOUT.baseMs + kb * REQUEST_TIMEOUT.msPerKB;
}

async function call(account, method, path, body) {
  const controller = new AbortController();
  let response, data, timer = null;
  try {
    const token = await csrfToken(account);
    const headers = { "Accept": "application/json", [ACCOUNT_HEADER]: account };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (token) headers["X-CSRFToken"] = token;
    timer = setTimeout(() => controller.abort(), timeoutFor(body));
    response = await fetch(API + path, { method, headers, body, credentials: "same-origin",
      cache: "no-store", signal: controller.signal });
  } catch (error) {
    clearTimeout(timer);
    throw new SyncError("network", 0, "No connection.");
  }
  try {
    data = await response.json();
  } catch (e) {
    // An answer cut off by the time running out: as lost as no answer (the server may have
    // decided it). Otherwise a body that is not JSON: the status says what happened.
    if (controller.signal.aborted) throw new SyncError("network", 0, "No connection.");
    data = {};
  } finally {
    clearTimeout(timer);
  }
  if (!data || typeof data !== "object") data = {};
  const whose = response.headers.get(ACCOUNT_HEADER);
  if (response.status === 401) throw new SyncError("login", 401, data.message);
  if ((whose && whose !== account) || data.error === "wrong_account") {
    // The session is someone else's: stop here; this outbox waits for its own person.
    throw new SyncError("wrong_account", response.status, data.message);
  }
  if (response.ok) return data;
  if (response.status === 413) throw new SyncError("too_large", 413, data.message);
  if (response.status === 404 && data.error === "unknown_client") {
    throw new SyncError("unknown_client", 404, data.message, data);
  }
  if (response.status === 400 && data.error === "csrf") {
    throw new SyncError("csrf", 400, data.message);
  }
  throw new SyncError("server", response.status, data.message);
}

async function clientId(account) {
  const id = await getMeta(account, "clientId");
  if (id) return id;
  const data = await call(account, "POST", "/clients", "{}");
  await setMeta(account, "clientId", data.client_id);
  return data.client_id;
}

/** Split the outbox into batches under both of the server's limits. */
export function batches(mutations, maxCount) {
  const out = [];
  let batch = [], bytes = 0;
  for (const m of mutations) {
    const wire = { id: m.mid, op: m.op, entry: m.entry };
    if (m.change_id) wire.change_id = m.change_id;
    if (m.undoes) wire.undoes = m.undoes;
    const size = JSON.stringify(wire).length + 1;
    if (batch.length && (batch.length >= maxCount || bytes + size > MAX_BYTES)) {
      out.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(wire);
    bytes += size;
  }
  if (batch.length) out.push(batch);
  return out;
}

/** Push a batch; with `cursor` (not null), ask for the pull after it in the same answer
    (docs/sync.md, "Push and pull in one") and take it in after the push's results. Resolves
    with the push's results, and whether its answer brought the whole pull (`pulledAll`). */
async function send(account, client, batch, cursor = null) {
  const asked = { client_id: client, mutations: batch };
  if (cursor !== null) asked.pull = { cursor, limit: PULL_LIMIT };
  const data = await call(account, "POST", "/sync/push", JSON.stringify(asked));
  if (!Array.isArray(data.results)) throw new SyncError("server", 200, "An answer without results.");
  await outbox.acknowledge(account, data.results, data.last_mutation_id, batch);
  // Not asked for, or not understood: the pull goes on its own.
  const brought = cursor !== null && data.pull && Array.isArray(data.pull.changes)
    ? data.pull : null;
  if (brought) await takePull(account, brought);
  return { results: data.results, pulledAll: Boolean(brought) && !brought.more };
}

/** A failure that the same batch will meet again (the server refused or failed on it), as
    opposed to no connection, a login, another account, or a server that is away (502-504). */
function failsOnContent(error) {
  return error.kind === "server" && [400, 422, 500].includes(error.status);
}

/** Why a change was set aside, in words for History ("Not sent: ..."). */
function reason(error) {
  return error.status === 500
    ? "the server could not take this change (error 500). Fix it or discard it."
    : (error.message || "the server refused this change.") + " Fix it or discard it.";
}

/** Count a failure of the batch that starts at `mid`; resolves with the count so far. */
async function noteFailure(account, mid) {
  const seen = await getMeta(account, "pushFailures");
  const count = seen && seen.mid === mid ? seen.count + 1 : 1;
  await setMeta(account, "pushFailures", { mid, count });
  return count;
}

/** True when the batch went through; false when it failed on its content; else it throws. */
async function tryBatch(account, client, batch) {
  try {
    await send(account, client, batch);
    return true;
  } catch (error) {
    if (failsOnContent(error)) return false;
    throw error;
  }
}

/** Halve a failing batch until the change it fails on is found; set that one aside, after an
    empty push shows the server itself is well (so a broken server sets nothing aside). */
async function isolate(account, client, batch, error) {
  if (batch.length === 1) {
    await send(account, client, []);
    await outbox.setAside(account, batch[0].id, reason(error));
    return;
  }
  const half = Math.ceil(batch.length / 2);
  const first = batch.slice(0, half), rest = batch.slice(half);
  if (!(await tryBatch(account, client, first))) return isolate(account, client, first, error);
  if (!(await tryBatch(account, client, rest))) return isolate(account, client, rest, error);
}

/** Send the outbox. True when the last answer also brought the whole pull after it. */
async function push(account, client, maxCount) {
  let pulled = false;
  for (;;) {
    const all = await outbox.list(account);
    if (!all.length) return pulled;
    const split = batches(all, maxCount);
    const batch = split[0];
    // The outbox's last batch asks for the pull that follows it: one request, not two.
    const cursor = split.length === 1 ? (await getMeta(account, "cursor")) || 0 : null;
    let sent;
    try {
      sent = await send(account, client, batch, cursor);
    } catch (error) {
      // Too big for the server after all: halve the batch and go on.
      if (error.kind === "too_large" && maxCount > 1) {
        maxCount = Math.max(1, Math.floor(batch.length / 2));
        continue;
      }
      if (!failsOnContent(error)) throw error;
      // The same batch keeps failing: after a few tries (the app backs off between them),
      // find the change it fails on and set it aside, so the rest is not held up for ever.
      if ((await noteFailure(account, batch[0].id)) < ATTEMPTS) throw error;
      await isolate(account, client, batch, error);
      await setMeta(account, "pushFailures", null);
      continue;
    }
    await setMeta(account, "pushFailures", null);
    pulled = sent.pulledAll;
    if (!sent.results.some((r) => r.status !== "gap")) return pulled;
  }
}

/** The first day kept on the phone ("YYYY-MM-DD"). */
function keepSince() {
  return new Date(Date.now() - KEEP_DAYS * 864e5).toISOString().slice(0, 10);
}

async function pull(account, client) {
  for (;;) {
    const cursor = await getMeta(account, "cursor");
    const query = `?client_id=${encodeURIComponent(client)}&cursor=${cursor || 0}&limit=${PULL_LIMIT}`;
    const data = await call(account, "GET", "/sync/pull" + query);
    await takePull(account, data);
    if (!data.more) return prune(account, keepSince());
  }
}

/** Take in a page of a pull: its token for the next push, its changes. */
async function takePull(account, data) {
  await setMeta(account, "csrf", data.csrf_token);
  await outbox.applyPull(account, data.changes, data.cursor, data.last_mutation_id, keepSince());
}

/** The server no longer knows this app (restored from a backup, a registration lost): a new
    client, the outbox renumbered; each change keeps its change_id, so nothing is applied
    twice (only ever for this same account: an answer for another one stopped the sync). */
async function forgetClient(account) {
  await setMeta(account, "clientId", null);
  await outbox.renumber(account);
}

/** A new login changed the CSRF token: a GET (no token needed) answers the fresh one, in pages
    and in the service worker alike. With a client, a pull, which may find the client unknown
    too; without one (its registration is what the token was refused for), the token alone. */
async function renewToken(account) {
  const tag = globalThis.document && globalThis.document.querySelector('meta[name="csrf-token"]');
  if (tag) tag.content = "";
  const client = await getMeta(account, "clientId");
  const data = client ? await pullForToken(account, client)
    : await call(account, "GET", "/sync/token");
  await setMeta(account, "csrf", data.csrf_token || null);
}

/** The answer of a one-change pull, which carries the token; an unknown client's 404 carries it
    too, and the client is forgotten. */
async function pullForToken(account, client) {
  try {
    return await call(account, "GET", "/sync/pull?limit=1&cursor=0&client_id=" +
      encodeURIComponent(client));
  } catch (error) {
    if (error.kind !== "unknown_client") throw error;
    await forgetClient(account);
    return error.data;
  }
}

/** Push, then pull whatever happened to the push (unless the session or account is wrong):
    what the server has is shown, and the pull's answer may clear the outbox. The last push
    usually brings the pull with it; only what it did not bring is asked for apart. */
async function pushThenPull(account, client) {
  let pulled;
  try {
    pulled = await push(account, client, MAX_BATCH);
  } catch (error) {
    if (error.kind === "server" || error.kind === "too_large") {
      try { await pull(account, client); } catch (ignored) { /* the push's error says it */ }
    }
    throw error;
  }
  if (pulled) return prune(account, keepSince());
  return pull(account, client);
}

async function once(account, retries = 2) {
  try {
    await pushThenPull(account, await clientId(account));
  } catch (error) {
    if (retries <= 0 || error.kind === "wrong_account") throw error;
    if (error.kind === "unknown_client") {
      await forgetClient(account);
    } else if (error.kind === "csrf") {
      await renewToken(account);
    } else {
      throw error;
    }
    return once(account, retries - 1);
  }
}

/** One sync at a time per person across tabs and the service worker. */
function withLock(account, fn) {
  const locks = globalThis.navigator && globalThis.navigator.locks;
  if (locks && locks.request) return locks.request("rehab-log-sync-" + account, fn);
  return fn();
}

const queuedRuns = new Map();      // account -> Promise of the run asked for during one

/** Sync now: push the outbox, then pull. Resolves when done; rejects with a SyncError. Asked
    while a sync runs (a change saved, the connection back), one more sync follows it at once:
    what was queued meanwhile is not left waiting for the next trigger. */
export function run(account) {
  if (running.has(account)) {
    if (!queuedRuns.has(account)) {
      queuedRuns.set(account, running.get(account).catch(() => null).then(() => {
        queuedRuns.delete(account);
        return run(account);
      }));
    }
    return queuedRuns.get(account);
  }
  const done = (async () => {
    try {
      await withLock(account, () => once(account));
      await setMeta(account, "lastSyncedAt", new Date().toISOString());
    } finally {
      running.delete(account);
    }
  })();
  running.set(account, done);
  return done;
}

/** Send what waits in the outbox, if anything still does once this person's other syncs on
    the device are done (Background Sync: the page that queued a change has usually sent it by
    then, and a sync of nothing would still pull, one more request for each change saved).
    Resolves true when it synced; rejects with a SyncError. */
export async function sendWaiting(account) {
  const sent = await withLock(account, async () => {
    if (!(await outbox.list(account)).length) return false;
    await once(account);
    return true;
  });
  if (sent) await setMeta(account, "lastSyncedAt", new Date().toISOString());
  return sent;
}

/** Background Sync for every account kept on the device: each one's waiting changes sent
    (sendWaiting). Rejects when a send failed in a way a later try may mend (no connection, a
    server away or failing), so that the browser tries again later, on its own back-off, with
    no page open; not for an outbox whose person is not the one logged in (refused, 409) or
    who must log in again (401): their next login sends it. */
export async function sendAllWaiting(accounts) {
  const failures = await Promise.all(accounts.map((account) =>
    sendWaiting(account).then(() => null, (error) => error)));
  const again = failures.find((error) =>
    error && !(error instanceof SyncError && ["login", "wrong_account"].includes(error.kind)));
  if (again) throw again;
}

/** The wait before retry n (from 0): doubling from 2 s up to 5 min, with full jitter. */
export function backoff(attempt, random = Math.random()) {
  const cap = Math.min(300000, 2000 * Math.pow(2, attempt));
  return Math.round(cap / 2 + random * cap / 2);
}

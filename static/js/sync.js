/* Sync: send the outbox to /api/v1/sync/push in batches, then pull what changed, for one account.
   Exactly once is the server's promise (docs/sync.md); this side never drops a change before the
   server has answered for it, and never sends one account's outbox with another's session: every
   call names the account, and an answer for another account stops the sync at once.
   Runs in pages and in the service worker. */
(function (root) {
  "use strict";
  var RL = root.RL = root.RL || {};
  var API = "/api/v1";
  var MAX_BATCH = 500;             // the server's limit of mutations per push
  var MAX_BYTES = 900 * 1024;      // under the server's 1 MB body limit
  var PULL_LIMIT = 200;
  var ACCOUNT_HEADER = "Rehab-Account";
  var ATTEMPTS = 3;                // a batch failing this often (with back-off between) is split
  var running = {};                // account -> Promise of the run in progress

  /** An answer the app acts on: 401 (log in again), 409 (another account), 413, unknown client,
      network, or a server that refuses or fails on what was sent. */
  function SyncError(kind, status, message, data) {
    this.kind = kind;
    this.status = status;
    this.message = message || kind;
    this.data = data || {};
  }

  function csrfToken(account) {
    var tag = root.document && root.document.querySelector('meta[name="csrf-token"]');
    if (tag && tag.content) return Promise.resolve(tag.content);
    return RL.store.getMeta(account, "csrf");
  }

  function call(account, method, path, body) {
    return csrfToken(account).then(function (token) {
      var headers = { "Accept": "application/json" };
      if (body !== undefined) headers["Content-Type"] = "application/json";
      if (token) headers["X-CSRFToken"] = token;
      headers[ACCOUNT_HEADER] = account;
      return fetch(API + path, {
        method: method, headers: headers, credentials: "same-origin", cache: "no-store",
        body: body === undefined ? undefined : body
      });
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        var whose = response.headers.get(ACCOUNT_HEADER);
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
      });
    }, function (error) {
      if (error instanceof SyncError) throw error;
      throw new SyncError("network", 0, "No connection.");
    });
  }

  function clientId(account) {
    return RL.store.getMeta(account, "clientId").then(function (id) {
      if (id) return id;
      return call(account, "POST", "/clients", "{}").then(function (data) {
        return RL.store.setMeta(account, "clientId", data.client_id).then(function () {
          return data.client_id;
        });
      });
    });
  }

  /** Split the outbox into batches under both of the server's limits. */
  function batches(mutations, maxCount) {
    var out = [], batch = [], bytes = 0;
    mutations.forEach(function (m) {
      var wire = { id: m.mid, op: m.op, entry: m.entry };
      if (m.change_id) wire.change_id = m.change_id;
      if (m.undoes) wire.undoes = m.undoes;
      var size = JSON.stringify(wire).length + 1;
      if (batch.length && (batch.length >= maxCount || bytes + size > MAX_BYTES)) {
        out.push(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(wire);
      bytes += size;
    });
    if (batch.length) out.push(batch);
    return out;
  }

  function send(account, client, batch) {
    var body = JSON.stringify({ client_id: client, mutations: batch });
    return call(account, "POST", "/sync/push", body).then(function (data) {
      return RL.store.acknowledge(account, data.results, data.last_mutation_id, batch).then(function () {
        return data;
      });
    });
  }

  /** A failure that the same batch will meet again (the server refused or failed on it), as
      opposed to no connection, a login, another account, or a server that is away (502-504). */
  function failsOnContent(error) {
    return error.kind === "server" && (error.status === 400 || error.status === 422 ||
      error.status === 500);
  }

  /** Why a change was set aside, in words for History ("Not sent: ..."). */
  function reason(error) {
    return error.status === 500
      ? "the server could not take this change (error 500). Fix it or discard it."
      : (error.message || "the server refused this change.") + " Fix it or discard it.";
  }

  /** Count a failure of the batch that starts at `mid`; resolves with the count so far. */
  async function noteFailure(account, mid) {
    var seen = await RL.store.getMeta(account, "pushFailures");
    var count = seen && seen.mid === mid ? seen.count + 1 : 1;
    await RL.store.setMeta(account, "pushFailures", { mid: mid, count: count });
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
      await RL.store.setAside(account, batch[0].id, reason(error));
      return;
    }
    var half = Math.ceil(batch.length / 2);
    var first = batch.slice(0, half), rest = batch.slice(half);
    if (!(await tryBatch(account, client, first))) return isolate(account, client, first, error);
    if (!(await tryBatch(account, client, rest))) return isolate(account, client, rest, error);
  }

  async function push(account, client, maxCount) {
    for (;;) {
      var all = await RL.store.outbox(account);
      if (!all.length) return;
      var batch = batches(all, maxCount)[0];
      var data;
      try {
        data = await send(account, client, batch);
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
        await RL.store.setMeta(account, "pushFailures", null);
        continue;
      }
      await RL.store.setMeta(account, "pushFailures", null);
      if (!data.results.some(function (r) { return r.status !== "gap"; })) return;
    }
  }

  function keepSince() {
    var d = new Date(Date.now() - RL.store.KEEP_DAYS * 864e5);
    return d.toISOString().slice(0, 10);
  }

  function pull(account, client) {
    return RL.store.getMeta(account, "cursor").then(function (cursor) {
      var query = "?client_id=" + encodeURIComponent(client) + "&cursor=" + (cursor || 0) +
        "&limit=" + PULL_LIMIT;
      return call(account, "GET", "/sync/pull" + query).then(function (data) {
        return RL.store.setMeta(account, "csrf", data.csrf_token).then(function () {
          return RL.store.applyPull(account, data.changes, data.cursor, data.last_mutation_id,
            keepSince());
        }).then(function () {
          return data.more ? pull(account, client) : RL.store.prune(account, keepSince());
        });
      });
    });
  }

  /** The server no longer knows this app (restored from a backup, a registration lost): a new
      client, the outbox renumbered; each change keeps its change_id, so nothing is applied
      twice (only ever for this same account: an answer for another one stopped the sync). */
  function forgetClient(account) {
    return RL.store.setMeta(account, "clientId", null)
      .then(function () { return RL.store.renumber(account); });
  }

  /** A new login changed the CSRF token: a pull (a GET, no token needed) answers the fresh one,
      in pages and in the service worker alike. The pull may find the client unknown too. */
  async function renewToken(account) {
    var tag = root.document && root.document.querySelector('meta[name="csrf-token"]');
    if (tag) tag.content = "";
    var client = await RL.store.getMeta(account, "clientId");
    var data;
    try {
      data = await call(account, "GET", "/sync/pull?limit=1&cursor=0&client_id=" +
        encodeURIComponent(client || "none"));
    } catch (error) {
      if (error.kind !== "unknown_client") throw error;
      data = error.data;  // its answer carries the token too
      if (client) await forgetClient(account);
    }
    await RL.store.setMeta(account, "csrf", data.csrf_token || null);
  }

  /** Push, then pull whatever happened to the push (unless the session or account is wrong):
      what the server has is shown, and the pull's answer may clear the outbox. */
  async function pushThenPull(account, client) {
    try {
      await push(account, client, MAX_BATCH);
    } catch (error) {
      if (error.kind === "server" || error.kind === "too_large") {
        try { await pull(account, client); } catch (ignored) { /* the push's error says it */ }
      }
      throw error;
    }
    await pull(account, client);
  }

  async function once(account, retries) {
    retries = retries === undefined ? 2 : retries;
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

  function withLock(account, fn) {
    // One sync at a time per person across tabs and the service worker.
    var locks = root.navigator && root.navigator.locks;
    if (locks && locks.request) return locks.request("rehab-log-sync-" + account, fn);
    return fn();
  }

  /** Sync now: push the outbox, then pull. Resolves when done; rejects with a SyncError. */
  function run(account) {
    if (running[account]) return running[account];
    var finished = function () { delete running[account]; };
    running[account] = withLock(account, function () { return once(account); })
      .then(function () {
        return RL.store.setMeta(account, "lastSyncedAt", new Date().toISOString());
      })
      .then(finished, function (error) { finished(); throw error; });
    return running[account];
  }

  /** The wait before retry n (from 0): doubling from 2 s up to 5 min, with full jitter. */
  function backoff(attempt, random) {
    var cap = Math.min(300000, 2000 * Math.pow(2, attempt));
    return Math.round(cap / 2 + (random === undefined ? Math.random() : random) * cap / 2);
  }

  RL.sync = {
    run: run, batches: batches, backoff: backoff, SyncError: SyncError, ATTEMPTS: ATTEMPTS
  };
})(self);

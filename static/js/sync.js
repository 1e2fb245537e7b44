/* Sync: send the outbox to /api/v1/sync/push in batches, then pull what changed, for one person.
   Exactly once is the server's promise (docs/sync.md); this side never drops a change before the
   server has answered for it. Runs in pages and in the service worker. */
(function (root) {
  "use strict";
  var RL = root.RL = root.RL || {};
  var API = "/api/v1";
  var MAX_BATCH = 500;             // the server's limit of mutations per push
  var MAX_BYTES = 900 * 1024;      // under the server's 1 MB body limit
  var PULL_LIMIT = 200;
  var running = {};                // userId -> Promise of the run in progress

  /** An answer the app acts on: 401 (log in again), 413, unknown client, network. */
  function SyncError(kind, status, message) {
    this.kind = kind;
    this.status = status;
    this.message = message || kind;
  }

  function csrfToken(userId) {
    var tag = root.document && root.document.querySelector('meta[name="csrf-token"]');
    if (tag && tag.content) return Promise.resolve(tag.content);
    return RL.store.getMeta(userId, "csrf");
  }

  function call(userId, method, path, body) {
    return csrfToken(userId).then(function (token) {
      var headers = { "Accept": "application/json" };
      if (body !== undefined) headers["Content-Type"] = "application/json";
      if (token) headers["X-CSRFToken"] = token;
      return fetch(API + path, {
        method: method, headers: headers, credentials: "same-origin", cache: "no-store",
        body: body === undefined ? undefined : body
      });
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok) return data;
        if (response.status === 401) throw new SyncError("login", 401, data.message);
        if (response.status === 413) throw new SyncError("too_large", 413, data.message);
        if (response.status === 404 && data.error === "unknown_client") {
          throw new SyncError("unknown_client", 404, data.message);
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

  function clientId(userId) {
    return RL.store.getMeta(userId, "clientId").then(function (id) {
      if (id) return id;
      return call(userId, "POST", "/clients", "{}").then(function (data) {
        return RL.store.setMeta(userId, "clientId", data.client_id).then(function () {
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

  function push(userId, client, maxCount) {
    return RL.store.outbox(userId).then(function (all) {
      if (!all.length) return null;
      var batch = batches(all, maxCount)[0];
      var body = JSON.stringify({ client_id: client, mutations: batch });
      return call(userId, "POST", "/sync/push", body).then(function (data) {
        return RL.store.acknowledge(userId, data.results, data.last_mutation_id).then(function () {
          var progressed = data.results.some(function (r) { return r.status !== "gap"; });
          return progressed ? push(userId, client, maxCount) : null;
        });
      }, function (error) {
        // Too big for the server after all: halve the batch and go on.
        if (error.kind === "too_large" && maxCount > 1) {
          return push(userId, client, Math.max(1, Math.floor(batch.length / 2)));
        }
        throw error;
      });
    });
  }

  function keepSince() {
    var d = new Date(Date.now() - RL.store.KEEP_DAYS * 864e5);
    return d.toISOString().slice(0, 10);
  }

  function pull(userId, client) {
    return RL.store.getMeta(userId, "cursor").then(function (cursor) {
      var query = "?client_id=" + encodeURIComponent(client) + "&cursor=" + (cursor || 0) +
        "&limit=" + PULL_LIMIT;
      return call(userId, "GET", "/sync/pull" + query).then(function (data) {
        return RL.store.setMeta(userId, "csrf", data.csrf_token).then(function () {
          return RL.store.applyPull(userId, data.changes, data.cursor, data.last_mutation_id,
            keepSince());
        }).then(function () {
          return data.more ? pull(userId, client) : RL.store.prune(userId, keepSince());
        });
      });
    });
  }

  function once(userId, retries) {
    retries = retries === undefined ? 2 : retries;
    return clientId(userId).then(function (client) {
      return push(userId, client, MAX_BATCH).then(function () { return pull(userId, client); });
    }).catch(function (error) {
      if (retries <= 0) throw error;
      if (error.kind === "unknown_client") {
        // The server no longer knows this app (e.g. restored from a backup): start a new client,
        // renumbering what waits so that nothing is lost and nothing is sent twice.
        return RL.store.setMeta(userId, "clientId", null)
          .then(function () { return RL.store.renumber(userId); })
          .then(function () { return once(userId, retries - 1); });
      }
      if (error.kind === "csrf" && root.document) {
        // A new login changed the token: a pull (GET) answers the fresh one.
        var tag = root.document.querySelector('meta[name="csrf-token"]');
        if (tag) tag.content = "";
        return RL.store.getMeta(userId, "clientId").then(function (client) {
          return client ? pull(userId, client) : null;
        }).then(function () { return once(userId, retries - 1); });
      }
      throw error;
    });
  }

  function withLock(userId, fn) {
    // One sync at a time per person across tabs and the service worker.
    var locks = root.navigator && root.navigator.locks;
    if (locks && locks.request) return locks.request("rehab-log-sync-" + userId, fn);
    return fn();
  }

  /** Sync now: push the outbox, then pull. Resolves when done; rejects with a SyncError. */
  function run(userId) {
    if (running[userId]) return running[userId];
    var finished = function () { delete running[userId]; };
    running[userId] = withLock(userId, function () { return once(userId); })
      .then(function () {
        return RL.store.setMeta(userId, "lastSyncedAt", new Date().toISOString());
      })
      .then(finished, function (error) { finished(); throw error; });
    return running[userId];
  }

  /** The wait before retry n (from 0): doubling from 2 s up to 5 min, with full jitter. */
  function backoff(attempt, random) {
    var cap = Math.min(300000, 2000 * Math.pow(2, attempt));
    return Math.round(cap / 2 + (random === undefined ? Math.random() : random) * cap / 2);
  }

  RL.sync = {
    run: run, batches: batches, backoff: backoff, SyncError: SyncError
  };
})(self);

/* The device's copy of a person's log in IndexedDB: the outbox of changes not yet on the server,
   the entries of the last 90 days and the programme. One database per account, named by the
   opaque account key the server puts on every page (<body data-account>), so that two people
   sharing a phone never see or send each other's entries. Runs in pages and the service worker. */
(function (root) {
  "use strict";
  var RL = root.RL = root.RL || {};
  var PREFIX = "rehab-log-a";
  var VERSION = 1;
  var KEEP_DAYS = 90;
  var open = {};  // account key -> Promise<IDBDatabase>
  var listeners = [];

  function dbName(account) { return PREFIX + account; }

  /** A version-4 UUID from 16 bytes (random, or a digest's first 16). */
  function uuidFromBytes(bytes) {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); });
    return hex.slice(0, 4).join("") + "-" + hex.slice(4, 6).join("") + "-" +
      hex.slice(6, 8).join("") + "-" + hex.slice(8, 10).join("") + "-" + hex.slice(10).join("");
  }

  /** A new random id (an entry's, a change's). */
  function newId() {
    if (root.crypto && root.crypto.randomUUID) return root.crypto.randomUUID();
    return uuidFromBytes(root.crypto.getRandomValues(new Uint8Array(16)));
  }

  /** Whether a programme item is in force on a day ("YYYY-MM-DD"), as Today shows it. */
  function activeOn(item, day) {
    return !item.stopped_at && item.start_date <= day && (!item.end_date || day <= item.end_date);
  }

  /** Whether the server may already have decided this mutation: not if it stands in the place
      of one (an undone delete, a change set aside) until its own answer comes. */
  function sweepable(m, lastMutationId) {
    return m.mid <= (lastMutationId || 0) && !m.resend;
  }

  function report(error) {
    listeners.forEach(function (fn) { try { fn(error); } catch (e) { /* a listener's own bug */ } });
  }

  /** Open (or reopen, after an error or a lost connection) the person's database. */
  function openDb(account) {
    if (!open[account]) {
      open[account] = new Promise(function (resolve, reject) {
        var request = root.indexedDB.open(dbName(account), VERSION);
        request.onupgradeneeded = function () {
          var db = request.result;
          db.createObjectStore("meta");
          db.createObjectStore("outbox", { keyPath: "mid" }).createIndex("entry", "entry.id");
          db.createObjectStore("entries", { keyPath: "id" }).createIndex("day", "local_date");
          db.createObjectStore("programme", { keyPath: "id" });
        };
        request.onsuccess = function () {
          var db = request.result;
          // Another tab upgrading, the browser closing the connection: open afresh next time.
          db.onversionchange = function () { db.close(); delete open[account]; };
          db.onclose = function () { delete open[account]; };
          resolve(db);
        };
        request.onerror = function () { delete open[account]; reject(request.error); };
        request.onblocked = function () { /* an old tab holds it; onsuccess follows */ };
      });
    }
    return open[account];
  }

  /** Run fn(stores) in one transaction; resolve with its result once the data is on disk. */
  function transact(account, names, mode, fn, retried) {
    return openDb(account).then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx, result;
        try {
          tx = db.transaction(names, mode, { durability: "strict" });
        } catch (error) {  // the connection was closed under us: reopen once
          delete open[account];
          reject(error);
          return;
        }
        var stores = {};
        names.forEach(function (name) { stores[name] = tx.objectStore(name); });
        tx.oncomplete = function () { resolve(result); };
        tx.onabort = tx.onerror = function () {
          reject(tx.error || new Error("The change could not be stored on this device."));
        };
        Promise.resolve(fn(stores, tx)).then(function (value) { result = value; }, function (e) {
          try { tx.abort(); } catch (ignored) { /* already finished */ }
          reject(e);
        });
      });
    }).catch(function (error) {
      if (error && error.name === "InvalidStateError" && !retried) {
        delete open[account];
        return transact(account, names, mode, fn, true);
      }
      report(error);
      throw error;
    });
  }

  function req(request) {
    return new Promise(function (resolve, reject) {
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function getAll(store, query) { return req(store.getAll(query)); }

  function stripLocal(entry) {
    var copy = {};
    Object.keys(entry).forEach(function (k) {
      if (["pending", "error", "server", "deleted", "local"].indexOf(k) === -1) copy[k] = entry[k];
    });
    return copy;
  }

  /** Apply one queued mutation to the device's copy of an entry. */
  function overlay(record, mutation) {
    if (mutation.op === "delete") {
      record.deleted = true;
    } else {
      Object.keys(mutation.entry).forEach(function (k) { record[k] = mutation.entry[k]; });
      if (mutation.local_date) record.local_date = mutation.local_date;
    }
    return record;
  }

  /** Queue a change and update the device's copy, in one transaction: the only way to write. */
  function queue(account, op, entry, localDate) {
    return transact(account, ["meta", "outbox", "entries"], "readwrite", function (s) {
      return req(s.meta.get("nextMutationId")).then(function (next) {
        var mid = next || 1;
        // change_id: the change's own id (docs/sync.md, "Outcomes"), kept across renumbering.
        var mutation = { mid: mid, op: op, entry: entry, local_date: localDate || null,
          queued_at: new Date().toISOString(), change_id: newId() };
        s.outbox.add(mutation);
        s.meta.put(mid + 1, "nextMutationId");
        return req(s.entries.get(entry.id)).then(function (record) {
          if (!record) {
            // An edit of an entry older than the kept 90 days still goes to the server.
            if (op !== "create") return mutation;
            record = { id: entry.id, local: true, server: null };
          }
          record = overlay(record, mutation);
          record.pending = true;
          record.error = null;
          s.entries.put(record);
          return mutation;
        });
      });
    });
  }

  // The dose fields an exercise entry and a programme item share.
  var DOSE = ["sets", "reps", "hold_seconds", "minutes", "distance_m", "phonation_seconds",
    "loudness_db", "rests"];

  /** A programme item done at its usual dose (Today's "Done", a reminder's "Done"). */
  function doneEntry(item, occurredAt) {
    var entry = { kind: "exercise", discipline: item.discipline, exercise_id: item.exercise_id,
      programme_item_id: item.id, name: item.name, by_carer: false, note: null,
      occurred_at: occurredAt };
    DOSE.forEach(function (f) { entry[f] = item[f] === undefined ? null : item[f]; });
    return entry;
  }

  /** The queued mutations, oldest first. */
  function outbox(account) {
    return transact(account, ["outbox"], "readonly", function (s) { return getAll(s.outbox); });
  }

  /** After a push: drop what the server has, note what it refused, forget what was deleted. */
  function acknowledge(account, results, lastMutationId, sent) {
    var sentChange = {};
    (sent || []).forEach(function (w) { sentChange[w.id] = w.change_id || null; });
    return transact(account, ["meta", "outbox", "entries"], "readwrite", function (s) {
      var work = results.map(function (r) {
        if (r.status === "gap") return null;
        return req(s.outbox.get(r.mutation_id)).then(function (m) {
          // Changed while its answer was on the way (an Undo of a delete in flight): the answer
          // is for what was sent, and the new change waits in its place to be sent.
          var replaced = m && r.mutation_id in sentChange &&
            (m.change_id || null) !== sentChange[r.mutation_id];
          if (replaced) return null;
          s.outbox.delete(r.mutation_id);
          var id = (m && m.entry.id) || r.entry_id;
          if (!id) return null;
          return req(s.entries.get(id)).then(function (record) {
            if (!record) return null;
            if (r.status === "deleted" || (m && m.op === "delete" && r.status === "applied")) {
              s.entries.delete(id);
              return null;
            }
            // A change set aside went as a change of nothing: its own reason stays on the entry.
            if (r.status === "rejected" && !(m && m.set_aside)) {
              record.error = { code: r.code, message: r.message, field: r.field || null };
              if (m && m.op === "create") record.rejected_create = true;
            }
            return req(s.outbox.index("entry").count(id)).then(function (left) {
              record.pending = left > 0;
              s.entries.put(record);
            });
          });
        });
      });
      // Anything the server counted as done (answers lost on the way) is done too.
      var done = req(s.outbox.getAll(IDBKeyRange.upperBound(lastMutationId || 0)))
        .then(function (old) {
          old.forEach(function (m) { if (sweepable(m, lastMutationId)) s.outbox.delete(m.mid); });
        });
      return Promise.all(work.concat([done]));
    });
  }

  /** Take in a page of changes from the server, keeping local changes not yet sent on top. */
  function applyPull(account, changes, cursor, lastMutationId, keepSince) {
    return transact(account, ["meta", "outbox", "entries", "programme"], "readwrite", function (s) {
      var work = changes.map(function (change) {
        if (change.type === "programme_item") {
          s.programme.put(change);
          return null;
        }
        return getAll(s.outbox.index("entry"), change.id).then(function (queued) {
          queued = queued.filter(function (m) { return !sweepable(m, lastMutationId); });
          if (change.deleted_at) {
            // An undo on its way keeps the entry: the restore brings it back on the server.
            var undone = queued.some(function (m) { return m.op === "restore"; });
            if (!undone) s.entries.delete(change.id);
            return null;
          }
          if (!queued.length && keepSince && change.local_date < keepSince) {
            s.entries.delete(change.id);
            return null;
          }
          return req(s.entries.get(change.id)).then(function (old) {
            var record = stripLocal(change);
            record.server = stripLocal(change);
            queued.forEach(function (m) { if (m.op !== "create") overlay(record, m); });
            record.pending = queued.length > 0;
            record.error = old && old.error && queued.length ? old.error : null;
            s.entries.put(record);
          });
        });
      });
      s.meta.put(cursor, "cursor");
      s.meta.put(true, "pulled");
      // What the server already applied needs no sending, even if its answer never came.
      // (Its answer was lost: if it was a create the server refused, say so on the entry.)
      var seen = {};
      changes.forEach(function (c) { seen[c.id] = true; });
      work.push(getAll(s.outbox, IDBKeyRange.upperBound(lastMutationId || 0)).then(function (old) {
        old.forEach(function (m) {
          if (!sweepable(m, lastMutationId)) return;
          s.outbox.delete(m.mid);
          if (m.op !== "create" || seen[m.entry.id]) return;
          req(s.entries.get(m.entry.id)).then(function (record) {
            if (!record || record.server) return;
            record.pending = false;
            record.error = { code: "lost", field: null,
              message: "The server did not keep this entry. Check it and save it again." };
            record.rejected_create = true;
            s.entries.put(record);
          });
        });
      }));
      return Promise.all(work);
    });
  }

  /** Forget entries older than the kept window that have nothing waiting. */
  function prune(account, keepSince) {
    return transact(account, ["entries"], "readwrite", function (s) {
      return getAll(s.entries.index("day"), IDBKeyRange.upperBound(keepSince, true))
        .then(function (old) {
          old.forEach(function (r) { if (!r.pending && !r.error) s.entries.delete(r.id); });
        });
    });
  }

  /** Entries whose local date is within [first, last], deleted ones left out, newest first. */
  function entriesBetween(account, first, last) {
    return transact(account, ["entries"], "readonly", function (s) {
      return getAll(s.entries.index("day"), IDBKeyRange.bound(first, last)).then(function (rows) {
        return rows.filter(function (r) { return !r.deleted; }).sort(function (a, b) {
          return a.occurred_at < b.occurred_at ? 1 : a.occurred_at > b.occurred_at ? -1 : 0;
        });
      });
    });
  }

  /** One entry from the device's copy, or undefined. */
  function getEntry(account, id) {
    return transact(account, ["entries"], "readonly", function (s) { return req(s.entries.get(id)); });
  }

  /** Entries the server refused, for the person to fix or discard. */
  function refused(account) {
    return transact(account, ["entries"], "readonly", function (s) {
      return getAll(s.entries).then(function (rows) { return rows.filter(function (r) { return r.error; }); });
    });
  }

  /** Discard a refused change: back to the server's version, or gone if it never got there. */
  function discard(account, id) {
    return transact(account, ["entries", "outbox"], "readwrite", function (s) {
      return req(s.entries.get(id)).then(function (record) {
        if (!record) return;
        return req(s.outbox.index("entry").count(id)).then(function (left) {
          if (record.server && !left) {
            var back = stripLocal(record.server);
            back.server = record.server;
            s.entries.put(back);
          } else if (!record.server && !left) {
            s.entries.delete(id);
          } else {
            record.error = null;
            s.entries.put(record);
          }
        });
      });
    });
  }

  /** Undo a delete still waiting in the outbox: it becomes a restore of that delete, in its
      place (ids stay in order). Its answer may have been lost on the way: the server then
      brings the entry back (docs/sync.md, "Restore"). False when it was answered already. */
  function undoDelete(account, id) {
    return transact(account, ["outbox", "entries"], "readwrite", function (s) {
      return getAll(s.outbox.index("entry"), id).then(function (queued) {
        var del = queued.filter(function (m) { return m.op === "delete"; }).pop();
        if (!del) return false;
        del.op = "restore";
        del.entry = { id: id };
        del.undoes = del.change_id || null;
        del.change_id = newId();
        del.resend = true;
        s.outbox.put(del);
        return req(s.entries.get(id)).then(function (record) {
          if (record) {
            record.deleted = false;
            s.entries.put(record);
          }
          return true;
        });
      });
    });
  }

  /** The programme items as last pulled. */
  function programme(account) {
    return transact(account, ["programme"], "readonly", function (s) { return getAll(s.programme); });
  }

  /** Read a value kept for this person (client id, cursor, last sync time). */
  function getMeta(account, key) {
    return transact(account, ["meta"], "readonly", function (s) { return req(s.meta.get(key)); });
  }

  /** Keep a value for this person. */
  function setMeta(account, key, value) {
    return transact(account, ["meta"], "readwrite", function (s) { s.meta.put(value, key); });
  }

  /** Mutation ids restart at 1 for a new client: renumber the outbox, keeping its order. */
  function renumber(account) {
    return transact(account, ["meta", "outbox"], "readwrite", function (s) {
      return getAll(s.outbox).then(function (all) {
        s.outbox.clear();
        all.forEach(function (m, i) { m.mid = i + 1; s.outbox.add(m); });
        s.meta.put(all.length + 1, "nextMutationId");
        s.meta.put(0, "cursor");
        s.meta.put(false, "pulled");
      });
    });
  }

  /** How much is waiting, and since when. */
  function waiting(account) {
    return outbox(account).then(function (all) {
      var ids = {};
      all.forEach(function (m) { ids[m.entry.id] = true; });
      return { count: Object.keys(ids).length, mutations: all.length,
        oldest: all.length ? all[0].queued_at : null };
    });
  }

  /** Drop the copy of synced data (on log out); whatever waits in the outbox stays. */
  function forgetSynced(account) {
    return transact(account, ["entries", "programme", "meta"], "readwrite", function (s) {
      s.programme.clear();
      s.meta.put(0, "cursor");
      s.meta.put(false, "pulled");
      return getAll(s.entries).then(function (rows) {
        rows.forEach(function (r) { if (!r.pending && !r.error) s.entries.delete(r.id); });
      });
    });
  }

  /** Set a change aside that the server keeps failing on: it goes as a change of nothing (so the
      ids behind it stay in order) and its entry says "Not sent: <reason>", to fix or discard. */
  function setAside(account, mid, reason) {
    return transact(account, ["outbox", "entries"], "readwrite", function (s) {
      return req(s.outbox.get(mid)).then(function (m) {
        if (!m || m.set_aside) return;
        s.outbox.put({ mid: mid, op: "update", entry: { id: m.entry.id }, local_date: null,
          queued_at: m.queued_at, set_aside: true, change_id: newId(), resend: true });
        return req(s.entries.get(m.entry.id)).then(function (record) {
          if (!record) return;
          record.error = { code: "not_sent", message: reason, field: null };
          if (m.op === "create") record.rejected_create = true;
          s.entries.put(record);
        });
      });
    });
  }

  /** How many changes wait in the outboxes of other accounts on this phone (no content). */
  function othersWaiting(account) {
    return knownAccounts().then(function (accounts) {
      return Promise.all(accounts.filter(function (a) { return a !== account; }).map(function (a) {
        return outbox(a).then(function (all) { return all.length; }, function () { return 0; });
      }));
    }).then(function (counts) {
      return counts.reduce(function (sum, n) { return sum + n; }, 0);
    });
  }

  /** The accounts with a database on this device (the service worker syncs each it may). */
  function knownAccounts() {
    if (!root.indexedDB.databases) return Promise.resolve([]);
    return root.indexedDB.databases().then(function (list) {
      return list.map(function (d) { return d.name || ""; })
        .filter(function (n) { return n.indexOf(PREFIX) === 0; })
        .map(function (n) { return n.slice(PREFIX.length); });
    });
  }

  RL.store = {
    KEEP_DAYS: KEEP_DAYS, DOSE: DOSE, doneEntry: doneEntry, newId: newId,
    uuidFromBytes: uuidFromBytes, activeOn: activeOn,
    open: openDb, queue: queue, outbox: outbox, acknowledge: acknowledge, applyPull: applyPull,
    prune: prune, entriesBetween: entriesBetween, getEntry: getEntry, refused: refused,
    discard: discard, undoDelete: undoDelete, programme: programme, getMeta: getMeta, setMeta: setMeta,
    renumber: renumber, waiting: waiting, forgetSynced: forgetSynced,
    knownAccounts: knownAccounts, setAside: setAside, othersWaiting: othersWaiting,
    onError: function (fn) { listeners.push(fn); }
  };
})(self);

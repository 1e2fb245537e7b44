/* The device's copy of a person's log in IndexedDB: the outbox of changes not yet on the server
   (outbox.js writes it), the entries of the last 90 days and the programme. One database per
   account, named by the opaque account key the server puts on every page (<body data-account>),
   so that two people sharing a phone never see or send each other's entries.

   A small wrapper of our own rather than the `idb` package: the app ships its modules as they
   are, with no build step, and the wrapper is the two functions below (`transact`, `req`) plus
   reopening a connection the browser closed, which idb would not do for us either.
   Runs in pages, the service worker and Node's test runner (with fake-indexeddb). */

const PREFIX = "rehab-log-a";
// 2: programme items carry their lighter versions ("Less today"); those pulled before lack
// them, so the upgrade forgets the programme and pulls everything again.
const VERSION = 2;
/** Days of entries kept on the phone. */
export const KEEP_DAYS = 90;
const connections = new Map();  // account key -> Promise<IDBDatabase>
const listeners = [];

/** Call fn(error) whenever the phone's storage fails (a full disk, a lost connection). */
export function onError(fn) { listeners.push(fn); }

function report(error) {
  for (const fn of listeners) {
    try { fn(error); } catch (e) { /* a listener's own bug */ }
  }
}

/** Open (or reopen, after an error or a lost connection) the person's database. */
export function open(account) {
  if (!connections.has(account)) {
    connections.set(account, new Promise((resolve, reject) => {
      const request = globalThis.indexedDB.open(PREFIX + account, VERSION);
      request.onupgradeneeded = (event) => {
        const db = request.result;
        if (event.oldVersion < 1) {
          db.createObjectStore("meta");
          db.createObjectStore("outbox", { keyPath: "mid" }).createIndex("entry", "entry.id");
          db.createObjectStore("entries", { keyPath: "id" }).createIndex("day", "local_date");
          db.createObjectStore("programme", { keyPath: "id" });
        } else if (event.oldVersion < 2) {
          // Pull everything again (the outbox stays, laid on top as after any pull).
          const tx = request.transaction;
          tx.objectStore("programme").clear();
          tx.objectStore("meta").put(0, "cursor");
          tx.objectStore("meta").put(false, "pulled");
        }
      };
      request.onsuccess = () => {
        const db = request.result;
        // Another tab upgrading, the browser closing the connection: open afresh next time.
        db.onversionchange = () => { db.close(); connections.delete(account); };
        db.onclose = () => { connections.delete(account); };
        resolve(db);
      };
      request.onerror = () => { connections.delete(account); reject(request.error); };
      request.onblocked = () => { /* an old tab holds it; onsuccess follows */ };
    }));
  }
  return connections.get(account);
}

/** Run fn(stores) in one transaction; resolve with its result once the data is on disk.
    fn may await `req(...)` on the stores; it must not await anything else (the transaction
    would end under it). */
export async function transact(account, names, mode, fn, retried = false) {
  try {
    const db = await open(account);
    return await new Promise((resolve, reject) => {
      let tx;
      try {
        tx = db.transaction(names, mode, { durability: "strict" });
      } catch (error) {  // the connection was closed under us: reopen once
        connections.delete(account);
        reject(error);
        return;
      }
      const stores = Object.fromEntries(names.map((name) => [name, tx.objectStore(name)]));
      let result;
      tx.oncomplete = () => resolve(result);
      tx.onabort = tx.onerror = () => {
        reject(tx.error || new Error("The change could not be stored on this device."));
      };
      let work;  // fn starts at once, while the new transaction is active
      try { work = Promise.resolve(fn(stores, tx)); } catch (e) { work = Promise.reject(e); }
      work.then((value) => { result = value; }, (e) => {
        try { tx.abort(); } catch (ignored) { /* already finished */ }
        reject(e);
      });
    });
  } catch (error) {
    if (error && error.name === "InvalidStateError" && !retried) {
      connections.delete(account);
      return transact(account, names, mode, fn, true);
    }
    report(error);
    throw error;
  }
}

/** An IndexedDB request as a promise. */
export function req(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** All records of a store or index (within a key range). */
export function getAll(store, query) { return req(store.getAll(query)); }

/** A time the server wrote ("...T10:00:00Z" or "...T10:00:00.123456Z"), comparable as text. */
function stamp(iso) {
  const t = (iso || "").replace("Z", "");
  return t.length === 19 ? t + ".000000" : t;
}

/** The server's order (core/entries.py): newest first, then the last logged, then by id. An
    entry not yet sent has no `created_at`: it is the last logged. The same order on both
    sides, so a page drawn again from the phone's copy does not move under the finger. */
export function newestFirst(a, b) {
  const keys = [[stamp(a.occurred_at), stamp(b.occurred_at)],
    [a.created_at ? stamp(a.created_at) : "~", b.created_at ? stamp(b.created_at) : "~"],
    [a.id, b.id]];
  for (const [x, y] of keys) if (x !== y) return x < y ? 1 : -1;
  return 0;
}

/** Entries whose local date is within [first, last], deleted ones left out, newest first. */
export function entriesBetween(account, first, last) {
  return transact(account, ["entries"], "readonly", async (s) => {
    const rows = await getAll(s.entries.index("day"), IDBKeyRange.bound(first, last));
    return rows.filter((r) => !r.deleted).sort(newestFirst);
  });
}

/** One entry from the device's copy, or undefined. */
export function getEntry(account, id) {
  return transact(account, ["entries"], "readonly", (s) => req(s.entries.get(id)));
}

/** Entries the server refused, for the person to fix or discard. */
export function refused(account) {
  return transact(account, ["entries"], "readonly", async (s) =>
    (await getAll(s.entries)).filter((r) => r.error));
}

/** The programme items as last pulled. */
export function programme(account) {
  return transact(account, ["programme"], "readonly", (s) => getAll(s.programme));
}

/** Read a value kept for this person (client id, cursor, last sync time). */
export function getMeta(account, key) {
  return transact(account, ["meta"], "readonly", (s) => req(s.meta.get(key)));
}

/** Keep a value for this person. */
export function setMeta(account, key, value) {
  return transact(account, ["meta"], "readwrite", (s) => { s.meta.put(value, key); });
}

/** Forget entries older than the kept window that have nothing waiting. */
export function prune(account, keepSince) {
  return transact(account, ["entries"], "readwrite", async (s) => {
    const old = await getAll(s.entries.index("day"), IDBKeyRange.upperBound(keepSince, true));
    for (const r of old) if (!r.pending && !r.error) s.entries.delete(r.id);
  });
}

/** Drop the copy of synced data (on log out); whatever waits in the outbox stays. */
export function forgetSynced(account) {
  return transact(account, ["entries", "programme", "meta"], "readwrite", async (s) => {
    s.programme.clear();
    s.meta.put(0, "cursor");
    s.meta.put(false, "pulled");
    for (const r of await getAll(s.entries)) if (!r.pending && !r.error) s.entries.delete(r.id);
  });
}

/** The accounts with a database on this device (the service worker syncs each it may). */
export async function knownAccounts() {
  if (!globalThis.indexedDB.databases) return [];
  const list = await globalThis.indexedDB.databases();
  return list.map((d) => d.name || "").filter((n) => n.startsWith(PREFIX))
    .map((n) => n.slice(PREFIX.length));
}

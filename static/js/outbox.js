/* The outbox: the person's changes kept on the phone until the server has answered for them,
   and the device's copy of each entry kept in step with it. Every write of an entry on the
   phone goes through `queue`; every answer of the server through `acknowledge` (a push) or
   `applyPull` (a pull). Nothing here drops a change the server has not decided
   (docs/sync.md, "Outcomes"). */
import { newId } from "./ids.js";
import { getAll, knownAccounts, req, transact } from "./store.js";

const LOCAL_FIELDS = ["pending", "error", "server", "deleted", "local"];

/** Whether the server may already have decided this mutation: not if it stands in the place
    of one (an undone delete, a change set aside) until its own answer comes. */
export function sweepable(m, lastMutationId) {
  return m.mid <= (lastMutationId || 0) && !m.resend;
}

function stripLocal(entry) {
  return Object.fromEntries(Object.entries(entry).filter(([k]) => !LOCAL_FIELDS.includes(k)));
}

/** Apply one queued mutation to the device's copy of an entry. */
function overlay(record, mutation) {
  if (mutation.op === "delete") {
    record.deleted = true;
  } else {
    Object.assign(record, mutation.entry);
    if (mutation.local_date) record.local_date = mutation.local_date;
  }
  return record;
}

/** Queue a change and update the device's copy, in one transaction: the only way to write. */
export function queue(account, op, entry, localDate) {
  return transact(account, ["meta", "outbox", "entries"], "readwrite", async (s) => {
    const mid = (await req(s.meta.get("nextMutationId"))) || 1;
    // change_id: the change's own id (docs/sync.md, "Outcomes"), kept across renumbering.
    const mutation = { mid, op, entry, local_date: localDate || null,
      queued_at: new Date().toISOString(), change_id: newId() };
    s.outbox.add(mutation);
    s.meta.put(mid + 1, "nextMutationId");
    let record = await req(s.entries.get(entry.id));
    if (!record) {
      // An edit of an entry older than the kept 90 days still goes to the server.
      if (op !== "create") return mutation;
      record = { id: entry.id, local: true, server: null };
    }
    overlay(record, mutation);
    record.pending = true;
    record.error = null;
    s.entries.put(record);
    return mutation;
  });
}

/** The queued mutations, oldest first. */
export function list(account) {
  return transact(account, ["outbox"], "readonly", (s) => getAll(s.outbox));
}

/** After a push: drop what the server has, note what it refused, forget what was deleted.
    `sent` is the batch as sent: an answer for a change replaced meanwhile is not its own. */
export function acknowledge(account, results, lastMutationId, sent = []) {
  const sentChange = new Map(sent.map((w) => [w.id, w.change_id || null]));
  return transact(account, ["meta", "outbox", "entries"], "readwrite", async (s) => {
    const answer = async (r) => {
      if (r.status === "gap") return;
      const m = await req(s.outbox.get(r.mutation_id));
      // Changed while its answer was on the way (an Undo of a delete in flight): the answer
      // is for what was sent, and the new change waits in its place to be sent.
      if (m && sentChange.has(r.mutation_id) &&
          (m.change_id || null) !== sentChange.get(r.mutation_id)) return;
      s.outbox.delete(r.mutation_id);
      const id = (m && m.entry.id) || r.entry_id;
      if (!id) return;
      const record = await req(s.entries.get(id));
      if (!record) return;
      if (r.status === "deleted" || (m && m.op === "delete" && r.status === "applied")) {
        s.entries.delete(id);
        return;
      }
      // A change set aside went as a change of nothing: its own reason stays on the entry.
      if (r.status === "rejected" && !(m && m.set_aside)) {
        record.error = { code: r.code, message: r.message, field: r.field || null };
        if (m && m.op === "create") record.rejected_create = true;
      }
      record.pending = (await req(s.outbox.index("entry").count(id))) > 0;
      s.entries.put(record);
    };
    // Anything the server counted as done (answers lost on the way) is done too.
    const sweep = async () => {
      const old = await getAll(s.outbox, IDBKeyRange.upperBound(lastMutationId || 0));
      for (const m of old) if (sweepable(m, lastMutationId)) s.outbox.delete(m.mid);
    };
    await Promise.all([...results.map(answer), sweep()]);
  });
}

/** Take in a page of changes from the server, keeping local changes not yet sent on top. */
export function applyPull(account, changes, cursor, lastMutationId, keepSince) {
  const stores = ["meta", "outbox", "entries", "programme"];
  return transact(account, stores, "readwrite", async (s) => {
    const take = async (change) => {
      if (change.type === "programme_item") {
        s.programme.put(change);
        return;
      }
      const queued = (await getAll(s.outbox.index("entry"), change.id))
        .filter((m) => !sweepable(m, lastMutationId));
      if (change.deleted_at) {
        // An undo on its way keeps the entry: the restore brings it back on the server.
        if (!queued.some((m) => m.op === "restore")) s.entries.delete(change.id);
        return;
      }
      if (!queued.length && keepSince && change.local_date < keepSince) {
        s.entries.delete(change.id);
        return;
      }
      const old = await req(s.entries.get(change.id));
      const record = stripLocal(change);
      record.server = stripLocal(change);
      for (const m of queued) if (m.op !== "create") overlay(record, m);
      record.pending = queued.length > 0;
      record.error = old && old.error && queued.length ? old.error : null;
      s.entries.put(record);
    };
    // What the server already applied needs no sending, even if its answer never came.
    // (Its answer was lost: if it was a create the server refused, say so on the entry.)
    const seen = new Set(changes.map((c) => c.id));
    const sweep = async () => {
      const old = await getAll(s.outbox, IDBKeyRange.upperBound(lastMutationId || 0));
      await Promise.all(old.filter((m) => sweepable(m, lastMutationId)).map(async (m) => {
        s.outbox.delete(m.mid);
        if (m.op !== "create" || seen.has(m.entry.id)) return;
        const record = await req(s.entries.get(m.entry.id));
        if (!record || record.server) return;
        record.pending = false;
        record.error = { code: "lost", field: null,
          message: "The server did not keep this entry. Check it and save it again." };
        record.rejected_create = true;
        s.entries.put(record);
      }));
    };
    const work = changes.map(take);
    s.meta.put(cursor, "cursor");
    s.meta.put(true, "pulled");
    await Promise.all([...work, sweep()]);
  });
}

/** Discard a refused change: back to the server's version, or gone if it never got there. */
export function discard(account, id) {
  return transact(account, ["entries", "outbox"], "readwrite", async (s) => {
    const record = await req(s.entries.get(id));
    if (!record) return;
    const left = await req(s.outbox.index("entry").count(id));
    if (record.server && !left) {
      const back = stripLocal(record.server);
      back.server = record.server;
      s.entries.put(back);
    } else if (!record.server && !left) {
      s.entries.delete(id);
    } else {
      record.error = null;
      s.entries.put(record);
    }
  });
}

/** Undo a delete still waiting in the outbox: it becomes a restore of that delete, in its
    place (ids stay in order). Its answer may have been lost on the way: the server then
    brings the entry back (docs/sync.md, "Restore"). False when it was answered already. */
export function undoDelete(account, id) {
  return transact(account, ["outbox", "entries"], "readwrite", async (s) => {
    const del = (await getAll(s.outbox.index("entry"), id)).filter((m) => m.op === "delete").pop();
    if (!del) return false;
    Object.assign(del, { op: "restore", entry: { id }, undoes: del.change_id || null,
      change_id: newId(), resend: true });
    s.outbox.put(del);
    const record = await req(s.entries.get(id));
    if (record) {
      record.deleted = false;
      s.entries.put(record);
    }
    return true;
  });
}

/** Mutation ids restart at 1 for a new client: renumber the outbox, keeping its order. */
export function renumber(account) {
  return transact(account, ["meta", "outbox"], "readwrite", async (s) => {
    const all = await getAll(s.outbox);
    s.outbox.clear();
    all.forEach((m, i) => { m.mid = i + 1; s.outbox.add(m); });
    s.meta.put(all.length + 1, "nextMutationId");
    s.meta.put(0, "cursor");
    s.meta.put(false, "pulled");
  });
}

/** How much is waiting, and since when. */
export async function waiting(account) {
  const all = await list(account);
  return { count: new Set(all.map((m) => m.entry.id)).size, mutations: all.length,
    oldest: all.length ? all[0].queued_at : null };
}

/** Set a change aside that the server keeps failing on: it goes as a change of nothing (so the
    ids behind it stay in order) and its entry says "Not sent: <reason>", to fix or discard. */
export function setAside(account, mid, reason) {
  return transact(account, ["outbox", "entries"], "readwrite", async (s) => {
    const m = await req(s.outbox.get(mid));
    if (!m || m.set_aside) return;
    s.outbox.put({ mid, op: "update", entry: { id: m.entry.id }, local_date: null,
      queued_at: m.queued_at, set_aside: true, change_id: newId(), resend: true });
    const record = await req(s.entries.get(m.entry.id));
    if (!record) return;
    record.error = { code: "not_sent", message: reason, field: null };
    if (m.op === "create") record.rejected_create = true;
    s.entries.put(record);
  });
}

/** How many changes wait in the outboxes of other accounts on this phone (no content). */
export async function othersWaiting(account) {
  const others = (await knownAccounts()).filter((a) => a !== account);
  const counts = await Promise.all(others.map((a) => list(a).then((all) => all.length, () => 0)));
  return counts.reduce((sum, n) => sum + n, 0);
}

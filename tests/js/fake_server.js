// A stand-in for the sync API of docs/sync.md, small enough to read, for the front end's unit
// tests: clients numbered by the server, mutation ids in order with gaps held back, outcomes kept
// by change_id and answered again as they were, deletes that win, restores of one's own delete,
// a change feed by sequence number. Fatigue entries only, which is all the outbox needs.
// `faults` sit between it and the app, as a network and a server that misbehave would.

const TOMBSTONE_FIELDS = ["type", "id", "kind", "deleted_at", "change_seq"];

function json(status, body, account) {
  const headers = { "Content-Type": "application/json" };
  if (account) headers["Rehab-Account"] = account;
  return new Response(JSON.stringify(body), { status, headers });
}

export class FakeServer {
  constructor(account) {
    this.account = account;
    this.clients = new Map();   // client id -> { last }
    this.outcomes = new Map();  // change_id -> { result, wire }
    this.decided = new Map();   // change_id -> how often it was decided (must stay 1)
    this.entries = new Map();   // entry id -> the entry as stored
    this.edits = new Map();     // an update's note -> how often it was applied (must stay 1)
    this.seq = 0;
    this.token = "token-1";
    this.nextClient = 1;
  }

  /** Answer one request as the real server would (a Response). */
  handle(method, url, headers, body) {
    const { pathname, searchParams } = new URL(url, "http://phone.test");
    if (method === "POST" && pathname === "/api/v1/clients") {
      if (headers["X-CSRFToken"] !== this.token) {
        return json(400, { error: "csrf", message: "The form expired." }, this.account);
      }
      const id = `client-${this.nextClient++}`;
      this.clients.set(id, { last: 0 });
      return json(201, { client_id: id }, this.account);
    }
    if (method === "GET" && pathname === "/api/v1/sync/token") {
      return json(200, { csrf_token: this.token }, this.account);
    }
    if (method === "GET" && pathname === "/api/v1/sync/pull") {
      return this.pull(searchParams);
    }
    if (method === "POST" && pathname === "/api/v1/sync/push") {
      if (headers["X-CSRFToken"] !== this.token) {
        return json(400, { error: "csrf", message: "The form expired." }, this.account);
      }
      return this.push(JSON.parse(body));
    }
    return json(404, { error: "not_found" }, this.account);
  }

  pull(query) {
    const client = this.clients.get(query.get("client_id"));
    if (!client) {
      return json(404, { error: "unknown_client", message: "Register again.",
        csrf_token: this.token }, this.account);
    }
    const cursor = Number(query.get("cursor")) || 0, limit = Number(query.get("limit")) || 200;
    return json(200, this.page(client, cursor, limit), this.account);
  }

  /** A pull's answer: the changes after `cursor`, at most `limit`. */
  page(client, cursor, limit) {
    const newer = [...this.entries.values()].filter((e) => e.change_seq > cursor)
      .sort((a, b) => a.change_seq - b.change_seq);
    const page = newer.slice(0, limit).map((e) => e.deleted_at
      ? Object.fromEntries(TOMBSTONE_FIELDS.map((k) => [k, e[k]])) : { ...e });
    return { changes: page, cursor: page.length ? page.at(-1).change_seq : cursor,
      more: newer.length > limit, last_mutation_id: client.last, csrf_token: this.token };
  }

  push(body) {
    const client = this.clients.get(body.client_id);
    if (!client) return json(404, { error: "unknown_client", message: "Register again." }, this.account);
    const results = [];
    let gap = false;
    for (const m of [...body.mutations].sort((a, b) => a.id - b.id)) {
      const wire = JSON.stringify([m.op, m.entry, m.undoes || null]);
      const known = this.outcomes.get(m.change_id);
      if (gap || m.id > client.last + 1) {
        gap = true;
        results.push({ mutation_id: m.id, status: "gap" });
        continue;
      }
      if (known) {
        results.push(known.wire === wire
          ? { ...known.result, mutation_id: m.id, repeated: true }
          : { mutation_id: m.id, status: "rejected", code: "id_reused", message: "Used already." });
      } else {
        // A restore overtaking the delete it undoes: that delete, when it comes, does nothing.
        if (m.op === "restore" && m.undoes && !this.outcomes.has(m.undoes)) {
          this.outcomes.set(m.undoes, { result: { status: "rejected", code: "undone" }, wire: "undone" });
        }
        const result = { mutation_id: m.id, entry_id: m.entry.id, ...this.decide(m) };
        this.outcomes.set(m.change_id, { result, wire });
        this.decided.set(m.change_id, (this.decided.get(m.change_id) || 0) + 1);
        results.push(result);
      }
      if (m.id === client.last + 1) client.last = m.id;
    }
    const answer = { results, last_mutation_id: client.last };
    // The pull asked for with the push, answered after it (docs/sync.md, "Push and pull in one").
    if (body.pull) answer.pull = this.page(client, body.pull.cursor || 0, body.pull.limit || 100);
    return json(200, answer, this.account);
  }

  decide(m) {
    const old = this.entries.get(m.entry.id);
    const invalid = "fatigue" in m.entry &&
      !(Number.isInteger(m.entry.fatigue) && m.entry.fatigue >= 0 && m.entry.fatigue <= 10);
    const refuse = { status: "rejected", code: "invalid", field: "fatigue",
      message: "Enter a whole number from 0 to 10." };
    if (m.op === "create") {
      if (old) return { status: old.deleted_at ? "deleted" : "applied", created: false };
      if (invalid) return refuse;
      this.entries.set(m.entry.id, { type: "entry", ...m.entry, deleted_at: null,
        local_date: m.entry.occurred_at.slice(0, 10), change_seq: ++this.seq });
      return { status: "applied", created: true };
    }
    if (!old) return { status: "rejected", code: "not_found", message: "No such entry." };
    if (m.op === "restore") {
      if (!old.deleted_at) return { status: "applied" };
      if (old.deleted_by !== m.undoes) return { status: "deleted" };
      Object.assign(old, { deleted_at: null, deleted_by: null, change_seq: ++this.seq });
      return { status: "applied" };
    }
    if (old.deleted_at) return { status: "deleted" };
    if (m.op === "delete") {
      Object.assign(old, { deleted_at: "2026-12-05T12:00:00Z", deleted_by: m.change_id,
        change_seq: ++this.seq });
      return { status: "deleted" };
    }
    if (invalid) return refuse;
    const { id, kind, ...fields } = m.entry;
    if (fields.note) this.edits.set(fields.note, (this.edits.get(fields.note) || 0) + 1);
    if (Object.keys(fields).length) Object.assign(old, fields, { change_seq: ++this.seq });
    return { status: "applied" };
  }

  /** The entries a person would see on the server: id -> fatigue. */
  live() {
    return new Map([...this.entries.values()].filter((e) => !e.deleted_at)
      .map((e) => [e.id, e.fatigue]));
  }
}

/** The faults a request may meet, by name. */
export const FAULTS = ["ok", "lose_request", "lose_answer", "twice", "late", "unavailable",
  "forget_client", "new_token", "hang_request", "hang_answer"];

/** A request whose answer never comes: it fails only when the app gives up on it (its
    signal), as a browser's fetch does. */
function hang(signal) {
  return new Promise((resolve, reject) => {
    if (!signal) return;  // an app that never gives up waits for ever: the test times out
    const given = () => reject(new DOMException("aborted", "AbortError"));
    if (signal.aborted) given();
    else signal.addEventListener("abort", given);
  });
}

/** A `fetch` for the app that reaches `server` through the faults in `plan` for pushes and
    `otherPlan` for other requests (each taken in turn, "ok" once it runs out). A late request
    reaches the server just after the next one. */
export function faultyFetch(server, plan, otherPlan = []) {
  let n = 0, other = 0, healed = false;
  const late = [];
  const fetch = async (url, init = {}) => {
    // Pushes meet `plan`, registrations and pulls `otherPlan`: each in its own turn.
    const isPush = String(url).includes("/sync/push");
    const fault = healed ? "ok" : isPush ? (plan[n++] || "ok") : (otherPlan[other++] || "ok");
    const deliver = () => server.handle(init.method || "GET", url, init.headers || {}, init.body);
    // What was held up arrives just after this request: a later request overtakes it.
    const overtaken = late.splice(0);
    try {
      switch (fault) {
        case "lose_request": throw new TypeError("Failed to fetch");
        case "lose_answer": deliver(); throw new TypeError("Failed to fetch");
        case "twice": deliver(); return deliver();
        case "late": late.push(deliver); throw new TypeError("Failed to fetch");
        case "unavailable": return json(503, { error: "unavailable" });
        case "forget_client": server.clients.clear(); return deliver();
        case "new_token": server.token = `token-${n}-${other}`; return deliver();
        case "hang_request": return hang(init.signal);
        case "hang_answer": deliver(); return hang(init.signal);
        default: return deliver();
      }
    } finally {
      for (const held of overtaken) held();
    }
  };
  /** The network heals: what was held up arrives, and no fault comes after. */
  fetch.heal = () => {
    healed = true;
    while (late.length) late.shift()();
  };
  return fetch;
}

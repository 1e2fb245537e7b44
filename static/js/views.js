/* What the offline app shows: Today's programme and entries, History, and the sync state in the
   header, drawn from the entries kept on the phone into the <template>s the server rendered. */
import { activeOn } from "./programme.js";
import { KEEP_DAYS, entriesBetween, getMeta, programme } from "./store.js";
import { discard } from "./outbox.js";

const doc = globalThis.document;
let wordsCache = null;

/** What other modules hook into: called after Today or History is drawn again, and after a
    discarded change (to draw the whole page and header again). */
export const hooks = { todayRendered: null, historyRendered: null, changed: null };

export function words() {
  if (!wordsCache) {
    var tag = doc.getElementById("rl-words");
    wordsCache = tag ? JSON.parse(tag.textContent) : { kinds: {}, aids: {}, settings: {},
      contexts: {}, reasons: {}, disciplines: {}, limits: {} };
  }
  return wordsCache;
}

/** The calendar date (YYYY-MM-DD) of an instant in a time zone. */
export function localDate(iso, tz) {
  var parts = new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric",
    month: "2-digit", day: "2-digit" }).formatToParts(new Date(iso));
  var get = function (t) { return parts.filter(function (p) { return p.type === t; })[0].value; };
  return get("year") + "-" + get("month") + "-" + get("day");
}

/** The clock time (14:05) of an instant in a time zone. */
export function localTime(iso, tz) {
  return new Intl.DateTimeFormat("en-GB", { timeZone: tz, hour: "2-digit", minute: "2-digit",
    hourCycle: "h23" }).format(new Date(iso));
}

/** A date in words: Saturday 21 November 2026. */
export function longDate(day) {
  var d = new Date(day + "T12:00:00Z");
  return new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", weekday: "long", day: "numeric",
    month: "long", year: "numeric" }).format(d).replace(",", "");
}

/** A date n days from a YYYY-MM-DD date. */
export function addDays(day, n) {
  var d = new Date(day + "T12:00:00Z");
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

export function today(tz) { return localDate(new Date().toISOString(), tz); }

function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

/** A dose in words, as the server writes it ('3 × 10 · hold 5 s'). */
export function doseText(e) {
  var parts = [];
  if (e.sets && e.reps) parts.push(e.sets + " \u00d7 " + e.reps);
  else if (e.reps) parts.push(plural(e.reps, "rep", "reps"));
  else if (e.sets) parts.push(plural(e.sets, "set", "sets"));
  if (e.hold_seconds) parts.push("hold " + e.hold_seconds + " s");
  if (e.minutes) parts.push(e.minutes + " min");
  if (e.distance_m) parts.push(e.distance_m + " m");
  if (e.phonation_seconds) parts.push("'ah' " + e.phonation_seconds + " s");
  if (e.loudness_db) parts.push(e.loudness_db + " dB");
  if (e.rests) parts.push(plural(e.rests, "rest", "rests"));
  return parts.join(" \u00b7 ");
}

/** A walk test's score: the mean of its two trials, to a tenth (models.walk_score). */
export function walkScore(first, second) {
  if (!first || !second) return null;
  var tenths = Math.round(first * 10) + Math.round(second * 10);
  return Math.floor((tenths + 1) / 2) / 10;  // a half up, as the server counts it
}

/** The headline of an entry. */
export function title(e) {
  var w = words();
  if (e.kind === "exercise") return e.name || w.disciplines[e.discipline] || "Exercise";
  if (e.kind === "fatigue") return "Fatigue " + e.fatigue + " out of 10";
  if (e.kind === "mobility") return w.aids[e.aid] || "Walking";
  if (e.kind === "walk_test") {
    var score = walkScore(e.trial_1_seconds, e.trial_2_seconds);
    return "Timed 7.6 m walk" + (score === null ? "" : ": " + score.toFixed(1) + " s");
  }
  if (e.reason === "relapse") return "Relapse or flare-up";
  return "Bad day: " + (w.reasons[e.reason] || "").toLowerCase();
}

/** The details of an entry in one line. */
export function details(e) {
  var w = words(), parts = [];
  if (e.kind === "exercise") {
    parts.push(w.disciplines[e.discipline] || "");
    parts.push(doseText(e));
    if (e.effort !== null && e.effort !== undefined) parts.push("effort " + e.effort + "/10");
    if (e.pain !== null && e.pain !== undefined) parts.push("pain " + e.pain + "/10");
  } else if (e.kind === "fatigue") {
    if (e.context) parts.push(w.contexts[e.context] || e.context);
  } else if (e.kind === "mobility") {
    parts.push(w.settings[e.setting] || "");
    if (e.distance_m) parts.push(e.distance_m + " m");
    if (e.minutes) parts.push(e.minutes + " min");
    if (e.falls) parts.push(plural(e.falls, "fall", "falls"));
    if (e.near_falls) parts.push(plural(e.near_falls, "near-fall", "near-falls"));
  } else if (e.kind === "walk_test") {
    parts.push([e.trial_1_seconds, e.trial_2_seconds].filter(function (t) {
      return t !== null && t !== undefined;
    }).map(function (t) { return Number(t).toFixed(1) + " s"; }).join(" and "));
    parts.push(w.aids_short[e.aid] || "");
    parts.push(w.settings[e.setting] || "");
  }
  if (e.by_carer) parts.push("entered by a carer");
  return parts.filter(Boolean).join(" \u00b7 ");
}

function clone(id) {
  var tpl = doc.getElementById(id);
  return tpl ? tpl.content.firstElementChild.cloneNode(true) : null;
}

/** One entry as a list item, with its sync mark or the server's reason for refusing it. */
function entryItem(e, tz, onDiscard) {
  var li = clone("tpl-entry");
  var name = title(e);
  li.id = "entry-" + e.id;
  li.querySelector(".kind").textContent = words().kinds[e.kind] || e.kind;
  li.querySelector(".kind").className = "kind kind-" + e.kind;
  li.querySelector(".entry-name").textContent = name;
  var time = li.querySelector("time");
  time.dateTime = e.occurred_at;
  time.textContent = localTime(e.occurred_at, tz);
  var d = details(e);
  li.querySelector(".entry-details").textContent = d ? " \u00b7 " + d : "";
  if (e.note) {
    li.querySelector(".entry-note").textContent = e.note;
    li.querySelector(".entry-note").hidden = false;
  } else {
    li.querySelector(".entry-note").remove();
  }
  if (e.pending) {
    li.classList.add("pending");
    li.querySelector(".sync-mark").hidden = false;
  } else {
    li.querySelector(".sync-mark").remove();
  }
  if (!e.error) li.querySelector(".entry-problem").remove();
  if (e.error) {
    li.classList.add("refused");
    li.querySelector(".entry-problem").hidden = false;
    li.querySelector(".problem-text").textContent = e.error.message;
    // Set aside after failing again and again: it never reached the server.
    if (e.error.code === "not_sent") li.querySelector(".problem-label").textContent = "Not sent:";
    li.querySelector(".discard .visually-hidden").textContent = " " + name;
    li.querySelector(".discard").addEventListener("click", function () { onDiscard(e); });
  }
  var edit = li.querySelector(".edit");
  edit.href = "/log/" + e.kind + "?edit=" + encodeURIComponent(e.id);
  edit.querySelector(".visually-hidden").textContent = " " + name;
  if (e.error) edit.firstChild.textContent = "Fix";
  return li;
}

function discarder(account, rerender) {
  return function (e) {
    discard(account, e.id).then(function () {
      announce("Discarded the change to " + title(e) + ".", "info");
      return hooks.changed ? hooks.changed() : rerender();  // the header's count too
    });
  };
}

/** The kinds of the entries listed (each list item carries its kind's class). */
function listedKinds(list) {
  return Array.prototype.map.call(list.querySelectorAll(".kind"), function (tag) {
    return tag.className.replace(/^kind kind-/, "");
  });
}

/** A day's entries in one line, as the server words it (present.day_gist). */
export function dayGist(kinds) {
  if (!kinds.length) return "Nothing logged yet today.";
  var counted = words().counted || {}, counts = {}, order = [];
  kinds.forEach(function (k) {
    if (!counts[k]) order.push(k);
    counts[k] = (counts[k] || 0) + 1;
  });
  var known = words().kind_order || Object.keys(words().kinds);
  order.sort(function (a, b) {
    var ia = known.indexOf(a), ib = known.indexOf(b);
    if (ia < 0 && ib < 0) return a < b ? -1 : 1;
    return (ia < 0 ? known.length : ia) - (ib < 0 ? known.length : ib);
  });
  return "Logged today: " + order.map(function (k) {
    var forms = counted[k] || [k.replace(/_/g, " "), k.replace(/_/g, " ")];
    return counts[k] + " " + (counts[k] === 1 ? forms[0] : forms[1]);
  }).join(", ");
}

/** Today's entries and programme from the phone's copy (once it has been filled by a pull). */
export async function renderToday(account, tz) {
  const list = doc.getElementById("today-entries");
  if (!list) return;
  const day = today(tz);
  const [pulled, week, items] = await Promise.all([getMeta(account, "pulled"),
    entriesBetween(account, addDays(day, -6), day), programme(account)]);
  let todays = week.filter((e) => e.local_date === day);
  // Before the first pull the page's own list is the truth; only add what waits on the phone.
  if (!pulled) todays = todays.filter((e) => e.pending || e.error);
  const again = () => renderToday(account, tz);
  if (pulled) list.textContent = "";
  for (const e of todays) {
    const old = doc.getElementById("entry-" + e.id);
    if (old) old.remove();
    list.appendChild(entryItem(e, tz, discarder(account, again)));
  }
  doc.getElementById("today-empty").hidden = list.children.length > 0;
  const gist = doc.getElementById("today-gist");
  if (gist) gist.textContent = dayGist(listedKinds(list));
  if (pulled) renderProgramme(items, week, day);
  if (hooks.todayRendered) hooks.todayRendered();
}

function renderProgramme(items, week, day) {
  var box = doc.getElementById("programme");
  if (!box || !doc.getElementById("tpl-item")) return;
  var monday = addDays(day, -((new Date(day + "T12:00:00Z").getUTCDay() + 6) % 7));
  var active = items.filter(function (i) { return activeOn(i, day); });
  var doneDays = {};
  week.forEach(function (e) {
    if (e.programme_item_id && e.local_date >= monday) {
      (doneDays[e.programme_item_id] = doneDays[e.programme_item_id] || {})[e.local_date] = 1;
    }
  });
  var list = box.querySelector("ul.items");
  if (!active.length) return;  // the page's own text about an empty programme stays
  if (!list) {
    box.textContent = "";
    list = doc.createElement("ul");
    list.className = "items";
    box.appendChild(list);
  }
  // Drawn again after every sync: a "Less today" the person opened stays open, and whoever was
  // on one of its controls (a keyboard, a screen reader) stays there.
  var open = Array.prototype.map.call(list.querySelectorAll("details.lighter[open]"), itemIdOf);
  var focused = doc.activeElement && list.contains(doc.activeElement) ? {
    item: itemIdOf(doc.activeElement), summary: doc.activeElement.tagName === "SUMMARY",
    value: doc.activeElement.value } : null;
  list.textContent = "";
  active.map(function (item) {
    var days = Object.keys(doneDays[item.id] || {});
    return { item: item, done: days.indexOf(day) !== -1, count: days.length };
  }).sort(function (a, b) { return a.item.id - b.item.id; })  // done items stay in place
    .forEach(function (row) {
      var li = programmeItem(row), details = li.querySelector("details.lighter");
      if (open.indexOf(String(row.item.id)) !== -1) details.open = true;
      list.appendChild(li);
      if (focused && focused.item === String(row.item.id)) refocus(li, focused);
    });
}

/** The programme item (its id, as text) a control on Today belongs to. */
function itemIdOf(el) {
  var li = el.closest("li.item");
  return li ? li.dataset.itemId : null;
}

function refocus(li, focused) {
  var target = focused.summary ? li.querySelector("summary")
    : Array.prototype.filter.call(li.querySelectorAll("button"), function (b) {
      return (b.value || "") === (focused.value || "");
    })[0];
  if (target) target.focus();
}

function programmeItem(row) {
  var item = row.item, li = clone("tpl-item");
  li.dataset.itemId = item.id;
  var dose = doseText(item);
  li.querySelector(".item-name").textContent = item.name;
  li.querySelector(".item-meta").textContent = (dose ? dose + " \u00b7 " : "") + row.count +
    " of " + item.days_per_week + " days this week";
  if (item.note) {
    li.querySelector(".item-note").textContent = item.note;
    li.querySelector(".item-note").hidden = false;
  }
  if (row.done) {
    li.classList.add("done");
    li.querySelector(".done-mark").textContent = "Done today";
    li.querySelector(".done-mark").hidden = false;
  }
  var form = li.querySelector("form");
  form.action = "/today/items/" + item.id + "/done";
  form.dataset.item = JSON.stringify(item);
  li.querySelectorAll(".visually-hidden").forEach(function (s) { s.textContent = ": " + item.name; });
  // "Less today": a button for each lighter version the server offers with the item.
  var lighter = li.querySelector(".lighter"), box = li.querySelector(".lighter-buttons");
  (item.lighter || []).forEach(function (version) {
    var button = doc.createElement("button");
    button.className = "button secondary";
    button.type = "submit";
    button.name = "lighter";
    button.value = version.key;
    button.textContent = "Done: " + version.label;
    var hidden = doc.createElement("span");
    hidden.className = "visually-hidden";
    hidden.textContent = ", " + item.name;
    button.appendChild(hidden);
    box.appendChild(button);
  });
  lighter.hidden = !(item.lighter && item.lighter.length);
  li.querySelector("a").href = "/log/exercise?item=" + item.id;
  return li;
}

/** History's days from the phone's copy, when they are within the 90 days it keeps. */
export async function renderHistory(account, tz) {
  const box = doc.getElementById("history-days");
  if (!box) return;
  const first = box.dataset.first, last = box.dataset.last, kind = box.dataset.kind;
  if (first < addDays(today(tz), -KEEP_DAYS + 1)) return;
  const [pulled, all] = await Promise.all([getMeta(account, "pulled"),
    entriesBetween(account, first, last)]);
  let rows = pulled ? all : all.filter((e) => e.pending || e.error);
  if (kind) rows = rows.filter((e) => e.kind === kind);
  const again = () => renderHistory(account, tz);
  // Redrawn in place: the person (or the jump to an edited entry) keeps their place.
  const y = globalThis.scrollY;
  const empty = doc.getElementById("history-empty");
  const drawn = rows.map((e) => entryItem(e, tz, discarder(account, again)));
  if (pulled) {
    redrawInPlace(box, rows, drawn, empty);
  } else {
    rows.forEach((e, i) => {
      const old = doc.getElementById(drawn[i].id);
      if (old) old.remove();
      dayList(box, e.local_date, empty).appendChild(drawn[i]);
    });
  }
  box.querySelectorAll("section").forEach((s) => { if (!s.querySelector("li")) s.remove(); });
  empty.hidden = !!box.querySelector("section");
  if (pulled && globalThis.scrollY !== y) globalThis.scrollTo(0, y);
  if (hooks.historyRendered) hooks.historyRendered();
}

/**
 * The week as the phone has it, changing only what changed: an entry drawn as it already is,
 * and where it already is, keeps its item. A sync lands while the person is on the page; had
 * its redraw replaced every item, a tap pressed on one before and released after would be
 * lost, and the keyboard's focus on an Edit link sent back to the top of the page.
 */
function redrawInPlace(box, rows, drawn, empty) {
  const wanted = new Set(drawn.map((li) => li.id));
  box.querySelectorAll("section li").forEach((li) => { if (!wanted.has(li.id)) li.remove(); });
  const last = new Map();  // each day's list: the item put in place last
  rows.forEach((e, i) => {
    const list = dayList(box, e.local_date, empty);
    const old = doc.getElementById(drawn[i].id);
    let li = drawn[i];
    if (old && old.parentNode === list && old.isEqualNode(li)) li = old;
    else if (old) old.remove();
    const after = last.get(list);
    const spot = after ? after.nextElementSibling : list.firstElementChild;
    if (spot !== li) list.insertBefore(li, spot);
    last.set(list, li);
  });
}

function dayList(box, day, before) {
  var id = "day-" + day, heading = doc.getElementById(id);
  if (heading) return heading.parentNode.querySelector("ul");
  var section = clone("tpl-day");
  section.setAttribute("aria-labelledby", id);
  section.querySelector("h2").id = id;
  section.querySelector("h2").textContent = longDate(day);
  // Days newest first.
  var later = Array.prototype.filter.call(box.querySelectorAll("section h2.day"), function (h) {
    return h.id < id;
  })[0];
  box.insertBefore(section, later ? later.parentNode : before);
  return section.querySelector("ul");
}

/** Show a message where the server's flash messages go (a polite live region). */
export function announce(text, kind, quiet) {
  var box = doc.getElementById("flashes");
  if (!box) return;
  box.textContent = "";
  var p = doc.createElement("p");
  // Quiet: said to screen readers only, when the words are already on screen where the
  // person tapped; a banner at the top would push the page (and the next tap) down.
  p.className = "flash flash-" + (kind || "success") + (quiet ? " visually-hidden" : "");
  p.textContent = text;
  box.appendChild(p);
}

/** The sync state in the header: all synced, n waiting, offline, log in again, over a day. */
export function showStatus(state) {
  var el = doc.getElementById("sync-status");
  if (!el) return;
  var text, warn = false, link = null;
  var last = state.lastSyncedAt ? " Last synced " + localTime(state.lastSyncedAt, state.tz) + "." : "";
  var n = state.count;
  if (state.storageError) {
    text = "This phone could not store your entry: " + state.storageError;
    warn = true;
  } else if (state.needsLogin) {
    text = (n ? n + " waiting to sync. " : "") + "Log in again to sync; nothing is lost.";
    warn = true;
    link = "/login?next=" + encodeURIComponent(globalThis.location.pathname);
  } else if (!n) {
    // "All synced" only after a sync that went through: not offline, not after a failure.
    if (state.syncing) text = "Syncing\u2026";
    else if (!state.online) text = "Offline. Nothing is waiting to sync." + last;
    else if (state.failed) text = "Could not sync just now; trying again." + last;
    else text = "All synced." + last;
  } else {
    text = n + " waiting to sync" + (state.online ? "." : " (offline).") + last;
    if (state.oldest && Date.now() - Date.parse(state.oldest) > 864e5) {
      text = n + " waiting to sync for over 24 hours. Connect to the internet to send " +
        (n === 1 ? "it." : "them.");
      warn = true;
    }
  }
  if (state.notSent && !state.storageError) {
    // Set aside after failing again and again: the person fixes or discards it in History.
    text += " " + plural(state.notSent, "change", "changes") + " not sent: see History.";
    warn = true;
  }
  el.textContent = text;
  if (link) {
    var a = doc.createElement("a");
    a.href = link;
    a.textContent = "Log in";
    el.appendChild(doc.createTextNode(" "));
    el.appendChild(a);
  }
  el.classList.toggle("warn", warn);
  el.hidden = false;  // pages the worker kept from before the line was always shown carry `hidden`
}

/* The patient's forms with JavaScript on: every create, change and delete goes into the outbox on
   the phone first and only then says "Saved"; sync sends it when it can. Without JavaScript the
   same forms post to the server as before. */
import { newId } from "./ids.js";
import { discard, queue, undoDelete } from "./outbox.js";
import { doneEntry } from "./programme.js";
import { getEntry } from "./store.js";
import { entryProblems } from "./validate.js";
import { announce, hooks, localDate, localTime, title, words } from "./views.js";

const doc = globalThis.document;
var COMMON = ["occurred_at", "by_carer", "note"];
// Types of declared fields (kinds.py) that a form sends as numbers.
var NUMBER_TYPES = ["whole", "seconds", "reference"];

/** A kind's declared fields, [name, type, message when missing], as the server sends them. */
function fieldsOf(kind) {
  return (words().fields || {})[kind] || [];
}

/** Whether a field of any kind holds timed seconds. */
function isSeconds(name) {
  var all = words().fields || {};
  return Object.keys(all).some(function (kind) {
    return all[kind].some(function (f) { return f[0] === name && f[1] === "seconds"; });
  });
}
var FLASH_KEY = "rehab-log-flash";
var UNDO_KEY = "rehab-log-undo";
var REST_KEY = "rehab-log-rest";  // read by rest.js on the next page
// Where the last tap or click went down on the screen, and when: a form's Save, for rest.js.
var lastPointer = null;
if (doc) {
  doc.addEventListener("pointerdown", function (event) {
    lastPointer = { x: event.clientX, y: event.clientY, at: Date.now() };
  }, true);
}
// After a quick action on Today its buttons rest this long: a double or triple tap (taps up to
// 800 ms apart) is one entry; a deliberate second entry is possible once the rest is over.
var HOLD_MS = 2500;
// The confirmation, with its Undo, stays where the person tapped this long.
var CONFIRM_MS = 10000;
// Today's recent quick actions, by the control tapped: { holdUntil, until, text, id, undone }.
var recent = {};

/** An instant as the sync API takes it: UTC to the second, like 2026-03-01T09:30:00Z. */
function isoSeconds(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The UTC instant of a wall-clock time ("2026-03-01T09:30") in a time zone. */
export function wallToUtc(wall, tz) {
  var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(wall);
  if (!m) return null;
  var guess = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  var offset = function (t) {
    var p = new Intl.DateTimeFormat("en-US", { timeZone: tz, hourCycle: "h23", year: "numeric",
      month: "numeric", day: "numeric", hour: "numeric", minute: "numeric" }).formatToParts(new Date(t));
    var v = {};
    p.forEach(function (x) { v[x.type] = +x.value; });
    return Date.UTC(v.year, v.month - 1, v.day, v.hour, v.minute) - t;
  };
  var t = guess - offset(guess);
  t = guess - offset(t);  // twice: right across a change of the clocks
  return isoSeconds(t);
}

/** The wall-clock value for a datetime-local field, of an instant in a time zone. */
export function utcToWall(iso, tz) {
  return localDate(iso, tz) + "T" + localTime(iso, tz);
}

function value(form, name, submitter) {
  if (submitter && submitter.name === name) return submitter.value;
  var el = form.elements.namedItem(name);
  if (!el) return undefined;
  if (el.type === "checkbox") return el.checked;
  return el.value;  // a RadioNodeList's value is the checked radio's
}

/** The entry fields a form holds, as the sync API takes them. */
export function entryFrom(form, kind, tz, submitter) {
  var entry = {};
  var numbers = fieldsOf(kind).filter(function (f) { return NUMBER_TYPES.indexOf(f[1]) !== -1; })
    .map(function (f) { return f[0]; });
  fieldsOf(kind).map(function (f) { return f[0]; }).concat(COMMON).forEach(function (name) {
    var v = value(form, name, submitter);
    if (v === undefined) return;
    if (name === "by_carer") { entry[name] = !!v; return; }
    if (name === "occurred_at") { entry[name] = v ? wallToUtc(v, tz) : null; return; }
    if (typeof v === "string") v = v.trim();
    if (v === "") { entry[name] = null; return; }
    entry[name] = numbers.indexOf(name) !== -1 ? Number(v) : v;
  });
  if (!("occurred_at" in entry)) entry.occurred_at = isoSeconds(Date.now());
  if (kind === "exercise" && entry.exercise_id) {
    var select = form.elements.namedItem("exercise_id");
    var option = select && select.selectedOptions && select.selectedOptions[0];
    entry.name = option ? option.textContent.trim() : entry.name;
  }
  return entry;
}

function fieldBox(el) { return el.closest(".field") || el.parentNode; }

function clearErrors(form) {
  form.querySelectorAll(".js-error").forEach(function (e) { e.remove(); });
  form.querySelectorAll("[aria-invalid]").forEach(function (e) {
    e.removeAttribute("aria-invalid");
    var ids = (e.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
      return id && id.slice(-9) !== "-jserror";
    });
    if (ids.length) e.setAttribute("aria-describedby", ids.join(" "));
    else e.removeAttribute("aria-describedby");
  });
  form.querySelectorAll(".has-error").forEach(function (e) { e.classList.remove("has-error"); });
}

function showError(form, name, message) {
  var el = form.elements.namedItem(name);
  if (!el) return null;
  var first = el.length !== undefined && !el.tagName ? el[0] : el;
  var box = fieldBox(first);
  box.classList.add("has-error");
  var p = doc.createElement("p");
  p.className = "error js-error";
  p.id = (first.id || name) + "-jserror";
  p.innerHTML = '<span class="visually-hidden">Error: </span>';
  p.appendChild(doc.createTextNode(message));
  var label = box.querySelector("legend, label");
  if (label && label.nextSibling) box.insertBefore(p, label.nextSibling);
  else box.insertBefore(p, box.firstChild);
  var targets = el.length !== undefined && !el.tagName ? Array.prototype.slice.call(el) : [el];
  targets.forEach(function (t) {
    t.setAttribute("aria-invalid", "true");
    var ids = (t.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    ids.push(p.id);
    t.setAttribute("aria-describedby", ids.join(" "));
  });
  return first;
}

function messageFor(el) {
  var v = el.validity;
  if (v.valueMissing) {
    if (el.type === "radio") return "Choose one.";
    if (el.type === "datetime-local") return "Enter when it happened.";
    return el.tagName === "SELECT" ? "Choose one." : "Fill this in.";
  }
  if (isSeconds(el.name)) return words().walk_seconds_message;
  if (v.rangeUnderflow || v.rangeOverflow || v.stepMismatch || v.badInput) {
    return "Enter a whole number from " + el.min + " to " + el.max + ".";
  }
  if (v.tooLong) return "Use at most " + el.maxLength + " characters.";
  return el.validationMessage || "Check this.";
}

/** Check a form as the server would; show each problem next to its field. */
function validate(form, kind, entry) {
  clearErrors(form);
  var problems = [];
  Array.prototype.forEach.call(form.elements, function (el) {
    if (!el.name || !el.willValidate || el.validity.valid) return;
    if (problems.some(function (p) { return p[0] === el.name; })) return;
    problems.push([el.name, messageFor(el)]);
  });
  entryProblems(kind, entry, words(), Date.now()).forEach(function (p) {
    if (!problems.some(function (q) { return q[0] === p[0]; })) problems.push(p);
  });
  if (!problems.length) return true;
  problems.forEach(function (p) { showError(form, p[0], p[1]); });
  var summary = doc.createElement("div");
  summary.className = "form-errors js-error";
  summary.setAttribute("role", "alert");
  summary.innerHTML = "<p>Please correct the fields marked below.</p>";
  form.insertBefore(summary, form.firstChild);
  var focus = form.querySelector('[aria-invalid="true"]');
  if (focus) focus.focus();
  return false;
}

/** Keep a value for the next page (a flash message, an entry to offer undo for). */
function keepForNext(key, value) {
  try { globalThis.sessionStorage.setItem(key, value); } catch (e) { /* private mode */ }
}

/** Take (read and forget) a value the page before kept, or null. */
function takeKept(key) {
  try {
    var value = globalThis.sessionStorage.getItem(key);
    globalThis.sessionStorage.removeItem(key);
    return value;
  } catch (e) {
    return null;  // private mode
  }
}

/** Show a message kept by the page before (as the server's flash messages show). */
function showKeptFlash() {
  var text = takeKept(FLASH_KEY);
  if (text) announce(text, "success");
}

/** The same words as the server's messages, plus where the entry is when offline. */
function savedText(entry, op, mode, lighter) {
  var w = words();
  var text = "Saved.";
  if (op === "delete") text = entry.kind ? "Deleted: " + title(entry) + "." : "Entry deleted.";
  else if (op === "update" || mode === "update") text = "Changes saved.";
  else if (mode === "done") text = "Saved: " + entry.name + ", " + (lighter ? lighter.label : "done") + ".";
  else if (entry.kind === "fatigue" && !entry.note && !entry.context) {
    text = "Saved: fatigue " + entry.fatigue + " out of 10.";
  } else if (entry.kind === "bad_day") {
    text = "Saved: a hard day (" + (w.reasons[entry.reason] || "").toLowerCase() + ").";
  } else if (entry.kind === "mobility") {
    text = "Saved: walking with " + (w.aids[entry.aid] || "").toLowerCase() + ".";
  } else if (entry.kind === "fatigue") {
    text = "Saved: fatigue " + entry.fatigue + " out of 10.";
  }
  var waiting = globalThis.navigator.onLine ? "" : " It is kept on this phone and sent when you are online.";
  return text + waiting;
}

function fallbackSubmit(app, form, submitter, error) {
  // The phone's storage failed. Online, the server can still take it the old way.
  if (globalThis.navigator.onLine) {
    form.dataset.offline = "";
    if (submitter && submitter.name) {
      var hidden = doc.createElement("input");
      hidden.type = "hidden";
      hidden.name = submitter.name;
      hidden.value = submitter.value;
      form.appendChild(hidden);
    }
    HTMLFormElement.prototype.submit.call(form);
    return;
  }
  app.storageFailed(error);
}

function initialValues(form, kind, tz) {
  form._initial = entryFrom(form, kind, tz);
}

function changedFields(before, after) {
  var changed = {};
  Object.keys(after).forEach(function (k) {
    if (JSON.stringify(before[k]) !== JSON.stringify(after[k])) changed[k] = after[k];
  });
  return changed;
}

function onSubmit(event, app) {
  var tappedAt = Date.now();
  var form = event.target;
  var mode = form.dataset.offline;
  if (!mode || !globalThis.indexedDB) return;
  event.preventDefault();
  var submitter = event.submitter || null;
  if (form._opening) {  // the entry to change is still being read: save to it once it is in
    form._opening.then(function () {
      if (form.dataset.offline === "update") form.requestSubmit(submitter);
    }, function () { /* the phone's storage failed: said by its onError listener */ });
    return;
  }
  if (form._busy) return;  // a double tap stores one entry
  var key = quickKey(form);
  if (key && recent[key] && Date.now() < recent[key].holdUntil) return;  // the same tap again
  var tz = app.tz, kind = form.dataset.kind, op = "create", entry, localDay, lighter = null;
  if (mode === "done") {
    kind = "exercise";
    var item = JSON.parse(form.dataset.item);
    entry = doneEntry(item, isoSeconds(Date.now()));
    // "Less today": one of the lighter versions the server offered with the item.
    if (submitter && submitter.name === "lighter") {
      lighter = (item.lighter || []).filter(function (l) { return l.key === submitter.value; })[0];
      if (!lighter) {  // not offered with this copy of the item: the server would refuse it too
        announce("Not saved: that lighter version is no longer offered. Check your exercise and tap again.", "error");
        return;
      }
      Object.assign(entry, lighter.dose);
    }
  } else if (mode === "delete") {
    op = "delete";
    var main = doc.getElementById("entry-form");
    kind = main ? main.dataset.kind : kind;
    entry = Object.assign({}, main && main._initial, { id: form.dataset.entryId });
  } else {
    entry = entryFrom(form, kind, tz, submitter);
    if (!validate(form, kind, entry)) return;
    if (mode === "update") {
      op = form.dataset.recreate ? "create" : "update";
      if (op === "update") entry = changedFields(form._initial || {}, entry);
    }
  }
  if (op === "create") {
    var idField = form.elements.namedItem("entry_id");
    entry.id = (mode === "create" && idField && idField.value) || newId();
    entry.kind = kind;
  } else {
    entry.id = form.dataset.entryId;
  }
  if (entry.occurred_at) localDay = localDate(entry.occurred_at, tz);
  form._busy = true;
  if (key) recent[key] = { holdUntil: Date.now() + HOLD_MS, until: 0 };
  var sent = op === "delete" ? { id: entry.id } : entry;
  queue(app.account, op, sent, op === "delete" ? null : localDay).then(function () {
    form._busy = false;
    if (form.dataset.recreate) return discard(app.account, form.dataset.entryId);
  }).then(function () {
    var shown = Object.assign({ kind: kind }, entry);
    if (op === "delete") {
      entry = { id: entry.id };
      keepForNext(UNDO_KEY, entry.id);
    }
    var text = savedText(shown, op, mode, lighter);
    app.queued();
    if (key) {
      // Today's quick actions: stay, say so where the person tapped, and offer to undo.
      announce(text, "success", true);
      var idField2 = form.elements.namedItem("entry_id");
      if (idField2) idField2.value = newId();
      Object.assign(recent[key], { text: text, id: entry.id, until: Date.now() + CONFIRM_MS,
        tapped: submitter && submitter.value, shownAt: Date.now() });
      placeConfirmations(app);
      setTimeout(function () { placeConfirmations(app); }, HOLD_MS + 50);
      setTimeout(function () { placeConfirmations(app); }, CONFIRM_MS + 50);
      app.render();
      return;
    }
    keepForNext(FLASH_KEY, text);
    // The next page rests as Today's quick actions do (rest.js): a second or third tap on
    // Save lands on it, and must not log whatever sits there.
    if (lastPointer && tappedAt - lastPointer.at < 1000) {
      keepForNext(REST_KEY, JSON.stringify(
        { until: tappedAt + HOLD_MS, x: lastPointer.x, y: lastPointer.y }));
    }
    // A change goes back to the week of History it was made from, at the entry.
    globalThis.location.href = op === "create" ? "/today" : "/history" +
      (localDay ? "?until=" + localDay : "") + (op === "update" ? "#entry-" + entry.id : "");
  }, function (error) {
    form._busy = false;
    if (key) delete recent[key];
    fallbackSubmit(app, form, submitter, error);
  });
}

/** The key of a quick action on Today (a Done, a fatigue number, walking, a hard day), or null. */
function quickKey(form) {
  var mode = form.dataset.offline;
  if ((mode !== "create" && mode !== "done") || !form.closest("#main") ||
    !doc.getElementById("today-entries")) return null;
  if (mode === "done") return "done:" + JSON.parse(form.dataset.item).id;
  return "create:" + form.dataset.kind;
}

/** The forms on the page now of a quick action (Today's programme is drawn again often). */
function formsFor(key) {
  return Array.prototype.filter.call(
    doc.querySelectorAll('#main form[data-offline="create"], #main form[data-offline="done"]'),
    function (form) { return quickKey(form) === key; });
}

/** Show each recent quick action's confirmation and Undo right below the control tapped. */
function placeConfirmations(app) {
  var now = Date.now();
  // Drawn again after each render: whoever was on an Undo (a keyboard, a screen reader) stays.
  var active = doc.activeElement, held = active && active.closest && active.closest(".saved-here");
  var focusKey = held ? held.dataset.key : null;
  doc.querySelectorAll(".saved-here").forEach(function (p) { p.remove(); });
  doc.querySelectorAll(".just-saved").forEach(function (b) { b.classList.remove("just-saved"); });
  Object.keys(recent).forEach(function (key) {
    var r = recent[key];
    if (!r.text) return;  // still being saved
    if (now >= r.until) { delete recent[key]; return; }
    formsFor(key).forEach(function (form) {
      if (now < r.holdUntil && !r.undone) {
        form.querySelectorAll('button[type="submit"]').forEach(function (b) {
          if (r.tapped === undefined || r.tapped === null || b.value === r.tapped) {
            b.classList.add("just-saved");
          }
        });
      }
      var p = doc.createElement("p");
      p.className = "saved-here";
      p.dataset.key = key;
      p.tabIndex = -1;
      var said = doc.createElement("span");
      said.textContent = r.text;
      p.appendChild(said);
      var undo = r.undone ? null : undoButton(app, key, r);
      if (undo) p.appendChild(undo);
      var item = form.closest(".item");
      if (item) item.appendChild(p);
      else form.parentNode.insertBefore(p, form.nextSibling);
      if (focusKey === key) (undo || p).focus();
    });
  });
}

/** "Undo" for a quick action: the entry is deleted on the phone and then on the server. */
function undoButton(app, key, r) {
  var button = doc.createElement("button");
  button.type = "button";
  button.className = "button secondary undo-button";
  button.textContent = "Undo";
  button.addEventListener("click", function () {
    if (r.undone || Date.now() - r.shownAt < 300) return;  // a tap that was meant for above
    r.undone = true;
    queue(app.account, "delete", { id: r.id }, null).then(function () {
      r.text = "Undone: that entry is removed.";
      r.until = Date.now() + HOLD_MS;
      r.holdUntil = 0;
      announce(r.text, "info", true);
      placeConfirmations(app);
      setTimeout(function () { placeConfirmations(app); }, HOLD_MS + 50);
      app.queued();
      app.render();
    }, function (error) {
      r.undone = false;
      app.storageFailed(error);
    });
  });
  return button;
}

/** After an edit, History opens at the entry: say "Changes saved." there, not at the top.

The top message stays for screen readers; on screen it would be far above, out of view. Drawn
again after each render of History (the phone's copy replaces the list items).
*/
function confirmEditAtEntry() {
  var match = /^#entry-([0-9a-f-]+)$/.exec(globalThis.location.hash);
  var flash = doc.querySelector("#flashes .flash-success");
  if (!match || !flash || !doc.getElementById("history-days")) return;
  var id = match[1], text = flash.textContent, moved = false;
  // Until the person moves the page themselves, every redraw brings the entry back into view:
  // offline the week is drawn again from the phone's copy, and days above it may grow.
  ["wheel", "touchmove", "keydown"].forEach(function (type) {
    globalThis.addEventListener(type, function () { moved = true; }, { once: true, passive: true });
  });
  function place() {
    doc.querySelectorAll(".saved-here.edit-confirm").forEach(function (p) { p.remove(); });
    var item = doc.getElementById("entry-" + id);
    flash.classList.toggle("visually-hidden", !!item);
    if (!item) return;
    var p = doc.createElement("p");
    p.className = "saved-here edit-confirm";
    p.textContent = text;
    item.appendChild(p);
    if (!moved) item.scrollIntoView({ block: "center" });
  }
  hooks.historyRendered = place;
  place();
}

/** After a delete, History offers to bring the entry back. */
function offerUndo(app) {
  var id = takeKept(UNDO_KEY);
  var box = doc.getElementById("flashes");
  if (!id || !box || !doc.getElementById("history-days")) return;
  var button = doc.createElement("button");
  button.type = "button";
  button.className = "button secondary";
  button.textContent = "Undo delete";
  box.appendChild(button);
  button.addEventListener("click", function () {
    undoDelete(app.account, id).then(function (undone) {
      if (undone) return true;
      if (!globalThis.navigator.onLine) return false;
      // Sent already: the server brings it back, and every device pulls it.
      var body = new FormData();
      body.append("csrf_token", doc.querySelector('meta[name="csrf-token"]').content);
      return fetch("/entries/" + encodeURIComponent(id) + "/restore", {
        method: "POST", body: body, credentials: "same-origin"
      }).then(function (r) { return r.ok; });
    }).then(function (ok) {
      button.remove();
      announce(ok ? "Entry brought back." :
        "It was sent already: undo needs a connection. Try again when you are online.",
      ok ? "success" : "info");
      app.queued();
    });
  });
}

/** Fill a new-entry form with an entry kept on the phone, to change it (?edit=<id>).

    Reading the kept entry takes a moment (longer on a slow phone), and the form is on screen
    meanwhile, from before this script has run. What the person changes in that moment is
    theirs: it stays over the kept value and counts as a change. A Save tapped in that moment
    waits for the entry, then saves the change to it (it would otherwise have logged a second
    entry). */
function openForEdit(app, form) {
  var id = new URLSearchParams(globalThis.location.search).get("edit");
  if (!id) return Promise.resolve();
  var touched = {};
  function mark(event) { if (event.target.name) touched[event.target.name] = true; }
  form.addEventListener("input", mark);
  form.addEventListener("change", mark);
  form._opening = getEntry(app.account, id).then(function (entry) {
    form.removeEventListener("input", mark);
    form.removeEventListener("change", mark);
    // A tap before this script ran left no event to see: it shows as a field changed from
    // the blank form the page came with.
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && el.name !== "entry_id" && changedOnPage(el)) touched[el.name] = true;
    });
    var mine = Array.prototype.filter.call(form.elements, function (el) {
      return touched[el.name];
    }).map(function (el) { return [el, el.value, el.checked]; });
    if (!entry || entry.deleted || entry.kind !== form.dataset.kind) {
      if (globalThis.navigator.onLine) globalThis.location.replace("/entries/" + encodeURIComponent(id) + "/edit");
      else announce("This entry is not kept on this phone. Try again when you are online.", "info");
      return;
    }
    fill(form, entry, app.tz);
    form.dataset.offline = "update";
    form.dataset.entryId = id;
    if (entry.error && !entry.server) form.dataset.recreate = "1";
    var h1 = doc.querySelector("h1");
    var kindWord = (words().kinds[entry.kind] || "").toLowerCase();
    if (h1) h1.textContent = "Change: " + kindWord;
    doc.title = "Change " + kindWord + " \u00b7 Rehab Log";
    form.querySelector('button[type="submit"]').textContent = "Save changes";
    if (entry.error) showError(form, entry.error.field || "note", entry.error.message);
    var del = doc.getElementById("offline-delete");
    if (del) {
      del.dataset.entryId = id;
      del.hidden = false;
    }
    initialValues(form, entry.kind, app.tz);
    mine.forEach(function (m) { m[0].value = m[1]; m[0].checked = m[2]; });
  }).finally(function () { form._opening = null; });
  return form._opening;
}

/** Whether a field no longer holds what the page came with. */
function changedOnPage(el) {
  if (el.type === "hidden" || el.type === "submit" || el.type === "button") return false;
  if (el.type === "radio" || el.type === "checkbox") return el.checked !== el.defaultChecked;
  if (el.options) {  // a list shows its first option when none is marked as chosen
    var first = Array.prototype.findIndex.call(el.options, function (o) { return o.defaultSelected; });
    return el.selectedIndex !== Math.max(first, 0);
  }
  return "defaultValue" in el && el.value !== el.defaultValue;
}

function fill(form, entry, tz) {
  Array.prototype.forEach.call(form.elements, function (el) {
    if (!el.name || !(el.name in entry) || el.name === "entry_id") return;
    var v = entry[el.name];
    if (el.name === "occurred_at") el.value = v ? utcToWall(v, tz) : "";
    else if (el.type === "checkbox") el.checked = !!v;
    else if (el.type === "radio") el.checked = String(v) === el.value;
    else el.value = v === null || v === undefined ? "" : String(v);
  });
  if (entry.exercise_id && form.elements.namedItem("name")) form.elements.namedItem("name").value = "";
}

/** Take over the patient's forms; remember each edit form's starting values. */
export function enhance(app) {
  // A page kept for offline use carries the entry id it was rendered with: two entries made
  // from two openings of the same kept page would share it, and the second would be taken
  // for a retry of the first. Every opening gets its own ids.
  doc.querySelectorAll('form[data-offline="create"], form[data-offline="done"]').forEach(
    function (form) {
      var idField = form.elements.namedItem("entry_id");
      if (idField) idField.value = newId();
    }
  );
  doc.addEventListener("submit", function (event) { onSubmit(event, app); });
  hooks.todayRendered = function () { placeConfirmations(app); };
  // The entry as the server drew it, not as the form holds it now: a change tapped before
  // this script ran is a change (read as the starting value, it would not be sent).
  doc.querySelectorAll('form[data-offline="update"]').forEach(function (form) {
    var served = form.cloneNode(true);
    served.reset();
    initialValues(served, form.dataset.kind, app.tz);
  });
  var form = doc.getElementById("entry-form");
  showKeptFlash();
  confirmEditAtEntry();
  offerUndo(app);
  var opened = form ? openForEdit(app, form) : Promise.resolve();
  // What was tapped before this script ran (held.js), sent now that the forms are the app's:
  // a Save on an edit form waits for its entry (openForEdit).
  if (typeof globalThis.rehabLogRelease === "function") globalThis.rehabLogRelease();
  return opened;
}

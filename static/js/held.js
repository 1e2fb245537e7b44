/* Forms sent too early or twice.

   A form the app saves on the phone (data-offline), sent before the page's modules have run,
   is held for them instead of going to the network as a plain form. On a slow phone a page
   shows before its modules run, and a tired person taps at once. Offline, the plain form went
   to the network and failed: the browser's "no connection" page, and nothing saved. Online it
   reached the server, and its "Saved" showed at the top of the next page, not where the person
   tapped. This classic script, loaded in the head before anything is drawn, holds such a
   submit (the first of each form: more were the same tap again) until forms.js listens and
   releases it (`rehabLogRelease`), to be saved as any other. If nothing releases them (a
   browser without IndexedDB, where the app does not start), they go as plain forms once the
   page has loaded, as they would have without this script.

   Any other form posted to the server goes once while its answer is on the way (up to
   SENT_MS): a second tap on a slow connection sent it again, and the server did it twice (two
   programme items from one "Add to programme", two notes). A form that another script
   stopped (a check that failed, a passkey asked for) was not sent, and may be tapped again.

   What a posted form carried (not its hidden or password fields) is kept in this tab until
   the next page. If that page is the login page (the person had been logged out meanwhile,
   and the server saved nothing), it is kept through the login, and the page the form was on,
   opened again after it, has the form filled in again, with a note, for the person to check
   and send: a long appointment note is not lost to a session that ended. Only for the same
   person (<body data-person>), within an hour; any other page forgets it. */
(function () {
  var doc = globalThis.document;
  var held = [];
  function hold(event) {
    var form = event.target;
    if (!form || !form.hasAttribute || !form.hasAttribute("data-offline")) return;
    event.preventDefault();
    for (var i = 0; i < held.length; i++) if (held[i].form === form) return;
    held.push({ form: form, submitter: event.submitter || null });
  }
  // Hold no more, and send what was held again, as tapped: to the app's handler once it
  // listens (forms.js calls this then), else as a plain form (on load, if nothing called it).
  function release() {
    doc.removeEventListener("submit", hold, true);
    held.splice(0).forEach(function (h) {
      if (!h.form.isConnected) return;
      h.form.requestSubmit(h.submitter && h.submitter.form === h.form ? h.submitter : null);
    });
  }
  doc.addEventListener("submit", hold, true);
  globalThis.rehabLogRelease = release;
  var SENT_MS = 10000;
  // On the window, so after every other script's handler: one that stopped the form is seen.
  globalThis.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form || !form.hasAttribute || form.hasAttribute("data-offline") ||
      (form.getAttribute("method") || "").toLowerCase() !== "post") return;
    if (form.rehabLogSentAt && Date.now() - form.rehabLogSentAt < SENT_MS) {
      event.preventDefault();
      return;
    }
    form.rehabLogSentAt = Date.now();
    keepUnsent(form);
  });

  var UNSENT_KEY = "rehab-log-unsent", UNSENT_MS = 3600000;
  var SKIPPED = ["hidden", "password", "file", "submit", "button", "reset", "image"];
  function keepUnsent(form) {
    var who = doc.body && doc.body.getAttribute("data-person");
    if (!who) return;
    var fields = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIPPED.indexOf(el.type) !== -1 || el.disabled) return;
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) return;
      fields.push([el.name, el.type === "checkbox" ? "" : el.value, el.type]);
    });
    try {
      globalThis.sessionStorage.setItem(UNSENT_KEY, JSON.stringify({ who: who, at: Date.now(),
        page: location.pathname + location.search, id: form.id || null,
        action: form.getAttribute("action"), fields: fields }));
    } catch (e) { /* storage full or refused: the form goes as it would have */ }
  }
  function fillAgain(form, kept) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIPPED.indexOf(el.type) !== -1) return;
      var mine = kept.fields.filter(function (f) { return f[0] === el.name; });
      if (el.type === "radio" || el.type === "checkbox") {
        el.checked = mine.some(function (f) { return el.type === "checkbox" || f[1] === el.value; });
      } else if (mine.length) {
        el.value = mine[0][1];
      }
    });
    var note = doc.createElement("p");
    note.className = "flash flash-info";
    note.setAttribute("role", "status");
    note.textContent = "Filled in again: you had been logged out before it was saved. " +
      "Check it, then send it again.";
    form.insertBefore(note, form.firstChild);
  }
  doc.addEventListener("DOMContentLoaded", function () {
    var kept = null;
    try {
      kept = JSON.parse(globalThis.sessionStorage.getItem(UNSENT_KEY) || "null");
      if (!kept) return;
      if (doc.querySelector("form[data-keeps-unsent]")) {  // the login page: keep it for after
        kept.throughLogin = true;
        globalThis.sessionStorage.setItem(UNSENT_KEY, JSON.stringify(kept));
        return;
      }
      globalThis.sessionStorage.removeItem(UNSENT_KEY);
    } catch (e) {
      return;
    }
    if (!kept.throughLogin || kept.who !== doc.body.getAttribute("data-person") ||
      kept.page !== location.pathname + location.search || Date.now() - kept.at > UNSENT_MS) return;
    var form = kept.id ? doc.getElementById(kept.id) : null;
    if (!form) {
      form = Array.prototype.filter.call(doc.forms, function (f) {
        return f.getAttribute("action") === kept.action;
      })[0];
    }
    if (form) fillAgain(form, kept);
  });
  // Back to a page kept as it was (the back button): its forms may be sent again.
  globalThis.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    doc.querySelectorAll("form").forEach(function (form) { form.rehabLogSentAt = 0; });
  });
  globalThis.addEventListener("load", release);  // nothing held once the app has released
})();

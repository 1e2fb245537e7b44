/* Forms sent too early or twice.

   A form the app saves on the phone (data-offline), sent before the page's modules have run,
   is held for them instead of going to the network as a plain form. On a slow phone a page
   shows before its modules run, and a tired person taps at once. Offline, the plain form went
   to the network and failed: the browser's "no connection" page, and nothing saved. Online it
   reached the server, and its "Saved" showed at the top of the next page, not where the person
   tapped. This classic script, loaded in the head before anything is drawn, holds such a
   submit (the first of each form: more were the same tap again) until forms.js takes it
   (`rehabLogHeld`) and saves it as it saves any other. If nothing takes them (a browser
   without IndexedDB, where the app does not start), they go as plain forms once the page has
   loaded, as they would have without this script.

   Any other form posted to the server goes once while its answer is on the way (up to
   SENT_MS): a second tap on a slow connection sent it again, and the server did it twice (two
   programme items from one "Add to programme", two notes). A form that another script
   stopped (a check that failed, a passkey asked for) was not sent, and may be tapped again. */
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
  function take() {
    doc.removeEventListener("submit", hold, true);
    globalThis.rehabLogHeld = null;
    return held.splice(0);
  }
  doc.addEventListener("submit", hold, true);
  globalThis.rehabLogHeld = take;
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
  });
  // Back to a page kept as it was (the back button): its forms may be sent again.
  globalThis.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    doc.querySelectorAll("form").forEach(function (form) { form.rehabLogSentAt = 0; });
  });
  globalThis.addEventListener("load", function () {
    if (globalThis.rehabLogHeld !== take) return;  // the app took them
    take().forEach(function (h) {
      if (h.form.isConnected) h.form.requestSubmit(h.submitter);
    });
  });
})();

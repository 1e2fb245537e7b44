/* A form the app saves on the phone (data-offline), sent before the page's modules have run,
   is held for them instead of going to the network as a plain form. On a slow phone a page
   shows before its modules run, and a tired person taps at once. Offline, the plain form went
   to the network and failed: the browser's "no connection" page, and nothing saved. Online it
   reached the server, and its "Saved" showed at the top of the next page, not where the person
   tapped. This classic script, loaded in the head before anything is drawn, holds such a
   submit (the first of each form: more were the same tap again) until forms.js takes it
   (`rehabLogHeld`) and saves it as it saves any other. If nothing takes them (a browser
   without IndexedDB, where the app does not start), they go as plain forms once the page has
   loaded, as they would have without this script. */
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
  globalThis.addEventListener("load", function () {
    if (globalThis.rehabLogHeld !== take) return;  // the app took them
    take().forEach(function (h) {
      if (h.form.isConnected) h.form.requestSubmit(h.submitter);
    });
  });
})();

/* The page after a form was saved ignores stray taps where Save was, for a moment.

   A double or triple tap on a form's Save (taps up to 800 ms apart) lands its later taps on
   the page the save leads to, often before that page's modules have run, on whatever sits
   under the finger there: a quick action, a link. forms.js keeps, for the next page, where on
   the screen Save was tapped and when the rest ends (HOLD_MS after the tap); this classic
   script, loaded in the head before anything is drawn, swallows the clicks of taps near that
   spot until then. Taps elsewhere, keys (clicks with no pointer), and any tap once the rest
   is over work as usual. */
(function () {
  var RADIUS = 48;  // CSS px around the spot: a target's size, and a hand's tremor
  var rest = null;
  try {
    rest = JSON.parse(globalThis.sessionStorage.getItem("rehab-log-rest") || "null");
    globalThis.sessionStorage.removeItem("rehab-log-rest");
  } catch (e) {
    return;  // private mode, or not ours: nothing to rest for
  }
  if (!rest || typeof rest.until !== "number" || Date.now() >= rest.until) return;
  var doc = globalThis.document;
  function swallow(event) {
    if (Date.now() >= rest.until) {
      doc.removeEventListener("click", swallow, true);
      return;
    }
    if (event.detail === 0) return;  // from the keyboard, not a stray tap
    var dx = event.clientX - rest.x, dy = event.clientY - rest.y;
    if (dx * dx + dy * dy > RADIUS * RADIUS) return;  // a tap somewhere else: meant
    event.preventDefault();
    event.stopImmediatePropagation();
  }
  doc.addEventListener("click", swallow, true);
})();

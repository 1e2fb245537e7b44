// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  /** Preselect the browser's own time zone on the sign-up form. */
  function detectTimezone() {
    var select = document.querySelector("select[data-detect-timezone]");
    if (!select || select.dataset.touched) return;
    var zone;
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
    if (zone && select.querySelector('option[value="' + zone.replace(/"/g, "") + '"]')) {
      select.value = zone;
    }
  }

  document.addEventListener("DOMContentLoaded", detectTimezone);
})();

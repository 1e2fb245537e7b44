/* Entry code: the service worker and its updates, when to sync, and the header's sync state.
   Progressive enhancement only: every page works without JavaScript. */
(function (root) {
  "use strict";
  var RL = root.RL = root.RL || {};
  var doc = root.document;
  var nav = root.navigator;

  /** Preselect the browser's own time zone on the sign-up form. */
  function detectTimezone() {
    var select = doc.querySelector("select[data-detect-timezone]");
    if (!select || select.dataset.touched) return;
    var zone;
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
    if (zone && select.querySelector('option[value="' + zone.replace(/"/g, "") + '"]')) {
      select.value = zone;
    }
  }

  /** Register /sw.js; offer "Update available — reload" when a new version waits. */
  function registerWorker(isPatient) {
    if (!nav.serviceWorker) return;
    var banner = doc.getElementById("update-banner");
    var reloading = false;
    nav.serviceWorker.register("/sw.js", { scope: "/" }).then(function (reg) {
      function offer(worker) {
        if (!worker || !nav.serviceWorker.controller || !banner) return;
        banner.hidden = false;
        doc.getElementById("update-reload").onclick = function () {
          worker.postMessage({ type: "skip-waiting" });
        };
      }
      if (reg.waiting) offer(reg.waiting);
      reg.addEventListener("updatefound", function () {
        var worker = reg.installing;
        worker.addEventListener("statechange", function () {
          if (worker.state === "installed") offer(worker);
        });
      });
      // Keep the patient pages of whoever is logged in; forget them on the login page.
      return nav.serviceWorker.ready.then(function (ready) {
        ready.active.postMessage({ type: isPatient ? "cache-pages" : "forget-pages" });
      });
    }).catch(function () { /* no worker: the app still works online */ });
    nav.serviceWorker.addEventListener("controllerchange", function () {
      // The outbox lives in IndexedDB, not in the page: reloading loses nothing.
      if (reloading || !banner || banner.hidden) return;
      reloading = true;
      root.location.reload();
    });
  }

  function createApp(userId, tz) {
    var attempt = 0, timer = null;
    // Opening the app starts a sync: say "Syncing" until it is done, not "All synced".
    var state = { count: 0, oldest: null, lastSyncedAt: null, online: nav.onLine,
      needsLogin: false, storageError: null, syncing: nav.onLine, tz: tz };

    function refreshStatus() {
      return Promise.all([RL.store.waiting(userId), RL.store.getMeta(userId, "lastSyncedAt")])
        .then(function (got) {
          state.count = got[0].count;
          state.oldest = got[0].oldest;
          state.lastSyncedAt = got[1] || null;
          state.online = nav.onLine;
          RL.views.showStatus(state);
        }, function () { RL.views.showStatus(state); });
    }

    function render() {
      return Promise.all([RL.views.renderToday(userId, tz), RL.views.renderHistory(userId, tz)])
        .then(refreshStatus, refreshStatus);
    }

    function retryLater() {
      clearTimeout(timer);
      timer = setTimeout(sync, RL.sync.backoff(attempt));
      attempt += 1;
    }

    /** Sync now, and again later with backoff and jitter if it fails. */
    function sync() {
      clearTimeout(timer);
      if (state.needsLogin) return Promise.resolve();
      state.syncing = true;
      return RL.sync.run(userId).then(function () {
        attempt = 0;
        state.syncing = false;
        return render();
      }, function (error) {
        state.syncing = false;
        if (error && error.kind === "login") {
          state.needsLogin = true;
        } else {
          retryLater();
        }
        return render();
      });
    }

    var app = {
      userId: userId, tz: tz, render: render, sync: sync,
      /** After a change is in the outbox: show it, then send it. */
      queued: function () {
        state.storageError = null;
        refreshStatus();
        if (nav.serviceWorker && root.SyncManager) {
          nav.serviceWorker.ready.then(function (reg) {
            return reg.sync.register("outbox");
          }).catch(function () { /* Background Sync refused: the page retries itself */ });
        }
        sync();
      },
      /** IndexedDB failed (full disk, lost connection): say so; the form keeps what was typed. */
      storageFailed: function (error) {
        var quota = error && error.name === "QuotaExceededError";
        state.storageError = quota
          ? "the phone's storage is full. Free some space, then tap Save again."
          : "try again in a moment. What you typed is still here.";
        RL.views.showStatus(state);
        RL.views.announce("Not saved yet: " + state.storageError, "error");
      }
    };
    return app;
  }

  function forgetOnLogout(userId) {
    doc.querySelectorAll('form[action="/logout"]').forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (form.dataset.leaving) return;
        event.preventDefault();
        form.dataset.leaving = "1";
        // Entries still waiting stay on the phone for the next login; the rest is forgotten.
        var done = RL.store.forgetSynced(userId).catch(function () { return null; });
        if (nav.serviceWorker && nav.serviceWorker.controller) {
          nav.serviceWorker.controller.postMessage({ type: "forget-pages" });
        }
        Promise.race([done, new Promise(function (r) { setTimeout(r, 1500); })]).then(function () {
          HTMLFormElement.prototype.submit.call(form);
        });
      });
    });
  }

  function start() {
    detectTimezone();
    var body = doc.body;
    var userId = body.dataset.user, tz = body.dataset.tz;
    registerWorker(!!userId);
    if (!userId || !root.indexedDB || !RL.store) return;
    var app = RL.app = createApp(userId, tz);
    RL.store.onError(function (error) { app.storageFailed(error); });
    if (nav.storage && nav.storage.persist) {
      nav.storage.persisted().then(function (yes) { return yes || nav.storage.persist(); })
        .catch(function () { return false; });
    }
    forgetOnLogout(userId);
    RL.forms.enhance(app).then(app.render, app.render).then(app.sync);
    root.addEventListener("online", app.sync);
    root.addEventListener("offline", app.render);
    doc.addEventListener("visibilitychange", function () {
      if (doc.visibilityState === "visible") app.sync();
    });
  }

  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", start);
  else start();
})(self);

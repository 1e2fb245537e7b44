/* Entry code, the one module the pages load: the service worker and its updates, when to
   sync, and the header's sync state. Progressive enhancement only: every page works without
   JavaScript. The page-only modules (timers, the exercise form, passkeys, reminders) set
   themselves up when imported. */
import "./exercise_form.js";
import "./passkeys.js";
import "./reminders.js";
import "./timer.js";
import { enhance } from "./forms.js";
import { othersWaiting, waiting } from "./outbox.js";
import { forgetSynced, getMeta, onError, refused, setMeta } from "./store.js";
import * as syncer from "./sync.js";
import { announce, hooks, renderHistory, renderToday, showStatus } from "./views.js";

const doc = globalThis.document;
const nav = globalThis.navigator;

/** The app on a patient's page once started (null elsewhere); the browser tests drive it. */
export let app = null;

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
function registerWorker(account) {
  if (!nav.serviceWorker) return;
  var banner = doc.getElementById("update-banner");
  var reloading = false;
  nav.serviceWorker.register("/sw.js", { scope: "/", type: "module" }).then(function (reg) {
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
      ready.active.postMessage(account ? { type: "cache-pages", account: account }
        : { type: "forget-pages" });
    });
  }).catch(function () { /* no worker: the app still works online */ });
  nav.serviceWorker.addEventListener("controllerchange", function () {
    // The outbox lives in IndexedDB, not in the page: reloading loses nothing.
    if (reloading || !banner || banner.hidden) return;
    reloading = true;
    globalThis.location.reload();
  });
}

function createApp(account, tz) {
  var attempt = 0, timer = null;
  // Opening the app starts a sync: say "Syncing" until it is done, not "All synced".
  var state = { count: 0, oldest: null, lastSyncedAt: null, online: nav.onLine,
    needsLogin: false, storageError: null, syncing: nav.onLine, failed: false, tz: tz };

  function refreshStatus() {
    return Promise.all([waiting(account), getMeta(account, "lastSyncedAt"),
      refused(account)])
      .then(function (got) {
        state.count = got[0].count;
        state.oldest = got[0].oldest;
        state.lastSyncedAt = got[1] || null;
        state.notSent = got[2].filter(function (e) { return e.error.code === "not_sent"; }).length;
        state.online = nav.onLine;
        showStatus(state);
      }, function () { showStatus(state); });
  }

  function render() {
    return Promise.all([renderToday(account, tz), renderHistory(account, tz)])
      .then(refreshStatus, refreshStatus);
  }

  function retryLater() {
    clearTimeout(timer);
    timer = setTimeout(sync, syncer.backoff(attempt));
    attempt += 1;
  }

  /** Sync now, and again later with backoff and jitter if it fails. */
  function sync() {
    clearTimeout(timer);
    if (state.needsLogin) return Promise.resolve();
    state.syncing = true;
    return syncer.run(account).then(function () {
      attempt = 0;
      state.syncing = false;
      state.failed = false;
      return Promise.all([render(), sayWhatWasSent(account)]);
    }, function (error) {
      state.syncing = false;
      state.failed = true;
      // Logged out, or this page's person is not the one logged in now (another tab).
      if (error && (error.kind === "login" || error.kind === "wrong_account")) {
        state.needsLogin = true;
      } else {
        retryLater();
      }
      return render();
    });
  }

  var created = {
    account: account, tz: tz, render: render, sync: sync,
    /** After a change is in the outbox: show it, then send it. */
    queued: function () {
      state.storageError = null;
      refreshStatus();
      if (nav.serviceWorker && globalThis.SyncManager) {
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
      showStatus(state);
      announce("Not saved yet: " + state.storageError, "error");
    }
  };
  return created;
}

/** After a login: tell the person that what they left waiting on this phone has been sent. */
function sayWhatWasSent(account) {
  return Promise.all([getMeta(account, "leftWaiting"), waiting(account)])
    .then(function (got) {
      var left = got[0], now = got[1];
      if (!left || now.mutations) return null;
      announce("Sent: the " + (left === 1 ? "entry" : left + " entries") +
        " you logged on this phone before you last logged out.", "success");
      return setMeta(account, "leftWaiting", null);
    }).catch(function () { return null; });
}

/** Say, without any content, that another person's entries wait on this phone. */
function tellOthersWaiting(account) {
  var note = doc.getElementById("phone-others");
  if (!note || !globalThis.indexedDB) return;
  othersWaiting(account).then(function (n) {
    if (!n) return;
    note.textContent = account
      ? "Someone else's entries are kept on this phone. They are sent to their account " +
        "when they log in here; you cannot see them."
      : "Entries logged on this phone are waiting to be sent. They are sent when the person " +
        "who logged them logs in here.";
    note.hidden = false;
  }).catch(function () { return null; });
}

/** Leaving (log out, delete the account): forget this person's kept pages and synced copy;
    what waits in their outbox stays for their next login. When no outbox on this phone holds
    anything, the form asks the server to have the browser clear the site's storage too. */
function forgetOnLeaving(account) {
  doc.querySelectorAll("form[data-leave]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.leaving) return;
      event.preventDefault();
      form.dataset.leaving = "1";
      if (nav.serviceWorker && nav.serviceWorker.controller) {
        nav.serviceWorker.controller.postMessage({ type: "forget-pages" });
      }
      var done = forgetSynced(account).then(function () {
        return waiting(account);
      }).then(function (own) {
        if (own.mutations && form.dataset.leave === "logout") {
          return setMeta(account, "leftWaiting", own.count).then(function () {
            return false;
          });
        }
        return othersWaiting(account).then(function (others) {
          return !others && !own.mutations;
        });
      }).then(function (empty) {
        if (!empty) return;
        var flag = doc.createElement("input");
        flag.type = "hidden";
        flag.name = "outbox_empty";
        flag.value = "1";
        form.appendChild(flag);
      }).catch(function () { return null; });
      Promise.race([done, new Promise(function (r) { setTimeout(r, 1500); })]).then(function () {
        HTMLFormElement.prototype.submit.call(form);
      });
    });
  });
}

function start() {
  detectTimezone();
  var body = doc.body;
  var account = body.dataset.account, tz = body.dataset.tz;
  registerWorker(account);
  tellOthersWaiting(account);
  if (!account || !globalThis.indexedDB) return;
  app = createApp(account, tz);
  hooks.changed = app.render;  // a discarded change: the page and the header's count
  onError(function (error) { app.storageFailed(error); });
  if (nav.storage && nav.storage.persist) {
    nav.storage.persisted().then(function (yes) { return yes || nav.storage.persist(); })
      .catch(function () { return false; });
  }
  forgetOnLeaving(account);
  enhance(app).then(app.render, app.render).then(app.sync);
  globalThis.addEventListener("online", app.sync);
  globalThis.addEventListener("offline", app.render);
  doc.addEventListener("visibilitychange", function () {
    if (doc.visibilityState === "visible") app.sync();
  });
}

if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", start);
else start();

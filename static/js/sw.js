/* Rehab Log service worker, served from /sw.js as a module. The server puts VERSION, SHELL
   (static files) and PAGES (patient pages kept for offline use) above this. It shares the
   outbox and sync modules with the pages. Event listeners only call the named strategies below. */
/* global VERSION, SHELL, PAGES */
import { uuidFromBytes } from "/static/js/ids.js";
import { queue } from "/static/js/outbox.js";
import { activeOn, doneEntry } from "/static/js/programme.js";
import { entriesBetween, getEntry, getMeta, knownAccounts, programme } from "/static/js/store.js";
import { run, sendAllWaiting } from "/static/js/sync.js";

var CACHE = "rehab-log-" + VERSION;
var CACHE_PREFIX = "rehab-log-";
// Each person's kept pages in a cache of their own, named by the account key every page's
// answer carries; one person's at a time (another's are dropped when someone else's are kept).
var PAGES_PREFIX = CACHE + "-pages-";
var ACCOUNT_HEADER = "Rehab-Account";
// A page that showed the person a message ("Saved: ...") is not kept: offline it would say it
// again, out of place (web/flashes.py).
var SHOWN_HEADER = "Rehab-Messages";
var OFFLINE_URL = "/offline";
// On a slow connection a page from the cache beats a long wait.
var NETWORK_TIMEOUT_MS = 5000;
// Every page a person opens asks for their pages to be kept; one kept less than this long ago
// is not fetched again (a page opened is kept afresh anyway, by networkFirst). Without it each
// page opened cost eight more in the background: the person's data, the server's work.
var KEEP_FRESH_MS = 15 * 60 * 1000;

self.addEventListener("install", function (event) {
  // Wait for the person to choose "Reload" before taking over: a form may be half filled in.
  // Only the shell: a person's pages are kept when a page of theirs asks ("cache-pages").
  event.waitUntil(precacheShell());
});

self.addEventListener("activate", function (event) {
  event.waitUntil(cleanupOldCaches().then(function () { return self.clients.claim(); }));
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "skip-waiting") self.skipWaiting();
  if (data.type === "cache-pages" && data.account) event.waitUntil(keepPages(data.account));
  if (data.type === "forget-pages") event.waitUntil(forgetPages());
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  // Writes and the sync API always go to the network: the outbox, not a cache, keeps them safe.
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.indexOf("/api/") === 0) return;
  if (request.mode === "navigate") {
    event.respondWith(networkFirst(request));
  } else if (url.pathname.indexOf("/static/") === 0 || SHELL.indexOf(url.pathname) !== -1) {
    event.respondWith(cacheFirst(request));
  }
});

// Background Sync: send the outbox even when no page of the app is open.
self.addEventListener("sync", function (event) {
  if (event.tag === "outbox") event.waitUntil(syncAccounts());
});

/** Cache the static shell; the install fails (and is retried) if any of it is missing. */
function precacheShell() {
  return caches.open(CACHE).then(function (cache) { return cache.addAll(SHELL); });
}

/** The cache of one person's kept pages, after dropping anyone else's. */
function pagesCache(account) {
  return caches.keys().then(function (names) {
    return Promise.all(names.map(function (name) {
      return name.indexOf(PAGES_PREFIX) === 0 && name !== PAGES_PREFIX + account
        ? caches.delete(name) : null;
    }));
  }).then(function () { return caches.open(PAGES_PREFIX + account); });
}

var keeping = Promise.resolve();
var asked = 0;  // keep rounds asked for, and pages forgotten, so far
var forgotten = 0;  // times the pages were forgotten (someone left)

/** One keep round at a time: a round asked for while another runs (two pages opened within
    the same moment) waits for it, then finds its pages kept lately rather than fetching the
    ones still on their way a second time. A round whose turn comes after another was asked
    for, or after the pages were forgotten (leaving), is passed over: the last one asked for
    is the one that counts, and nobody's pages are kept again after they left. */
function keepPages(account) {
  var mine = ++asked;
  var round = keeping.then(function () {
    return mine === asked ? precachePages(account) : null;
  });
  keeping = round.catch(function () { return null; });
  return round;
}

/** Keep the patient pages of the person whose page asked, one at a time, unless kept
    lately; a page that comes back as anyone else's (the session changed meanwhile) is not
    kept, and once the person has left the round fetches no more. */
function precachePages(account) {
  var left = forgotten;
  return pagesCache(account).then(function (cache) {
    return PAGES.reduce(function (previous, path) {
      return previous.then(function () {
        if (forgotten !== left) return null;
        return cache.match(path).then(function (kept) {
          if (keptLately(kept)) return null;
          return fetchWithin(path, NETWORK_TIMEOUT_MS * 2)
            .then(function (response) {
              if (response.headers.get(ACCOUNT_HEADER) !== account) return response;
              return keepPage(cache, path, response);
            })
            .then(function (response) {
              // An unread body holds its connection open: free it.
              if (response && !response.bodyUsed && response.body) return response.body.cancel();
              return null;
            });
        }).catch(function () { return null; });
      });
    }, Promise.resolve());
  });
}

/** A kept page the server sent less than KEEP_FRESH_MS ago (by its Date header). A phone
    whose clock is far off reads every page as old, and keeps them all afresh, as before. */
function keptLately(kept) {
  var age = kept ? Date.now() - Date.parse(kept.headers.get("Date") || "") : NaN;
  return age > -60000 && age < KEEP_FRESH_MS;
}

/** A GET with the person's session that gives up after `ms`, so an install never hangs.
    A redirect (to the login page, when nobody is logged in) is not followed: the login page
    would be fetched in the background for nothing, and its answer could set the cookie. */
function fetchWithin(path, ms) {
  var controller = new AbortController();
  var timer = setTimeout(function () { controller.abort(); }, ms);
  // Rehab-Keep: the page is made without the messages waiting for the person (web/flashes.py).
  return fetch(path, { credentials: "same-origin", cache: "no-store", redirect: "manual",
    headers: { "Rehab-Keep": "1" }, signal: controller.signal })
    .then(function (response) { clearTimeout(timer); return response; },
      function (error) { clearTimeout(timer); throw error; });
}

/** Store a page only when it is the page itself, not a redirect to the login page or an error. */
function keepPage(cache, key, response) {
  var type = response.headers.get("Content-Type") || "";
  if (response.ok && !response.redirected && type.indexOf("text/html") === 0) {
    return cache.put(key, response.clone()).then(function () { return response; });
  }
  return Promise.resolve(response);
}

/** Remove every kept page (on log out, and on the login page): they hold health data. */
function forgetPages() {
  asked += 1;
  forgotten += 1;
  return caches.keys().then(function (names) {
    return Promise.all(names.map(function (name) {
      return name.indexOf(PAGES_PREFIX) === 0 ? caches.delete(name) : null;
    }));
  });
}

/** Delete the caches of earlier versions (their kept pages too). */
function cleanupOldCaches() {
  return caches.keys().then(function (names) {
    return Promise.all(names.map(function (name) {
      var old = name.indexOf(CACHE_PREFIX) === 0 && name !== CACHE &&
        name.indexOf(PAGES_PREFIX) !== 0;
      return old ? caches.delete(name) : null;
    }));
  });
}

/** Pages: the network first, so that what shows is current; the kept copy when offline. */
function networkFirst(request) {
  var url = new URL(request.url);
  var fromNetwork = fetch(request).then(function (response) {
    var account = response.headers.get(ACCOUNT_HEADER);
    var plain = !response.headers.get(SHOWN_HEADER);
    if (account && plain && PAGES.indexOf(url.pathname) !== -1 && !url.search) {
      return pagesCache(account).then(function (cache) {
        return keepPage(cache, url.pathname, response);
      });
    }
    return response;
  });
  var timeout = new Promise(function (resolve) {
    setTimeout(resolve, NETWORK_TIMEOUT_MS, null);
  });
  return Promise.race([fromNetwork.catch(function () { return null; }), timeout])
    .then(function (response) {
      if (response) return response;
      return keptPage(url).then(function (kept) {
        if (kept) {
          // Too slow: the kept copy shows now; the late answer still refreshes the cache.
          fromNetwork.then(function (late) {
            if (late && late.body && !late.bodyUsed) late.body.cancel();
          }, function () { return null; });
          return kept;
        }
        return fromNetwork.catch(function () {
          return phoneEdit(url).then(function (edit) { return edit || caches.match(OFFLINE_URL); });
        });
      });
    });
}

/** Offline, the server's edit page of an entry (/entries/<id>/edit: History's links as the
    server drew them, tapped before the phone drew the page again) is the phone's edit form
    of that entry (/log/<kind>?edit=<id>, as the phone's History links to it), when the
    entry is in the kept person's copy; else nothing. */
function phoneEdit(url) {
  var match = /^\/entries\/([^/]+)\/edit$/.exec(url.pathname);
  if (!match) return Promise.resolve(null);
  var id = decodeURIComponent(match[1]);
  return keptPagesName().then(function (name) {
    if (!name) return null;
    return getEntry(name.slice(PAGES_PREFIX.length), id).then(function (entry) {
      if (!entry) return null;
      var to = "/log/" + entry.kind + "?edit=" + encodeURIComponent(entry.id);
      return Response.redirect(new URL(to, self.location.origin).href, 302);
    });
  }).catch(function () { return null; });
}

/** The name of the cache of the one person whose pages are kept, or undefined. */
function keptPagesName() {
  return caches.keys().then(function (names) {
    return names.filter(function (n) { return n.indexOf(PAGES_PREFIX) === 0; })[0];
  });
}

/** The kept copy of a page (from the one person whose pages are kept): the page itself, else
    the same page without its query. */
function keptPage(url) {
  return keptPagesName().then(function (name) {
    if (!name) return caches.match(url.pathname + url.search, { cacheName: CACHE });
    return caches.open(name).then(function (cache) {
      return cache.match(url.pathname + url.search).then(function (hit) {
        if (hit) return hit;
        // The kept page without its query: /log/fatigue?edit=<id> is filled in by forms.js.
        return PAGES.indexOf(url.pathname) !== -1 ? cache.match(url.pathname) : null;
      });
    });
  });
}

/** Versioned static files never change: the cache first, the network once. */
function cacheFirst(request) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request).then(function (hit) {
      if (hit) return hit;
      return fetch(request).then(function (response) {
        if (response.ok && new URL(request.url).pathname.indexOf("/static/gen/") === 0) {
          cache.put(request, response.clone());
        }
        return response;
      });
    });
  });
}

/** Send what waits for each account on this device (usually one): only the one whose session
    is current goes through; the server refuses the others (409) before anything is read. An
    account with nothing waiting by the time its turn comes is left alone; a send that failed
    for want of a connection or a server fails the event, so the browser tries it again later
    (sendAllWaiting). */
function syncAccounts() {
  return knownAccounts().then(sendAllWaiting);
}

/* Reminders (Web Push). The server chose the words: without the person's say-so they name
   nothing about health, since a locked phone shows them. */

// The actions a reminder may offer, where the platform shows them ("Done", "Fatigue").
var REMINDER_ACTIONS = { done: "Done", fatigue: "Fatigue" };
var FATIGUE_URL = "/log/fatigue";

/** Only a path on this site: a push cannot send the person anywhere else. */
function reminderUrl(url) {
  return typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/" ? url : "/today";
}

/** Show a reminder as a notification. */
function showReminder(event) {
  var data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (e) {
    data = {};
  }
  var account = typeof data.account === "string" ? data.account : null;
  var actions = (Array.isArray(data.actions) ? data.actions : [])
    .filter(function (a) { return REMINDER_ACTIONS.hasOwnProperty(a) && (a !== "done" || account); })
    .map(function (a) { return { action: a, title: REMINDER_ACTIONS[a] }; });
  event.waitUntil(self.registration.showNotification(data.title || "Rehab Log", {
    body: data.body || "Your reminder. Tap to open Rehab Log.",
    tag: data.tag || "reminder",
    icon: "/static/img/icon-192.png",
    actions: actions,
    data: { url: reminderUrl(data.url), account: account,
      tz: typeof data.tz === "string" ? data.tz : null },
  }));
}

/** A tap on a reminder opens the page it names (Today, or the check-in), in an open tab if
    any; its "Fatigue" opens the check-in; its "Done" logs today's programme from the phone. */
function openReminder(event) {
  event.notification.close();
  var data = event.notification.data || {};
  if (event.action === "done" && data.account) {
    event.waitUntil(logProgrammeDone(data.account, data.tz).catch(function () {
      return openPage("/today");  // could not be logged here: Today, to do it there
    }));
    return;
  }
  event.waitUntil(openPage(event.action === "fatigue" ? FATIGUE_URL : data.url));
}

function openPage(path) {
  var url = new URL(reminderUrl(path), self.location.origin).href;
  return self.clients.matchAll({ type: "window", includeUncontrolled: true })
    .then(function (windows) {
      for (var i = 0; i < windows.length; i++) {
        if ("navigate" in windows[i]) {
          return windows[i].navigate(url).then(function (client) {
            if (!client) return self.clients.openWindow(url);
            return client.focus().catch(function () { return client; });
          }).catch(function () { return self.clients.openWindow(url); });
        }
      }
      return self.clients.openWindow(url);
    });
}

/** The date on the person's own calendar now ("YYYY-MM-DD"). */
function localDay(tz) {
  var parts = {};
  new Intl.DateTimeFormat("en-GB", { timeZone: tz || undefined, year: "numeric",
    month: "2-digit", day: "2-digit" }).formatToParts(new Date()).forEach(function (p) {
    parts[p.type] = p.value;
  });
  return parts.year + "-" + parts.month + "-" + parts.day;
}

/** The same entry id for the same item, person and day on every phone: two phones that both
    answer "Done" make one entry (the server takes a create of a known id once). */
async function doneId(account, itemId, day) {
  var text = new TextEncoder().encode("reminder-done:" + account + ":" + itemId + ":" + day);
  var digest = await crypto.subtle.digest("SHA-256", text);
  return uuidFromBytes(new Uint8Array(digest).slice(0, 16));
}

async function syncQuietly(account) {
  try { await run(account); } catch (e) { /* offline: the outbox keeps it */ }
}

/** "Done" on a programme reminder: each programme item of today not done yet is logged as
    done at its usual dose, kept on the phone first and then sent, and a notification says
    what was logged. Before it decides, the phone syncs, to see what other phones logged. */
async function logProgrammeDone(account, tz) {
  await syncQuietly(account);
  if (!(await getMeta(account, "pulled"))) return openPage("/today");
  var day = localDay(tz);
  var items = await programme(account);
  var done = {};
  (await entriesBetween(account, day, day)).forEach(function (e) {
    if (e.programme_item_id) done[e.programme_item_id] = true;
  });
  var due = items.filter(function (i) { return activeOn(i, day) && !done[i.id]; });
  var at = new Date().toISOString().slice(0, 19) + "Z";
  for (var i = 0; i < due.length; i++) {
    var entry = doneEntry(due[i], at);
    entry.id = await doneId(account, due[i].id, day);
    await queue(account, "create", entry, day);
  }
  if (due.length) await syncQuietly(account);
  var body = due.length === 1 ? "Logged as done: 1 exercise. Open Rehab Log to change it."
    : due.length ? "Logged as done: " + due.length + " exercises. Open Rehab Log to change them."
    : "Today's exercises were logged already.";
  return self.registration.showNotification("Rehab Log", {
    body: body, tag: "reminder-done", icon: "/static/img/icon-192.png",
    data: { url: "/today", account: null, tz: null },
  });
}

self.addEventListener("push", showReminder);
self.addEventListener("notificationclick", openReminder);

// A module's functions are its own: the handlers of a tap on a notification are named on the
// worker too, so that DevTools (and the browser tests) can run them as the browser would.
Object.assign(self, { showReminder, openReminder });

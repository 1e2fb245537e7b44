/* Rehab Log service worker, served from /sw.js. The server puts VERSION, SHELL (static files),
   PAGES (patient pages kept for offline use) and CORE (the outbox and sync scripts) above this.
   Event listeners only call the named strategies below. */
/* global VERSION, SHELL, PAGES, CORE, RL */
"use strict";

var CACHE = "rehab-log-" + VERSION;
var CACHE_PREFIX = "rehab-log-";
var OFFLINE_URL = "/offline";
// On a slow connection a page from the cache beats a long wait.
var NETWORK_TIMEOUT_MS = 5000;

importScripts.apply(self, CORE);

self.addEventListener("install", function (event) {
  // Wait for the person to choose "Reload" before taking over: a form may be half filled in.
  event.waitUntil(precacheShell().then(precachePages));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(cleanupOldCaches().then(function () { return self.clients.claim(); }));
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "skip-waiting") self.skipWaiting();
  if (data.type === "cache-pages") event.waitUntil(precachePages());
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
  if (event.tag === "outbox") event.waitUntil(syncAllUsers());
});

/** Cache the static shell; the install fails (and is retried) if any of it is missing. */
function precacheShell() {
  return caches.open(CACHE).then(function (cache) { return cache.addAll(SHELL); });
}

/** Keep the patient pages of whoever is logged in, one at a time; skip quietly when nobody is. */
function precachePages() {
  return caches.open(CACHE).then(function (cache) {
    return PAGES.reduce(function (previous, path) {
      return previous.then(function () {
        return fetchWithin(path, NETWORK_TIMEOUT_MS * 2)
          .then(function (response) { return keepPage(cache, path, response); })
          .then(function (response) {
            // An unread body holds its connection open: free it.
            if (response && !response.bodyUsed && response.body) return response.body.cancel();
            return null;
          })
          .catch(function () { return null; });
      });
    }, Promise.resolve());
  });
}

/** A GET with the person's session that gives up after `ms`, so an install never hangs. */
function fetchWithin(path, ms) {
  var controller = new AbortController();
  var timer = setTimeout(function () { controller.abort(); }, ms);
  return fetch(path, { credentials: "same-origin", cache: "no-store", signal: controller.signal })
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

/** Remove the kept pages (on log out): they hold the person's health data. */
function forgetPages() {
  return caches.open(CACHE).then(function (cache) {
    return cache.keys().then(function (requests) {
      return Promise.all(requests.map(function (request) {
        var path = new URL(request.url).pathname;
        return SHELL.indexOf(path) === -1 ? cache.delete(request) : null;
      }));
    });
  });
}

/** Delete the caches of earlier versions. */
function cleanupOldCaches() {
  return caches.keys().then(function (names) {
    return Promise.all(names.map(function (name) {
      return name.indexOf(CACHE_PREFIX) === 0 && name !== CACHE ? caches.delete(name) : null;
    }));
  });
}

/** Pages: the network first, so that what shows is current; the kept copy when offline. */
function networkFirst(request) {
  var url = new URL(request.url);
  var fromNetwork = fetch(request).then(function (response) {
    if (PAGES.indexOf(url.pathname) !== -1 && !url.search) {
      return caches.open(CACHE).then(function (cache) {
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
        return fromNetwork.catch(function () { return caches.match(OFFLINE_URL); });
      });
    });
}

/** The kept copy of a page: the page itself, else the same page without its query. */
function keptPage(url) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(url.pathname + url.search).then(function (hit) {
      if (hit) return hit;
      // The kept page without its query: /log/fatigue?edit=<id> is filled in by forms.js.
      return PAGES.indexOf(url.pathname) !== -1 ? cache.match(url.pathname) : null;
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

/** Run the sync for every person with an outbox on this device (usually one). */
function syncAllUsers() {
  return RL.store.knownUsers().then(function (users) {
    return Promise.all(users.map(function (userId) {
      return RL.sync.run(userId).catch(function () { return null; });
    }));
  });
}

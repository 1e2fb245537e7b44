/* Reminders on this device: subscribe to Web Push and tell the server, or stop.
   Only on the reminders page (#push-controls); the rest of the page works without it. */
/** Offer Web Push on the reminders page, when this browser has it. */
function start() {
  var box = document.getElementById("push-controls");
  if (!box) return;
  var status = document.getElementById("push-status");
  var on = document.getElementById("push-on");
  var off = document.getElementById("push-off");
  var unsupported = document.getElementById("push-unsupported");
  var supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  if (!supported || !box.dataset.pushKey) {
    unsupported.hidden = false;
    return;
  }
  box.hidden = false;

  /** The session's CSRF token, from the page. */
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  /** The server's public key as the bytes PushManager wants. */
  function keyBytes(text) {
    var b64 = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(b64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  /** Tell the server about this device's subscription (POST) or that it ended (DELETE). */
  async function tellServer(method, body) {
    var response = await fetch("/account/reminders/devices", {
      method: method,
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrfToken(),
      },
      body: JSON.stringify(body),
    });
    return response;
  }

  function say(text) {
    status.textContent = text;
  }

  async function current() {
    var registration = await navigator.serviceWorker.ready;
    return registration.pushManager.getSubscription();
  }

  function showState(subscribed) {
    on.hidden = subscribed;
    off.hidden = !subscribed;
  }

  async function refresh() {
    var subscription = await current();
    if (subscription) {
      // The server forgets a device at logout: tell it again that this one is on.
      var response = await tellServer("POST", subscription.toJSON());
      showState(response.ok);
      say(response.ok ? "Reminders come to this device." : "Reminders do not come to this device yet.");
      return;
    }
    showState(false);
    if (Notification.permission === "denied") {
      say("Notifications are blocked for Rehab Log in this browser's settings.");
    } else {
      say("Reminders do not come to this device yet.");
    }
  }

  on.addEventListener("click", async function () {
    say("Asking this device to allow notifications…");
    var permission = await Notification.requestPermission();
    if (permission !== "granted") {
      say("Notifications were not allowed, so reminders cannot come here. The calendar feed still works.");
      return;
    }
    try {
      var registration = await navigator.serviceWorker.ready;
      var subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: keyBytes(box.dataset.pushKey),
      });
      var response = await tellServer("POST", subscription.toJSON());
      if (response.status === 401) {
        say("Please log in again, then switch reminders on.");
        return;
      }
      if (!response.ok) throw new Error(String(response.status));
      showState(true);
      say("Reminders come to this device.");
    } catch (error) {
      say("This device could not be set up for reminders. Please try again later.");
    }
  });

  off.addEventListener("click", async function () {
    var subscription = await current();
    if (subscription) {
      await tellServer("DELETE", { endpoint: subscription.endpoint });
      await subscription.unsubscribe();
    }
    showState(false);
    say("Reminders no longer come to this device.");
  });

  refresh().catch(function () {
    say("Reminders do not come to this device yet.");
  });
}

start();

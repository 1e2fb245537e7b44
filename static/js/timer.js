/* Timers for the exercise form: a hold ("hold 10 seconds"), a sustained "ah", minutes of an
   activity; and the two trials of the timed 7.6 m walk, in seconds to a tenth ("tenths").
   A "Time it" button beside each timed field opens a big clock with Start and Stop; a
   prescribed hold counts down from its value, anything else counts up. Stop fills the field.
   The screen is kept awake while it runs (Screen Wake Lock, where the browser has it); the end
   of a countdown vibrates and beeps, if the phone allows. Works offline: nothing is fetched. */
const doc = globalThis.document;
var TICK_MS = 200;
// One clock open at a time: opening one closes the others that are not running, so that
// there is one Start and one Stop on the page (the walk test has a clock for each trial).
var idleClosers = [];

/** The clock's face for `ms`: minutes and seconds ("1:05"), with tenths for a walk ("0:09.4"),
    the same tenth the field is filled with. */
export function digits(ms, unit) {
  var tenths = Math.max(0, Math.round(ms / 100));
  var whole = unit === "tenths" ? Math.floor(tenths / 10) : Math.round(tenths / 10);
  var m = Math.floor(whole / 60), s = whole % 60;
  return m + ":" + (s < 10 ? "0" : "") + s + (unit === "tenths" ? "." + (tenths % 10) : "");
}

function say(panel, text) {
  var live = panel.querySelector(".timer-said");
  live.textContent = text;
}

function beep() {
  try {
    var Ctx = globalThis.AudioContext || globalThis.webkitAudioContext;
    if (!Ctx) return;
    var ctx = new Ctx(), osc = ctx.createOscillator();
    osc.frequency.value = 880;
    osc.connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.3);
  } catch (e) { /* no sound: the vibration and the words still say it */ }
}

/** The value a stopwatch fills in for `ms`: whole minutes, whole seconds, or seconds to a tenth. */
export function filled(unit, ms) {
  if (unit === "minutes") return Math.max(1, Math.round(ms / 60000));
  if (unit === "tenths") return Math.max(0.1, Math.round(ms / 100) / 10);
  return Math.round(ms / 1000);
}

/** The clock for one field: unit "seconds", "tenths" (seconds to a tenth) or "minutes". */
function attach(input) {
  var unit = input.dataset.timer;
  var box = input.closest(".field") || input.parentNode;
  var open = doc.createElement("button");
  open.type = "button";
  open.className = "button secondary timer-open";
  open.textContent = "Time it";
  var label = box.querySelector("label"), which = doc.createElement("span");
  which.className = "visually-hidden";  // in the name, not an aria-label a field could match
  which.textContent = "for " + (label ? label.textContent.trim() : input.name);
  open.appendChild(which);
  box.appendChild(open);

  var panel = doc.createElement("div");
  panel.className = "timer";
  panel.hidden = true;
  panel.innerHTML = ('<p class="timer-digits" role="timer" aria-live="off">' + digits(0, unit) + "</p>") +
    '<div class="timer-buttons"><button type="button" class="button primary timer-start">Start</button>' +
    '<button type="button" class="button secondary timer-stop" disabled>Stop</button></div>' +
    '<p class="timer-said" role="status"></p>';
  box.appendChild(panel);
  var face = panel.querySelector(".timer-digits");
  var start = panel.querySelector(".timer-start"), stop = panel.querySelector(".timer-stop");
  var began = 0, timer = null, lock = null, target = 0;

  function keepAwake() {
    var nav = globalThis.navigator;
    if (!nav.wakeLock || !nav.wakeLock.request) return;
    nav.wakeLock.request("screen").then(function (l) { lock = l; }, function () { lock = null; });
  }

  function letSleep() {
    if (lock) lock.release().catch(function () { return null; });
    lock = null;
  }

  function elapsed() { return Date.now() - began; }

  function show() {
    face.textContent = digits(target ? target - elapsed() : elapsed(), unit);
    if (target && elapsed() >= target) {
      finish(true);
    }
  }

  function finish(ended) {
    clearInterval(timer);
    timer = null;
    letSleep();
    start.disabled = false;
    stop.disabled = true;
    start.textContent = "Start again";
    var ms = target && ended ? target : elapsed();
    var value = filled(unit, ms);
    face.textContent = digits(target ? target - ms : ms, unit);  // what was filled in
    input.value = unit === "tenths" ? value.toFixed(1) : String(value);
    input.dispatchEvent(new Event("input", { bubbles: true }));
    var words = input.value + " " + (unit === "minutes" ? (value === 1 ? "minute" : "minutes")
      : (value === 1 ? "second" : "seconds"));
    if (ended) {
      if (globalThis.navigator.vibrate) globalThis.navigator.vibrate([200, 100, 200]);
      beep();
      say(panel, "Time is up: " + words + ". Filled in.");
    } else {
      say(panel, "Timed: " + words + ". Filled in.");
    }
  }

  function closeIfIdle() {
    if (timer || panel.hidden) return;
    panel.hidden = true;
    open.setAttribute("aria-expanded", "false");
  }
  idleClosers.push(closeIfIdle);

  open.addEventListener("click", function () {
    if (panel.hidden) {
      idleClosers.forEach(function (close) { if (close !== closeIfIdle) close(); });
    }
    panel.hidden = !panel.hidden;
    open.setAttribute("aria-expanded", String(!panel.hidden));
    var prescribed = unit !== "minutes" && input.dataset.countdown !== undefined
      ? Number(input.value) : 0;
    target = prescribed > 0 ? prescribed * 1000 : 0;
    face.textContent = digits(target, unit);
    if (!panel.hidden) start.focus();
  });
  open.setAttribute("aria-expanded", "false");

  start.addEventListener("click", function () {
    began = Date.now();
    start.disabled = true;
    stop.disabled = false;
    say(panel, target ? "Counting down." : "Timing.");
    keepAwake();
    clearInterval(timer);
    timer = setInterval(show, TICK_MS);
    stop.focus();
  });
  stop.addEventListener("click", function () { if (timer) finish(false); });
}

function enhance() {
  doc.querySelectorAll("input[data-timer]").forEach(attach);
}

if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", enhance);
else enhance();

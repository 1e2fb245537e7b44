/* The exercise form, made short: the therapy narrows the list of exercises (those done
   recently come first, the rest grouped by therapy), an exercise from the catalogue sets its
   therapy and shows only the dose fields it records (the others stay hidden unless they hold
   a value), "your own name" is cleared when a listed exercise is chosen, and a common dose
   tapped (2 x 10) fills sets and repetitions, where the person can still change them. Without
   JavaScript the whole form shows, as before, and the server reads the dose tapped. */
import { DOSE } from "./programme.js";

const doc = globalThis.document;

function enhance() {
  var form = doc.querySelector('#entry-form[data-kind="exercise"]');
  if (!form) return;
  var therapy = form.elements.namedItem("discipline");
  var exercise = form.elements.namedItem("exercise_id");
  var name = form.elements.namedItem("name");
  if (!therapy || !exercise || !exercise.options) return;

  function box(field) {
    var el = form.elements.namedItem(field);
    return el && (el.closest(".field") || el.parentNode);
  }

  function chosen() { return exercise.options[exercise.selectedIndex]; }

  /** Only the chosen therapy's exercises in the list (and "my own"); all for all therapies. */
  function narrow() {
    Array.prototype.forEach.call(exercise.options, function (option) {
      var d = option.dataset.discipline;
      option.hidden = !!d && !!therapy.value && d !== therapy.value;
      option.disabled = option.hidden;
    });
    exercise.querySelectorAll("optgroup").forEach(function (group) {
      group.hidden = !group.querySelector("option:not([hidden])");
    });
    var picked = chosen();
    if (picked && picked.hidden) exercise.value = "";
  }

  /** Only the dose fields the exercise records; a custom exercise shows them all. */
  function doseFields() {
    var records = (chosen() && chosen().dataset.records || "").split(",").filter(Boolean);
    DOSE.forEach(function (field) {
      var b = box(field), el = form.elements.namedItem(field);
      if (!b || !el) return;
      b.hidden = records.length > 0 && records.indexOf(field) === -1 && !el.value;
    });
    // Common doses are sets x repetitions: offered when the exercise records both.
    var chips = form.querySelector(".dose-chips");
    var setsBox = box("sets"), repsBox = box("reps");
    if (chips) {
      chips.hidden = !!(setsBox && setsBox.hidden) || !!(repsBox && repsBox.hidden);
      untapOthers(chips.hidden);
    }
    // A pair with both halves hidden takes no room.
    form.querySelectorAll(".pair").forEach(function (pair) {
      var shown = Array.prototype.some.call(pair.children, function (c) { return !c.hidden; });
      pair.hidden = !shown;
    });
  }

  /** Untap a common dose the numbers no longer say (or every one, when they are hidden). */
  function untapOthers(all) {
    var sets = form.elements.namedItem("sets"), reps = form.elements.namedItem("reps");
    form.querySelectorAll('input[name="common_dose"]').forEach(function (chip) {
      var says = sets && reps && chip.value === sets.value + "x" + reps.value;
      if (chip.checked && (all || !says)) chip.checked = false;
    });
  }

  /** A common dose tapped fills both numbers; typing other numbers untaps it. */
  function commonDoses() {
    var sets = form.elements.namedItem("sets"), reps = form.elements.namedItem("reps");
    var chips = form.querySelectorAll('input[name="common_dose"]');
    if (!sets || !reps || !chips.length) return;
    chips.forEach(function (chip) {
      chip.addEventListener("change", function () {
        if (!chip.checked) return;
        var dose = chip.value.split("x");
        sets.value = dose[0];
        reps.value = dose[1];
      });
    });
    [sets, reps].forEach(function (el) {
      el.addEventListener("input", function () { untapOthers(false); });
    });
  }

  commonDoses();
  therapy.addEventListener("change", function () { narrow(); doseFields(); });
  exercise.addEventListener("change", function () {
    var picked = chosen();
    if (picked && picked.dataset.discipline) {
      therapy.value = picked.dataset.discipline;
      if (name) name.value = "";
      // A dose this exercise does not record was carried from another one: not chosen here.
      var records = (picked.dataset.records || "").split(",");
      DOSE.forEach(function (field) {
        var el = form.elements.namedItem(field);
        if (el && records.indexOf(field) === -1) el.value = "";
      });
    }
    narrow();
    doseFields();
  });
  narrow();
  doseFields();
}

if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", enhance);
else enhance();

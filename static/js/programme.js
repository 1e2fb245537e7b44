/* The person's programme as the phone knows it: which items are in force on a day, and the
   entry that "Done" makes. Pure: no storage, no page. */

/** The dose fields an exercise entry and a programme item share. */
export const DOSE = ["sets", "reps", "hold_seconds", "minutes", "distance_m", "phonation_seconds",
  "loudness_db", "rests"];

/** Whether a programme item is in force on a day ("YYYY-MM-DD"), as Today shows it. */
export function activeOn(item, day) {
  return !item.stopped_at && item.start_date <= day && (!item.end_date || day <= item.end_date);
}

/** A programme item done at its usual dose (Today's "Done", a reminder's "Done"). */
export function doneEntry(item, occurredAt) {
  const entry = { kind: "exercise", discipline: item.discipline, exercise_id: item.exercise_id,
    programme_item_id: item.id, name: item.name, by_carer: false, note: null,
    occurred_at: occurredAt };
  for (const field of DOSE) entry[field] = item[field] === undefined ? null : item[field];
  return entry;
}

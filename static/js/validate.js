/* The phone's own checks of an entry, beyond what each field's HTML attributes check (required,
   min, max, maxlength, all rendered by the server): the rules that span fields or need the
   clock. The limits and the words are the server's, sent with every page (kinds.client_words
   "rules", from validation.phone_rules): the phone holds no copy of them, and
   tests/test_phone_verdicts.py runs one table of cases through this module and the server.
   Pure: no page, no storage. */

/** Problems with an entry as [field, message] pairs, in the order the form shows them.
    `words` are the server's words for the phone (each kind's `fields`, walk limits, and
    `rules`); `now` is in ms. Timed seconds that pass are kept to a tenth in `entry`, as the
    server keeps them. */
export function entryProblems(kind, entry, words, now) {
  const rules = words.rules, said = rules.messages;
  const problems = [];
  if (kind === "exercise" && !entry.exercise_id && !entry.name) {
    problems.push(["name", said.exercise_missing]);
  }
  if (kind === "exercise" && !entry.exercise_id && entry.name && !entry.discipline) {
    problems.push(["discipline", said.own_therapy]);
  }
  const timed = ((words.fields || {})[kind] || []).filter((f) => f[1] === "seconds");
  for (const [name, , missing] of timed) {
    const seconds = entry[name];
    if (seconds === null || seconds === undefined) {
      if (missing) problems.push([name, missing]);
      continue;
    }
    const tenths = Math.round(seconds * 10) / 10;
    if (!(tenths > 0 && tenths <= words.walk_seconds_max)) {
      problems.push([name, words.walk_seconds_message]);
    } else {
      entry[name] = tenths;
    }
  }
  const when = entry.occurred_at ? Date.parse(entry.occurred_at) : NaN;
  if (when > now + rules.max_future_ms) problems.push(["occurred_at", said.future]);
  else if (when < now - rules.max_past_ms) problems.push(["occurred_at", said.past]);
  if (entry.note && new RegExp(rules.control_chars).test(entry.note)) {
    problems.push(["note", said.control_chars]);
  }
  return problems;
}

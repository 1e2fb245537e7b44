"""The seeded exercise catalogue, in our own plain words."""

from __future__ import annotations

import re
from typing import Final, TypedDict

from .vocab import DOSE_FIELDS

DISCIPLINE_CATEGORIES: Final[dict[str, tuple[str, ...]]] = {
    "physio": ("strength", "balance", "stretching", "walking", "aerobic"),
    "ot": ("daily_living", "energy_conservation", "hand"),
    "slt": ("voice", "articulation", "swallowing"),
    "cognitive": ("memory", "attention"),
}

MIN_TOTAL: Final = 36
MIN_PER_DISCIPLINE: Final[dict[str, int]] = {"physio": 14, "ot": 8, "slt": 8, "cognitive": 6}
MAX_NAME_CHARS: Final = 60
MAX_DESCRIPTION_CHARS: Final = 300
MAX_DESCRIPTION_SENTENCES: Final = 3

_SLUG_RE: Final = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_SENTENCE_END_RE: Final = re.compile(r"[.!?](?=\s|$)")


class CatalogueExercise(TypedDict):
    slug: str  # unique, lowercase-kebab, stable forever (sync and migrations key on it)
    name: str  # short, plain, <= 60 chars
    discipline: str  # one of DISCIPLINE_CATEGORIES
    category: str  # one of DISCIPLINE_CATEGORIES[discipline]
    description: str  # 1-3 short plain sentences on doing it safely, <= 300 chars
    records: tuple[str, ...]  # which DOSE_FIELDS a person records, in display order


CATALOGUE: Final[tuple[CatalogueExercise, ...]] = (
    # ------------------------------------------------------------------ physio: strength
    {
        "slug": "sit-to-stand",
        "name": "Sit to stand",
        "discipline": "physio",
        "category": "strength",
        "description": (
            "Sit near the front of a firm chair with feet flat and a bit apart. "
            "Lean forward and stand up, using your hands if you need to, then sit down slowly. "
            "Have something steady in front of you to hold."
        ),
        "records": ("sets", "reps"),
    },
    {
        "slug": "heel-raises",
        "name": "Heel raises at a support",
        "discipline": "physio",
        "category": "strength",
        "description": (
            "Stand holding a kitchen counter or sturdy chair back. "
            "Rise slowly onto your toes, then lower your heels back down with control."
        ),
        "records": ("sets", "reps"),
    },
    {
        "slug": "seated-knee-straightening",
        "name": "Seated knee straightening",
        "discipline": "physio",
        "category": "strength",
        "description": (
            "Sit upright in a chair. Straighten one knee until the leg is level, "
            "hold briefly, then lower it slowly. Swap legs."
        ),
        "records": ("sets", "reps", "hold_seconds"),
    },
    {
        "slug": "bridge-lift",
        "name": "Bridge lift on the bed",
        "discipline": "physio",
        "category": "strength",
        "description": (
            "Lie on your back with knees bent and feet flat. "
            "Squeeze your buttocks and lift your hips a little, hold, then lower slowly. "
            "Keep breathing throughout."
        ),
        "records": ("sets", "reps", "hold_seconds"),
    },
    {
        "slug": "standing-side-leg-lift",
        "name": "Standing side leg lift",
        "discipline": "physio",
        "category": "strength",
        "description": (
            "Stand holding a steady support with both hands. "
            "Lift one leg out to the side, keeping your body upright, then bring it back slowly. "
            "Swap legs."
        ),
        "records": ("sets", "reps"),
    },
    {
        "slug": "wall-press-ups",
        "name": "Wall press-ups",
        "discipline": "physio",
        "category": "strength",
        "description": (
            "Stand an arm's length from a wall with hands flat on it at shoulder height. "
            "Bend your elbows to bring your chest towards the wall, then push back. "
            "Stand closer to make it easier."
        ),
        "records": ("sets", "reps"),
    },
    # ------------------------------------------------------------------ physio: balance
    {
        "slug": "standing-balance-near-support",
        "name": "Standing balance near a support",
        "discipline": "physio",
        "category": "balance",
        "description": (
            "Stand with feet together next to a counter, close enough to grab it. "
            "Let go only if you feel steady and count how long you can stay still. "
            "Hold on again at any wobble."
        ),
        "records": ("reps", "hold_seconds"),
    },
    {
        "slug": "side-to-side-weight-shifts",
        "name": "Side-to-side weight shifts",
        "discipline": "physio",
        "category": "balance",
        "description": (
            "Stand at a counter with feet hip-width apart and hands resting on it. "
            "Slowly move your weight onto one foot, then the other, without lifting your feet."
        ),
        "records": ("sets", "reps"),
    },
    {
        "slug": "heel-to-toe-standing",
        "name": "Heel-to-toe standing at a counter",
        "discipline": "physio",
        "category": "balance",
        "description": (
            "Stand at a counter and place one foot straight in front of the other, "
            "heel touching toe. Hold the counter as much as you need and count the seconds. "
            "Swap which foot is in front."
        ),
        "records": ("reps", "hold_seconds"),
    },
    {
        "slug": "seated-reach-outs",
        "name": "Seated reach-outs",
        "discipline": "physio",
        "category": "balance",
        "description": (
            "Sit on a firm chair with feet flat. Reach one hand forward or to the side "
            "as far as is comfortable, then sit back up tall. "
            "Keep the other hand free to steady you."
        ),
        "records": ("sets", "reps"),
    },
    # ------------------------------------------------------------------ physio: stretching
    {
        "slug": "calf-stretch-at-wall",
        "name": "Calf stretch at a wall",
        "discipline": "physio",
        "category": "stretching",
        "description": (
            "Face a wall with hands on it and step one foot back, heel down. "
            "Lean gently towards the wall until you feel a stretch in the back leg's calf. "
            "Hold, then swap legs."
        ),
        "records": ("reps", "hold_seconds"),
    },
    {
        "slug": "seated-hamstring-stretch",
        "name": "Seated hamstring stretch",
        "discipline": "physio",
        "category": "stretching",
        "description": (
            "Sit near the edge of a chair with one leg straight out, heel on the floor. "
            "Sit tall and lean forward from the hips until you feel a gentle stretch "
            "behind the thigh. Hold, then swap."
        ),
        "records": ("reps", "hold_seconds"),
    },
    {
        "slug": "lying-hip-stretch",
        "name": "Lying hip stretch",
        "discipline": "physio",
        "category": "stretching",
        "description": (
            "Lie on your back on the bed. Hug one knee gently towards your chest "
            "while the other leg rests flat. Hold, breathe slowly, then swap legs."
        ),
        "records": ("reps", "hold_seconds"),
    },
    {
        "slug": "seated-ankle-circles",
        "name": "Seated ankle circles",
        "discipline": "physio",
        "category": "stretching",
        "description": (
            "Sit with one foot lifted a little off the floor. Draw slow circles with your toes, "
            "one way and then the other. Swap feet."
        ),
        "records": ("sets", "reps"),
    },
    # ------------------------------------------------------------------ physio: walking
    {
        "slug": "indoor-walk",
        "name": "Indoor walk",
        "discipline": "physio",
        "category": "walking",
        "description": (
            "Walk at a comfortable pace around your home with your usual aid. "
            "Clear the way of rugs and clutter first, and stop to rest whenever you need."
        ),
        "records": ("minutes", "distance_m", "rests"),
    },
    {
        "slug": "outdoor-walk",
        "name": "Outdoor walk",
        "discipline": "physio",
        "category": "walking",
        "description": (
            "Walk outside with your usual aid on a route with places to sit. "
            "Avoid the hottest part of the day, take water and your phone, "
            "and turn back while you still feel fresh."
        ),
        "records": ("minutes", "distance_m", "rests"),
    },
    # ------------------------------------------------------------------ physio: aerobic
    {
        "slug": "seated-marching",
        "name": "Seated marching",
        "discipline": "physio",
        "category": "aerobic",
        "description": (
            "Sit upright in a firm chair. Lift your knees one at a time as if marching, "
            "swinging your arms if you can. Go at a pace where you can still talk."
        ),
        "records": ("minutes", "rests"),
    },
    {
        "slug": "pedal-exerciser",
        "name": "Exercise bike or pedal exerciser",
        "discipline": "physio",
        "category": "aerobic",
        "description": (
            "Pedal at an easy, steady pace where you can still talk. "
            "Keep a fan or cool drink nearby, and stop for a rest if your legs feel heavy."
        ),
        "records": ("minutes", "rests"),
    },
    {
        "slug": "seated-arm-swings",
        "name": "Seated arm swings",
        "discipline": "physio",
        "category": "aerobic",
        "description": (
            "Sit tall and swing your arms forward and back, or punch gently forwards, "
            "in a steady rhythm. Keep it easy enough to talk, and rest whenever you need."
        ),
        "records": ("minutes", "rests"),
    },
    # ------------------------------------------------------------------ OT: daily living
    {
        "slug": "making-a-hot-drink",
        "name": "Making a hot drink",
        "discipline": "ot",
        "category": "daily_living",
        "description": (
            "Make a hot drink, filling the kettle with only what you need. "
            "Use a tray or trolley to carry it, and sit down for any step you can."
        ),
        "records": ("minutes", "rests"),
    },
    {
        "slug": "dressing-seated",
        "name": "Getting dressed sitting down",
        "discipline": "ot",
        "category": "daily_living",
        "description": (
            "Lay your clothes out within reach, then dress while sitting on a firm chair or bed. "
            "Dress the weaker side first and take a break between items if you need to."
        ),
        "records": ("minutes", "rests"),
    },
    {
        "slug": "preparing-a-simple-meal",
        "name": "Preparing a simple meal",
        "discipline": "ot",
        "category": "daily_living",
        "description": (
            "Gather everything you need before you start. "
            "Sit on a stool for chopping and stirring, and rest between steps."
        ),
        "records": ("minutes", "rests"),
    },
    # ------------------------------------------------------------------ OT: energy conservation
    {
        "slug": "choose-todays-priorities",
        "name": "Choose today's priorities",
        "discipline": "ot",
        "category": "energy_conservation",
        "description": (
            "List what you would like to do today. Mark the one or two that matter most, "
            "and decide what can wait, be done more simply, or be done by someone else."
        ),
        "records": ("minutes",),
    },
    {
        "slug": "plan-the-day-or-week",
        "name": "Plan the day or week",
        "discipline": "ot",
        "category": "energy_conservation",
        "description": (
            "Spread heavier jobs across the week and put them at the time of day you feel best. "
            "Plan a rest after each big task and gather what you need before you start."
        ),
        "records": ("minutes",),
    },
    {
        "slug": "pace-a-task",
        "name": "Pace a task with planned rests",
        "discipline": "ot",
        "category": "energy_conservation",
        "description": (
            "Pick a task and break it into short parts with a rest in between. "
            "Stop for the planned rest even if you feel fine, before you get tired."
        ),
        "records": ("minutes", "rests"),
    },
    {
        "slug": "position-for-a-task",
        "name": "Set up a comfortable position",
        "discipline": "ot",
        "category": "energy_conservation",
        "description": (
            "Sit down for a task you would usually stand for, with things you use often "
            "at waist to shoulder height. Avoid bending low or reaching high."
        ),
        "records": ("minutes", "rests"),
    },
    # ------------------------------------------------------------------ OT: hand
    {
        "slug": "putty-squeeze",
        "name": "Putty squeeze",
        "discipline": "ot",
        "category": "hand",
        "description": (
            "Hold a ball of therapy putty or soft dough in your palm. "
            "Squeeze it with all your fingers, then relax your hand fully. Swap hands."
        ),
        "records": ("sets", "reps"),
    },
    {
        "slug": "peg-board",
        "name": "Peg board",
        "discipline": "ot",
        "category": "hand",
        "description": (
            "Sit at a table with your elbow resting on it. Pick up pegs one at a time and "
            "put them in the holes, then take them out again. Go for steady, not fast."
        ),
        "records": ("reps", "minutes"),
    },
    {
        "slug": "buttoning-practice",
        "name": "Buttoning practice",
        "discipline": "ot",
        "category": "hand",
        "description": (
            "Lay a shirt or cardigan on your lap or a table. "
            "Do up the buttons and undo them again, starting with the largest ones."
        ),
        "records": ("reps", "minutes"),
    },
    {
        "slug": "finger-to-thumb-touches",
        "name": "Finger to thumb touches",
        "discipline": "ot",
        "category": "hand",
        "description": (
            "Rest your forearm on a table. Touch the tip of your thumb to each fingertip in turn, "
            "making a round O each time, then go back the other way."
        ),
        "records": ("sets", "reps"),
    },
    {
        "slug": "picking-up-small-objects",
        "name": "Picking up small objects",
        "discipline": "ot",
        "category": "hand",
        "description": (
            "Spread coins, buttons or dried beans on a tray. "
            "Pick them up one at a time and drop them into a cup, then tip them back out."
        ),
        "records": ("reps", "minutes"),
    },
    # ------------------------------------------------------------------ SLT: voice
    {
        "slug": "long-strong-ah",
        "name": 'Long strong "ah"',
        "discipline": "slt",
        "category": "voice",
        "description": (
            'Sit tall, take a comfortable breath and say "ah" in a strong, clear voice '
            "for as long as is easy. Stop before your throat strains. "
            "Note the seconds, and the loudness if you have a sound meter app."
        ),
        "records": ("phonation_seconds", "loudness_db"),
    },
    {
        "slug": "pitch-glides",
        "name": "Pitch glides up and down",
        "discipline": "slt",
        "category": "voice",
        "description": (
            'Say "ah" and slide your voice smoothly from low to high, like a siren, '
            "then from high to low. Keep it comfortable and stop if your throat hurts."
        ),
        "records": ("reps",),
    },
    {
        "slug": "reading-aloud",
        "name": "Reading aloud in a strong voice",
        "discipline": "slt",
        "category": "voice",
        "description": (
            "Read a short passage aloud as if to someone across the room. "
            "Pause to breathe at each full stop, and sip water if your voice tires."
        ),
        "records": ("minutes", "loudness_db"),
    },
    # ------------------------------------------------------------------ SLT: articulation
    {
        "slug": "pa-ta-ka-drill",
        "name": "Sound drill: pa, ta, ka",
        "discipline": "slt",
        "category": "articulation",
        "description": (
            'Say "pa" several times, then "ta", then "ka", making each sound crisp. '
            'Then say "pa-ta-ka" together, slowly and clearly rather than fast.'
        ),
        "records": ("sets", "reps"),
    },
    {
        "slug": "tongue-movements",
        "name": "Tongue movements",
        "discipline": "slt",
        "category": "articulation",
        "description": (
            "Stick your tongue out, then up towards your nose, down towards your chin, "
            "and to each corner of your mouth. Move slowly and rest between rounds."
        ),
        "records": ("sets", "reps"),
    },
    {
        "slug": "lip-round-and-spread",
        "name": "Lip rounding and spreading",
        "discipline": "slt",
        "category": "articulation",
        "description": (
            'Push your lips forward into a tight "oo", then stretch them into a wide smile '
            'as in "ee". Move between the two slowly and firmly.'
        ),
        "records": ("sets", "reps"),
    },
    {
        "slug": "clear-speech-word-list",
        "name": "Clear speech word list",
        "discipline": "slt",
        "category": "articulation",
        "description": (
            "Read a list of everyday words aloud, one at a time, "
            "saying every sound at the start and end of each word. Slow and clear beats quick."
        ),
        "records": ("minutes",),
    },
    # ------------------------------------------------------------------ SLT: swallowing
    {
        "slug": "effortful-swallow",
        "name": "Hard swallow",
        "discipline": "slt",
        "category": "swallowing",
        "description": (
            "Sit upright. Swallow your saliva while squeezing all your throat and mouth "
            "muscles as hard as you can. "
            "Only do the swallowing exercises your therapist showed you."
        ),
        "records": ("reps",),
    },
    {
        "slug": "chin-tuck-against-resistance",
        "name": "Chin tuck against a ball",
        "discipline": "slt",
        "category": "swallowing",
        "description": (
            "Sit upright with a small soft ball between your chin and upper chest. "
            "Press your chin down onto the ball, hold, then relax."
        ),
        "records": ("reps", "hold_seconds"),
    },
    {
        "slug": "lying-head-lift",
        "name": "Lying head lift",
        "discipline": "slt",
        "category": "swallowing",
        "description": (
            "Lie flat on your back. Lift only your head to look at your toes, "
            "keeping your shoulders down, hold, then lower slowly. Stop if your neck hurts."
        ),
        "records": ("sets", "reps", "hold_seconds"),
    },
    {
        "slug": "tongue-hold-swallow",
        "name": "Tongue-hold swallow",
        "discipline": "slt",
        "category": "swallowing",
        "description": (
            "Hold the tip of your tongue gently between your front teeth and swallow your saliva. "
            "Practise this without food or drink."
        ),
        "records": ("reps",),
    },
    # ------------------------------------------------------------------ cognitive: memory
    {
        "slug": "word-list-recall",
        "name": "Word list recall",
        "discipline": "cognitive",
        "category": "memory",
        "description": (
            "Read a short list of words, cover it, and say or write down as many as you remember. "
            "Grouping them or making a little story can help."
        ),
        "records": ("reps", "minutes"),
    },
    {
        "slug": "card-matching-pairs",
        "name": "Card matching pairs",
        "discipline": "cognitive",
        "category": "memory",
        "description": (
            "Lay a few pairs of cards face down. Turn two over at a time and try to "
            "remember where each one was to find the pairs. Start with a few pairs."
        ),
        "records": ("minutes",),
    },
    {
        "slug": "number-sequences",
        "name": "Repeat number sequences",
        "discipline": "cognitive",
        "category": "memory",
        "description": (
            "Have someone read, or read yourself, a short string of numbers, then say it back "
            "from memory. Add one number when it feels easy."
        ),
        "records": ("reps", "minutes"),
    },
    {
        "slug": "story-recall",
        "name": "Story recall",
        "discipline": "cognitive",
        "category": "memory",
        "description": (
            "Read a short news item or story, then put it away and tell it back in your own "
            "words. Check what you missed afterwards."
        ),
        "records": ("minutes",),
    },
    # ------------------------------------------------------------------ cognitive: attention
    {
        "slug": "focused-reading",
        "name": "Focused reading",
        "discipline": "cognitive",
        "category": "attention",
        "description": (
            "Read something you enjoy in a quiet place with the TV and phone off. "
            "Stop for a short rest when your mind starts to wander."
        ),
        "records": ("minutes", "rests"),
    },
    {
        "slug": "spot-the-letter",
        "name": "Spot the letter",
        "discipline": "cognitive",
        "category": "attention",
        "description": (
            'Take a page of a newspaper and cross out every letter "e" you can find, '
            "line by line. Choose a different letter next time."
        ),
        "records": ("minutes",),
    },
    {
        "slug": "sorting-by-a-rule",
        "name": "Sorting by a rule",
        "discipline": "cognitive",
        "category": "attention",
        "description": (
            "Sort a pack of cards or a jar of buttons into piles by one rule, such as colour. "
            "When that feels easy, sort by two rules at once."
        ),
        "records": ("minutes",),
    },
)


def _check_text(item: CatalogueExercise, label: str) -> list[str]:
    """Problems with the text fields of one entry (presence, slug format, length limits)."""
    problems: list[str] = []
    for key in ("slug", "name", "discipline", "category", "description"):
        value = item.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{label}: {key} must be a non-empty string")
    slug = item.get("slug")
    if isinstance(slug, str) and slug and not _SLUG_RE.match(slug):
        problems.append(f"{label}: slug must be lowercase-kebab")
    name = item.get("name")
    if isinstance(name, str) and len(name) > MAX_NAME_CHARS:
        problems.append(f"{label}: name longer than {MAX_NAME_CHARS} characters")
    description = item.get("description")
    if isinstance(description, str):
        if len(description) > MAX_DESCRIPTION_CHARS:
            problems.append(f"{label}: description longer than {MAX_DESCRIPTION_CHARS} characters")
        if len(_SENTENCE_END_RE.findall(description.strip())) > MAX_DESCRIPTION_SENTENCES:
            problems.append(
                f"{label}: description has more than {MAX_DESCRIPTION_SENTENCES} sentences"
            )
    return problems


def _check_kind(item: CatalogueExercise, label: str) -> list[str]:
    """Problems with the discipline, the category for that discipline, and the records."""
    problems: list[str] = []
    discipline = item.get("discipline")
    category = item.get("category")
    if discipline not in DISCIPLINE_CATEGORIES:
        problems.append(f"{label}: unknown discipline {discipline!r}")
    elif category not in DISCIPLINE_CATEGORIES[discipline]:
        problems.append(f"{label}: category {category!r} is not valid for {discipline!r}")
    records = item.get("records")
    if not isinstance(records, tuple) or not records:
        problems.append(f"{label}: records must be a non-empty tuple")
    else:
        unknown = [field for field in records if field not in DOSE_FIELDS]
        if unknown:
            problems.append(f"{label}: unknown record fields {unknown}")
        if len(set(records)) != len(records):
            problems.append(f"{label}: records repeats a field")
    return problems


def _check_coverage(catalogue: tuple[CatalogueExercise, ...]) -> list[str]:
    """Problems with the catalogue as a whole: minimum counts and every category covered."""
    problems: list[str] = []
    if len(catalogue) < MIN_TOTAL:
        problems.append(f"catalogue has {len(catalogue)} exercises, needs at least {MIN_TOTAL}")
    for discipline, minimum in MIN_PER_DISCIPLINE.items():
        count = sum(1 for item in catalogue if item.get("discipline") == discipline)
        if count < minimum:
            problems.append(f"{discipline} has {count} exercises, needs at least {minimum}")
    covered = {(item.get("discipline"), item.get("category")) for item in catalogue}
    for discipline, categories in DISCIPLINE_CATEGORIES.items():
        for category in categories:
            if (discipline, category) not in covered:
                problems.append(f"no exercise in {discipline}/{category}")
    return problems


def validate_catalogue(
    catalogue: tuple[CatalogueExercise, ...] = CATALOGUE,
    *,
    check_coverage: bool = True,
) -> list[str]:
    """Return a list of problems with the catalogue (empty when it is sound).

    Each entry is checked on its own (slug format, known discipline and category for it,
    non-empty records drawn from DOSE_FIELDS, length limits) and against the others (unique
    slugs, unique names ignoring case). With ``check_coverage`` the catalogue as a whole must
    also meet the minimum counts and have at least one exercise in every category.
    """
    problems: list[str] = []
    seen_slugs: set[str] = set()
    seen_names: set[str] = set()
    for index, item in enumerate(catalogue):
        slug = item.get("slug")
        label = f"#{index} ({slug or 'no slug'})"
        problems += _check_text(item, label)
        problems += _check_kind(item, label)
        if isinstance(slug, str) and slug:
            if slug in seen_slugs:
                problems.append(f"{label}: duplicate slug")
            seen_slugs.add(slug)
        name = item.get("name")
        if isinstance(name, str) and name:
            key = name.strip().casefold()
            if key in seen_names:
                problems.append(f"{label}: duplicate name {name!r}")
            seen_names.add(key)
    if check_coverage:
        problems += _check_coverage(catalogue)
    return problems


def seed_rows(catalogue: tuple[CatalogueExercise, ...] = CATALOGUE) -> list[dict[str, str]]:
    """The catalogue as rows for the exercises table."""
    return [
        {
            "slug": e["slug"],
            "name": e["name"],
            "discipline": e["discipline"],
            "category": e["category"],
            "description": e["description"],
            "records": ",".join(e["records"]),
        }
        for e in catalogue
    ]

"""WCAG 2.2 AA on every page, light and dark; big targets, reflow and zoom on a phone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect

from config import TestConfig
from rehab_app import create_app
from rehab_app.core import access_log, care_links, clinics, notes, programme_templates
from rehab_app.core import entries as log
from rehab_app.core.timeutil import local_now, local_today
from rehab_app.extensions import db
from rehab_app.models import Exercise, ProgrammeItem, User
from tests.helpers.accounts import link, make_user
from tests.helpers.browser import DESKTOP, PHONE, log_in, new_context, screenshot
from tests.helpers.database import clear_data

pytestmark = pytest.mark.browser

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# Dark mode changes colours and nothing else (test_dark_mode_changes_only_colours holds the
# style sheets to it): the same markup, so axe's rules about structure, names and roles find in
# dark what they find in light. In dark, axe runs its rules about colour within AXE_TAGS.
COLOUR_RULES = ["color-contrast", "link-in-text-block"]
MIN_TARGET = 44  # CSS px, on the pages patients use (DOMAIN.md)
SCHEMES = ("light", "dark")
# WCAG 1.4.10: 320 CSS px wide, the width of a 1280 px window at 400%.
NARROW: dict[str, Any] = {"viewport": {"width": 320, "height": 640}, "device_scale_factor": 1}
# A 1280 by 800 desktop window zoomed to 200%: half the CSS pixels, each drawn twice as big.
ZOOMED: dict[str, Any] = {"viewport": {"width": 640, "height": 400}, "device_scale_factor": 2}


@dataclass(frozen=True)
class Screen:
    """A page as someone reaches it: who is logged in, where they go, what they submit."""

    name: str
    who: str  # "patient", "therapist", "newcomer" (a therapist not yet approved) or "visitor"
    path: str  # may name {entry}, {deleted} and {patient}, filled in from the seeded data
    fill: tuple[tuple[str, str], ...] = ()  # (label, value) typed before submitting
    submit: str | None = None  # the button pressed, to see the page's answer
    status: int = 400  # the expected status of that answer
    opened: int = 200  # the expected status of the page itself
    from_elsewhere: bool = False  # reached through a link on another site

    @property
    def on_phone(self) -> bool:
        """Patients and visitors hold a phone; therapists sit at a desk."""
        return self.who in ("patient", "visitor")


NO_WHEN = (("When", ""),)
SCREENS = [
    Screen("today", "patient", "/today"),
    Screen("log-exercise", "patient", "/log/exercise"),
    Screen("log-fatigue", "patient", "/log/fatigue"),
    Screen("log-mobility", "patient", "/log/mobility"),
    Screen("log-bad-day", "patient", "/log/bad_day"),
    Screen("log-walk-test", "patient", "/log/walk_test"),
    Screen("history", "patient", "/history"),
    Screen("history-undo", "patient", "/history?undo={deleted}"),
    Screen("history-one-kind", "patient", "/history?kind=fatigue"),
    Screen("progress", "patient", "/progress"),
    Screen("progress-3-months", "patient", "/progress?range=3m"),
    Screen("account", "patient", "/account"),
    Screen("account-delete", "patient", "/account/delete"),
    Screen("account-security", "patient", "/account/security"),
    Screen("passkeys", "patient", "/account/passkeys"),
    Screen("reminders", "patient", "/account/reminders"),
    Screen(
        "reminders-errors",
        "patient",
        "/account/reminders",
        (("Quiet from", "22:00"),),
        "Save reminders",
    ),
    Screen("edit-exercise", "patient", "/entries/{entry}/edit"),
    Screen("log-exercise-errors", "patient", "/log/exercise", NO_WHEN, "Save"),
    Screen("log-fatigue-errors", "patient", "/log/fatigue", (), "Save"),
    Screen(
        "log-mobility-errors",
        "patient",
        "/log/mobility",
        (*NO_WHEN, ("How far (metres)", "-5")),
        "Save",
    ),
    Screen("log-bad-day-errors", "patient", "/log/bad_day", (), "Save"),
    Screen(
        "log-walk-test-errors",
        "patient",
        "/log/walk_test",
        (("First walk (seconds)", "0"), ("Second walk (seconds)", "")),
        "Save",
    ),
    Screen("edit-exercise-errors", "patient", "/entries/{entry}/edit", NO_WHEN, "Save changes"),
    Screen(
        "account-errors",
        "patient",
        "/account",
        (("Code from your therapist", "NOPE-NOPE"),),
        "Link therapist",
    ),
    # A therapist's code entered: whose it is, with Share and Cancel (nothing shared yet).
    Screen(
        "account-link-confirm",
        "patient",
        "/account",
        (("Code from your therapist", "abcd efgh"),),
        "Link therapist",
        status=200,
    ),
    Screen(
        "account-delete-errors",
        "patient",
        "/account/delete",
        (),
        "Delete my account and all my data",
    ),
    Screen("login", "visitor", "/login"),
    Screen("signup", "visitor", "/signup"),
    Screen("login-errors", "visitor", "/login", (), "Log in"),
    Screen("signup-errors", "visitor", "/signup", (("Email", "not an email"),), "Create account"),
    Screen("change-password", "patient", "/account/password"),
    Screen("change-password-errors", "patient", "/account/password", (), "Change password"),
    Screen("forgot-password", "visitor", "/password/forgot"),
    Screen(
        "forgot-password-sent",
        "visitor",
        "/password/forgot",
        (("Email", "someone@example.test"),),
        "Send me a link",
        status=200,
    ),
    # A search is remembered for the session (therapist views): each caseload screen says its
    # own, or it would show the last one's (an empty "nobody" table passed every check).
    Screen("caseload", "therapist", "/therapist?q="),
    Screen("therapist-account", "therapist", "/account"),
    Screen("therapist-security", "therapist", "/account/security"),
    Screen("therapist-patient", "therapist", "/therapist/patients/{patient}"),
    Screen(
        "therapist-patient-errors",
        "therapist",
        "/therapist/patients/{patient}",
        (),
        "Add to programme",
    ),
    Screen(
        "link-code",
        "therapist",
        "/therapist?q=",
        (),
        "Make a link code for a new patient",
        status=201,
    ),
    # Refusals that are pages a person reads: a therapist waiting for approval, and a patient's
    # page opened from a link on another site (it would write to the access record).
    Screen("therapist-waiting", "newcomer", "/therapist", opened=403),
    Screen(
        "opened-from-elsewhere",
        "therapist",
        "/therapist/patients/{patient}",
        opened=403,
        from_elsewhere=True,
    ),
]
# ---- Therapist dashboard (D1): a caseload with a flagged patient, sorting and search, the
# programme edit form; the account screen above shows the access record (see seed_dashboard).
DASHBOARD_SCREENS = [
    Screen("caseload-sorted", "therapist", "/therapist?sort=fatigue&dir=desc&q="),
    Screen("caseload-no-match", "therapist", "/therapist?q=nobody"),
    Screen("programme-edit", "therapist", "/therapist/programme/{item}/edit"),
    Screen(
        "programme-edit-errors",
        "therapist",
        "/therapist/programme/{item}/edit",
        (("Days a week", "9"),),
        "Save changes",
    ),
]
SCREENS += DASHBOARD_SCREENS
# ---- Clinics (issue 14): Tom is the admin of a clinic whose team Ada linked, and wrote Ada a
# note of their appointment (on her Progress screen above; see seed_clinic).
CLINIC_SCREENS = [
    Screen("clinic", "therapist", "/clinic"),
    Screen("clinic-errors", "therapist", "/clinic", (), "Make a team"),
    Screen(
        "team-link-code",
        "therapist",
        "/therapist?q=",
        (),
        "Make a link code for MS team",
        status=201,
    ),
    Screen(
        "template-errors",
        "therapist",
        "/therapist/patients/{patient}",
        (("Template name", ""),),
        "Save as a template for MS team",
    ),
    Screen(
        "therapist-note-errors",
        "therapist",
        "/therapist/patients/{patient}",
        (("Note for them to read", ""),),
        "Keep the note",
    ),
    # A team's code entered: the team and each of its members, with Share and Cancel.
    Screen(
        "account-team-confirm",
        "patient",
        "/account",
        (("Code from your therapist", "team-abcd"),),
        "Link therapist",
        status=200,
    ),
    # No code, below the team Ada linked: the page opens at the code's error. (Not a wrong
    # code: every screen here is shown many times, and wrong codes are limited.)
    Screen(
        "account-code-errors",
        "patient",
        "/account",
        (("Code from your therapist", ""),),
        "Link therapist",
    ),
]
SCREENS += CLINIC_SCREENS
# ---- end of the therapist dashboard (D1) screens

PHONE_SCREENS = [s for s in SCREENS if s.on_phone]


def ids(screens: list[Screen]) -> list[str]:
    """Test ids: the screen names."""
    return [s.name for s in screens]


@dataclass
class Cast:
    """The people and entries the pages show."""

    emails: dict[str, str]
    ids: dict[str, str] = field(default_factory=dict)


ENTRIES: list[tuple[str, dict[str, Any], int]] = [  # kind, fields, hours ago
    ("exercise", {"sets": 2, "reps": 8, "effort": 6, "note": "Legs heavy after lunch."}, 1),
    ("fatigue", {"fatigue": 7, "context": "heat"}, 2),
    (
        "mobility",
        {"aid": "one_stick", "setting": "outdoors", "distance_m": 300, "near_falls": 1},
        26,
    ),
    ("bad_day", {"reason": "relapse", "by_carer": True}, 27),
]


def seed() -> Cast:
    """A patient with a programme and one entry of each kind (one deleted), and a therapist."""
    patient = make_user("patient", "ada@example.test", "Ada Lovelace-Byron")
    therapist = make_user("therapist", "tom@example.test", "Tom Therapist")
    link(therapist, patient)
    newcomer = make_user("therapist", "nia@example.test", "Nia Newcomer")
    newcomer.approved_at = None
    sit_to_stand = db.session.scalars(
        db.select(Exercise).where(Exercise.name == "Sit to stand")
    ).one()
    from_catalogue = {
        "discipline": sit_to_stand.discipline,
        "exercise_id": sit_to_stand.id,
    }
    db.session.add(
        ProgrammeItem(
            patient_id=patient.id,
            therapist_id=therapist.id,
            sets=2,
            reps=10,
            days_per_week=5,
            start_date=local_today(patient.timezone) - timedelta(days=7),
            note="Slowly, with a chair behind you.",
            **from_catalogue,
        )
    )
    now = local_now(patient.timezone)
    made = {}
    for kind, fields, hours in ENTRIES:
        if kind == "exercise":
            fields = {**fields, **from_catalogue, "name": sit_to_stand.name}
        made[kind], _ = log.create_entry(
            db.session, patient, kind, fields, now - timedelta(hours=hours)
        )
    log.delete_entry(made["bad_day"])
    care_links.make_code(db.session, therapist).code = "ABCDEFGH"  # shown, never used up
    db.session.commit()
    return Cast(
        emails={
            "patient": patient.email,
            "therapist": therapist.email,
            "newcomer": newcomer.email,
        },
        ids={
            "entry": made["exercise"].id,
            "deleted": made["bad_day"].id,
            "patient": str(patient.id),
        },
    )


def seed_dashboard() -> dict[str, str]:
    """D1: a second patient worth reviewing, and a look at Ada's page in her access record."""
    ada = db.session.scalars(db.select(User).where(User.email == "ada@example.test")).one()
    tom = db.session.scalars(db.select(User).where(User.email == "tom@example.test")).one()
    ben = make_user("patient", "ben@example.test", "Ben Example-Flagged")
    link(tom, ben)
    now = local_now(ben.timezone)
    for days_ago, fatigue in [*((d, 7) for d in range(4)), *((d, 4) for d in range(8, 30, 2))]:
        log.create_entry(
            db.session, ben, "fatigue", {"fatigue": fatigue}, now - timedelta(days_ago)
        )
    walk = {"aid": "frame", "setting": "outdoors", "distance_m": 200, "falls": 1}
    log.create_entry(db.session, ben, "mobility", walk, now - timedelta(days=2))
    access_log.record_access(db.session, tom, ada, "patient_page")
    item = db.session.scalars(db.select(ProgrammeItem).where(ProgrammeItem.patient_id == ada.id))
    ids = {"item": str(item.one().id)}
    db.session.commit()
    return ids


def seed_clinic() -> None:
    """Tom's clinic: Ola (OT) and Tom in its MS team, which Ada linked; a team code to enter;
    Tom's note of Ada's appointment; the team's template, saved from Ada's programme."""
    ada = db.session.scalars(db.select(User).where(User.email == "ada@example.test")).one()
    tom = db.session.scalars(db.select(User).where(User.email == "tom@example.test")).one()
    ola = make_user("therapist", "ola@example.test", "Ola Occupational")
    clinic = clinics.create_clinic(db.session, "Riverside Neuro Rehab", tom)
    clinics.ask_to_join(db.session, ola, clinic.join_code)
    clinics.approve(db.session, clinic.id, ola.id)
    wren = make_user("therapist", "wren@example.test", "Wren Waiting")
    clinics.ask_to_join(db.session, wren, clinic.join_code)
    team = clinics.create_team(db.session, clinic.id, "MS team")
    for member in (tom, ola):
        clinics.add_to_team(db.session, team, member.id)
    care_links.link_team(db.session, team.id, ada.id)
    care_links.make_code(db.session, tom, team).code = "TEAMABCD"  # shown, never used up
    today = local_today(ada.timezone)
    note = "Keep the sit-to-stands at 2 x 10.\nAdd the heel raises on good days."
    notes.write(db.session, tom, ada, today, note, today)
    items = db.session.scalars(db.select(ProgrammeItem).where(ProgrammeItem.patient_id == ada.id))
    programme_templates.save(db.session, tom, team, "MS balance, early", list(items))
    db.session.commit()


@pytest.fixture(scope="module")
def cast(db_url: str) -> Iterator[Cast]:
    """The seeded people and entries, on the live server's database, removed afterwards."""
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=db_url)
    with app.app_context():
        clear_data()
        cast = seed()
        cast.ids.update(seed_dashboard())
        seed_clinic()
        db.session.remove()
    yield cast
    with app.app_context():
        clear_data()
        db.engine.dispose()


class Tabs:
    """One logged-in tab per person, colour scheme and device, opened when first needed."""

    def __init__(self, browser: Browser, base_url: str, cast: Cast) -> None:
        self.browser, self.base_url, self.cast = browser, base_url, cast
        self.contexts: dict[tuple[str, str, str], BrowserContext] = {}
        self.pages: dict[tuple[str, str, str], Page] = {}

    def get(self, who: str, scheme: str = "light", device: str = "own") -> Page:
        """A tab for `who`; device "own" is a phone, or a desktop for therapists."""
        key = (who, scheme, device)
        if key not in self.pages:
            own = PHONE if who in ("patient", "visitor") else DESKTOP
            options = {"own": own, "narrow": NARROW, "zoomed": ZOOMED}[device]
            context = new_context(
                self.browser,
                self.base_url,
                options,
                color_scheme=scheme,
                reduced_motion="reduce",
                bypass_csp=True,  # lets axe-core inject its script
            )
            page = context.new_page()
            if who != "visitor":
                log_in(page, self.cast.emails[who])
            self.contexts[key], self.pages[key] = context, page
        return self.pages[key]

    def close(self) -> None:
        """Close every context opened."""
        for context in self.contexts.values():
            context.close()


@pytest.fixture(scope="module")
def tabs(browser: Browser, live_server: str, cast: Cast) -> Iterator[Tabs]:
    """Logged-in tabs shared by the tests of this module."""
    tabs = Tabs(browser, live_server, cast)
    yield tabs
    tabs.close()


ELSEWHERE = "https://elsewhere.example/"


def follow_link_from_elsewhere(page: Page, path: str) -> Any:
    """Open `path` through a link on a page of another site; the answer to that navigation."""
    target = page.url.split("/", 3)[:3]  # scheme, "", host: this app's origin
    href = "/".join(target) + path
    page.route(
        ELSEWHERE,
        lambda route: route.fulfill(
            content_type="text/html", body=f'<a href="{href}">A link on another site</a>'
        ),
    )
    page.goto(ELSEWHERE)
    with page.expect_navigation() as answer:
        page.get_by_role("link", name="A link on another site").click()
    page.unroute(ELSEWHERE)
    return answer.value


def show(page: Page, screen: Screen, cast: Cast) -> None:
    """Open a screen, and submit its form when the screen is the form's answer."""
    path = screen.path.format(**cast.ids)
    if screen.from_elsewhere:
        response = follow_link_from_elsewhere(page, path)
    else:
        response = page.goto(path)
    got = response and response.status
    assert response is not None and got == screen.opened, f"{screen.path}: {got}"
    if screen.submit is None:
        return
    for label, value in screen.fill:
        page.get_by_label(label, exact=True).fill(value)
    button = page.get_by_role("button", name=screen.submit, exact=True)
    if screen.status == 400 and button.evaluate("b => !!b.closest('form[data-offline]')"):
        # The offline app checks the form on the phone: the errors show without a round trip.
        button.click()
        expect(page.get_by_text(re.compile(r"^Error: ")).first).to_be_visible()
        return
    with page.expect_navigation() as answer:
        page.get_by_role("button", name=screen.submit, exact=True).click()
    status = answer.value and answer.value.status
    assert status == screen.status, f"{screen.name}: {status}"
    if screen.status == 400:  # the page says what is wrong, next to the field
        expect(page.get_by_text(re.compile(r"^Error: ")).first).to_be_visible()


def axe_report(violations: list[dict[str, Any]]) -> str:
    """Violations as a person would want to read them in a failed test."""
    lines = []
    for v in violations:
        lines.append(f"\n[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"]:
            lines.append(f"  at {' '.join(map(str, node['target']))}")
            lines.append(f"     {node['html'][:200]}")
            for summary_line in node.get("failureSummary", "").splitlines():
                lines.append(f"     {summary_line}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def axe() -> Axe:
    """axe-core, run offline from the copy bundled with axe-playwright-python."""
    return Axe()


def axe_violations(axe: Axe, page: Page, scheme: str) -> list[dict[str, Any]]:
    """What axe finds on the page: every rule of AXE_TAGS in light, those about colour in dark."""
    if scheme == "dark":
        run_only = {"type": "rule", "values": COLOUR_RULES}
    else:
        run_only = {"type": "tag", "values": AXE_TAGS}
    options = {"runOnly": run_only, "resultTypes": ["violations"]}
    return axe.run(page, options=options).response["violations"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("screen", SCREENS, ids=ids(SCREENS))
def test_axe_finds_no_violations(
    tabs: Tabs, cast: Cast, axe: Axe, screen: Screen, scheme: str
) -> None:
    page = tabs.get(screen.who, scheme)
    show(page, screen, cast)
    if screen.on_phone:
        screenshot(page, f"{screen.name}-{scheme}")
    violations = axe_violations(axe, page, scheme)
    assert not violations, f"{screen.name} ({scheme}):{axe_report(violations)}"


def test_dark_mode_is_dark(tabs: Tabs, cast: Cast) -> None:
    light, dark = tabs.get("patient", "light"), tabs.get("patient", "dark")
    colours = []
    for page in (light, dark):
        show(page, SCREENS[0], cast)
        colours.append(page.evaluate("getComputedStyle(document.body).backgroundColor"))
    assert colours[0] != colours[1], colours
    red, green, blue = (int(c) for c in colours[1].strip("rgb()").split(","))
    assert max(red, green, blue) < 64, f"dark mode background is {colours[1]}"


ROOT = Path(__file__).resolve().parents[2]
DARK_MEDIA = "@media (prefers-color-scheme: dark)"
COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}|(rgb|hsl)a?\([^)]*\)")


def media_blocks(css: str, media: str) -> Iterator[str]:
    """The text inside each `media { ... }` block of a style sheet (nested braces followed)."""
    start = css.find(media)
    while start != -1:
        depth, i = 0, css.index("{", start)
        for j in range(i, len(css)):
            depth += {"{": 1, "}": -1}.get(css[j], 0)
            if depth == 0:
                yield css[i + 1 : j]
                break
        start = css.find(media, j)


def test_dark_mode_changes_only_colours() -> None:
    """What lets the dark pass of axe run only its rules about colour (COLOUR_RULES): dark mode
    sets colour custom properties and nothing else, and nothing but the style sheets asks."""
    sheets = sorted((ROOT / "static/css").glob("*.css"))
    declarations = []
    for sheet in sheets:
        for block in media_blocks(sheet.read_text(), DARK_MEDIA):
            declarations += re.findall(r"([\w-]+)\s*:\s*([^;{}]+)", block)
    assert declarations, "no dark mode found in static/css"
    for name, value in declarations:
        assert name.startswith("--") and COLOUR.fullmatch(value.strip()), (name, value)
    asking = [
        path
        for folder in ("static/js", "templates")
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and "prefers-color-scheme" in path.read_text(errors="ignore")
    ]
    assert asking == [], "dark mode that is not colour alone: run every axe rule in dark too"


# Every tappable thing, measured as the finger meets it: a checkbox or radio by the label
# wrapped around it, a link unless it sits inside a sentence (WCAG 2.5.8's inline exception).
SMALL_TARGETS_JS = """
(min) => {
  const onScreen = (el) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0
      && s.visibility !== "hidden" && s.display !== "none";
  };
  const inSentence = (a) => {
    const block = a.closest("p, li, td, th, dd, label, legend");
    return block !== null && block.textContent.trim() !== a.textContent.trim();
  };
  const targets = new Set();
  for (const el of document.querySelectorAll("button, input, select, textarea, a[href]")) {
    if (el.type === "hidden") continue;
    if (el.matches("a") && !el.matches(".button") && inSentence(el)) continue;
    if (el.matches("input[type=checkbox], input[type=radio]")) {
      targets.add(el.closest("label") || el);
    } else {
      targets.add(el);
    }
  }
  const small = [];
  for (const el of targets) {
    if (!onScreen(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.width < min || r.height < min) {
      const text = (el.innerText || el.value || el.getAttribute("aria-label") || el.name || "")
        .trim().replace(/\\s+/g, " ").slice(0, 60);
      small.push(`<${el.tagName.toLowerCase()}> "${text}" is ${r.width.toFixed(1)}`
        + ` by ${r.height.toFixed(1)}`);
    }
  }
  return small;
}
"""


@pytest.mark.parametrize("screen", PHONE_SCREENS, ids=ids(PHONE_SCREENS))
def test_touch_targets_are_at_least_44_px(tabs: Tabs, cast: Cast, screen: Screen) -> None:
    page = tabs.get(screen.who)
    show(page, screen, cast)
    small = page.evaluate(SMALL_TARGETS_JS, MIN_TARGET)
    assert not small, f"{screen.name}: targets under {MIN_TARGET} by {MIN_TARGET} CSS px:\n" + (
        "\n".join(small)
    )


# Why a page scrolls sideways, or what pokes out of the main column into its margin
# (a table in its own scrolling box may be wider: WCAG 1.4.10 lets data tables scroll).
OVERFLOW_JS = """
() => {
  const doc = document.documentElement;
  const problems = [];
  if (doc.scrollWidth > doc.clientWidth) {
    problems.push(`the page is ${doc.scrollWidth} px wide in a ${doc.clientWidth} px window`);
  }
  const main = document.querySelector("main");
  const edge = main.getBoundingClientRect().right - parseFloat(getComputedStyle(main).paddingRight);
  const scrolls = (el) => {
    for (let up = el.parentElement; up && up !== main; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") return true;
    }
    return false;
  };
  for (const el of main.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.width > 1 && r.right > edge + 0.5 && !scrolls(el)) {
      const text = (el.innerText || "").trim().replace(/\\s+/g, " ").slice(0, 40);
      problems.push(`<${el.tagName.toLowerCase()} class="${el.className}"> "${text}" ends at `
        + `${r.right.toFixed(1)}, past the column's edge at ${edge.toFixed(1)}`);
    }
  }
  return problems.slice(0, 10);
}
"""
# WCAG 1.4.4: text at twice its size, as set in the browser (every font size here is in rem).
BIG_TEXT_JS = "document.documentElement.style.fontSize = '200%'"


@pytest.mark.parametrize("device", ["narrow", "zoomed", "big-text"])
@pytest.mark.parametrize("screen", SCREENS, ids=ids(SCREENS))
def test_no_horizontal_scrolling(tabs: Tabs, cast: Cast, screen: Screen, device: str) -> None:
    """Reflow at 320 px wide (WCAG 1.4.10), zoomed to 200%, and with text at 200% (1.4.4)."""
    page = tabs.get(screen.who, device="own" if device == "big-text" else device)
    show(page, screen, cast)
    if device == "big-text":
        page.evaluate(BIG_TEXT_JS)
    overflow = page.evaluate(OVERFLOW_JS)
    assert not overflow, f"{screen.name} ({device}):\n" + "\n".join(overflow)


CLINIC_ERRORS = [s for s in CLINIC_SCREENS if s.submit and s.status == 400]


@pytest.mark.parametrize("screen", CLINIC_ERRORS, ids=ids(CLINIC_ERRORS))
def test_a_form_sent_back_opens_at_its_error(tabs: Tabs, cast: Cast, screen: Screen) -> None:
    """Far down a long page, the error is in the window, not below it where no one looks."""
    page = tabs.get(screen.who)
    show(page, screen, cast)
    # The error's words ("Error: " before them is for screen readers) and the field itself.
    expect(page.locator("p.error").first).to_be_in_viewport()
    expect(page.locator('[aria-invalid="true"]').first).to_be_in_viewport()


def test_reduced_motion_stops_all_movement(tabs: Tabs, cast: Cast) -> None:
    page = tabs.get("patient")  # every tab here asks for reduced motion
    show(page, SCREENS[0], cast)
    moving = page.evaluate(
        """() => [...document.querySelectorAll("*")].filter((el) => {
          const s = getComputedStyle(el);
          const long = (v) => v.split(",").some((t) => parseFloat(t) > 0.01);
          return (s.animationName !== "none" && long(s.animationDuration))
            || long(s.transitionDuration);
        }).map((el) => el.tagName)"""
    )
    assert not moving
    assert page.evaluate("getComputedStyle(document.documentElement).scrollBehavior") == "auto"


# ---- Therapist dashboard (D1): the caseload on a tablet-sized phone and on a desktop.


@pytest.mark.parametrize(
    ("device", "options"), [("phone", PHONE), ("desktop", DESKTOP)], ids=["390x844", "1280x800"]
)
def test_the_caseload_fits_the_window_with_names_in_view(
    browser: Browser, live_server: str, cast: Cast, device: str, options: dict[str, Any]
) -> None:
    """The page scrolls, not a box inside it (which hid rows), and nothing sits to the right."""
    context = new_context(browser, live_server, options, reduced_motion="reduce")
    try:
        page = context.new_page()
        log_in(page, cast.emails["therapist"])
        page.goto("/therapist")
        table = page.get_by_role("table", name=re.compile(r"^People who share their log with you"))
        expect(table).to_be_visible()
        flagged = page.get_by_role("link", name="Ben Example-Flagged")
        expect(flagged).to_be_in_viewport()
        expect(page.get_by_role("row", name=re.compile("Ben Example-Flagged"))).to_contain_text(
            "Recent: 1 fall in the last 28 days"
        )
        screenshot(page, f"caseload-{device}")
        assert page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        ), "the page scrolls sideways"
        assert table.evaluate("t => t.parentElement.scrollHeight <= t.parentElement.clientHeight")
    finally:
        context.close()


# ----------------------------------------------------------------------------- charts and summary
# A therapist's patient page with dense charts, and the printable appointment summary: the demo
# data (six months of three patients) on a desktop, light and dark. Kept last in this module:
# its data are added after the other screens ran, and removed again.

CHART_PAGES = [
    ("patient-3m", "/therapist/patients/{relapse}"),
    ("patient-12m", "/therapist/patients/{worsening}?range=12m"),
    ("patient-4w", "/therapist/patients/{stable}?range=4w"),
    ("summary", "/therapist/patients/{relapse}/summary"),
    ("summary-worsening", "/therapist/patients/{worsening}/summary"),
]


@pytest.fixture(scope="module")
def demo_ids(db_url: str, cast: Cast) -> Iterator[dict[str, int]]:
    """The demo therapist and patients, loaded after the cast; the patients' ids by key."""
    from sqlalchemy import delete

    from rehab_app.core.demo import DEMO_EMAILS, create_demo

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=db_url)
    with app.app_context():
        create_demo(
            db.session,
            local_today("Europe/London"),
            password_method=TestConfig.PASSWORD_HASH_METHOD,
        )
        db.session.commit()
        users = db.session.scalars(db.select(User).where(User.email.in_(DEMO_EMAILS))).all()
        ids = {u.email.split("@")[0]: u.id for u in users}
        db.session.remove()
    yield ids
    with app.app_context():
        db.session.execute(delete(User).where(User.email.in_(DEMO_EMAILS)))
        db.session.commit()
        db.engine.dispose()


@pytest.fixture(scope="module")
def demo_tabs(
    browser: Browser, live_server: str, demo_ids: dict[str, int]
) -> Iterator[dict[str, Page]]:
    """The demo therapist logged in on a desktop, one tab per colour scheme."""
    from rehab_app.core.demo import DEMO_PASSWORD, THERAPIST_EMAIL

    tabs: dict[str, Page] = {}
    contexts = []
    for scheme in SCHEMES:
        context = new_context(browser, live_server, DESKTOP, color_scheme=scheme, bypass_csp=True)
        page = context.new_page()
        log_in(page, THERAPIST_EMAIL, DEMO_PASSWORD)
        contexts.append(context)
        tabs[scheme] = page
    yield tabs
    for context in contexts:
        context.close()


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize(("name", "path"), CHART_PAGES, ids=[n for n, _ in CHART_PAGES])
def test_charts_and_summary_pass_axe(
    demo_tabs: dict[str, Page],
    demo_ids: dict[str, int],
    axe: Axe,
    name: str,
    path: str,
    scheme: str,
) -> None:
    page = demo_tabs[scheme]
    response = page.goto(path.format(**demo_ids))
    assert response is not None and response.ok
    expect(page.get_by_role("img").first).to_be_visible()
    # The data tables too, and the numbers behind each reason worth reviewing.
    for details in page.locator("details.chart-data, details.how-found").all():
        details.locator("summary").click()
    screenshot(page, f"charts-{name}-{scheme}")
    violations = axe_violations(axe, page, scheme)
    assert not violations, f"{name} ({scheme}):{axe_report(violations)}"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_caseloads_reasons_pass_axe(
    demo_tabs: dict[str, Page], demo_ids: dict[str, int], axe: Axe, scheme: str
) -> None:
    """The demo's flagged patient on the caseload, every reason and its numbers open."""
    page = demo_tabs[scheme]
    page.goto("/therapist")
    row = page.get_by_role("row").filter(has_text="Jo Patel")
    expect(row.get_by_text("How this was found").first).to_be_visible()
    for details in row.locator("details.more-flags").all():
        details.locator("summary").first.click()
    for details in row.locator("details.how-found").all():
        details.locator("summary").click()
    expect(row.get_by_text(re.compile(r"one-sided p")).first).to_be_visible()
    screenshot(page, f"caseload-reasons-{scheme}")
    violations = axe_violations(axe, page, scheme)
    assert not violations, f"caseload reasons ({scheme}):{axe_report(violations)}"


def test_charts_are_named_by_their_words(
    demo_tabs: dict[str, Page], demo_ids: dict[str, int]
) -> None:
    page = demo_tabs["light"]
    page.goto(f"/therapist/patients/{demo_ids['relapse']}")
    charts = page.get_by_role("img", name=re.compile(r"^Fatigue: daily mean and 28-day mean "))
    expect(charts).to_have_count(1)  # the phone-sized copy is hidden on a desktop
    expect(charts).to_have_accessible_name(re.compile(r"Fatigue averaged \d"))
    expect(page.get_by_role("link", name="3 months")).to_have_attribute("aria-current", "page")
    page.get_by_role("link", name="12 months").click()
    expect(page.get_by_role("link", name="12 months")).to_have_attribute("aria-current", "page")
    assert page.url.endswith("?range=12m#charts-h")


@pytest.mark.parametrize("device", ["narrow", "zoomed", "big-text", "phone"])
def test_chart_pages_do_not_scroll_sideways(
    browser: Browser, live_server: str, demo_ids: dict[str, int], device: str
) -> None:
    """Reflow at 320 px, at 200% zoom, with text at 200%, and on a phone: charts shrink to fit."""
    from rehab_app.core.demo import DEMO_PASSWORD, THERAPIST_EMAIL

    options = {"narrow": NARROW, "zoomed": ZOOMED, "big-text": DESKTOP, "phone": PHONE}[device]
    context = new_context(browser, live_server, options)
    try:
        page = context.new_page()
        log_in(page, THERAPIST_EMAIL, DEMO_PASSWORD)
        for path in (
            f"/therapist/patients/{demo_ids['relapse']}?range=12m",
            f"/therapist/patients/{demo_ids['relapse']}/summary",
        ):
            page.goto(path)
            if device == "big-text":
                page.evaluate(BIG_TEXT_JS)
            overflow = page.evaluate(OVERFLOW_JS)
            assert not overflow, f"{path} ({device}):\n" + "\n".join(overflow)
            if device == "phone" and not path.endswith("/summary"):
                # The phone-sized drawing shows, the desktop one is hidden.
                expect(page.locator(".chart-canvas-narrow svg").first).to_be_visible()
                expect(page.locator(".chart-canvas-wide svg").first).to_be_hidden()
                screenshot(page, f"charts-phone-{path.rsplit('/', 1)[-1]}")
    finally:
        context.close()

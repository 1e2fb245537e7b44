"""History on a phone: an edit comes back to the entry, and says so there."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from rehab_app.extensions import db
from rehab_app.models import Entry
from tests.helpers.accounts import make_user
from tests.helpers.browser import status
from tests.helpers.entries import add_entry

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("online", [True, False], ids=["online", "offline"])
def test_an_edit_is_confirmed_next_to_the_entry_it_returns_to(
    app: Flask, phone_for: object, online: bool
) -> None:
    person = make_user("patient", f"edit.{int(online)}@example.test", "Eddie Edit")
    for n in range(12):  # a long week: the entry edited is far below the top of the page
        add_entry(person, "fatigue", days_ago=0, fatigue=n % 10)
    oldest = add_entry(person, "bad_day", days_ago=0, reason="heat")
    context, page = phone_for(person.email)  # type: ignore[operator]
    if not online:
        context.set_offline(True)
    page.goto("/history")
    # The page's first sync draws the week from the phone's copy, replacing the server's
    # entries (their markup is not the phone's template): a tap landing while that happens
    # can be lost (seen once in CI on a slow machine; later redraws keep unchanged entries).
    # This test is about where the confirmation appears, so it taps once the page has settled.
    page.wait_for_load_state("networkidle")
    item = page.locator(f"#entry-{oldest.id}")
    item.get_by_role("link", name="Edit").click()
    page.get_by_role("radio", name="Pain", exact=True).check()
    page.get_by_role("button", name="Save changes").click()

    item = page.locator(f"#entry-{oldest.id}")
    here = item.locator(".saved-here")
    expect(here).to_contain_text("Changes saved.")
    expect(here).to_be_in_viewport()
    # Offline the week is drawn again from the phone's copy after the page opened (and again
    # after each sync): the entry stays in view, as long as the person has not moved away.
    page.evaluate("() => new Promise((r) => setTimeout(r, 600))")
    expect(here).to_be_in_viewport()
    expect(item).to_contain_text("pain")
    # Said to screen readers in the page's status region; not shown again far above.
    expect(page.get_by_role("status")).to_contain_text("Changes saved.")
    expect(page.locator("#flashes .flash:not(.visually-hidden)")).to_have_count(0)


def test_offline_the_servers_edit_link_opens_the_phones_edit_form(
    app: Flask, phone_for: object
) -> None:
    """History as the server drew it links each entry to /entries/<id>/edit; the phone draws
    it again with links to its own form. Offline, a tap on the server's link before the phone
    has drawn the page (seen in CI: a slow phone) opens the phone's form of that entry, not
    "No connection"."""
    person = make_user("patient", "edit.early@example.test", "Esme Early")
    entry = add_entry(person, "bad_day", days_ago=0, reason="heat")
    context, page = phone_for(person.email)  # type: ignore[operator]
    context.set_offline(True)
    page.goto(f"/entries/{entry.id}/edit")
    expect(page).to_have_url(re.compile(rf"/log/bad_day\?edit={entry.id}$"))
    expect(page.get_by_role("radio", name="Heat", exact=True)).to_be_checked()
    page.get_by_role("radio", name="Pain", exact=True).check()
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(f"#entry-{entry.id}")).to_contain_text("pain")
    context.set_offline(False)
    status(page).to_contain_text("All synced")
    with app.app_context():
        stored = db.session.scalars(select(Entry).where(Entry.id == entry.id)).one()
        assert stored.reason == "pain"


# A second tab holds a read-write transaction on the phone's entries until told to let go, so
# that the edit page's read of the kept entry waits, as on a slow phone: the person taps first.
HOLD_ENTRIES = """() => new Promise((started) => {
  const open = indexedDB.open("rehab-log-a" + document.body.dataset.account);
  open.onsuccess = () => {
    const store = open.result.transaction("entries", "readwrite").objectStore("entries");
    globalThis.letGo = false;
    const spin = () => { if (!globalThis.letGo) store.count().onsuccess = spin; };
    spin();
    started();
  };
})"""


def test_a_change_tapped_while_the_entry_opens_offline_is_kept_and_saved_to_it(
    app: Flask, phone_for: object
) -> None:
    """Offline, the edit form shows before the kept entry is read into it. A choice made in
    that moment stays (the entry's own value used to overwrite it), and Save tapped then
    changes the entry instead of logging a second one."""
    person = make_user("patient", "slow.phone@example.test", "Sally Slow")
    entry = add_entry(person, "bad_day", days_ago=0, reason="heat")
    context, page = phone_for(person.email)  # type: ignore[operator]
    context.set_offline(True)
    page.goto("/history")
    holder = context.new_page()
    holder.goto("/history")
    holder.evaluate(HOLD_ENTRIES)

    page.locator(f"#entry-{entry.id}").get_by_role("link", name="Edit").click()
    page.get_by_role("radio", name="Pain", exact=True).check()
    page.locator("#entry-form button[type=submit]").click()
    holder.evaluate("() => { globalThis.letGo = true; }")

    item = page.locator(f"#entry-{entry.id}")
    expect(item.locator(".saved-here")).to_contain_text("Changes saved.")
    expect(item).to_contain_text("pain")
    expect(page.locator("[id^=entry-]")).to_have_count(1)
    context.set_offline(False)
    status(page).to_contain_text("All synced")
    db.session.expire_all()
    stored = db.session.scalars(select(Entry).where(Entry.user_id == person.id)).all()
    assert [(e.id, e.reason) for e in stored] == [(entry.id, "pain")]


# A tap that lands once an edit form is on screen and before the page's script has run (a slow
# phone; seen in CI): the document is parsed, its deferred scripts not yet run.
TAP_PAIN_BEFORE_THE_SCRIPT = """document.addEventListener("readystatechange", () => {
  if (document.readyState !== "interactive" || !location.href.includes("edit")) return;
  document.querySelector('#entry-form input[name="reason"][value="pain"]').click();
  globalThis.tappedEarly = document.querySelector("#entry-form button[type=submit]").textContent;
});"""


@pytest.mark.parametrize("form", ["phone", "server"])
def test_a_change_tapped_before_the_page_script_runs_is_kept_and_saved(
    app: Flask, phone_for: object, form: str
) -> None:
    """An edit form shows before its script has run. A choice made in that moment was lost
    without a sign, and Save then said "Changes saved." of a change it did not make: on the
    phone's form (?edit=) the kept entry's value was filled in over it, and on the server's
    (/entries/<id>/edit) the script took it for the entry's value and sent no change."""
    person = make_user("patient", f"early.tap.{form}@example.test", "Tess Early")
    entry = add_entry(person, "bad_day", days_ago=0, reason="heat")
    _, page = phone_for(person.email)  # type: ignore[operator]
    page.goto("/history")
    page.add_init_script(TAP_PAIN_BEFORE_THE_SCRIPT)
    if form == "phone":
        page.locator(f"#entry-{entry.id}").get_by_role("link", name="Edit").click()
        expect(page).to_have_url(re.compile(rf"/log/bad_day\?edit={entry.id}$"))
        # The tap came before the form became the entry's ("Save changes" is the script's).
        expect(page.get_by_role("button", name="Save changes")).to_be_visible()
        assert page.evaluate("() => globalThis.tappedEarly") != "Save changes"
    else:
        page.goto(f"/entries/{entry.id}/edit")
        # Once the app's module has run, its script has taken the form over.
        assert page.evaluate("() => import('/static/js/app.js').then((m) => m.app !== null)")
    expect(page.get_by_role("radio", name="Pain", exact=True)).to_be_checked()
    page.get_by_role("button", name="Save changes").click()

    item = page.locator(f"#entry-{entry.id}")
    expect(item.locator(".saved-here")).to_contain_text("Changes saved.")
    expect(item).to_contain_text("pain")
    status(page).to_contain_text("All synced")
    db.session.expire_all()
    stored = db.session.scalars(select(Entry).where(Entry.user_id == person.id)).all()
    assert [(e.id, e.reason) for e in stored] == [(entry.id, "pain")]


def test_entries_logged_in_the_same_minute_keep_their_place_when_drawn_again(
    app: Flask, phone_for: object
) -> None:
    """History comes from the server, then is drawn again from the phone's copy once it has
    synced. Entries of the same minute (a reminder's "Done" logs several at once) used to
    swap places then: a tap meant for one entry's Edit landed on another's, or on nothing."""
    person = make_user("patient", "same.minute@example.test", "Minnie Minute")
    for n in range(8):
        add_entry(person, "fatigue", days_ago=0, fatigue=n)
    _, page = phone_for(person.email)  # type: ignore[operator]
    served = re.findall(r'id="entry-([0-9a-f-]{36})"', page.request.get("/history").text())
    assert len(served) == 8
    page.goto("/history")
    status(page).to_contain_text("All synced")  # drawn again from the phone's copy by now
    drawn = page.locator("#history-days li[id^=entry-]").evaluate_all(
        "items => items.map(li => li.id.slice('entry-'.length))"
    )
    assert drawn == served


def test_a_sync_draws_again_only_the_entries_that_changed(app: Flask, phone_for: object) -> None:
    """After each sync the week is drawn again from the phone's copy. An entry that did not
    change keeps its item, so the keyboard's focus on its Edit link stays (and a tap pressed
    before the redraw and released after it still opens it); one changed elsewhere is shown
    as it is now."""
    person = make_user("patient", "redraw@example.test", "Rhea Draw")
    kept = add_entry(person, "fatigue", days_ago=0, fatigue=3)
    changed = add_entry(person, "fatigue", days_ago=0, fatigue=4)
    _context, page = phone_for(person.email)  # type: ignore[operator]
    page.goto("/history")
    page.wait_for_load_state("networkidle")  # the page's own sync and its redraw are done
    edit = page.locator(f"#entry-{kept.id}").get_by_role("link", name="Edit")
    edit.focus()
    page.evaluate(f"() => {{ document.getElementById('entry-{kept.id}').keptMark = true; }}")

    # The entry is changed on another device; this phone syncs (as when it is back online).
    db.session.get(Entry, changed.id).fatigue = 9  # type: ignore[union-attr]
    db.session.commit()
    page.evaluate("() => dispatchEvent(new Event('online'))")

    expect(page.locator(f"#entry-{changed.id}")).to_contain_text("Fatigue 9 out of 10")
    assert page.evaluate(f"() => document.getElementById('entry-{kept.id}').keptMark") is True
    expect(edit).to_be_focused()

"""The calendar feed: a person's reminders as an iCalendar (RFC 5545) file, with alarms.

For phones that cannot get Web Push (an iPhone where the app is not on the home screen,
notifications refused): any calendar app subscribes to the private address and rings at the
same local times. The feed holds the programme's exercise names, never a note.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from icalendar import Alarm, Calendar, Event
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from rehab_app.models import CalendarFeed, ReminderSettings, User, utcnow

from .entries import active_programme
from .reminders import OPENS, mask_days, parse_time, slots
from .sessions import hash_token, new_token
from .timeutil import local_today, zone

BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
TITLES = {
    "programme": "Rehab Log: exercises",
    "fatigue": "Rehab Log: fatigue check-in",
    "walking": "Rehab Log: how walking went this week",
}


def new_feed(session: Session, user_id: int) -> str:
    """Make (or reset) the feed; return its token, the only copy (only its hash is kept)."""
    token = new_token()
    session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user_id))
    session.add(CalendarFeed(user_id=user_id, token_hash=hash_token(token), created_at=utcnow()))
    session.flush()
    return token


def revoke_feed(session: Session, user_id: int) -> bool:
    """Stop the feed: its address answers 404 from now on. False when there was none."""
    gone = session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user_id))
    return bool(getattr(gone, "rowcount", 0))


def has_feed(session: Session, user_id: int) -> bool:
    """True when the person has a feed standing."""
    return session.get(CalendarFeed, user_id) is not None


def feed_owner(session: Session, token: str) -> User | None:
    """The person whose feed a token opens, or None."""
    if not token or len(token) > 100:
        return None
    row = session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == hash_token(token)))
    return session.get(User, row.user_id) if row is not None else None


def feed_ics(session: Session, user: User, settings: ReminderSettings, base_url: str) -> bytes:
    """The person's reminders as recurring events in their time zone, each with an alarm."""
    cal = Calendar()
    cal.add("prodid", "-//Rehab Log//Reminders//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Rehab Log reminders")
    cal.add("refresh-interval", timedelta(hours=6), parameters={"VALUE": "DURATION"})
    tz = zone(user.timezone)
    today = local_today(user.timezone)
    names = [item.name for item in active_programme(session, user.id, today)]
    for slot in slots(settings):  # none while paused; quiet hours left out
        event = Event()
        event.add("uid", f"{slot.kind}-{slot.at.replace(':', '')}-{user.id}@rehab-log")
        event.add("summary", TITLES[slot.kind])
        start = datetime.combine(_first_day(today, slot.days), parse_time(slot.at), tzinfo=tz)
        event.add("dtstart", start)
        event.add("duration", timedelta(minutes=15))
        event.add("dtstamp", datetime.now(tz))
        days = [BYDAY[d] for d in mask_days(slot.days)]
        frequency = "WEEKLY" if slot.kind == "walking" else "DAILY"
        rule: dict[str, object] = {"freq": frequency}
        if len(days) < 7:
            rule = {"freq": "WEEKLY", "byday": days}
        event.add("rrule", rule)
        description = "Open Rehab Log to log it."
        if slot.kind == "programme" and names:
            description = "Today's programme: " + ", ".join(names) + ". " + description
        event.add("description", description)
        event.add("url", base_url.rstrip("/") + OPENS[slot.kind])
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", TITLES[slot.kind])
        alarm.add("trigger", timedelta(0))
        event.add_component(alarm)
        cal.add_component(event)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def _first_day(today: date, mask: int) -> date:
    """The first day from today that the mask includes (the events' first occurrence)."""
    for ahead in range(7):
        day = today + timedelta(days=ahead)
        if mask & (1 << day.weekday()):
            return day
    return today

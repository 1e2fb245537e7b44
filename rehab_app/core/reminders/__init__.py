"""Reminders: which are due for a person now, in their own time zone, and sending each once.

A reminder is a slot: a kind (the day's programme, a fatigue check-in, the weekly walking
entry) at a local wall-clock time on some days of the week. It is due on a local date from
the moment that time comes in the person's time zone until GRACE later, so a sender that
runs every minute (or was stopped for a few) sends it, and one started hours later does not
send a stale one. A local time that an autumn change repeats is still one (kind, time,
local date) row, so it is sent once.

Sending is claim, then send: the row in `reminder_sends` is inserted with ON CONFLICT DO
NOTHING, so whichever process inserts it sends, and every other one moves on.

The package: `schedule` (what is due, claimed once), `send` (delivering it) and `devices`
(push subscriptions). Every public name is importable from `rehab_app.core.reminders`.
"""

from __future__ import annotations

from .devices import BadSubscription as BadSubscription
from .devices import check_subscription as check_subscription
from .devices import devices_of as devices_of
from .devices import reminders_on as reminders_on
from .devices import subscribe as subscribe
from .devices import unsubscribe as unsubscribe
from .schedule import BACKOFF as BACKOFF
from .schedule import DAY_NAMES as DAY_NAMES
from .schedule import DETAILS as DETAILS
from .schedule import EVERY_DAY as EVERY_DAY
from .schedule import GRACE as GRACE
from .schedule import KINDS as KINDS
from .schedule import MAX_ATTEMPTS as MAX_ATTEMPTS
from .schedule import MAX_ENDPOINT as MAX_ENDPOINT
from .schedule import OPENS as OPENS
from .schedule import PLAIN_BODY as PLAIN_BODY
from .schedule import PLAIN_TITLE as PLAIN_TITLE
from .schedule import Due as Due
from .schedule import Sender as Sender
from .schedule import Slot as Slot
from .schedule import already_done as already_done
from .schedule import claim as claim
from .schedule import days_mask as days_mask
from .schedule import due_at as due_at
from .schedule import due_slots as due_slots
from .schedule import in_quiet_hours as in_quiet_hours
from .schedule import mask_days as mask_days
from .schedule import parse_time as parse_time
from .schedule import settings_for as settings_for
from .schedule import slots as slots
from .send import Report as Report
from .send import payload as payload
from .send import run_forever as run_forever
from .send import send_due as send_due

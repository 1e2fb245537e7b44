"""Forms acted on once: a page's form carries a one-time key, drawn with the page; the first
time a form with that key is acted on, the key is kept with what it did (in the same
transaction); sent again, it is found and not acted on twice.

What it guards against: an answer lost on the way (a clinic's Wi-Fi drops after the server
saved the note; the therapist taps again, or reloads the error page, which posts again), a
retry of a form that did go through. Two taps while the answer is on the way are held back
in the browser already (static/js/held.js); this holds without JavaScript, and across tabs.
No Flask here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rehab_app.models import SentForm, utcnow

from .sync.fields import uuid_text

KEPT_FOR = timedelta(days=7)  # a form sent again after a week is a new one


def first_time(session: Session, user_id: int, key: object, now: datetime | None = None) -> bool:
    """True when the form with this key is acted on for the first time (the key is then kept:
    the caller commits it with what the form did); False when it was acted on before.

    Two sends of one key at once: the second waits for the first's commit, then finds it. A
    key that is not one (a page drawn before keys, a form made by hand) cannot be told apart
    from a new form: it is acted on, as before.
    """
    text = uuid_text(key)
    if text is None:
        return True
    now = now or utcnow()
    # This person's old keys go as new ones come: no job needed, and few rows a person.
    session.execute(
        delete(SentForm).where(SentForm.user_id == user_id, SentForm.sent_at < now - KEPT_FOR)
    )
    try:
        with session.begin_nested():
            session.add(SentForm(user_id=user_id, key=text, sent_at=now))
    except IntegrityError:  # kept already (or by a send of it that committed meanwhile)
        return False
    return True

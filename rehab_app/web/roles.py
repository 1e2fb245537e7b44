"""Who may see what: role checks for views and the loading of the current user."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import Response, abort, current_app, flash, g, redirect, render_template, request
from flask_login import current_user, login_required, login_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from rehab_app.core import approval, clinics, sessions
from rehab_app.extensions import db, login_manager
from rehab_app.models import User

F = TypeVar("F", bound=Callable[..., Any])


@login_manager.user_loader
def load_user(token: str) -> User | None:
    """Load the user of a standing login from the token in the session or remember cookie."""
    if not isinstance(token, str) or not token:
        return None
    found = sessions.resolve_user(db.session, token)
    if found is None:
        return None
    row, user = found
    user.session_token = token
    if sessions.needs_touch(row):
        # Written after the view, in a transaction of its own (see touch_login).
        g.touch_login = (row.id, session_lifetime(remember=row.remember))
    return user


def touch_login(response: Response) -> Response:
    """Keep a login in use alive: its own short transaction, never the view's."""
    pending = g.pop("touch_login", None)
    if pending is not None:
        try:
            with Session(db.engine) as session:
                sessions.touch(session, *pending)
                session.commit()
        except OperationalError:  # a busy or read-only database: the login still stands
            current_app.logger.warning("Could not mark a login as seen", exc_info=True)
    return response


def session_lifetime(*, remember: bool) -> timedelta:
    """How long a login lasts unused: weeks when the person asked to be remembered."""
    cfg = current_app.config
    if remember:
        return timedelta(days=cfg["REMEMBER_DAYS"])
    return timedelta(hours=cfg["SESSION_HOURS"])


def role_required(role: str) -> Callable[[F], F]:
    """Let only logged-in users of one role through; others get 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role != role:
                abort(403)
            if not approval.is_approved(current_user):
                # Nothing of anyone's, and no way to ask for anyone's, until someone vouches.
                return waiting_page(), 403
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorator


def waiting_page() -> str:
    """What a therapist not yet vouched for sees: where their request stands, how to ask."""
    from rehab_app.web.forms import JoinClinicForm

    return render_template(
        "therapist/waiting.html",
        membership=clinics.membership(db.session, current_user.id),
        join_form=JoinClinicForm(),
    )


def any_therapist(view: F) -> F:
    """Let logged-in therapists through, vouched for or not (to ask a clinic); others 403."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user.role != "therapist":
            abort(403)
        return view(*args, **kwargs)

    return cast(F, wrapped)


# Sec-Fetch-Site values of a request another site started: "same-site" is another origin
# of the same site (a subdomain), no more trusted than any other site.
FROM_ELSEWHERE = frozenset({"cross-site", "same-site"})


def own_site_only(view: F) -> F:
    """Refuse (403, nothing recorded) a GET that another site started, as a link or an embed.

    Audited views write to a patient's access record on GET, and the session cookie is
    SameSite=Lax, so a link on any site would add rows in the therapist's name. Browsers say
    who started a request in Sec-Fetch-Site; without it (old browsers, scripts) the request
    goes through, as a bookmark or a typed address ("none") does.
    """

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if request.headers.get("Sec-Fetch-Site", "").strip().lower() in FROM_ELSEWHERE:
            here = request.full_path if request.query_string else request.path
            return render_template("cross_site.html", here=here), 403
        return view(*args, **kwargs)

    return cast(F, wrapped)


patient_required = role_required("patient")
therapist_required = role_required("therapist")


def me() -> User:
    """The logged-in user, typed."""
    return cast(User, current_user._get_current_object())  # type: ignore[attr-defined]


@login_manager.unauthorized_handler
def ask_to_log_in() -> Response:
    """Send a person who is not logged in to the login page, and keep their session as it was.

    Only a page the person opened gets the "Please log in" message: a background fetch (the
    service worker keeping pages, a sync) must not write the session, or its answer's cookie
    can land after a login that happened meanwhile and log the person straight out again.
    """
    # A form sent by someone logged out meanwhile (a session that ended, another device's
    # "log out everywhere"): nothing was saved. After the login the person goes back to the
    # page the form was on, where held.js fills it in again, not to the form's address, which
    # answers only a POST (405).
    sent = request.method not in ("GET", "HEAD")
    if request.headers.get("Sec-Fetch-Mode", "navigate") == "navigate":
        if sent:
            flash(UNSENT_MESSAGE, "info")
        else:
            flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(login_url("auth.login", next_url=_page_sent_from() if sent else request.url))


UNSENT_MESSAGE = "You had been logged out, so that was not saved. Log in to send it again."


def _page_sent_from() -> str | None:
    """The path of the page of this site a form was sent from (its Referer), or None."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host or not referrer.path.startswith("/"):
        return None
    return referrer.path + (f"?{referrer.query}" if referrer.query else "")

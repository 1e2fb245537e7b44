"""Who may see what: role checks for views and the loading of the current user."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort
from flask_login import current_user, login_required

from .extensions import db, login_manager
from .models import User

F = TypeVar("F", bound=Callable[..., Any])


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Load the logged-in user from the session."""
    try:
        return db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None


def role_required(role: str) -> Callable[[F], F]:
    """Let only logged-in users of one role through; others get 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role != role:
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorator


patient_required = role_required("patient")
therapist_required = role_required("therapist")


def me() -> User:
    """The logged-in user, typed."""
    return cast(User, current_user._get_current_object())  # type: ignore[attr-defined]

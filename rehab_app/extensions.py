"""Flask extensions, created unbound and wired in create_app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_assets import Bundle, Environment
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints so that migrations can alter them on SQLite and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention."""

    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)

# The models' base class: Flask-SQLAlchemy's `db.Model` at run time (table names, `query`),
# and to the type checker the typed declarative base it is made from, which `db.Model` (an
# `Any` to mypy) hides: a misspelt column then fails `mypy --strict`.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
assets = Environment()

# The app shell's CSS and JS: minified into one versioned file each in production.
assets.register(
    "css_all",
    Bundle("css/app.css", "css/dashboard.css", filters="rcssmin", output="gen/app.%(version)s.css"),
)
# Core: the outbox and sync, with no page code, so that the service worker can import it too.
CORE_JS = ("js/store.js", "js/sync.js")
assets.register("js_core", Bundle(*CORE_JS, filters="rjsmin", output="gen/core.%(version)s.js"))
assets.register(
    "js_all",
    Bundle(
        *CORE_JS,
        "js/views.js",
        "js/forms.js",
        "js/timer.js",
        "js/exercise_form.js",
        "js/app.js",
        "js/passkeys.js",
        "js/reminders.js",
        filters="rjsmin",
        output="gen/app.%(version)s.js",
    ),
)

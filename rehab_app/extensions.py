"""Flask extensions, created unbound and wired in create_app."""

from __future__ import annotations

from flask_assets import Bundle, Environment
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from .models.base import Model

# Flask-SQLAlchemy on the models' own base (rehab_app/models/base.py): the models subclass that
# base directly, so they and the core import without Flask; `db` shares its metadata (for
# create_all and migrations) and its registry.
db = SQLAlchemy(model_class=Model)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
assets = Environment()

# The app shell's CSS: minified into one versioned file in production.
assets.register(
    "css_all",
    Bundle("css/app.css", "css/dashboard.css", filters="rcssmin", output="gen/app.%(version)s.css"),
)
# The JS is not bundled: the pages load static/js/app.js, a native ES module, which imports the
# rest; the service worker imports the outbox and sync modules (rehab_app/web/pwa/views.py).

"""Rehab Log. The application factory is in `rehab_app.web.app`; `create_app` here loads it
only when called, so that importing the core (`rehab_app.core`) or the models loads nothing of
Flask."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

    from config import Config


def create_app(config: type[Config] | str | None = None, **overrides: Any) -> Flask:
    """Create and wire the Flask application (see rehab_app.web.app.create_app)."""
    from .web.app import create_app as create

    return create(config, **overrides)

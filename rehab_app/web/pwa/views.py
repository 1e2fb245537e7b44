"""The installable app: web app manifest, service worker at /sw.js, and the offline page."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, g, render_template, request, url_for
from flask_login import current_user
from rjsmin import jsmin
from werkzeug.wrappers import Response as BaseResponse

from rehab_app.core.sessions import account_key
from rehab_app.extensions import assets
from rehab_app.web.flashes import SHOWN_HEADER

bp = Blueprint("pwa", __name__)

STATIC = Path(__file__).resolve().parents[3] / "static"
JS = STATIC / "js"
WORKER_SOURCE = JS / "sw.js"
THEME_COLOUR = "#0b5cad"
BACKGROUND_COLOUR = "#ffffff"
# The patient pages the worker keeps for offline use (fetched with the person's session).
OFFLINE_PAGES = ("/today", "/history", "/log/exercise", "/log/fatigue", "/log/mobility")
OFFLINE_PAGES += ("/log/bad_day", "/log/walk_test", "/progress")
# Every answer to a logged-in patient names whose it is, so that the phone keeps each person's
# outbox, copy and pages apart and never sends one person's entries with another's session.
ACCOUNT_HEADER = "Rehab-Account"
ICONS = (
    ("img/icon-192.png", "192x192", "image/png", "any"),
    ("img/icon-512.png", "512x512", "image/png", "any"),
    ("img/icon-maskable-192.png", "192x192", "image/png", "maskable"),
    ("img/icon-maskable-512.png", "512x512", "image/png", "maskable"),
)
SCREENSHOTS = (
    ("img/screenshot-narrow.png", "780x1688", "narrow", "Today: exercises, fatigue and walking"),
    ("img/screenshot-wide.png", "1280x800", "wide", "Today on a tablet or desktop"),
)


def manifest() -> dict[str, Any]:
    """The web app manifest: what the home-screen app is called and how it looks."""
    return {
        "id": "/today",
        "name": "Rehab Log",
        "short_name": "Rehab Log",
        "description": (
            "Log home exercises, fatigue, walking aids and hard days in seconds, also offline, "
            "and share them with your therapists."
        ),
        "lang": "en-GB",
        "dir": "ltr",
        "start_url": "/today",
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "categories": ["health", "medical", "lifestyle"],
        "icons": [
            {"src": url_for("static", filename=src), "sizes": sizes, "type": kind, "purpose": p}
            for src, sizes, kind, p in ICONS
        ],
        "screenshots": [
            {
                "src": url_for("static", filename=src),
                "sizes": sizes,
                "type": "image/png",
                "form_factor": factor,
                "label": label,
            }
            for src, sizes, factor, label in SCREENSHOTS
        ],
    }


@bp.route("/manifest.webmanifest")
def web_manifest() -> Response:
    """The web app manifest."""
    body = json.dumps(manifest(), indent=1)
    response = Response(body, mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


def js_modules() -> list[str]:
    """The front end's ES modules (static/js, the worker's own source left out).

    They are served as they are, with no build step, under names that do not change: the
    worker precaches every one of them, and its version is a hash of their contents, so that
    a changed module is a new worker and a new cache, never a mix of old and new modules.
    """
    return sorted(p.name for p in JS.glob("*.js") if p != WORKER_SOURCE)


def shell_urls() -> list[str]:
    """The static files of the app shell: the built CSS, the JS modules, icons, manifest,
    offline page."""
    urls: list[str] = list(assets["css_all"].urls())
    urls.extend(url_for("static", filename=f"js/{name}") for name in js_modules())
    urls.append(url_for("static", filename="img/icon.svg"))
    urls.extend(url_for("static", filename=src) for src, *_ in ICONS)
    urls.append(url_for("pwa.web_manifest"))
    urls.append(url_for("pwa.offline"))
    return urls


def _sources() -> tuple[tuple[str, int], ...]:
    """Each source behind the shell with its modification time (a change is a new key)."""
    paths = [Path(path) for _rel, path in assets["css_all"].resolve_contents()]
    paths += [JS / name for name in js_modules()]
    return tuple((str(p), p.stat().st_mtime_ns) for p in paths)


@lru_cache(maxsize=8)
def _sources_digest(sources: tuple[tuple[str, int], ...]) -> bytes:
    digest = hashlib.sha256()
    for path, _mtime in sources:
        digest.update(Path(path).read_bytes())
    return digest.digest()


@lru_cache(maxsize=8)
def _worker_body(shell: tuple[str, ...], debug: bool, sources: bytes) -> tuple[str, str]:
    source = WORKER_SOURCE.read_text(encoding="utf-8")
    version = hashlib.sha256(
        json.dumps([shell, OFFLINE_PAGES]).encode() + sources + source.encode()
    ).hexdigest()[:16]
    header = (
        f"const VERSION = {json.dumps(version)};\n"
        f"const SHELL = {json.dumps(list(shell))};\n"
        f"const PAGES = {json.dumps(list(OFFLINE_PAGES))};\n"
    )
    body = header + source
    return version, body if debug else jsmin(body)


def _worker() -> tuple[str, str]:
    debug = bool(current_app.config.get("ASSETS_DEBUG"))
    return _worker_body(tuple(shell_urls()), debug, _sources_digest(_sources()))


def worker_version() -> str:
    """The worker's version: a hash of the shell it caches and of its own code."""
    return _worker()[0]


@bp.route("/sw.js")
def service_worker() -> Response:
    """The service worker, from the root so that it controls the whole app."""
    _version, body = _worker()
    response = Response(body, mimetype="text/javascript")
    # Browsers check for a new worker on every visit; never keep an old one anywhere.
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/offline")
def offline() -> str:
    """What the app shows for a page it has not kept, when there is no connection."""
    return render_template("pwa/offline.html")


def current_account_key() -> str | None:
    """The opaque account key of the logged-in patient, or None (named once per request)."""
    if "account_key" not in g:
        if current_user.is_authenticated and current_user.role == "patient":
            g.account_key = account_key(current_app.config["SECRET_KEY"], current_user.id)
        else:
            g.account_key = None
    key: str | None = g.account_key
    return key


@bp.app_context_processor
def account_key_for_pages() -> dict[str, str | None]:
    """Pages say whose they are: a patient's <body data-account>, whose store the app opens;
    anyone's <body data-person> (the same kind of opaque key), which held.js compares before
    it fills a form in again after a login (never with another person's words)."""
    patient = current_account_key()
    person = patient
    if person is None and current_user.is_authenticated:  # a patient's is the same key
        person = account_key(current_app.config["SECRET_KEY"], current_user.id)
    return {"account_key": patient, "person_key": person}


@bp.after_app_request
def name_the_account(response: Response) -> Response:
    """Pages and API answers for a patient carry the account key in a header.

    Only the key the page or the API named while it was made: after the view the request's
    transaction is over, and reading `current_user` here could load or refresh it, starting a
    new one (on SQLite, a POST's `BEGIN IMMEDIATE` then held the write lock until the end of
    the request, and the next request's write met "database is locked").
    """
    key = g.get("account_key")
    if key:
        response.headers[ACCOUNT_HEADER] = key
    if g.get("messages_shown"):
        response.headers[SHOWN_HEADER] = "1"
    return response


def clear_site_data(response: BaseResponse) -> BaseResponse:
    """Ask the browser to forget this site's data on the phone (log out, account deleted).

    Always the HTTP cache. "storage" (IndexedDB, the kept pages, the service worker) only when
    the page's app said that no outbox on this phone holds anything: a person's unsynced
    entries stay until they log in again (docs/sync.md, "One person per phone").
    """
    if request.form.get("outbox_empty") == "1":
        response.headers["Clear-Site-Data"] = '"cache", "storage"'
    else:
        response.headers["Clear-Site-Data"] = '"cache"'
    return response

"""Make the PNG icons and store screenshots of the installable app (`make pwa-images`).

Renders static/img/icon.svg and icon-maskable.svg in Chromium at each size, and photographs the
demo patient's Today page at phone and desktop sizes. Needs the test extras (Playwright) and
Debian's Chromium; the PNGs it writes are committed, so deploying never needs either.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import make_server

from config import TestConfig
from rehab_app import create_app
from rehab_app.core.catalogue import seed_rows
from rehab_app.core.demo import DEMO_PASSWORD, create_demo
from rehab_app.core.timeutil import local_today
from rehab_app.extensions import db
from rehab_app.models import Exercise

IMG = Path(__file__).resolve().parents[2] / "static" / "img"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# (source svg, output png, size in px)
ICON_SIZES = (
    ("icon.svg", "icon-192.png", 192),
    ("icon.svg", "icon-512.png", 512),
    ("icon-maskable.svg", "icon-maskable-192.png", 192),
    ("icon-maskable.svg", "icon-maskable-512.png", 512),
    ("icon-maskable.svg", "apple-touch-icon.png", 180),
)


def render_icons(browser: object) -> None:
    """Each icon at its size, on a transparent background (the maskable ones are full-bleed)."""
    for source, target, size in ICON_SIZES:
        page = browser.new_page(viewport={"width": size, "height": size})  # type: ignore[attr-defined]
        svg = (IMG / source).read_text(encoding="utf-8")
        page.set_content(
            "<html><body style='margin:0'>"
            + svg.replace("<svg ", f"<svg width='{size}' height='{size}' ", 1)
            + "</body></html>"
        )
        page.screenshot(path=str(IMG / target), omit_background=True)
        page.close()
        print(f"wrote static/img/{target}")


def take_screenshots(browser: object, base: str, email: str) -> None:
    """The demo patient's Today page, narrow (phone) and wide (tablet or desktop)."""
    shots = (
        ("screenshot-narrow.png", {"width": 390, "height": 844}, 2),
        ("screenshot-wide.png", {"width": 1280, "height": 800}, 1),
    )
    for target, viewport, scale in shots:
        context = browser.new_context(viewport=viewport, device_scale_factor=scale)  # type: ignore[attr-defined]
        page = context.new_page()
        page.goto(f"{base}/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/today")
        page.screenshot(path=str(IMG / target))
        context.close()
        print(f"wrote static/img/{target}")


def main() -> None:
    """Write every PNG the manifest and the iOS tags point at."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/shots.sqlite3")
        with app.app_context():
            db.create_all()
            db.session.execute(db.insert(Exercise), seed_rows())
            logins = create_demo(db.session(), local_today("Europe/London"))
            db.session.commit()
        email = next(e for role, e, _ in logins if role == "patient")
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                render_icons(browser)
                take_screenshots(browser, f"http://127.0.0.1:{server.server_port}", email)
                browser.close()
        finally:
            server.shutdown()


if __name__ == "__main__":
    main()

"""The installable app on the server side: manifest, service worker, offline page, shell weight."""

from __future__ import annotations

import gzip
import json
import re
import struct
from pathlib import Path

import pytest
from flask import Flask

from rehab_app.extensions import assets
from rehab_app.web.pwa import views as pwa
from tests.helpers.accounts import CsrfClient, People, login

STATIC = Path(__file__).resolve().parent.parent / "static"
SHELL_BUDGET = 60 * 1024  # bytes, gzipped: HTML, CSS and JS of the app shell (issue 3)


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's header."""
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_manifest_makes_an_installable_standalone_app(client: CsrfClient) -> None:
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.data)
    for key in ("id", "name", "short_name", "description", "theme_color", "background_color"):
        assert manifest[key], key
    assert manifest["start_url"] == "/today"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    purposes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert purposes >= {
        ("192x192", "any"),
        ("512x512", "any"),
        ("192x192", "maskable"),
        ("512x512", "maskable"),
    }
    assert {s["form_factor"] for s in manifest["screenshots"]} == {"narrow", "wide"}


def test_every_image_the_manifest_names_exists_at_its_size(client: CsrfClient) -> None:
    manifest = json.loads(client.get("/manifest.webmanifest").data)
    for image in manifest["icons"] + manifest["screenshots"]:
        path = STATIC / image["src"].removeprefix("/static/")
        width, height = (int(n) for n in image["sizes"].split("x"))
        assert png_size(path) == (width, height), image["src"]
        assert client.get(image["src"]).status_code == 200


def test_pages_carry_the_ios_tags_and_a_180px_icon(client: CsrfClient, people: People) -> None:
    login(client, people.patient)
    html = client.get("/today").get_data(as_text=True)
    match = re.search(r'<link rel="apple-touch-icon" href="([^"]+)"', html)
    assert match, "no apple-touch-icon"
    assert png_size(STATIC / match.group(1).removeprefix("/static/")) == (180, 180)
    assert '<meta name="apple-mobile-web-app-capable" content="yes">' in html
    assert '<meta name="apple-mobile-web-app-title" content="Rehab Log">' in html
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html


def test_service_worker_comes_from_the_root_and_is_never_cached_stale(client: CsrfClient) -> None:
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)
    version = pwa_version(body)
    assert re.fullmatch(r"[0-9a-f]{16}", version)
    shell = json.loads(re.search(r"SHELL\s*=\s*(\[[^\]]*\])", body).group(1))  # type: ignore[union-attr]
    for url in assets["css_all"].urls():
        assert url in shell, f"{url} is not precached"
    # Every ES module the pages or the worker import, or a page offline would miss it.
    for module in sorted((STATIC / "js").glob("*.js")):
        if module.name != "sw.js":
            assert f"/static/js/{module.name}" in shell, f"{module.name} is not precached"
    assert "/offline" in shell
    assert not [u for u in shell if u.startswith("/api/")]


def pwa_version(body: str) -> str:
    """The cache version the worker was served with."""
    match = re.search(r'VERSION\s*=\s*"([^"]+)"', body)
    assert match, "no VERSION in /sw.js"
    return match.group(1)


def test_worker_version_follows_the_built_assets(app: Flask, client: CsrfClient) -> None:
    """A change to the CSS or JS is a new version, so phones fetch the new shell."""
    before = pwa_version(client.get("/sw.js").get_data(as_text=True))
    pwa._worker_body.cache_clear()
    with app.test_request_context():
        shell = tuple(pwa.shell_urls())
        sources = pwa._sources_digest(pwa._sources())
        same = pwa._worker_body(shell, False, sources)[0]
        new_css = pwa._worker_body((*shell[:-1], "/static/gen/app.00000000.css"), False, sources)
        # A module's URL never changes: its contents do, and so does the worker.
        new_module = pwa._worker_body(shell, False, bytes(32))
    assert same == before
    assert new_css[0] != before and new_module[0] != before
    assert pwa_version(client.get("/sw.js").get_data(as_text=True)) == before


def test_offline_page_is_the_same_for_everyone(client: CsrfClient, people: People) -> None:
    anonymous = client.get("/offline").get_data(as_text=True)
    login(client, people.patient)
    logged_in = client.get("/offline").get_data(as_text=True)
    assert anonymous == logged_in
    assert "No connection" in anonymous
    assert people.patient.display_name not in logged_in
    assert "csrf" not in logged_in


def test_patient_pages_offer_every_logging_form_to_the_outbox(
    client: CsrfClient, people: People
) -> None:
    """With JavaScript on, each form that logs something goes to the outbox first."""
    login(client, people.patient)
    today = client.get("/today").get_data(as_text=True)
    for kind in ("fatigue", "mobility", "bad_day"):
        assert f'data-offline="create" data-kind="{kind}"' in today, kind
    for kind in ("exercise", "fatigue", "mobility", "bad_day"):
        page = client.get(f"/log/{kind}").get_data(as_text=True)
        assert 'data-offline="create"' in page, kind
    assert 'id="rl-words"' in today
    assert 'data-account="' in today and f'data-account="{people.patient.id}"' not in today


@pytest.mark.parametrize("path", ["/today", "/login"])
def test_the_app_shell_weighs_under_60_kb_gzipped(
    client: CsrfClient, people: People, path: str
) -> None:
    """HTML, CSS and JS as a phone downloads them (gzip), summed; images are not counted."""
    if path != "/login":
        login(client, people.patient)
    html = client.get(path).data
    parts = {path: html, "/sw.js": client.get("/sw.js").data}
    for url in re.findall(r'(?:href|src)="(/static/gen/[^"]+\.(?:css|js))"', html.decode()):
        parts[url] = client.get(url).data
    # The JS modules, all of them: the app imports them on every page.
    for module in pwa.js_modules():
        parts[f"/static/js/{module}"] = (STATIC / "js" / module).read_bytes()
    assert any(u.endswith(".css") for u in parts) and any(u.endswith(".js") for u in parts)
    total = sum(len(gzip.compress(body, 9)) for body in parts.values())
    sizes = {u: len(gzip.compress(b, 9)) for u, b in parts.items()}
    assert total < SHELL_BUDGET, sizes


def test_css_is_minified(client: CsrfClient) -> None:
    (url,) = assets["css_all"].urls()
    body = client.get(url).get_data(as_text=True)
    assert "\n\n" not in body and "/** " not in body, url


def test_a_page_fetched_to_keep_offline_leaves_the_persons_message_waiting(
    patient_client: CsrfClient,
) -> None:
    """The service worker keeps pages in the background (Rehab-Keep), sometimes between an
    action's redirect and the person's page: the message is the person's, not the kept page's.
    (Under load, the link confirmation "Linked. ..." once went into a kept page instead.)"""
    message = "Linked. Thea Therapist can now see your log."
    with patient_client.session_transaction() as session:
        session["_flashes"] = [("success", message)]
    kept = patient_client.get("/today", headers={"Rehab-Keep": "1"})
    assert kept.status_code == 200
    assert message not in kept.get_data(as_text=True)
    shown = patient_client.get("/account").get_data(as_text=True)
    assert message in shown
    assert message not in patient_client.get("/account").get_data(as_text=True)  # shown once


def test_a_page_that_shows_a_message_says_so_to_the_worker(patient_client: CsrfClient) -> None:
    """The worker keeps no page that showed a message (Rehab-Messages): offline, Today would
    say "Saved: ..." again, days later."""
    assert "Rehab-Messages" not in patient_client.get("/today").headers
    with patient_client.session_transaction() as session:
        session["_flashes"] = [("success", "Saved: fatigue 3 out of 10.")]
    kept = patient_client.get("/today", headers={"Rehab-Keep": "1"})
    assert "Rehab-Messages" not in kept.headers  # made without it: the worker keeps that one
    shown = patient_client.get("/today")
    assert "Saved: fatigue 3 out of 10." in shown.get_data(as_text=True)
    assert shown.headers["Rehab-Messages"] == "1"
    assert "Rehab-Messages" not in patient_client.get("/today").headers


def test_the_worker_marks_the_pages_it_keeps() -> None:
    worker = (Path(__file__).resolve().parent.parent / "static" / "js" / "sw.js").read_text()
    keep = re.search(r"function fetchWithin\(.*?\n}\n", worker, re.S)
    assert keep is not None and '"Rehab-Keep": "1"' in keep.group(0)

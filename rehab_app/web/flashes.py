"""Flash messages shown where the person tapped, not only at the top of the page.

A view that redirects to a section of a long page (``#team-3``, ``#notes-h``) flashes with
:func:`flash_at`; the section shows the message under its heading (``flashes_at`` in
``_macros.html``), where the browser scrolls to. The top of the page shows the others.

Pages are shown the messages through :func:`page_messages`, which leaves them waiting when
the service worker fetches a page in the background to keep it for offline use (it says so
with the ``Rehab-Keep`` header): otherwise that fetch, racing the person's own, would take the
message they were to see, and the kept page would show it again, offline, out of place. For the
same reason a page that did show messages says so (``Rehab-Messages``), and the worker does not
keep it.
"""

from __future__ import annotations

from flask import flash, g, get_flashed_messages, request

PLACE_MARK = "@"


def flash_at(place: str, message: str, category: str = "info") -> None:
    """Flash a message that the section `place` of the next page shows, under its heading."""
    flash(message, f"{category}{PLACE_MARK}{place}")


# Sent by the service worker (static/js/sw.js, fetchWithin) with the pages it keeps.
KEEP_HEADER = "Rehab-Keep"
# Sent back with a page that showed the person messages: the service worker does not keep it
# (static/js/sw.js, networkFirst), or the kept page would say "Saved: ..." again offline, days on.
SHOWN_HEADER = "Rehab-Messages"


def page_messages() -> list[tuple[str, str]]:
    """The flashed messages for the page being made, with their categories: none for a page
    the service worker fetches to keep, so that they wait for the person's own next page."""
    if request.headers.get(KEEP_HEADER):
        return []
    messages = get_flashed_messages(with_categories=True)
    if messages:
        g.messages_shown = True
    return messages

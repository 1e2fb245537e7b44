"""Flash messages shown where the person tapped, not only at the top of the page.

A view that redirects to a section of a long page (``#team-3``, ``#notes-h``) flashes with
:func:`flash_at`; the section shows the message under its heading (``flashes_at`` in
``_macros.html``), where the browser scrolls to. The top of the page shows the others.
"""

from __future__ import annotations

from flask import flash

PLACE_MARK = "@"


def flash_at(place: str, message: str, category: str = "info") -> None:
    """Flash a message that the section `place` of the next page shows, under its heading."""
    flash(message, f"{category}{PLACE_MARK}{place}")

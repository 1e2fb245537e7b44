"""Reading pages as a person reads them."""

from __future__ import annotations

import re
from html import unescape

TIMES = "\N{MULTIPLICATION SIGN}"  # how a dose reads: 2 sets of 10 is "2 TIMES 10"


def visible(markup: str) -> str:
    """The text a person reads: tags dropped, entities decoded, white space collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def section(markup: str, heading_id: str) -> str:
    """The visible text of the page section labelled by a heading."""
    match = re.search(
        rf'<section\b[^>]*\baria-labelledby="{heading_id}"[^>]*>(.*?)</section>', markup, re.S
    )
    assert match is not None, f"no section labelled {heading_id}"
    return visible(match.group(1))

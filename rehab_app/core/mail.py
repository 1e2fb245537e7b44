"""Email: plain-text messages sent through an SMTP server, or printed in development.

Mail goes out on a thread of its own, so that a page answers as fast whether or not it sent
one (a reset request must not tell, by its timing, that an email has an account).
"""

from __future__ import annotations

import logging
import smtplib
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 20


@dataclass(frozen=True)
class MailSettings:
    """Where mail goes: an SMTP server, or (no server) the console in development."""

    server: str = ""
    port: int = 25
    username: str = ""
    password: str = ""
    use_tls: bool = False
    sender: str = "Rehab Log <no-reply@localhost>"
    console: bool = False  # with no server: print the mail (development) or drop it

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, console: bool = False) -> MailSettings:
        """The settings of an app's configuration (MAIL_*)."""
        return cls(
            server=config.get("MAIL_SERVER") or "",
            port=int(config.get("MAIL_PORT") or 25),
            username=config.get("MAIL_USERNAME") or "",
            password=config.get("MAIL_PASSWORD") or "",
            use_tls=bool(config.get("MAIL_USE_TLS")),
            sender=config.get("MAIL_FROM") or cls.sender,
            console=console,
        )


def compose(settings: MailSettings, to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text message from the app to one person."""
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="rehab-log")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    return message


def deliver(settings: MailSettings, message: EmailMessage) -> bool:
    """Send one message now; return False (and log why, naming no one) when it failed."""
    if not settings.server:
        if settings.console:
            print(f"----- email (not sent: no MAIL_SERVER) -----\n{message}", file=sys.stderr)
        else:
            log.warning("An email was not sent: MAIL_SERVER is not set.")
        return settings.console
    try:
        with smtplib.SMTP(settings.server, settings.port, timeout=TIMEOUT_SECONDS) as smtp:
            if settings.use_tls:
                smtp.starttls()
            if settings.username:
                smtp.login(settings.username, settings.password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        log.warning("An email could not be sent: %s", type(error).__name__)
        return False
    return True


def send(settings: MailSettings, to: str, subject: str, body: str) -> threading.Thread:
    """Send a message in the background; return the thread (tests may join it)."""
    message = compose(settings, to, subject, body)
    thread = threading.Thread(target=deliver, args=(settings, message), name="mail", daemon=True)
    thread.start()
    return thread

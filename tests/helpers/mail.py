"""What the loopback SMTP server received, and a free port for it."""

from __future__ import annotations

import re
import socket
import time
from email import message_from_bytes
from email.message import Message
from typing import Any


class Mailbox:
    """What a real SMTP server on loopback (aiosmtpd) received, in order."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """aiosmtpd's hook: keep each message as it arrived."""
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Message]:
        """The messages sent to one address."""
        return [m for m in self.messages if m["To"] == address]

    def wait_for(self, address: str, count: int = 1, timeout: float = 5.0) -> list[Message]:
        """Wait until `count` messages reached the address (mail leaves on a thread)."""
        deadline = time.monotonic() + timeout
        while len(self.to(address)) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        found = self.to(address)
        assert len(found) >= count, f"{len(found)} of {count} emails reached {address}"
        return found

    @staticmethod
    def body(message: Message) -> str:
        """A plain-text message's body."""
        payload = message.get_payload(decode=True)
        assert isinstance(payload, bytes)
        return payload.decode(message.get_content_charset() or "utf-8")

    def link(self, message: Message) -> str:
        """The one link in a message."""
        links = re.findall(r"https?://\S+", self.body(message))
        assert links, self.body(message)
        return links[0]


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])

"""A real SMTP server (aiosmtpd on 127.0.0.1, a free port) that records what it accepted."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections import Counter, deque
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RecordingHandler:
    """Counts a message only once its SMTP transaction completed.

    `rcpt_replies` / `data_replies`: scripted answers used (and consumed) before accepting.
    `hold_data_number`: the DATA command with this number (1-based) sets `holding` and waits
    `hold_seconds` before answering; if the client is gone by then nothing is recorded.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[Message] = []
        self.rcpt_replies: deque[str] = deque()
        self.data_replies: deque[str] = deque()
        self.data_commands = 0
        self.hold_data_number: int | None = None
        self.hold_seconds = 30.0
        self.holding = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_replies:
            return self.rcpt_replies.popleft()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.data_commands += 1
            number = self.data_commands
        if self.data_replies:
            return self.data_replies.popleft()
        if number == self.hold_data_number:
            self.holding.set()
            await asyncio.sleep(self.hold_seconds)  # cancelled if the client disconnects
            if server.transport is None or server.transport.is_closing():
                return "421 client gone"
        message = message_from_bytes(envelope.content)
        message["X-Test-Rcpt-Tos"] = ", ".join(envelope.rcpt_tos)
        with self.lock:
            self.received.append(message)
        return "250 Message accepted for delivery"

    def message_ids(self) -> Counter:
        with self.lock:
            return Counter(m["Message-ID"] for m in self.received)


class SmtpServer:
    def __init__(self) -> None:
        self.handler = RecordingHandler()
        self.host = "127.0.0.1"
        self.port = free_port()
        self.controller = Controller(self.handler, hostname=self.host, port=self.port)

    @property
    def received(self) -> list[Message]:
        return self.handler.received


@pytest.fixture
def smtp_server(settings):
    """A running SMTP server; Django's default mailer points at it for the test."""
    server = SmtpServer()
    server.controller.start()
    options = {"host": server.host, "port": server.port, "timeout": 10}
    settings.MAILERS = {
        "default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": options}
    }
    try:
        yield server
    finally:
        server.controller.stop()

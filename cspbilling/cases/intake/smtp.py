"""`cspbilling mail serve`: an SMTP listener (aiosmtpd) for the support address. A message is
accepted (250) only once it is stored or deliberately ignored; on a failure the sender's server
is told to retry (451), so nothing is lost."""

from __future__ import annotations

import asyncio
import logging

from aiosmtpd.controller import Controller
from django.db import close_old_connections, connections

from cspbilling.cases.services.intake import do_ingest_email

logger = logging.getLogger(__name__)
MAX_MESSAGE_BYTES = 40 * 1024 * 1024


def _ingest(raw: bytes) -> str:
    close_old_connections()
    try:
        return do_ingest_email(raw=raw).outcome
    finally:
        # This runs in a pool thread that outlives the message: its connection is closed, not
        # kept idle for ever (it would hold the database: a test database could not be dropped).
        connections.close_all()


class IntakeHandler:
    async def handle_DATA(self, server, session, envelope) -> str:
        try:
            outcome = await asyncio.to_thread(_ingest, envelope.content)
        except Exception:
            logger.exception("mail intake failed; the sender will retry")
            return "451 4.3.0 temporary failure, please retry"
        return f"250 2.0.0 {outcome}"


def start_listener(host: str, port: int) -> Controller:
    controller = Controller(
        IntakeHandler(), hostname=host, port=port, data_size_limit=MAX_MESSAGE_BYTES
    )
    controller.start()
    return controller

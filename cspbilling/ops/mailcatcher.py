"""A local SMTP server for the demo and training: every email is kept as an .eml file.

Nothing leaves the machine; open the files with any mail reader to see what a customer receives.
"""

from __future__ import annotations

from email import message_from_bytes
from pathlib import Path

from aiosmtpd.controller import Controller


class _SaveToFolder:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        message = message_from_bytes(envelope.content)
        stem = str(message.get("Message-ID") or f"message-{id(envelope)}").strip().strip("<>")
        safe = "".join(ch if ch.isalnum() or ch in "-_.@" else "_" for ch in stem)[:120]
        (self.folder / f"{safe}.eml").write_bytes(envelope.content)
        return "250 kept"


def start_mailcatcher(*, folder: Path, host: str = "127.0.0.1", port: int = 1025) -> Controller:
    folder.mkdir(parents=True, exist_ok=True)
    controller = Controller(_SaveToFolder(folder), hostname=host, port=port)
    controller.start()
    return controller

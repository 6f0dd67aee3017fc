"""`cspbilling mail poll` (and the worker's periodic job): read the unseen messages of the
support mailbox over IMAP (imap-tools), ingest each, then flag it seen. A message is flagged
only after it is stored, so a crash leaves it unseen and the next poll takes it (stored once:
its Message-ID)."""

from __future__ import annotations

from collections import Counter

from django.conf import settings
from imap_tools import AND, MailBox, MailBoxUnencrypted, MailMessageFlags

from cspbilling.cases.services.intake import do_ingest_email


def poll_mailbox(
    *, host: str, port: int, user: str, password: str, folder: str = "INBOX", ssl: bool = True
) -> Counter:
    box_class = MailBox if ssl else MailBoxUnencrypted
    outcomes: Counter = Counter()
    with box_class(host, port=port).login(user, password, initial_folder=folder) as box:
        for message in box.fetch(AND(seen=False), mark_seen=False, bulk=False):
            result = do_ingest_email(raw=message.obj.as_bytes())
            outcomes[result.outcome] += 1
            box.flag(message.uid, MailMessageFlags.SEEN, True)
    return outcomes


def poll_configured_mailbox() -> Counter:
    imap = settings.CASES_IMAP
    if not imap["HOST"]:
        return Counter()
    return poll_mailbox(
        host=imap["HOST"],
        port=imap["PORT"],
        user=imap["USER"],
        password=imap["PASSWORD"],
        folder=imap["FOLDER"],
        ssl=imap["SSL"],
    )

"""`cspbilling mail ingest DIR | serve | poll`: customers' email into cases."""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Support mail into cases: ingest a Maildir, serve SMTP, or poll the IMAP mailbox"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        ingest = sub.add_parser("ingest", help="ingest the unseen messages of a Maildir")
        ingest.add_argument("dir", help="a Maildir (with new/ and cur/)")
        serve = sub.add_parser("serve", help="listen for mail over SMTP (aiosmtpd)")
        serve.add_argument("--host", default=settings.CASES_SMTP_LISTEN[0])
        serve.add_argument("--port", type=int, default=settings.CASES_SMTP_LISTEN[1])
        sub.add_parser("poll", help="read the unseen messages of the IMAP mailbox once")

    def handle(self, *args, action: str, **options):
        if action == "ingest":
            from cspbilling.cases.intake.maildir import ingest_maildir

            try:
                outcomes, results = ingest_maildir(Path(options["dir"]))
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            for key, result in results:
                self.stdout.write(f"{key}: {result.outcome} {result.reference} {result.reason}")
            self.stdout.write(_summary(outcomes))
        elif action == "serve":
            from cspbilling.cases.intake.smtp import start_listener

            controller = start_listener(options["host"], options["port"])
            self.stdout.write(f"listening for mail on {options['host']}:{options['port']}")
            try:
                while True:
                    time.sleep(3600)
            finally:
                controller.stop()
        else:
            from cspbilling.cases.intake.imap import poll_configured_mailbox

            if not settings.CASES_IMAP["HOST"]:
                raise CommandError("set CSPBILLING_CASES_IMAP_HOST (and user, password)")
            self.stdout.write(_summary(poll_configured_mailbox()))


def _summary(outcomes) -> str:
    return ", ".join(f"{n} {name}" for name, n in sorted(outcomes.items())) or "no new mail"

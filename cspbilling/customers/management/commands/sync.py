from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from cspbilling.core.progress import progress_bar
from cspbilling.customers.sync import sync_from_partner_center


class Command(BaseCommand):
    help = (
        "Pull customers and subscriptions from Partner Center into the local mirror: creates and "
        "updates them, marks what disappeared upstream. Safe to run again: a run with nothing new "
        "changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--concurrency", type=int, default=4, help="parallel subscription requests (default 4)"
        )
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, concurrency: int, quiet: bool, **options):
        from cspbilling.partnercenter.client import PartnerCenterClient
        from cspbilling.partnercenter.errors import PartnerCenterError

        if concurrency < 1:
            raise CommandError("--concurrency must be at least 1")
        try:
            with (
                PartnerCenterClient.from_settings() as client,
                progress_bar(enabled=not quiet and sys.stderr.isatty()) as progress,
            ):
                report = sync_from_partner_center(
                    client=client, progress=progress, concurrency=concurrency
                )
        except PartnerCenterError as exc:
            raise CommandError(f"Partner Center: {exc}") from exc
        c, s = report.customers, report.subscriptions
        self.stdout.write(
            f"customers: {c['created']} new, {c['updated']} changed, {c['removed']} removed, "
            f"{c['restored']} back, {c['unchanged']} unchanged\n"
            f"subscriptions: {s['created']} new, {s['updated']} changed, {s['removed']} removed, "
            f"{s['restored']} back, {s['unchanged']} unchanged\n"
            f"billing contacts changed: {report.contacts_changed}\n"
            f"{'done' if report.changed_anything else 'nothing changed'} "
            f"in {report.seconds:.1f} s (apply)"
        )

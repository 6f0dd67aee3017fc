from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from cspbilling.core.progress import progress_bar
from cspbilling.sync.models import SyncRunStatus, SyncTrigger
from cspbilling.sync.services import SyncRefused, execute_sync_run, start_sync_run


class Command(BaseCommand):
    help = (
        "Pull customers and subscriptions from Partner Center into the local mirror: creates and "
        "updates them, marks what disappeared upstream. Safe to run again: a run with nothing new "
        "changes nothing. Recorded as a sync run (shown in the console's Partner Center sync page)."
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
            client = PartnerCenterClient.from_settings()
        except PartnerCenterError as exc:
            raise CommandError(f"Partner Center: {exc}") from exc
        try:
            run = start_sync_run(actor="cli", trigger=SyncTrigger.CLI)
        except SyncRefused as exc:
            client.close()
            raise CommandError(str(exc)) from exc
        with client, progress_bar(enabled=not quiet and sys.stderr.isatty()) as progress:
            run = execute_sync_run(
                run_id=run.pk, client=client, progress=progress, concurrency=concurrency
            )
        if run.status != SyncRunStatus.SUCCEEDED:
            raise CommandError(f"sync run #{run.pk} failed: {run.error}")
        c, s = run.counts["customers"], run.counts["subscriptions"]
        changed = (
            any(value for key, value in {**c, **s}.items() if key != "unchanged")
            or run.counts["contacts_changed"]
        )
        self.stdout.write(
            f"customers: {c['created']} new, {c['updated']} changed, {c['removed']} removed, "
            f"{c['restored']} back, {c['unchanged']} unchanged\n"
            f"subscriptions: {s['created']} new, {s['updated']} changed, {s['removed']} removed, "
            f"{s['restored']} back, {s['unchanged']} unchanged\n"
            f"billing contacts changed: {run.counts['contacts_changed']}\n"
            f"{'done' if changed else 'nothing changed'} "
            f"in {run.counts['apply_seconds']:.1f} s (apply); sync run #{run.pk}"
        )

"""`cspbilling audit verify|list`: prove the audit chain intact, and read it."""

from __future__ import annotations

import json
from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cspbilling.audit.models import AuditEvent
from cspbilling.audit.selectors import verify_chain


class Command(BaseCommand):
    help = "Audit log tools: verify the hash chain, list events."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="recompute every hash; exit 1 if the chain was tampered with")
        listing = sub.add_parser("list", help="the latest events, newest first")
        listing.add_argument("--object", help="only events about TYPE:ID, e.g. customer:42")
        listing.add_argument("--limit", type=int, default=50)

    def handle(self, *, action: str, **options) -> None:
        getattr(self, f"handle_{action}")(**options)

    def handle_verify(self, **options) -> None:
        total = AuditEvent.objects.count()
        console = Console(stderr=True)
        with Progress(
            TextColumn("verifying audit chain"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal or options["verbosity"] == 0,
        ) as progress:
            bar = progress.add_task("verify", total=total)
            report = verify_chain(progress=lambda n: progress.advance(bar, n))
        if report.ok:
            self.stdout.write(f"{report.checked} events, chain intact")
            return
        for problem in report.problems:
            self.stdout.write(problem)
        raise CommandError(
            f"{report.checked} events, {len(report.problems)} problem(s): the chain is broken"
        )

    def handle_list(self, *, object, limit, **_) -> None:
        events = AuditEvent.objects.order_by("-id")
        if object:
            if ":" not in object:
                raise CommandError("--object must be TYPE:ID, e.g. customer:42")
            object_type, object_id = object.split(":", 1)
            events = events.filter(object_type=object_type, object_id=object_id)
        rows = list(events[:limit])
        for e in rows:
            when = timezone.localtime(e.occurred_at).strftime("%Y-%m-%d %H:%M:%S")
            change = json.dumps(e.after, ensure_ascii=False, default=str) if e.after else ""
            self.stdout.write(
                f"#{e.pk:<7} {when}  {e.actor:<12} {e.action:<28} "
                f"{e.object_type}:{e.object_id}  {change}"
            )
        if not rows:
            self.stdout.write("no events")

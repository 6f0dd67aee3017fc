"""`cspbilling outbox list|show|retry|cancel`: what we sent and when."""

from __future__ import annotations

import json
from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cspbilling.notifications import selectors, services
from cspbilling.notifications.models import MessageStatus, OutboundMessage


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else "-"


class Command(BaseCommand):
    help = "Show and retry outbound messages (emails, webhooks, Partner Center commands)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="the latest messages, newest first")
        listing.add_argument("--status", choices=MessageStatus.values)
        listing.add_argument("--object", help="only messages about TYPE:ID")
        listing.add_argument("--limit", type=int, default=50)
        show = sub.add_parser("show", help="one message in full")
        show.add_argument("id", type=int)
        retry = sub.add_parser("retry", help="send a failed message again")
        retry.add_argument("id", type=int)
        retry.add_argument("--actor", default="cli")
        cancel = sub.add_parser("cancel", help="do not send a pending or failed message")
        cancel.add_argument("id", type=int)
        cancel.add_argument("--actor", default="cli")
        cancel.add_argument("--reason", default="")

    def handle(self, *, action: str, **options) -> None:
        try:
            getattr(self, f"handle_{action}")(**options)
        except (services.OutboxError, ValueError) as exc:
            raise CommandError(str(exc)) from exc

    def handle_list(self, *, status, object, limit, **_) -> None:
        related = None
        if object:
            if ":" not in object:
                raise CommandError("--object must be TYPE:ID, e.g. customer:42")
            related = tuple(object.split(":", 1))
        rows = selectors.messages(status=status, related=related)[:limit]
        for m in rows:
            self.stdout.write(
                f"#{m.pk:<6} {m.status:<9} {m.kind:<14} created {_when(m.created_at)}  "
                f"delivered {_when(m.delivered_at)}  attempts {m.attempts}/{m.max_attempts}  "
                f"{m.summary}"
            )
        if not rows:
            self.stdout.write("no messages")

    def _get(self, message_id: int) -> OutboundMessage:
        message = OutboundMessage.objects.filter(pk=message_id).first()
        if message is None:
            raise CommandError(f"no outbound message #{message_id}")
        return message

    def handle_show(self, *, id, **_) -> None:
        m = self._get(id)
        lines = [
            f"message #{m.pk} ({m.kind})",
            f"status:          {m.status}",
            f"idempotency key: {m.idempotency_key}",
            f"about:           {m.object_type}:{m.object_id}" if m.object_type else "about: -",
            f"created:         {_when(m.created_at)} by {m.created_by}",
            f"attempts:        {m.attempts} of {m.max_attempts}",
            f"next attempt:    {_when(m.next_attempt_at)}",
            f"delivered:       {_when(m.delivered_at)}",
            f"last worker:     {m.claimed_by or '-'}",
            f"last error:      {m.last_error or '-'}",
            "payload:",
            json.dumps(m.payload, indent=2, ensure_ascii=False),
        ]
        self.stdout.write("\n".join(lines))

    def handle_retry(self, *, id, actor, **_) -> None:
        self._get(id)
        message = services.do_retry_message(message_id=id, actor=actor)
        self.stdout.write(f"message #{message.pk} queued again ({message.status})")

    def handle_cancel(self, *, id, actor, reason, **_) -> None:
        self._get(id)
        message = services.do_cancel_message(message_id=id, actor=actor, reason=reason)
        self.stdout.write(f"message #{message.pk} cancelled")

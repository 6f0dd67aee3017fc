"""Giving stalled messages a fresh delivery task.

A worker killed mid-delivery leaves its task row RUNNING forever and our row `sending` with a
lease; a pending message may have lost its task. Recovery enqueues a new task for each; the task
re-checks the row under a lock, so a duplicate task is harmless.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from cspbilling.notifications.models import MessageStatus, OutboundMessage
from cspbilling.notifications.services import enqueue_delivery

BATCH = 500


def stalled_messages(*, now: datetime):
    waiting_task = DBTaskResult.objects.filter(id=OuterRef("task_id"), status="READY")
    return (
        OutboundMessage.objects.filter(
            Q(status=MessageStatus.PENDING, next_attempt_at__lte=now)
            | Q(status=MessageStatus.SENDING, lease_until__lte=now)
        )
        .exclude(Exists(waiting_task))
        .order_by("id")
    )


def recover_stalled_messages(*, now: datetime | None = None) -> int:
    """Enqueue a delivery task for every stalled message; returns how many."""
    now = now or timezone.now()
    recovered = 0
    last_id = 0
    while True:
        ids = list(
            stalled_messages(now=now).filter(id__gt=last_id).values_list("id", flat=True)[:BATCH]
        )
        if not ids:
            return recovered
        with transaction.atomic(durable=True):
            for message in OutboundMessage.objects.filter(id__in=ids).order_by("id"):
                enqueue_delivery(message)
        recovered += len(ids)
        last_id = ids[-1]

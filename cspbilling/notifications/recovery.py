"""Giving stalled messages a fresh delivery task.

A worker killed mid-delivery leaves its task row RUNNING forever and our row `sending` with a
lease; a pending message may have lost its task. Recovery enqueues a new task for each; the task
re-checks the row under a lock, so a duplicate task is harmless.
(`notifications.services.do_recover_stalled_messages` enqueues them.)
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from django_tasks_db.models import DBTaskResult

from cspbilling.notifications.models import MessageStatus, OutboundMessage


def stalled_messages(*, now: datetime) -> QuerySet[OutboundMessage]:
    waiting_task = DBTaskResult.objects.filter(id=OuterRef("task_id"), status="READY")
    return (
        OutboundMessage.objects.filter(
            Q(status=MessageStatus.PENDING, next_attempt_at__lte=now)
            | Q(status=MessageStatus.SENDING, lease_until__lte=now)
        )
        .exclude(Exists(waiting_task))
        .order_by("id")
    )

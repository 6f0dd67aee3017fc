"""Recovery of stalled messages, and periodic jobs scheduled once per period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from django.tasks import task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from cspbilling.core.scheduling import register_periodic, unregister_periodic
from cspbilling.notifications.models import MessageStatus, OutboundMessage, PeriodicRun
from cspbilling.notifications.services import (
    do_recover_stalled_messages,
    do_schedule_due_jobs,
    queue_email,
)

pytestmark = pytest.mark.django_db


def queue(key: str) -> OutboundMessage:
    with transaction.atomic():
        return queue_email(to=["a@contoso.example"], subject="s", body="b", idempotency_key=key)


def test_recovery_gives_stalled_messages_one_fresh_task_each():
    waiting = queue("waiting")  # its task is still READY: left alone
    stuck = queue("stuck")
    lost = queue("lost")
    now = timezone.now()
    DBTaskResult.objects.filter(id=stuck.task_id).update(status="RUNNING")
    OutboundMessage.objects.filter(pk=stuck.pk).update(
        status=MessageStatus.SENDING, lease_until=now - timedelta(seconds=1), attempts=1
    )
    DBTaskResult.objects.filter(id=lost.task_id).update(status="FAILED")

    assert do_recover_stalled_messages(now=now) == 2
    assert do_recover_stalled_messages(now=now) == 0  # the new tasks are READY: nothing to add
    for message in (stuck, lost):
        old_task = message.task_id
        message.refresh_from_db()
        assert message.task_id != old_task
        assert DBTaskResult.objects.get(id=message.task_id).status == "READY"
    waiting_task = waiting.task_id
    waiting.refresh_from_db()
    assert waiting.task_id == waiting_task


def test_a_live_lease_is_not_recovered():
    message = queue("in-flight")
    DBTaskResult.objects.filter(id=message.task_id).update(status="RUNNING")
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=MessageStatus.SENDING, lease_until=timezone.now() + timedelta(minutes=5)
    )
    assert do_recover_stalled_messages() == 0


@task()
def nightly_job() -> None:
    pass


def test_a_periodic_job_is_enqueued_once_per_period():
    register_periodic("tests.nightly", every=timedelta(days=1), task=nightly_job)
    try:
        monday = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)
        # Other apps register their own periodic jobs (e.g. the Partner Center sync).
        assert "tests.nightly" in do_schedule_due_jobs(worker_id="a", now=monday)
        assert "tests.nightly" not in do_schedule_due_jobs(
            worker_id="b", now=monday + timedelta(hours=5)
        )
        assert "tests.nightly" in do_schedule_due_jobs(
            worker_id="b", now=monday + timedelta(days=1)
        )
        runs = list(PeriodicRun.objects.filter(job="tests.nightly").order_by("period_start"))
        assert [(r.period_start.day, r.scheduled_by) for r in runs] == [(3, "a"), (4, "b")]
        assert DBTaskResult.objects.filter(task_path__endswith="nightly_job").count() == 2
    finally:
        unregister_periodic("tests.nightly")

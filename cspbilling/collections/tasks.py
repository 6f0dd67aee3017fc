"""Collections' background work: the daily run, and re-evaluation when a customer's money
changed (enqueued in the transaction of the payment, credit note or settled dispute)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.tasks import task
from django.utils import timezone

from cspbilling.core.scheduling import register_periodic

DAILY_JOB = "collections.daily_run"
SCHEDULER = "scheduler"


@task()
def reevaluate_customer(customer_id: int, why: str = "") -> str:
    from cspbilling.collections.services import do_reinstate_if_cleared

    done = do_reinstate_if_cleared(
        customer_id=customer_id, as_of=timezone.localdate(), actor="collections", why=why
    )
    return f"reactivated {len(done)} suspension(s)" if done else "nothing to reinstate"


def money_changed(customers, why: str) -> None:
    """The payments hook: enqueue the re-evaluation (its row commits with the change) of each
    customer collections is working on (an open overdue episode or a suspension it made);
    one query for all of them, so a bank statement paying thousands queues only those."""
    from cspbilling.collections.selectors import customers_under_collections

    for customer_id in customers_under_collections([customer.pk for customer in customers]):
        reevaluate_customer.enqueue(customer_id, why)


@task()
def daily_collections_run() -> str:
    from cspbilling.collections.models import CollectionsRun
    from cspbilling.collections.services import do_collections_run

    today = timezone.localdate()
    if CollectionsRun.objects.filter(as_of=today, started_by=SCHEDULER).exists():
        return f"skipped: {today} was already run by the schedule"
    result = do_collections_run(as_of=today, actor=SCHEDULER, keep=0)
    return f"collections run of {today}: {result.total} action(s)"


def daily_interval() -> timedelta | None:
    return timedelta(days=1) if settings.COLLECTIONS_RUN_HOUR_UTC >= 0 else None


register_periodic(
    DAILY_JOB,
    every=daily_interval,
    task=daily_collections_run,
    offset=timedelta(hours=max(settings.COLLECTIONS_RUN_HOUR_UTC, 0)),
)
